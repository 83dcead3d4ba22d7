// Shapes shared by the credential probes. An attempt never holds a token or a secret: only what the
// report may show (states, reasons, AADSTS codes and ids, network error codes, decoded identity).

import type { EndpointModel } from '../../core/endpoints.js';
import type { EvidenceValue, Finding } from '../../core/model.js';
import type { CredentialName } from '../../chain/credentials.js';
import type { TokenIdentity } from '../../chain/token-claims.js';
import type { CredentialKind } from '../../entra/aadsts.js';
import type { EntraError } from '../../entra/parse.js';
import type { NetworkCause } from '../../entra/network-cause.js';

/** What happened when the doctor tried a credential the way the server would. */
export type AttemptState =
  /** It produced a token. */
  | 'succeeded'
  /** Not configured / tool missing / not signed in: the server moves on (CredentialUnavailableException). */
  | 'unavailable'
  /** Configured, but the attempt failed (rejected by Entra, network, timeout, bad file...). */
  | 'failed'
  /** Interactive credential: not started without --interactive. */
  | 'not-tried'
  /** The doctor cannot run this credential here (e.g. VS Code broker on Windows); what it found is in the reason. */
  | 'unknown'
  /** Not in the server's chain. */
  | 'skipped';

export interface HttpExchange {
  method: string;
  /** scheme://host[:port]/path (no query string). */
  url: string;
  host: string;
  status?: number;
  /** Node / OpenSSL error code when no response came back. */
  errorCode?: string;
  errorMessage?: string;
  durationMs: number;
  /** Error bodies only (status >= 400), truncated and stripped of anything token-shaped. */
  body?: string;
  /** The proxy used (without credentials). */
  proxy?: string;
}

export interface CredentialAttempt {
  name: CredentialName;
  state: AttemptState;
  /** Short plain text: why this state. */
  reason: string;
  durationMs: number;
  kind?: CredentialKind;
  /** The user evidently set this credential up (explicit variables, files); a failure then matters more. */
  configured: boolean;
  identity?: TokenIdentity;
  entra?: EntraError;
  network?: NetworkCause;
  exchanges?: HttpExchange[];
  timedOut?: boolean;
  /** Configuration findings the probe found (env-incomplete, certificate-problem...). Severity assumes the credential matters. */
  findings: Finding[];
  /** Non-secret facts for the details table (variable names, file paths, token issuer...). */
  facts: Record<string, EvidenceValue>;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface ExecOptions {
  timeoutMs: number;
  signal: AbortSignal;
  env: Env;
  cwd?: string;
}

export interface ExecResult {
  /** Exit code (null when killed). */
  code: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** The program could not be started (ENOENT...). */
  spawnError?: string;
}

export type ExecFn = (file: string, args: string[], opts: ExecOptions) => Promise<ExecResult>;

/** What a credential probe needs; built from the CheckContext. */
export interface ProbeContext {
  env: Env;
  signal: AbortSignal;
  endpoints: EndpointModel;
  /** --authority-host was given (tests, custom environments): every credential uses it. */
  authorityOverridden: boolean;
  platform: NodeJS.Platform;
  homedir: string;
  /** Per HTTP request to Entra/IMDS. */
  requestTimeoutMs: number;
  /** Whole credential attempt. */
  credentialTimeoutMs: number;
  /** Child processes (az, azd, pwsh); a little above the .NET limit so slowness can be measured. */
  processTimeoutMs: number;
  /** Managed identity endpoint connect/answer limit. */
  managedIdentityTimeoutMs: number;
  interactive: boolean;
  /** Time a person gets for an interactive sign-in (--interactive only). */
  interactiveTimeoutMs?: number;
  /** PEM CA bundle for the SDK probes instead of the server-like OS store (tests, custom trust). */
  tlsCa?: string;
  exec: ExecFn;
  /** Resolves a program on PATH (absolute path), or undefined. */
  which(program: string): string | undefined;
  log(message: string): void;
}
