// Diagnoses one endpoint: routes per consumer, DNS (OS + direct), then every distinct path (direct,
// or each proxy) in parallel: CONNECT, TCP, TLS with trust evaluation per store, one HTTPS request.
// Every phase has its own timeout, bounded by the endpoint's total budget, so a blackholed network
// costs one timeout per phase, never a series of them.

import type { X509Certificate } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Endpoint } from '../core/endpoints.js';
import { classifyDns, type DirectAnswer, type OsAnswer } from '../network/dns.js';
import type { EndpointDiagnosis, HttpObservation, PathObservation, StoreVerdict, TlsObservation } from '../network/diagnosis.js';
import { basicAuthorization, type Env } from '../network/proxy-env.js';
import { distinctPaths, routeFor, type Consumer, type NetworkPath, type Route } from '../network/routes.js';
import {
  detectInterception,
  hostMatches,
  indexStore,
  leafNames,
  nameToString,
  parseDn,
  summarise,
  validityProblem,
  verifyChain,
} from '../network/tls.js';
import { resolveBoth } from './dns.js';
import { httpGet } from './http.js';
import { proxyConnect } from './proxy.js';
import { tcpConnectAny } from './tcp.js';
import { tlsHandshake } from './tls.js';
import type { TrustStore } from './trust-stores.js';

/** The default IMDS address: never contacted by the doctor. */
export const IMDS_ADDRESS = '169.254.169.254';

export interface ProbeBudget {
  totalMs: number;
  dnsMs: number;
  tcpMs: number;
  proxyMs: number;
  tlsMs: number;
  httpMs: number;
}

/** Per-phase timeouts; the total stays well inside the global deadline. */
export function budgetFor(globalTimeoutMs: number): ProbeBudget {
  const totalMs = Math.max(2000, Math.min(15_000, Math.floor(globalTimeoutMs * 0.7)));
  const scale = Math.min(1, totalMs / 12_000);
  return {
    totalMs,
    dnsMs: Math.max(500, Math.round(3000 * scale)),
    tcpMs: Math.max(500, Math.round(4000 * scale)),
    proxyMs: Math.max(500, Math.round(5000 * scale)),
    tlsMs: Math.max(500, Math.round(5000 * scale)),
    httpMs: Math.max(500, Math.round(6000 * scale)),
  };
}

/** Which consumers talk to an endpoint, and which one is the server's own. */
export function consumersFor(role: Endpoint['role']): { consumers: Consumer[]; server: Consumer } {
  switch (role) {
    case 'authority':
    case 'authority-alias':
      return { consumers: ['azure-core', 'azure-cli', 'node-undici'], server: 'azure-core' };
    case 'arm':
      return { consumers: ['server-http', 'azure-cli', 'node-undici'], server: 'server-http' };
    case 'managed-identity':
      return { consumers: ['azure-core'], server: 'azure-core' };
    default:
      return { consumers: ['server-http', 'node-undici'], server: 'server-http' };
  }
}

/** The request that proves the service answers (authority: OIDC discovery; ARM: expects 401). */
export function probePath(ep: Endpoint): { path: string; maxBody: number } {
  const base = new URL(ep.url).pathname.replace(/\/+$/, '');
  switch (ep.role) {
    case 'authority':
      return { path: `${base}/organizations/v2.0/.well-known/openid-configuration`, maxBody: 65_536 };
    case 'authority-alias':
      return { path: `${base}/common/v2.0/.well-known/openid-configuration`, maxBody: 65_536 };
    case 'arm':
      return { path: `${base}/subscriptions?api-version=2022-12-01`, maxBody: 0 };
    case 'graph':
      return { path: `${base}/v1.0/organization`, maxBody: 0 };
    default:
      return { path: `${base}/`, maxBody: 0 };
  }
}

export interface EndpointProbeDeps {
  env: Env;
  platform?: NodeJS.Platform;
  budget: ProbeBudget;
  stores: () => Promise<TrustStore[]>;
  signal?: AbortSignal;
  /** Probe TCP only (managed-identity endpoints, plain-http endpoints). */
  tcpOnly?: boolean;
  /** Name servers for the direct query (default: the system's). */
  dnsServers?: string[];
  /** Replaces both DNS probes (tests: map Azure names to loopback without touching a resolver). */
  resolve?: (host: string) => Promise<{ os: OsAnswer; direct?: DirectAnswer }>;
}

export interface EndpointProbeResult {
  diagnosis: EndpointDiagnosis;
  /** Presented chain (leaf first) and the anchor per trusting store, per path key. For --export-ca. */
  chains: Map<string, { presented: X509Certificate[]; anchors: X509Certificate[] }>;
}

function evaluateTrust(
  host: string,
  presented: X509Certificate[],
  stores: TrustStore[],
  now: Date,
): { stores: StoreVerdict[]; anchors: X509Certificate[]; tls: Pick<TlsObservation, 'chain' | 'interception' | 'validity' | 'hostMatches' | 'leafNames'> } {
  const verdicts: StoreVerdict[] = [];
  const anchors: X509Certificate[] = [];
  for (const s of stores) {
    if (!s.available) {
      verdicts.push({ store: s.id, label: s.label, available: false, note: s.note });
      continue;
    }
    const r = verifyChain(presented, s.index, s.intermediates);
    const v: StoreVerdict = { store: s.id, label: s.label, available: true, trusted: r.trusted };
    if (r.trusted && r.anchor) {
      v.anchor = nameToString(parseDn(r.anchor.subject));
      if (!anchors.some((a) => a.fingerprint256 === r.anchor!.fingerprint256)) anchors.push(r.anchor);
    } else {
      v.failure = r.failure;
      v.code = r.code;
    }
    verdicts.push(v);
  }
  // The path through the presented certificates only (validity is checked along it).
  const own = verifyChain(presented, indexStore([]));
  const full = [...presented];
  for (const a of anchors) if (!full.some((c) => c.fingerprint256 === a.fingerprint256)) full.push(a);
  const summaries = full.map(summarise);
  return {
    stores: verdicts,
    anchors,
    tls: {
      chain: presented.map(summarise),
      interception: detectInterception(host, summaries),
      validity: validityProblem(own.path, now),
      hostMatches: presented[0] ? hostMatches(presented[0], host) : undefined,
      leafNames: presented[0] ? leafNames(presented[0]) : undefined,
    },
  };
}

export async function diagnoseEndpoint(ep: Endpoint, deps: EndpointProbeDeps): Promise<EndpointProbeResult> {
  const started = Date.now();
  const deadline = started + deps.budget.totalMs;
  const left = (phase: number): number => Math.max(1, Math.min(phase, deadline - Date.now()));
  const platform = deps.platform ?? process.platform;
  const { consumers, server } = consumersFor(ep.role);
  const routes: Partial<Record<Consumer, Route>> = {};
  for (const c of consumers) routes[c] = routeFor(c, ep.url, deps.env, { platform });
  // Managed-identity endpoints must be reached directly (IMDS refuses proxies): probe direct only.
  const paths: NetworkPath[] =
    ep.role === 'managed-identity' ? [{ key: 'direct', via: 'direct', consumers }] : distinctPaths(routes as Record<Consumer, Route>, consumers);
  const chains: EndpointProbeResult['chains'] = new Map();
  if (ep.host === IMDS_ADDRESS) {
    // Never contacted (off Azure it is a blackhole, and tests must not touch it); say so.
    return {
      diagnosis: {
        endpoint: ep,
        consumers,
        serverConsumer: server,
        routes,
        dns: classifyDns({ host: ep.host, os: { addresses: [ep.host], ms: 0 } }),
        paths: [{ key: 'direct', via: 'direct', consumers, skipped: `${IMDS_ADDRESS} is never probed (use --imds-endpoint to probe a managed-identity endpoint)` }],
        durationMs: 0,
      },
      chains,
    };
  }
  const signal = deps.signal;
  // Load the trust stores while DNS and TCP run (memoised by the caller, shared by all endpoints).
  const storesPromise = deps.tcpOnly || ep.scheme === 'http' ? undefined : deps.stores();
  storesPromise?.catch(() => undefined);

  const dnsPromise = (async () => {
    const { os, direct } = deps.resolve
      ? await deps.resolve(ep.host)
      : await resolveBoth(ep.host, { timeoutMs: left(deps.budget.dnsMs), signal, servers: deps.dnsServers, platform });
    return classifyDns({ host: ep.host, os, direct }, { privateMeaningful: ep.role === 'resource' || ep.role === 'arm' });
  })();

  const afterConnect = async (obs: PathObservation, socket: Duplex): Promise<void> => {
    if (deps.tcpOnly || ep.scheme === 'http') {
      socket.destroy();
      return;
    }
    const tls = await tlsHandshake({ socket, host: ep.host, timeoutMs: left(deps.budget.tlsMs), signal });
    const tlsObs: TlsObservation = { ok: tls.ok, ms: tls.ms, protocol: tls.protocol, error: tls.error, failure: tls.failure, chain: [], stores: [], nodeAuthorizationError: tls.nodeAuthorizationError };
    obs.tls = tlsObs;
    if (!tls.ok || !tls.socket) return;
    const httpPromise = (async (): Promise<HttpObservation> => {
      const { path, maxBody } = probePath(ep);
      const r = await httpGet({ socket: tls.socket!, host: ep.host, port: ep.port, path, timeoutMs: left(deps.budget.httpMs), signal, maxBody });
      const h: HttpObservation = {
        ok: r.ok,
        path,
        status: r.status,
        ms: r.ms,
        date: r.date,
        sentAt: r.sentAt,
        receivedAt: r.receivedAt,
        contentType: r.contentType,
        server: r.server,
        requestId: r.requestId,
        wwwAuthenticate: r.wwwAuthenticate,
        location: r.location,
        error: r.error,
      };
      if (maxBody > 0 && r.ok && r.status === 200) {
        try {
          h.discoveryOk = typeof (JSON.parse(r.body ?? '') as { token_endpoint?: unknown }).token_endpoint === 'string';
        } catch {
          h.discoveryOk = false;
        }
      }
      return h;
    })();
    const stores = await (storesPromise ?? deps.stores());
    const ev = evaluateTrust(ep.host, tls.chain, stores, new Date());
    Object.assign(tlsObs, ev.tls, { stores: ev.stores });
    chains.set(obs.key, { presented: tls.chain, anchors: ev.anchors });
    obs.http = await httpPromise;
  };

  const probePathTask = async (p: NetworkPath): Promise<PathObservation> => {
    const obs: PathObservation = { key: p.key, via: p.via, consumers: p.consumers };
    if (p.via === 'proxy') {
      obs.proxy = p.proxy;
      obs.proxyVariable = p.variable;
      if (p.credentialsDroppedBy?.length) obs.credentialsDroppedBy = p.credentialsDroppedBy;
      // Send the URL's credentials only when the path's consumers do: the server's WebProxy (upper-case
      // variable) drops them, so its CONNECT is probed without, exactly as the server would send it.
      const authorization = p.sendsCredentials && p.variable ? basicAuthorization(deps.env[p.variable] ?? '') : undefined;
      const pc = await proxyConnect(
        { scheme: p.proxyScheme ?? 'http', host: p.proxyHost ?? '', port: p.proxyPort ?? 80, authorization },
        { host: ep.host, port: ep.port },
        { timeoutMs: left(deps.budget.proxyMs), connectTimeoutMs: left(deps.budget.tcpMs), signal },
      );
      const { socket, ...rest } = pc;
      obs.proxyConnect = rest;
      if (pc.skipped) obs.skipped = pc.skipped;
      if (!pc.ok || !socket) return obs;
      await afterConnect(obs, socket);
      return obs;
    }
    const dns = await dnsPromise;
    if (dns.status !== 'ok' || dns.addresses.length === 0) {
      obs.skipped = `${ep.host} does not resolve locally`;
      return obs;
    }
    const tcp = await tcpConnectAny(dns.addresses, ep.port, { timeoutMs: left(deps.budget.tcpMs), signal });
    const { socket, ...rest } = tcp;
    obs.tcp = rest;
    if (!tcp.ok || !socket) return obs;
    await afterConnect(obs, socket);
    return obs;
  };

  const [dns, pathObs] = await Promise.all([dnsPromise, Promise.all(paths.map(probePathTask))]);
  const diagnosis: EndpointDiagnosis = {
    endpoint: ep,
    consumers,
    serverConsumer: server,
    routes,
    dns,
    paths: pathObs,
    durationMs: Date.now() - started,
  };
  // Routes that cannot work at all (unusable proxy URL) are a path of their own, unprobed.
  for (const c of consumers) {
    const r = routes[c];
    if (r?.broken) diagnosis.paths.push({ key: `broken:${c}`, via: r.via, proxy: r.proxy, proxyVariable: r.variable, consumers: [c], skipped: r.broken });
  }
  return { diagnosis, chains };
}
