// The credential chain as the server builds it, each credential's state, and the verdict: which
// credential (and identity) the server would use, which working credentials it shadows, and whether the
// chain ends in an interactive prompt nobody can answer.

import type { Check, Finding } from '../../src/core/model.js';
import { CREDENTIAL_LABEL, type CredentialName } from '../../src/chain/credentials.js';
import type { EffectiveChain } from '../../src/chain/effective-chain.js';
import type { CredentialProbeResult } from '../../src/probes/credentials/index.js';
import { chainWarningFindings } from '../../src/chain/warnings.js';

type Env = Readonly<Record<string, string | undefined>>;

const STATE_WORD: Record<string, string> = {
  succeeded: 'succeeded',
  unavailable: 'unavailable',
  failed: 'FAILED',
  'not-tried': 'not tried',
  unknown: 'unknown',
  skipped: 'skipped',
};

/** Credentials the user set up that this chain never tries (#1030, #3190: managed identity without prod). */
export function excludedButConfigured(chain: EffectiveChain, env: Env): Finding[] {
  const out: Finding[] = [];
  const enabled = new Set(chain.entries.filter((e) => e.enabled).map((e) => e.name));
  const hints: { name: CredentialName; set: string[]; enable: string }[] = [
    {
      name: 'EnvironmentCredential',
      set: ['AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH'].filter((k) => env[k]),
      enable: 'unset AZURE_TOKEN_CREDENTIALS (default chain), or set it to prod or EnvironmentCredential',
    },
    { name: 'WorkloadIdentityCredential', set: ['AZURE_FEDERATED_TOKEN_FILE'].filter((k) => env[k]), enable: 'set AZURE_TOKEN_CREDENTIALS=prod or WorkloadIdentityCredential' },
    {
      name: 'ManagedIdentityCredential',
      set: ['IDENTITY_ENDPOINT', 'MSI_ENDPOINT', 'IMDS_ENDPOINT'].filter((k) => env[k]),
      enable: 'set AZURE_TOKEN_CREDENTIALS=prod or ManagedIdentityCredential (plus AZURE_CLIENT_ID for a user-assigned identity)',
    },
  ];
  for (const h of hints) {
    if (!h.set.length || enabled.has(h.name)) continue;
    const why = chain.entries.find((e) => e.name === h.name)?.reason ?? 'not in this chain';
    out.push({
      code: 'chain.configured-credential-excluded',
      severity: 'warning',
      message: `${h.set.join(' and ')} ${h.set.length === 1 ? 'is' : 'are'} set, so ${h.name} looks intended, but the server never tries it: ${why}.`,
      target: h.name,
      evidence: { credential: h.name, variables: h.set.join(','), mode: chain.mode },
      fix: { summary: `To use it, ${h.enable} where the MCP client starts the server.`, actor: 'user' },
    });
  }
  return out;
}

export function chainFindings(res: CredentialProbeResult, env: Env): Finding[] {
  const { chain, verdict, interactive } = res;
  const findings: Finding[] = [];
  findings.push(...chainWarningFindings(chain));
  findings.push(...excludedButConfigured(chain, env));

  const uncertainNote = verdict.uncertain.length
    ? ` Unless ${verdict.uncertain.map((n) => CREDENTIAL_LABEL[n]).join(' or ')} (earlier in the chain, which the doctor cannot test here) succeeds first.`
    : '';
  if (verdict.winner) {
    const a = res.attempts[verdict.winner]!;
    const id = a.identity;
    findings.push({
      code: 'chain.selected',
      severity: 'info',
      message:
        `Azure MCP Server ${chain.modelledRelease} would use ${verdict.winner} (position ${verdict.rows.find((r) => r.name === verdict.winner)?.position}) ` +
        `and authenticate as ${verdict.rows.find((r) => r.name === verdict.winner)?.identity ?? 'an identity the doctor could not decode'}.` +
        uncertainNote,
      target: verdict.winner,
      evidence: {
        credential: verdict.winner,
        mode: chain.mode,
        launchedBy: chain.launchedBy,
        ...(id?.tenantId ? { tenantId: id.tenantId } : {}),
        ...(id?.objectId ? { objectId: id.objectId } : {}),
        ...(id?.user ? { user: id.user } : {}),
        ...(id?.appId ? { appId: id.appId } : {}),
        uncertain: verdict.uncertain.join(',') || null,
      },
    });
  } else {
    const fallback = verdict.fallsToInteractive;
    const failed = verdict.rows.filter((r) => r.enabled && r.state === 'failed').map((r) => r.name);
    // Configured by the user but not testable by the doctor (e.g. a PFX certificate): lead with it, never
    // call the setup empty.
    // AZURE_TOKEN_CREDENTIALS pins one credential: the fix is that credential's, not "az login".
    const pinnedName = chain.mode === 'pinned' ? verdict.rows.find((r) => r.enabled)?.name : undefined;
    const untested = verdict.rows.filter((r) => r.enabled && r.state === 'unknown' && verdict.uncertain.includes(r.name) && res.attempts[r.name]?.configured);
    const failure =
      `Azure MCP Server ${chain.modelledRelease} would fail every tool call with "Authentication failed. Please run 'az login' to sign in to Azure. Details: ..." (status 401)` +
      (fallback ? ` after falling back to ${CREDENTIAL_LABEL[fallback]} sign-in` : '');
    findings.push({
      code: 'chain.none-succeeded',
      // When an earlier credential could not be tested here (VS Code broker, Visual Studio), it may still work.
      severity: verdict.uncertain.length ? 'warning' : 'error',
      message: untested.length
        ? `${untested.map((r) => `${r.name} is configured but the doctor could not test it here (${r.reason})`).join('; ')}. ` +
          `If it works, the server uses it; otherwise no credential in the chain gets a token without interaction and ${failure}.` +
          (failed.length ? ` Configured and failing: ${failed.join(', ')} (see their findings).` : '')
        : `No credential in the chain got a token without interaction, so ${failure}.` +
          (failed.length ? ` Configured but failing: ${failed.join(', ')} (see their findings).` : pinnedName ? ` AZURE_TOKEN_CREDENTIALS pins ${pinnedName}, which is not available here (see its finding).` : ' No credential is set up.') +
          uncertainNote,
      target: 'credential chain',
      evidence: { mode: chain.mode, launchedBy: chain.launchedBy, tried: verdict.rows.filter((r) => r.enabled).map((r) => r.name).join(','), failed: failed.join(',') || null },
      fix: {
        summary:
          untested.length
            ? `Confirm that ${untested.map((r) => r.name).join(' and ')} works with the server itself (an MCP client call such as "list my subscriptions"); if it fails, its error names the cause.`
            : pinnedName
              ? `AZURE_TOKEN_CREDENTIALS pins ${pinnedName}: make it work (its own finding says how), or pin another credential or unset AZURE_TOKEN_CREDENTIALS.`
              : chain.mode === 'prod'
              ? 'Provide a production credential: a service principal (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET), workload identity, or a managed identity on this resource.'
              : failed.length
              ? 'Fix the failing credential (its own finding says how), or sign in with a developer tool the chain tries.'
              : 'Sign in with a tool the chain tries (for example az login), or configure a service principal through AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET.',
        actor: 'user',
        ...(chain.mode !== 'prod' && !failed.length && !untested.length && !pinnedName ? { commands: ['az login'] } : {}),
      },
    });
    const headless = interactive.headless || !!interactive.ci;
    if (fallback && headless) {
      findings.push({
        code: 'chain.interactive-fallback-headless',
        severity: 'warning',
        message:
          `The chain ends in an interactive sign-in (${chain.interactiveFallbacks.map((n) => CREDENTIAL_LABEL[n]).join(', ')}), but ${interactive.notes.join('; ') || 'nobody can answer a prompt here'}. ` +
          'The server will fail (or wait for a prompt nobody sees) instead of authenticating.',
        target: fallback,
        evidence: { fallback: chain.interactiveFallbacks.join(','), headless: interactive.headless, ci: interactive.ci ?? false, keyring: interactive.keyringOk ?? null },
        fix: {
          summary:
            'Give the server a non-interactive credential and pin it: a service principal or workload identity (AZURE_TOKEN_CREDENTIALS=prod), a managed identity, or a signed-in Azure CLI (AZURE_TOKEN_CREDENTIALS=AzureCliCredential).',
          actor: 'user',
        },
      });
    }
  }
  if (verdict.winner && verdict.shadowed.length) {
    const win = verdict.rows.find((r) => r.name === verdict.winner)!;
    const winId = res.attempts[verdict.winner]?.identity;
    for (const name of verdict.shadowed) {
      const other = verdict.rows.find((r) => r.name === name)!;
      const otherId = res.attempts[name]?.identity;
      const same = !!winId && !!otherId && winId.tenantId === otherId.tenantId && (winId.objectId ?? winId.user ?? winId.appId) === (otherId.objectId ?? otherId.user ?? otherId.appId);
      findings.push({
        code: 'chain.shadowed',
        severity: same ? 'info' : 'warning',
        message: same
          ? `${name} also works, as the same identity (${other.identity}); ${verdict.winner} comes first, which makes no difference.`
          : `${name} works and would sign in as ${other.identity ?? 'another identity'}, but the server never uses it: ${verdict.winner} comes first and signs in as ${win.identity ?? 'an identity the doctor could not decode'}.`,
        target: name,
        evidence: {
          winner: verdict.winner,
          winnerIdentity: win.identity ?? null,
          shadowed: name,
          shadowedIdentity: other.identity ?? null,
          sameIdentity: same,
        },
        ...(same
          ? {}
          : {
              fix: {
                summary: `If ${name} is the identity you want, pin it with AZURE_TOKEN_CREDENTIALS=${name} (then fully restart the MCP client so the server sees it)${verdict.winner === 'VisualStudioCodeCredential' ? ', or sign VS Code in as that account' : ''}.`,
                actor: 'user' as const,
                commands: [`export AZURE_TOKEN_CREDENTIALS=${name}`],
              },
            }),
      });
    }
  }
  return findings;
}

export function chainTable(res: CredentialProbeResult): { title: string; columns: string[]; rows: string[][] } {
  const { chain, verdict } = res;
  const rows = verdict.rows.map((r) => [
    r.position === null ? '-' : String(r.position),
    r.name + (r.interactive ? ' (interactive)' : ''),
    r.name === verdict.winner ? 'SELECTED' : r.enabled && !r.reached && r.state !== 'skipped' ? `${STATE_WORD[r.state]} (not reached)` : STATE_WORD[r.state] ?? r.state,
    r.identity ?? '',
    r.reason,
  ]);
  const launched = chain.launchedByInferred ? `${chain.launchedBy} (inferred${chain.launchedBy === 'vscode' ? ' from VSCODE_PID' : ''})` : chain.launchedBy;
  return {
    title: `Credential chain of Azure MCP Server ${chain.modelledRelease}, launched by ${launched}: ${chain.summary}`,
    columns: ['#', 'credential', 'state', 'identity', 'why'],
    rows,
  };
}

export const chainCheck: Check = {
  id: 'credentials.chain',
  title: 'Credential chain and the identity the server would use',
  group: 'credentials',
  needs: ['environment.variables'],
  timeoutMs: 19_000,
  async run(ctx) {
    const { credentialProbes } = await import('../../src/probes/credentials/index.js');
    const res = await credentialProbes(ctx);
    let findings = chainFindings(res, ctx.env);
    // environment.variables (a dependency) reports the same variable problems; do not say them twice.
    const env = ctx.resultOf('environment.variables');
    if (env) {
      const seen = new Set(env.findings.map((f) => `${f.code}|${f.target ?? ''}`));
      findings = findings.filter((f) => !seen.has(`${f.code}|${f.target ?? ''}`));
    }
    return {
      findings,
      details: {
        tables: [chainTable(res)],
        facts: {
          modelledRelease: res.chain.modelledRelease,
          mode: res.chain.mode,
          launchedBy: res.chain.launchedBy,
          winner: res.verdict.winner ?? null,
          interactivePossible: res.interactive.canPrompt,
          probeMs: res.durationMs,
        },
        chain: {
          modelledRelease: res.chain.modelledRelease,
          mode: res.chain.mode,
          launchedBy: res.chain.launchedBy,
          launchedByInferred: res.chain.launchedByInferred,
          summary: res.chain.summary,
          headDifferences: res.chain.headDifferences,
          entries: res.verdict.rows,
          winner: res.verdict.winner ?? null,
          shadowed: res.verdict.shadowed,
          uncertain: res.verdict.uncertain,
        },
      },
    };
  },
};
