// Plain data describing what the probes saw for one endpoint. Produced by src/probes/endpoint.ts,
// turned into findings by src/network/findings.ts, shown as check details. No secrets, no sockets.

import type { Endpoint } from '../core/endpoints.js';
import type { DnsFacts } from './dns.js';
import type { ConnectSymptom, TlsFailureKind } from './errors.js';
import type { Consumer, Route } from './routes.js';
import type { CertSummary, InterceptionVerdict, TrustFailure, ValidityProblem } from './tls.js';

export type StoreId = 'os' | 'node' | 'azure-cli';

/** Which trust store each consumer uses. */
export const STORE_OF: Record<Consumer, StoreId> = {
  'azure-core': 'os',
  'server-http': 'os',
  'node-undici': 'node',
  'azure-cli': 'azure-cli',
};

export interface StoreVerdict {
  store: StoreId;
  label: string;
  available: boolean;
  trusted?: boolean;
  failure?: TrustFailure;
  code?: string;
  /** Subject of the anchor the chain led to, when trusted. */
  anchor?: string;
  note?: string;
}

export interface TcpObservation {
  ok: boolean;
  address: string;
  port: number;
  ms: number;
  error?: string;
  symptom?: ConnectSymptom;
}

export interface ProxyObservation {
  ok: boolean;
  phase: 'tcp' | 'tls' | 'connect';
  proxyAddress: string;
  tcpMs?: number;
  connectMs?: number;
  status?: number;
  statusText?: string;
  authSchemes: string[];
  credentialsOffered: boolean;
  error?: string;
  symptom?: string;
  plaintextProxy?: boolean;
  /** http:// proxy URL, but the port speaks TLS. */
  tlsPort?: boolean;
  proxyInfo?: string;
  skipped?: string;
}

export interface TlsObservation {
  ok: boolean;
  ms: number;
  protocol?: string;
  error?: string;
  failure?: TlsFailureKind;
  chain: CertSummary[];
  nodeAuthorizationError?: string;
  interception?: InterceptionVerdict;
  stores: StoreVerdict[];
  validity?: ValidityProblem;
  hostMatches?: boolean;
  leafNames?: string;
}

export interface HttpObservation {
  ok: boolean;
  path: string;
  status?: number;
  ms: number;
  date?: string;
  sentAt: number;
  receivedAt?: number;
  contentType?: string;
  server?: string;
  requestId?: string;
  wwwAuthenticate?: string;
  location?: string;
  /** For the authority: the discovery document looked right (JSON with token_endpoint). */
  discoveryOk?: boolean;
  error?: string;
}

export interface PathObservation {
  key: string;
  via: 'direct' | 'proxy';
  /** Redacted proxy URL. */
  proxy?: string;
  proxyVariable?: string;
  /** Consumers on this path that do not send the proxy URL's credentials (the server's WebProxy). */
  credentialsDroppedBy?: { consumer: Consumer; variable: string }[];
  consumers: Consumer[];
  /** Not probed, and why (e.g. the name does not resolve locally). */
  skipped?: string;
  proxyConnect?: ProxyObservation;
  tcp?: TcpObservation;
  tls?: TlsObservation;
  http?: HttpObservation;
}

export interface EndpointDiagnosis {
  endpoint: Endpoint;
  /** Consumers that talk to this endpoint, the server's own first. */
  consumers: Consumer[];
  /** The consumer the Azure MCP Server uses for this endpoint. */
  serverConsumer: Consumer;
  routes: Partial<Record<Consumer, Route>>;
  dns: DnsFacts;
  paths: PathObservation[];
  durationMs: number;
}
