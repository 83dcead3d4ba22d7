// The Azure CLI as the server's AzureCliCredential sees it: installed or not, version, signed in or not,
// account and tenant, its cloud against the server's, and how long get-access-token took (.NET gives up
// after 13 s).

import type { Check, Finding, Severity } from '../../src/core/model.js';
import type { CredentialProbeResult } from '../../src/probes/credentials/index.js';
import { attemptFindings } from './explain.js';

const SLOW_WARN_MS = 8_000;
const DOTNET_LIMIT_MS = 13_000;

export function azureCliFindings(res: CredentialProbeResult, env: Readonly<Record<string, string | undefined>>, endpoints: Parameters<typeof attemptFindings>[4]): Finding[] {
  const { chain, verdict, cli } = res;
  const findings: Finding[] = [];
  const row = verdict.rows.find((r) => r.name === 'AzureCliCredential');
  const inChain = !!row?.enabled;
  const pinned = chain.mode === 'pinned' && inChain;
  const a = res.attempts.AzureCliCredential;
  // How much the CLI matters here: it is the credential the user pinned, or nothing else works.
  const weight: Severity = pinned ? 'error' : verdict.noneSucceeded ? 'warning' : 'info';

  if (!cli.installed) {
    if (inChain) {
      findings.push({
        code: 'credential.cli-not-installed',
        severity: weight,
        message:
          'The Azure CLI (az) is not on PATH, so the server\'s AzureCliCredential is unavailable.' +
          (pinned ? ' AZURE_TOKEN_CREDENTIALS pins it, so the server cannot authenticate at all.' : '') +
          ' Note that the server looks az up on the PATH it inherits from the MCP client, which for desktop apps can be shorter than your shell\'s.',
        target: 'AzureCliCredential',
        evidence: { installed: false, pinned },
        fix: {
          summary: 'Install the Azure CLI and sign in, or use another credential. In a container image az is usually absent: prefer a service principal, workload identity or managed identity there.',
          actor: 'user',
          docs: ['https://learn.microsoft.com/cli/azure/install-azure-cli'],
        },
      });
    }
    return findings;
  }

  if (inChain && a) {
    if (a.state === 'unavailable' && cli.loggedIn === false) {
      findings.push({
        code: 'credential.cli-not-logged-in',
        severity: weight,
        message: `The Azure CLI ${cli.version ?? ''} is installed but not signed in ("${a.reason.replace(/^not signed in: /, '')}"), so the server's AzureCliCredential is unavailable.`.replace('  ', ' '),
        target: 'AzureCliCredential',
        evidence: { installed: true, version: cli.version ?? null, loggedIn: false, cloud: cli.cloud ?? null },
        fix: {
          summary: `Sign in to the Azure CLI${cli.cloud && cli.cloud !== endpoints.cloud.name ? ` (after az cloud set --name ${endpoints.cloud.name})` : ''} as the account the server should use.`,
          actor: 'user',
          commands: [...(cli.cloud && cli.cloud !== endpoints.cloud.name ? [`az cloud set --name ${endpoints.cloud.name}`] : []), 'az login'],
        },
      });
    } else if (a.state === 'failed' && !a.timedOut) {
      findings.push(...attemptFindings(a, chain, verdict, env, endpoints, cli.account?.tenantId));
    } else if (a.state === 'unavailable') {
      findings.push(...attemptFindings(a, chain, verdict, env, endpoints, cli.account?.tenantId));
    }
    const ms = cli.tokenMs;
    if (ms !== undefined && (ms > SLOW_WARN_MS || cli.tokenTimedOut)) {
      const tooSlow = cli.tokenTimedOut || ms >= DOTNET_LIMIT_MS;
      const matters = pinned || verdict.noneSucceeded || (row?.reached ?? false);
      findings.push({
        code: 'credential.cli-slow',
        severity: tooSlow && matters ? 'error' : 'warning',
        message: tooSlow
          ? `az account get-access-token took ${cli.tokenTimedOut ? `more than ${ms}` : ms} ms. The server's AzureCliCredential gives up after about 13 s, so for the server the Azure CLI fails even though it works by hand.`
          : `az account get-access-token took ${ms} ms, close to the 13 s after which the server's AzureCliCredential gives up; a slower moment (first run, cold cache, antivirus, a slow proxy) will make it fail.`,
        target: 'AzureCliCredential',
        evidence: { tokenMs: ms, limitMs: DOTNET_LIMIT_MS, timedOut: !!cli.tokenTimedOut },
        fix: {
          summary:
            'Find what slows az down (run it with --debug: proxy or DNS timeouts, extension update checks, a large MSAL cache, antivirus scanning Python). If it stays slow, use another credential, e.g. a service principal or azd.',
          actor: 'user',
          commands: ['az account get-access-token --resource https://management.azure.com --debug'],
        },
      });
    }
  }

  if (cli.cloud && cli.cloud !== endpoints.cloud.name && cli.loggedIn !== false) {
    findings.push({
      code: 'credential.cli-cloud-mismatch',
      severity: inChain ? 'warning' : 'info',
      message: `The Azure CLI is set to cloud ${cli.cloud}, but the server uses ${endpoints.cloud.name}. AzureCliCredential asks az for a token from az's own cloud, which ${endpoints.cloud.name}'s Resource Manager will not accept.`,
      target: 'AzureCliCredential',
      evidence: { cliCloud: cli.cloud, serverCloud: endpoints.cloud.name },
      fix: {
        summary: `Either switch the Azure CLI to ${endpoints.cloud.name} and sign in again, or start the server with AZURE_CLOUD=${cli.cloud}.`,
        actor: 'user',
        commands: [`az cloud set --name ${endpoints.cloud.name}`, 'az login'],
      },
    });
  }
  return findings;
}

export const azureCliCheck: Check = {
  id: 'credentials.azure-cli',
  title: 'Azure CLI (AzureCliCredential)',
  group: 'credentials',
  timeoutMs: 19_000,
  async run(ctx) {
    const { credentialProbes } = await import('../../src/probes/credentials/index.js');
    const res = await credentialProbes(ctx);
    const { cli } = res;
    const findings = await explainSlowByNetwork(ctx, azureCliFindings(res, ctx.env, ctx.endpoints));
    const inChain = res.chain.entries.find((e) => e.name === 'AzureCliCredential')?.enabled ?? false;
    const facts = {
      installed: cli.installed,
      path: cli.path ?? null,
      version: cli.version ?? null,
      signedIn: cli.loggedIn ?? null,
      account: cli.account?.user ?? null,
      accountType: cli.account?.userType ?? null,
      tenant: cli.account?.tenantId ?? null,
      subscription: cli.account?.subscriptionId ?? null,
      cloud: cli.cloud ?? null,
      serverCloud: ctx.endpoints.cloud.name,
      getAccessTokenMs: cli.tokenMs ?? null,
      inChain,
    };
    const rows = Object.entries(facts)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, String(v)]);
    return {
      findings,
      details: { facts, tables: [{ title: 'Azure CLI', columns: ['fact', 'value'], rows }] },
      ...(!cli.installed && !inChain ? { skipped: 'The Azure CLI is not installed and the chain does not use it.' } : {}),
    };
  },
};

/**
 * A slow `az` on a machine that cannot reach Entra ID is slow because of the network, not "slow but
 * working by hand": point at the network finding instead (the network check reports the error).
 */
async function explainSlowByNetwork(ctx: Parameters<Check['run']>[0], findings: Finding[]): Promise<Finding[]> {
  const slow = findings.find((f) => f.code === 'credential.cli-slow');
  if (!slow) return findings;
  const { networkVerdict } = await import('../../src/probes/network.js');
  const v = await networkVerdict(ctx, ctx.endpoints.authority.url, 'authority').catch(() => undefined);
  if (!v || v.status !== 'unreachable' || !v.findings.length) return findings;
  const cause = v.findings[0]!;
  const explained: Finding = {
    ...slow,
    severity: 'warning',
    message: `az account get-access-token took ${slow.evidence?.tokenMs ?? '?'} ms because ${ctx.endpoints.authority.host} cannot be reached from here (${cause.code}: ${cause.message}) The Azure CLI will work once the network does; see ${cause.code}.`,
    evidence: { ...slow.evidence, relatedFinding: cause.code, host: ctx.endpoints.authority.host },
    fix: { summary: `Fix the network problem reported as ${cause.code} for ${ctx.endpoints.authority.host}; the Azure CLI itself is not at fault.`, actor: cause.fix?.actor ?? 'network-admin' },
  };
  return findings.map((f) => (f === slow ? explained : f));
}
