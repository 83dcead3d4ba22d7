// Running one @azure/identity credential the way the server's .NET counterpart would: its own options,
// the server's authority, no retries, a recording httpClient, and a hard time bound. Then classifying the
// outcome from the recorded exchanges (AADSTS body, network error) rather than from the SDK's wrapper.

import type { TokenCredential } from '@azure/core-auth';
import type { CredentialName } from '../../chain/credentials.js';
import { identityFromToken, type TokenIdentity } from '../../chain/token-claims.js';
import type { CredentialKind } from '../../entra/aadsts.js';
import { networkCause, type NetworkCause } from '../../entra/network-cause.js';
import { serverTokenRoute } from '../../network/routes.js';
import { parseEntraBody, parseEntraText, type EntraError } from '../../entra/parse.js';
import { scrub } from './exec.js';
import { createRecorder } from './http-recorder.js';
import type { AttemptState, Env, HttpExchange, ProbeContext } from './types.js';

/** Hosts MSAL has metadata for; any other authority needs disableInstanceDiscovery (else MSAL asks the public cloud). */
export const WELL_KNOWN_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
  'login.partner.microsoftonline.cn',
  'login.chinacloudapi.cn',
  'login.microsoftonline.us',
  'login.usgovcloudapi.net',
  'login-us.microsoftonline.com',
  'login.microsoftonline.de',
]);

export interface AuthorityChoice {
  url: string;
  host: string;
  disableInstanceDiscovery: boolean;
  /** Where the value came from, for the report. */
  source: string;
}

function choice(url: string, source: string): AuthorityChoice {
  let host = '';
  try {
    host = new URL(url).hostname;
  } catch {
    // left empty
  }
  return { url: url.replace(/\/+$/, ''), host, disableInstanceDiscovery: !WELL_KNOWN_AUTHORITY_HOSTS.has(host.toLowerCase()), source };
}

/**
 * The authority a credential uses in the server. The server passes its cloud's authority to every
 * credential except EnvironmentCredential, which reads AZURE_AUTHORITY_HOST or defaults to the public
 * cloud. A doctor --authority-host override applies to all (tests, custom environments).
 */
export function authorityFor(name: CredentialName, ctx: Pick<ProbeContext, 'endpoints' | 'authorityOverridden' | 'env'>): AuthorityChoice {
  if (ctx.authorityOverridden) return choice(ctx.endpoints.authority.url, '--authority-host');
  if (name === 'EnvironmentCredential') {
    if (ctx.env.AZURE_AUTHORITY_HOST) return choice(ctx.env.AZURE_AUTHORITY_HOST, 'AZURE_AUTHORITY_HOST');
    return choice('https://login.microsoftonline.com', 'public cloud (EnvironmentCredential ignores the server cloud)');
  }
  return choice(ctx.endpoints.authority.url, `server cloud ${ctx.endpoints.cloud.name}`);
}

/** ARM audience (scope without /.default). */
export function armAudience(ctx: Pick<ProbeContext, 'endpoints'>): string {
  return ctx.endpoints.armScope.replace(/\/\.default$/, '');
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** Races a promise against a time limit and an abort signal. */
export function withTimeout<T>(p: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`no answer within ${ms} ms`)), ms);
    timer.unref?.();
    const onAbort = () => reject(new TimeoutError('aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

let loggerRouted = false;

/**
 * AZURE_LOG_LEVEL makes @azure/logger write straight to stderr, past the doctor's redaction. Route it
 * into the doctor's (redacted, --verbose) log instead.
 */
export async function routeAzureLogger(log: (m: string) => void): Promise<void> {
  if (loggerRouted) return;
  loggerRouted = true;
  const [{ AzureLogger }, { format }] = await Promise.all([import('@azure/logger'), import('node:util')]);
  AzureLogger.log = (...args: unknown[]) => log(`azure-sdk: ${format(...args)}`);
}

export interface SdkOutcome {
  state: AttemptState;
  reason: string;
  durationMs: number;
  identity?: TokenIdentity;
  entra?: EntraError;
  network?: NetworkCause;
  exchanges: HttpExchange[];
  timedOut?: boolean;
  /** Error class name from the SDK (CredentialUnavailableError, AuthenticationRequiredError...). */
  errorName?: string;
}

export interface SdkOptions {
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  httpClient: unknown;
  retryOptions: { maxRetries: number };
  tlsOptions?: { ca: string };
}

function entraFromExchanges(ex: HttpExchange[]): EntraError | undefined {
  for (let i = ex.length - 1; i >= 0; i--) {
    const e = ex[i]!;
    if (e.status !== undefined && e.status >= 400 && e.body) {
      const parsed = parseEntraBody(e.body);
      if (parsed && (parsed.codes.length || parsed.error)) return parsed;
    }
  }
  return undefined;
}

/** Describes a failure from the recorded exchanges and the SDK error. */
export function classifyFailure(
  err: unknown,
  exchanges: HttpExchange[],
  env: ProbeContext['env'],
): { entra?: EntraError; network?: NetworkCause; reason: string; errorName: string } {
  const e = err as { name?: string; message?: string };
  const errorName = e?.name ?? 'Error';
  const message = scrub(String(e?.message ?? err));
  const entra = entraFromExchanges(exchanges) ?? parseEntraText(message);
  if (entra?.codes.length) {
    return { entra, reason: entra.description ?? `Entra returned AADSTS${entra.codes[0]}`, errorName };
  }
  // The last exchange that failed below HTTP, or a proxy answer.
  for (let i = exchanges.length - 1; i >= 0; i--) {
    const x = exchanges[i]!;
    if (x.errorCode || x.status === 407 || (x.status === 403 && x.proxy)) {
      const cause = networkCause({
        errorCode: x.errorCode,
        status: x.errorCode ? undefined : x.status,
        entraBody: !!(x.body && parseEntraBody(x.body)),
        host: x.host,
        proxy: tokenProxy(x.url, env),
        message: x.errorMessage,
      });
      if (cause) return { network: cause, reason: `${cause.explanation} (${cause.errorCode} for ${x.url})`, errorName };
      return { reason: `${x.errorCode ?? `HTTP ${x.status}`} for ${x.url}: ${x.errorMessage ?? ''}`.trim(), errorName };
    }
  }
  const http = [...exchanges].reverse().find((x) => x.status !== undefined && x.status >= 400);
  if (http) {
    return {
      ...(entra ? { entra } : {}),
      reason: `HTTP ${http.status} from ${http.url}${entra?.error ? ` (${entra.error})` : ''}: ${entra?.description ?? message.split('\n')[0]}`.slice(0, 400),
      errorName,
    };
  }
  return { reason: message.split('\n')[0]!.slice(0, 400), errorName };
}

/**
 * Gets one token with a credential built by `build`, recording the HTTP exchanges. The credential is
 * "configured": any error is a failure (the server would move on silently, which is the point).
 */
export async function attemptSdkCredential(
  ctx: ProbeContext,
  name: CredentialName,
  build: (opts: SdkOptions) => TokenCredential | Promise<TokenCredential>,
  opts: { scope?: string; kind?: CredentialKind } = {},
): Promise<SdkOutcome> {
  const started = performance.now();
  await routeAzureLogger(ctx.log);
  const authority = authorityFor(name, ctx);
  const recorder = await createRecorder({ requestTimeoutMs: ctx.requestTimeoutMs, signal: ctx.signal, env: ctx.env, ...(ctx.tlsCa ? { ca: ctx.tlsCa } : {}) });
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const credential = await build({
      authorityHost: authority.url,
      disableInstanceDiscovery: authority.disableInstanceDiscovery,
      httpClient: recorder.httpClient,
      retryOptions: { maxRetries: 0 },
    });
    const token = await withTimeout(
      credential.getToken(opts.scope ?? ctx.endpoints.armScope, { abortSignal: ctx.signal }),
      ctx.credentialTimeoutMs,
      ctx.signal,
    );
    if (!token?.token) {
      return { state: 'failed', reason: 'the credential returned no token', durationMs: elapsed(), exchanges: recorder.exchanges };
    }
    const identity = identityFromToken(token.token);
    return {
      state: 'succeeded',
      reason: 'got a token',
      durationMs: elapsed(),
      exchanges: recorder.exchanges,
      ...(identity ? { identity } : {}),
    };
  } catch (err) {
    const timedOut = err instanceof TimeoutError;
    const c = classifyFailure(err, recorder.exchanges, ctx.env);
    const reason = timedOut && !c.entra && !c.network ? `no token within ${ctx.credentialTimeoutMs} ms` : c.reason;
    ctx.log(`${name}: ${c.errorName}: ${reason}`);
    return {
      state: 'failed',
      reason,
      durationMs: elapsed(),
      exchanges: recorder.exchanges,
      errorName: c.errorName,
      ...(timedOut ? { timedOut } : {}),
      ...(c.entra ? { entra: c.entra } : {}),
      ...(c.network ? { network: c.network } : {}),
    };
  }
}

/** The proxy (password masked) the server's token stack would use for this URL, if any. */
function tokenProxy(url: string, env: Env): string | undefined {
  try {
    const r = serverTokenRoute(url, env);
    return r.via === 'proxy' ? r.displayUrl : undefined;
  } catch {
    return undefined;
  }
}
