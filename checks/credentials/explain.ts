// Turning credential attempts into findings: Entra errors via the AADSTS catalog (fix written for the
// credential type, with the actor), network failures pointing at the network finding, and the severity
// rule: a failure is an error when it is the credential the user evidently meant or when nothing
// succeeds; otherwise a warning, because the server swallows it (SafeTokenCredential) and moves on.

import type { EvidenceValue, Finding, Severity } from '../../src/core/model.js';
import type { EndpointModel } from '../../src/core/endpoints.js';
import { CREDENTIAL_LABEL } from '../../src/chain/credentials.js';
import type { EffectiveChain } from '../../src/chain/effective-chain.js';
import type { ChainVerdict } from '../../src/chain/verdict.js';
import { diagnoseAadsts, type CredentialKind, type FixFacts } from '../../src/entra/aadsts.js';
import { entraEvidence } from '../../src/entra/parse.js';
import type { CredentialAttempt } from '../../src/probes/credentials/types.js';

type Env = Readonly<Record<string, string | undefined>>;

export const SAFE_TOKEN_NOTE =
  'The server wraps every credential in SafeTokenCredential, which turns this failure into "unavailable" and silently tries the next credential, so it may end up signed in as someone else.';

const APP_CREDENTIALS = new Set(['EnvironmentCredential', 'WorkloadIdentityCredential', 'ManagedIdentityCredential']);

/** The user evidently meant this credential: pinned by name, or configured through its own variables. */
export function isIntended(a: CredentialAttempt, chain: EffectiveChain): boolean {
  if (chain.mode === 'pinned' || chain.mode === 'broker-only') return true;
  return a.configured && APP_CREDENTIALS.has(a.name);
}

export interface Weight {
  severity: Severity;
  /** Sentence appended to the message. */
  note: string;
}

/** Severity of a failure of this credential, given the chain verdict. */
export function failureWeight(a: CredentialAttempt, chain: EffectiveChain, verdict: ChainVerdict): Weight {
  const row = verdict.rows.find((r) => r.name === a.name);
  const reached = row?.reached ?? true;
  const intended = isIntended(a, chain);
  if (verdict.noneSucceeded) return { severity: 'error', note: '' };
  const winner = verdict.winner ? CREDENTIAL_LABEL[verdict.winner] : 'another credential';
  if (reached) {
    return intended
      ? { severity: 'error', note: ` ${SAFE_TOKEN_NOTE} Here ${winner} is used instead.` }
      : { severity: 'warning', note: ` ${SAFE_TOKEN_NOTE} Here ${winner} is used instead.` };
  }
  return intended
    ? { severity: 'warning', note: ` The server never gets this far (${winner} succeeds first), but it is set up and broken.` }
    : { severity: 'info', note: ` The server never gets this far: ${winner} succeeds first.` };
}

export function fixFactsFor(a: CredentialAttempt, env: Env, endpoints: EndpointModel, cliTenant?: string): FixFacts {
  const app = a.kind === 'client-secret' || a.kind === 'client-certificate' || a.kind === 'workload-identity' || a.kind === 'managed-identity' || a.kind === 'username-password';
  const s = (v: EvidenceValue | undefined) => (typeof v === 'string' ? v : undefined);
  const tenantId = app ? env.AZURE_TENANT_ID : a.kind === 'azure-cli' ? cliTenant : undefined;
  const clientId = app ? env.AZURE_CLIENT_ID : undefined;
  return {
    ...(tenantId ? { tenantId } : {}),
    ...(clientId ? { clientId } : {}),
    cloudName: endpoints.cloud.name,
    armAudience: endpoints.armScope.replace(/\/\.default$/, ''),
    ...(s(a.facts.issuer) ? { tokenIssuer: s(a.facts.issuer) } : {}),
    ...(s(a.facts.subject) ? { tokenSubject: s(a.facts.subject) } : {}),
    ...(s(a.facts.audience) ? { tokenAudience: s(a.facts.audience) } : {}),
    ...(a.entra?.correlationId ? { correlationId: a.entra.correlationId } : {}),
  };
}

function kindOf(a: CredentialAttempt): CredentialKind {
  return a.kind ?? 'interactive';
}

/** Codes a probe emits that already explain a failure (no extra credential.failed then). */
const EXPLAINING = new Set([
  'credential.certificate-problem',
  'credential.federated-token-problem',
  'credential.managed-identity-unreachable',
  'credential.failed',
  'credential.env-incomplete',
]);

function adjust(f: Finding, w: Weight): Finding {
  if (f.severity !== 'error') return f;
  return w.severity === 'error' ? f : { ...f, severity: w.severity };
}

/**
 * Findings for one attempt: its configuration findings (severity adjusted), the Entra or network
 * explanation of a failure, or credential.unavailable (info) when the server skips over it.
 */
export function attemptFindings(
  a: CredentialAttempt,
  chain: EffectiveChain,
  verdict: ChainVerdict,
  env: Env,
  endpoints: EndpointModel,
  cliTenant?: string,
): Finding[] {
  const out: Finding[] = [];
  const w = failureWeight(a, chain, verdict);
  for (const f of a.findings) out.push(adjust(f, w));
  const label = `${a.name}`;
  const common: Record<string, EvidenceValue> = { credential: a.name, ...(a.kind ? { kind: a.kind } : {}), durationMs: a.durationMs };

  if (a.state === 'failed') {
    if (a.entra?.codes.length) {
      const code = a.entra.codes[0]!;
      const d = diagnoseAadsts(code, kindOf(a), fixFactsFor(a, env, endpoints, cliTenant));
      out.push({
        code: d.family,
        severity: w.severity,
        message:
          `${label} was rejected by Entra ID with AADSTS${code}: ${d.meaning}` +
          (d.known ? '' : ` (${a.entra.description ?? 'no description'})`) +
          w.note,
        target: a.name,
        evidence: { ...common, ...entraEvidence(a.entra), ...(a.entra.description ? { description: a.entra.description.slice(0, 300) } : {}) },
        fix: d.fix,
      });
      return out;
    }
    if (a.network) {
      const n = a.network;
      out.push({
        code: 'credential.failed',
        severity: w.severity,
        message: `${label} could not get a token because of the network: ${n.explanation} See ${n.code}.${w.note}`,
        target: a.name,
        evidence: { ...common, networkError: n.errorCode, host: n.host ?? null, relatedFinding: n.code, viaProxy: n.viaProxy },
        fix: {
          summary: `Fix the network problem reported as ${n.code} (the network checks show the details for ${n.host ?? 'the host'}); the credential itself may be fine.`,
          actor: n.code.startsWith('proxy.') || n.code.startsWith('tcp.') || n.code === 'tls.intercepted' ? 'network-admin' : 'user',
        },
      });
      return out;
    }
    if (a.findings.some((f) => EXPLAINING.has(f.code) && f.severity === 'error')) return out;
    out.push({
      code: 'credential.failed',
      severity: w.severity,
      message: `${label} failed: ${a.reason}.${w.note}`,
      target: a.name,
      evidence: { ...common, ...(a.timedOut ? { timedOut: true } : {}) },
      fix: {
        summary: a.timedOut
          ? 'It did not answer in time; run it by hand to see where it hangs (proxy, DNS, a prompt waiting for input).'
          : 'Run the credential\'s tool by hand (or re-run with --verbose) to see the full error.',
        actor: 'user',
      },
    });
    return out;
  }
  if (a.state === 'unavailable' && !a.findings.some((f) => EXPLAINING.has(f.code))) {
    const row = verdict.rows.find((r) => r.name === a.name);
    if (row?.reached) {
      // AZURE_TOKEN_CREDENTIALS pins this credential: nothing else is tried, so being unavailable is the failure.
      const pinned = chain.mode === 'pinned' && row.enabled;
      const fix = pinned ? pinnedUnavailableFix(a) : undefined;
      out.push({
        code: 'credential.unavailable',
        severity: pinned ? 'error' : 'info',
        message: pinned
          ? `${label} is not available here: ${a.reason}. AZURE_TOKEN_CREDENTIALS pins it, so the server tries nothing else and cannot authenticate.`
          : `${label} is not available here: ${a.reason}. The server skips it.`,
        target: a.name,
        evidence: { ...common, pinned },
        ...(fix ? { fix } : {}),
      });
    }
  }
  return out;
}

/** What makes a pinned, unavailable credential available: the sign-in of its own tool, never another tool's. */
export function pinnedUnavailableFix(a: Pick<CredentialAttempt, 'name' | 'reason'>): Finding['fix'] {
  const notInstalled = /not installed|not on PATH|could not be started/i.test(a.reason);
  const other = `or set AZURE_TOKEN_CREDENTIALS to a credential that works here (or unset it for the default chain)`;
  switch (a.name) {
    case 'AzureDeveloperCliCredential':
      return notInstalled
        ? { summary: `Install the Azure Developer CLI (azd) on the PATH the MCP client gives the server and sign in with azd auth login, ${other}.`, actor: 'user', commands: ['azd auth login'], docs: ['https://learn.microsoft.com/azure/developer/azure-developer-cli/install-azd'] }
        : { summary: `Sign in to the Azure Developer CLI as the account the server should use, ${other}.`, actor: 'user', commands: ['azd auth login'] };
    case 'AzurePowerShellCredential':
      return notInstalled
        ? { summary: `Install PowerShell 7 (pwsh) and the Az.Accounts module, then sign in with Connect-AzAccount, ${other}.`, actor: 'user', commands: ['pwsh -Command Install-Module Az.Accounts -Scope CurrentUser', 'pwsh -Command Connect-AzAccount'] }
        : { summary: `Sign in to Azure PowerShell (Connect-AzAccount) as the account the server should use, ${other}.`, actor: 'user', commands: ['pwsh -Command Connect-AzAccount'] };
    case 'AzureCliCredential':
      return notInstalled
        ? { summary: `Install the Azure CLI and sign in with az login, ${other}.`, actor: 'user', commands: ['az login'], docs: ['https://learn.microsoft.com/cli/azure/install-azure-cli'] }
        : { summary: `Sign in to the Azure CLI as the account the server should use, ${other}.`, actor: 'user', commands: ['az login'] };
    default:
      return { summary: `Provide what ${a.name} needs here (see the reason above), ${other}.`, actor: 'user' };
  }
}
