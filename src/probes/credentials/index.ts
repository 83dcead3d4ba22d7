// Runs every credential of the modelled chain once per doctor run (memoised through ctx.shared), in
// parallel, each with its own time limit; credentials outside the chain are not contacted.

import os from 'node:os';
import type { CheckContext } from '../../core/model.js';
import { ALL_CREDENTIALS, type CredentialName } from '../../chain/credentials.js';
import { effectiveChain, type EffectiveChain } from '../../chain/effective-chain.js';
import { chainVerdict, type ChainVerdict } from '../../chain/verdict.js';
import { probeAzureCli, type AzureCliDetails } from './azure-cli.js';
import { interactiveCapability, liveAttemptPossible, probeInteractive, probeVisualStudio, probeVisualStudioCode, type InteractiveCapability } from './desktop.js';
import { probeAzureDeveloperCli, probeAzurePowerShell } from './developer-tools.js';
import { probeEnvironment } from './environment.js';
import { execTool, whichIn } from './exec.js';
import { probeInteractiveLive } from './interactive.js';
import { probeManagedIdentity } from './managed-identity.js';
import type { CredentialAttempt, ProbeContext } from './types.js';
import { probeWorkloadIdentity } from './workload-identity.js';

export interface CredentialProbeResult {
  chain: EffectiveChain;
  attempts: Partial<Record<CredentialName, CredentialAttempt>>;
  verdict: ChainVerdict;
  cli: AzureCliDetails;
  interactive: InteractiveCapability;
  /** Where the doctor's Node probes got their trust from (the server uses the OS store). */
  durationMs: number;
}

export const SHARED_KEY = 'credentials:probe';

/** Time limits that fit inside the run's deadline. */
export function probeTimeouts(globalTimeoutMs: number): Pick<ProbeContext, 'requestTimeoutMs' | 'credentialTimeoutMs' | 'processTimeoutMs' | 'managedIdentityTimeoutMs' | 'interactiveTimeoutMs'> {
  const budget = Math.max(3_000, globalTimeoutMs - 2_500);
  return {
    interactiveTimeoutMs: Math.min(180_000, budget),
    requestTimeoutMs: Math.min(5_000, budget),
    credentialTimeoutMs: Math.min(12_000, budget),
    // Above the .NET 13 s limit so that "too slow for the server" can be measured, when the deadline allows.
    processTimeoutMs: Math.min(14_500, budget),
    managedIdentityTimeoutMs: 2_000,
  };
}

export function probeContextFrom(ctx: CheckContext, overrides: Partial<ProbeContext> = {}): ProbeContext {
  const env = ctx.env;
  return {
    env,
    signal: ctx.signal,
    endpoints: ctx.endpoints,
    authorityOverridden: !!ctx.options.authorityHost,
    platform: process.platform,
    homedir: env.HOME || env.USERPROFILE || os.homedir(),
    interactive: ctx.options.interactive,
    exec: execTool,
    which: (p) => whichIn(p, env),
    log: (m) => ctx.log(m),
    ...probeTimeouts(ctx.options.timeoutMs),
    ...overrides,
  };
}

export async function runCredentialProbes(pctx: ProbeContext, launchedBy: CheckContext['options']['launchedBy'], imdsOverride?: string): Promise<CredentialProbeResult> {
  const started = performance.now();
  const chain = effectiveChain(pctx.env, launchedBy);
  const enabled = new Set(chain.entries.filter((e) => e.enabled && !e.alwaysUnavailable).map((e) => e.name));
  const capability = interactiveCapability(pctx.env, pctx.platform);
  const tty = !!process.stdin.isTTY || !!process.stderr.isTTY;

  const safe = async (name: CredentialName, p: () => Promise<CredentialAttempt> | CredentialAttempt): Promise<CredentialAttempt> => {
    const t0 = performance.now();
    try {
      return await p();
    } catch (err) {
      const e = err as Error;
      pctx.log(`${name} probe crashed: ${e.stack ?? e.message}`);
      return {
        name,
        configured: false,
        state: 'unknown',
        reason: `the doctor could not probe it (${e.name}: ${e.message.split('\n')[0]})`,
        durationMs: Math.round(performance.now() - t0),
        findings: [],
        facts: {},
      };
    }
  };

  const cliPromise = probeAzureCli(pctx, { tokenAttempt: enabled.has('AzureCliCredential') });
  const tasks: Promise<CredentialAttempt>[] = [];
  for (const name of ALL_CREDENTIALS) {
    if (!enabled.has(name)) continue;
    switch (name) {
      case 'EnvironmentCredential':
        tasks.push(safe(name, () => probeEnvironment(pctx)));
        break;
      case 'WorkloadIdentityCredential':
        tasks.push(safe(name, () => probeWorkloadIdentity(pctx)));
        break;
      case 'ManagedIdentityCredential':
        tasks.push(safe(name, () => probeManagedIdentity(pctx, imdsOverride)));
        break;
      case 'VisualStudioCredential':
        tasks.push(safe(name, () => probeVisualStudio(pctx)));
        break;
      case 'VisualStudioCodeCredential':
        tasks.push(safe(name, () => probeVisualStudioCode(pctx)));
        break;
      case 'AzureCliCredential':
        tasks.push(safe(name, async () => (await cliPromise).attempt));
        break;
      case 'AzurePowerShellCredential':
        tasks.push(safe(name, () => probeAzurePowerShell(pctx)));
        break;
      case 'AzureDeveloperCliCredential':
        tasks.push(safe(name, () => probeAzureDeveloperCli(pctx)));
        break;
      case 'InteractiveBrowserCredential':
      case 'DeviceCodeCredential':
        tasks.push(safe(name, () => probeInteractive(name, pctx, capability, tty)));
        break;
    }
  }
  const list = await Promise.all(tasks);
  // --interactive: run the interactive fallback the server would reach, only when nothing before it works.
  if (pctx.interactive) {
    const before = Object.fromEntries(list.map((a) => [a.name, a]));
    const v = chainVerdict(chain, before);
    const next = v.rows.find((r) => r.enabled && r.interactive && (r.name === 'InteractiveBrowserCredential' || r.name === 'DeviceCodeCredential'));
    // Only a prompt someone can answer: headless, CI or no keyring would just wait for the timeout.
    if (!v.winner && next && enabled.has(next.name) && liveAttemptPossible(next.name, capability, tty, pctx.env)) {
      const first = await safe(next.name, () => probeInteractiveLive(next.name as 'InteractiveBrowserCredential' | 'DeviceCodeCredential', pctx));
      list.splice(list.findIndex((a) => a.name === next.name), 1, first);
      const dc = v.rows.find((r) => r.enabled && r.name === 'DeviceCodeCredential');
      if (first.state !== 'succeeded' && next.name === 'InteractiveBrowserCredential' && dc && enabled.has('DeviceCodeCredential') && liveAttemptPossible('DeviceCodeCredential', capability, tty, pctx.env)) {
        const second = await safe('DeviceCodeCredential', () => probeInteractiveLive('DeviceCodeCredential', pctx));
        list.splice(list.findIndex((a) => a.name === 'DeviceCodeCredential'), 1, second);
      }
    }
  }
  let cli: AzureCliDetails;
  try {
    cli = (await cliPromise).details;
  } catch {
    cli = { installed: false };
  }
  const attempts: Partial<Record<CredentialName, CredentialAttempt>> = {};
  for (const a of list) attempts[a.name] = a;
  return {
    chain,
    attempts,
    verdict: chainVerdict(chain, attempts),
    cli,
    interactive: capability,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The memoised probe run every credential check shares. */
export function credentialProbes(ctx: CheckContext): Promise<CredentialProbeResult> {
  return ctx.shared(SHARED_KEY, () => runCredentialProbes(probeContextFrom(ctx), ctx.options.launchedBy, ctx.options.imdsEndpoint));
}
