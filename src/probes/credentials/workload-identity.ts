// WorkloadIdentityCredential: AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_FEDERATED_TOKEN_FILE. The file is
// checked locally (present, readable, a JWT, not expired; issuer, subject and audience shown), then the
// token exchange is tried against the server's cloud authority.

import { readFileSync } from 'node:fs';
import type { EvidenceValue, Finding } from '../../core/model.js';
import { federatedTokenFacts } from '../../chain/token-claims.js';
import { attemptSdkCredential, authorityFor } from './sdk-attempt.js';
import type { CredentialAttempt, ProbeContext } from './types.js';

const EXPECTED_AUDIENCE: Record<string, string> = {
  AzureCloud: 'api://AzureADTokenExchange',
  AzureChinaCloud: 'api://AzureADTokenExchangeChina',
  AzureUSGovernment: 'api://AzureADTokenExchangeUSGov',
};

function problem(message: string, evidence: Record<string, EvidenceValue>, fix: string, severity: Finding['severity'] = 'error'): Finding {
  return {
    code: 'credential.federated-token-problem',
    severity,
    message,
    target: 'AZURE_FEDERATED_TOKEN_FILE',
    evidence,
    fix: { summary: fix, actor: 'user' },
  };
}

export async function probeWorkloadIdentity(ctx: ProbeContext): Promise<CredentialAttempt> {
  const started = performance.now();
  const env = ctx.env;
  const names = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_FEDERATED_TOKEN_FILE'] as const;
  const present = names.filter((n) => env[n]);
  const facts: Record<string, EvidenceValue> = { variables: present.join(',') || '(none)' };
  const findings: Finding[] = [];
  const elapsed = () => Math.round(performance.now() - started);
  const configured = !!env.AZURE_FEDERATED_TOKEN_FILE;
  const base = { name: 'WorkloadIdentityCredential' as const, kind: 'workload-identity' as const, configured, findings, facts };
  if (!env.AZURE_FEDERATED_TOKEN_FILE) {
    return { ...base, state: 'unavailable', reason: 'AZURE_FEDERATED_TOKEN_FILE is not set (no workload identity here)', durationMs: elapsed() };
  }
  const missing = names.filter((n) => !env[n]);
  if (missing.length) {
    findings.push({
      code: 'credential.env-incomplete',
      severity: 'error',
      message: `WorkloadIdentityCredential is not configured: AZURE_FEDERATED_TOKEN_FILE is set but ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing ("The workload options are not fully configured").`,
      target: 'WorkloadIdentityCredential',
      evidence: { set: present.join(','), missing: missing.join(',') },
      fix: {
        summary: `Set ${missing.join(' and ')} (on AKS the workload identity webhook injects them when the pod's service account is annotated with azure.workload.identity/client-id and the pod is labelled azure.workload.identity/use: "true").`,
        actor: 'user',
      },
    });
    return { ...base, state: 'unavailable', reason: `${missing.join(' and ')} not set`, durationMs: elapsed() };
  }
  const file = env.AZURE_FEDERATED_TOKEN_FILE;
  facts.tokenFile = file;
  let content: string;
  try {
    content = readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
    findings.push(
      problem(
        code === 'ENOENT' ? `The federated token file ${file} does not exist.` : `The federated token file ${file} cannot be read (${code}).`,
        { path: file, error: code },
        code === 'ENOENT'
          ? 'Check the projected service account token volume (AKS: azure-identity-token) or the path in AZURE_FEDERATED_TOKEN_FILE.'
          : 'Make the file readable by the user the server runs as.',
      ),
    );
    return { ...base, state: 'failed', reason: `token file ${code === 'ENOENT' ? 'missing' : 'unreadable'}`, durationMs: elapsed() };
  }
  if (!content) {
    findings.push(problem(`The federated token file ${file} is empty.`, { path: file }, 'The platform writes the token there; check the volume projection.'));
    return { ...base, state: 'failed', reason: 'token file empty', durationMs: elapsed() };
  }
  const t = federatedTokenFacts(content);
  if (!t) {
    findings.push(
      problem(`The federated token file ${file} does not contain a JWT.`, { path: file, length: content.length }, 'Point AZURE_FEDERATED_TOKEN_FILE at the projected service account token (a JWT), not at another file.'),
    );
    return { ...base, state: 'failed', reason: 'token file holds no JWT', durationMs: elapsed() };
  }
  if (t.issuer) facts.issuer = t.issuer;
  if (t.subject) facts.subject = t.subject;
  if (t.audience) facts.audience = t.audience;
  if (t.expiresAt) facts.expiresAt = t.expiresAt;
  if (t.expired) {
    findings.push(
      problem(
        `The federated token in ${file} expired at ${t.expiresAt}. Entra will reject it (AADSTS700024). The platform normally refreshes the file; a copied or stale file does not refresh.`,
        { path: file, expiresAt: t.expiresAt ?? null, issuer: t.issuer ?? null, subject: t.subject ?? null },
        'Use the projected token path your platform keeps fresh (restart the pod if the projection stopped); in CI, request a fresh OIDC token just before use.',
      ),
    );
  } else if (t.notYetValid) {
    findings.push(problem(`The federated token in ${file} is not valid before ${t.notBefore} (or this machine's clock is behind).`, { path: file, notBefore: t.notBefore ?? null }, 'Correct the clock (see clock.skew).'));
  }
  const expectedAud = EXPECTED_AUDIENCE[ctx.endpoints.cloud.name];
  if (t.audience && expectedAud && !t.audience.split(' ').includes(expectedAud)) {
    findings.push(
      problem(
        `The federated token's audience is "${t.audience}", not "${expectedAud}". A federated credential matches only the audience it lists, and this is not the default.`,
        { path: file, audience: t.audience, expected: expectedAud },
        `Project the token with audience ${expectedAud}, or make sure the app's federated credential lists "${t.audience}".`,
        'warning',
      ),
    );
  }
  const authority = authorityFor('WorkloadIdentityCredential', ctx);
  facts.authority = authority.url;
  const { WorkloadIdentityCredential } = await import('@azure/identity');
  const out = await attemptSdkCredential(ctx, 'WorkloadIdentityCredential', (o) =>
    new WorkloadIdentityCredential({ tenantId: env.AZURE_TENANT_ID!, clientId: env.AZURE_CLIENT_ID!, tokenFilePath: file, ...o } as never),
  );
  return { ...base, ...out, durationMs: elapsed() };
}
