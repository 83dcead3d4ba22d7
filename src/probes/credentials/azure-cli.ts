// AzureCliCredential, done the way .NET Azure.Identity does it: `az account get-access-token --output json
// --resource <ARM audience>` (timed: .NET gives up after 13 s), plus what the report needs about the CLI:
// version, signed-in account, tenant, cloud. The access token is decoded in memory and dropped.

import type { EvidenceValue } from '../../core/model.js';
import { identityFromToken, type TokenIdentity } from '../../chain/token-claims.js';
import { armAudience } from './sdk-attempt.js';
import { classifyToolError } from './tool-errors.js';
import type { CredentialAttempt, ExecResult, ProbeContext } from './types.js';

export const CLI_DOTNET_TIMEOUT_MS = 13_000;
export const CLI_SLOW_WARN_MS = 8_000;

export interface AzureCliDetails {
  installed: boolean;
  path?: string;
  version?: string;
  loggedIn?: boolean;
  /** From `az account show`. */
  account?: {
    user?: string;
    userType?: string;
    tenantId?: string;
    subscriptionId?: string;
    subscriptionName?: string;
    cloud?: string;
  };
  /** From `az cloud show` when not signed in, or account.environmentName. */
  cloud?: string;
  /** How long get-access-token took, ms. */
  tokenMs?: number;
  tokenTimedOut?: boolean;
  /** Identity decoded from the token az returned. */
  tokenIdentity?: TokenIdentity;
  tokenTenant?: string;
}

export interface AzureCliProbe {
  attempt: CredentialAttempt;
  details: AzureCliDetails;
}

function parseJson<T>(s: string): T | undefined {
  try {
    return JSON.parse(s) as T;
  } catch {
    return undefined;
  }
}

/** Parses `az account get-access-token` output: the identity, never the token. */
export function parseCliToken(stdout: string): { identity?: TokenIdentity; tenant?: string; ok: boolean } {
  const j = parseJson<{ accessToken?: string; tenant?: string }>(stdout);
  if (!j?.accessToken) return { ok: false };
  const identity = identityFromToken(j.accessToken);
  return { ok: true, ...(identity ? { identity } : {}), ...(j.tenant ? { tenant: j.tenant } : {}) };
}

export function parseAccountShow(stdout: string): AzureCliDetails['account'] | undefined {
  const j = parseJson<{ user?: { name?: string; type?: string }; tenantId?: string; id?: string; name?: string; environmentName?: string }>(stdout);
  if (!j) return undefined;
  return {
    ...(j.user?.name ? { user: j.user.name } : {}),
    ...(j.user?.type ? { userType: j.user.type } : {}),
    ...(j.tenantId ? { tenantId: j.tenantId } : {}),
    ...(j.id ? { subscriptionId: j.id } : {}),
    ...(j.name ? { subscriptionName: j.name } : {}),
    ...(j.environmentName ? { cloud: j.environmentName } : {}),
  };
}

export async function probeAzureCli(ctx: ProbeContext, opts: { tokenAttempt: boolean }): Promise<AzureCliProbe> {
  const started = performance.now();
  const az = ctx.which('az');
  const facts: Record<string, EvidenceValue> = {};
  const elapsed = () => Math.round(performance.now() - started);
  const base = { name: 'AzureCliCredential' as const, kind: 'azure-cli' as const, findings: [], facts };
  if (!az) {
    return {
      attempt: { ...base, configured: false, state: 'unavailable', reason: 'Azure CLI not installed (az is not on PATH)', durationMs: elapsed() },
      details: { installed: false },
    };
  }
  facts.path = az;
  const details: AzureCliDetails = { installed: true, path: az };
  // Like .NET: run from a neutral directory so a local "az" in the working directory is never picked.
  const cwd = ctx.platform === 'win32' ? (ctx.env.SystemRoot ?? 'C:\\Windows') : '/';
  const run = (args: string[], timeoutMs: number): Promise<ExecResult> => ctx.exec(az, args, { timeoutMs, signal: ctx.signal, env: ctx.env, cwd });

  let attempt: CredentialAttempt;
  if (opts.tokenAttempt) {
    // Alone, so that its timing is not inflated by the other az processes.
    const r = await run(['account', 'get-access-token', '--output', 'json', '--resource', armAudience(ctx)], ctx.processTimeoutMs);
    details.tokenMs = r.durationMs;
    facts.tokenMs = r.durationMs;
    if (r.timedOut) {
      details.tokenTimedOut = true;
      attempt = {
        ...base,
        configured: true,
        state: 'failed',
        timedOut: true,
        reason: `az account get-access-token did not finish within ${ctx.processTimeoutMs} ms (the server's AzureCliCredential gives up after 13 s)`,
        durationMs: elapsed(),
      };
    } else if (r.code === 0) {
      const t = parseCliToken(r.stdout);
      if (t.ok) {
        if (t.identity) details.tokenIdentity = t.identity;
        if (t.tenant) details.tokenTenant = t.tenant;
        const slow = r.durationMs >= CLI_DOTNET_TIMEOUT_MS;
        attempt = {
          ...base,
          configured: true,
          state: slow ? 'failed' : 'succeeded',
          ...(slow ? { timedOut: true } : {}),
          reason: slow ? `got a token, but only after ${r.durationMs} ms: the server's AzureCliCredential gives up after 13 s` : 'got a token',
          durationMs: elapsed(),
          ...(t.identity ? { identity: t.identity } : {}),
        };
      } else {
        attempt = { ...base, configured: true, state: 'failed', reason: 'az account get-access-token printed no token JSON', durationMs: elapsed() };
      }
    } else if (r.spawnError) {
      attempt = { ...base, configured: false, state: 'unavailable', reason: `az could not be started (${r.spawnError})`, durationMs: elapsed() };
    } else {
      const e = classifyToolError(r.stderr, 'az', ctx.env);
      const state = e.kind === 'not-installed' || e.kind === 'not-logged-in' ? 'unavailable' : 'failed';
      attempt = {
        ...base,
        configured: state === 'failed',
        state,
        reason: e.kind === 'not-logged-in' ? `not signed in: ${e.message}` : e.message,
        durationMs: elapsed(),
        ...(e.entra ? { entra: e.entra } : {}),
        ...(e.network ? { network: e.network } : {}),
      };
      if (e.kind === 'not-logged-in') details.loggedIn = false;
    }
  } else {
    attempt = { ...base, configured: false, state: 'skipped', reason: 'not in the chain', durationMs: 0 };
  }

  const [version, account] = await Promise.all([run(['version', '--output', 'json'], 10_000), run(['account', 'show', '--output', 'json'], 10_000)]);
  const v = parseJson<Record<string, unknown>>(version.stdout);
  if (v && typeof v['azure-cli'] === 'string') details.version = v['azure-cli'];
  if (account.code === 0) {
    const a = parseAccountShow(account.stdout);
    if (a) {
      details.account = a;
      details.loggedIn = true;
      if (a.cloud) details.cloud = a.cloud;
    }
  } else if (details.loggedIn === undefined && /az login/i.test(account.stderr)) {
    details.loggedIn = false;
  }
  if (!details.cloud) {
    const cloud = await run(['cloud', 'show', '--output', 'json'], 10_000);
    const c = parseJson<{ name?: string }>(cloud.stdout);
    if (c?.name) details.cloud = c.name;
  }
  if (details.version) facts.version = details.version;
  if (details.cloud) facts.cloud = details.cloud;
  if (details.account?.user) facts.account = details.account.user;
  if (details.account?.tenantId) facts.tenant = details.account.tenantId;
  return { attempt: { ...attempt, durationMs: attempt.state === 'skipped' ? 0 : attempt.durationMs }, details };
}
