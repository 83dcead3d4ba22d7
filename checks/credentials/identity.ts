// Who the server would be: the winning credential's access token decoded locally (no signature check;
// the token itself is never shown), and whether its tenant agrees with AZURE_TENANT_ID, the Azure CLI's
// account and the default subscription the server picks from ~/.azure/azureProfile.json.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import type { Check, Finding } from '../../src/core/model.js';
import { MSA_TENANT_ID, describeIdentity } from '../../src/chain/token-claims.js';
import type { CredentialProbeResult } from '../../src/probes/credentials/index.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ProfileDefault {
  subscriptionId: string;
  subscriptionName?: string;
  tenantId?: string;
  file: string;
}

/** The default subscription the server reads: UserProfile/.azure/azureProfile.json (AZURE_CONFIG_DIR is ignored). */
export function readProfileDefault(home: string): ProfileDefault | undefined {
  const file = path.join(home, '.azure', 'azureProfile.json');
  try {
    const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    const j = JSON.parse(text) as { subscriptions?: { id?: string; name?: string; tenantId?: string; isDefault?: boolean }[] };
    const d = j.subscriptions?.find((s) => s.isDefault);
    if (!d?.id) return undefined;
    return { subscriptionId: d.id, ...(d.name ? { subscriptionName: d.name } : {}), ...(d.tenantId ? { tenantId: d.tenantId } : {}), file };
  } catch {
    return undefined;
  }
}

export function identityFindings(res: CredentialProbeResult, env: Env, home: string): { findings: Finding[]; rows: string[][] } {
  const findings: Finding[] = [];
  const rows: string[][] = [];
  const winner = res.verdict.winner!;
  const id = res.verdict.winnerIdentity;
  if (!id) {
    findings.push({
      code: 'identity.summary',
      severity: 'info',
      message: `${winner} returned a token that is not a JWT the doctor can read, so its identity is unknown.`,
      target: winner,
      evidence: { credential: winner },
    });
    return { findings, rows };
  }
  const add = (k: string, v: string | undefined | boolean) => {
    if (v !== undefined && v !== '') rows.push([k, String(v)]);
  };
  add('credential', winner);
  add('kind', id.kind);
  add('user', id.user);
  add('name', id.displayName);
  add('object id', id.objectId);
  add('tenant', id.tenantId);
  add('client app', id.appDisplayName ? `${id.appDisplayName} (${id.appId})` : id.appId);
  add('audience', id.audience);
  add('issuer', id.issuer);
  add('expires', id.expiresAt);
  add('personal account', id.personalAccount);
  if (id.mfa !== undefined) add('mfa', id.mfa);
  if (id.managedIdentityResourceId) add('managed identity', id.managedIdentityResourceId);

  findings.push({
    code: 'identity.summary',
    severity: 'info',
    message:
      `The server would act as ${describeIdentity(id)}` +
      `${id.objectId ? ` (object id ${id.objectId})` : ''} through ${winner}` +
      `${id.audience ? `; token audience ${id.audience}` : ''}${id.expiresAt ? `, valid until ${id.expiresAt}` : ''}.` +
      (id.personalAccount ? ' This is a personal Microsoft account.' : ''),
    target: winner,
    evidence: {
      credential: winner,
      kind: id.kind,
      tenantId: id.tenantId ?? null,
      objectId: id.objectId ?? null,
      user: id.user ?? null,
      appId: id.appId ?? null,
      audience: id.audience ?? null,
      expiresAt: id.expiresAt ?? null,
      personalAccount: id.personalAccount,
    },
  });

  if (id.personalAccount && id.tenantId === MSA_TENANT_ID) {
    findings.push({
      code: 'entra.personal-account',
      severity: 'warning',
      message: `${winner} signs in with a personal Microsoft account (tenant ${MSA_TENANT_ID}). Azure resources live in organisational tenants; expect "AADSTS500200" or empty subscription lists.`,
      target: winner,
      evidence: { credential: winner, tenantId: id.tenantId },
      fix: {
        summary: 'Sign in with a work or school account of the tenant that holds your resources (or one you created); for the Azure CLI use az login --tenant <tenant-id>.',
        actor: 'user',
      },
    });
  }

  // Tenants that disagree with the token's.
  if (id.tenantId) {
    const others: { source: string; tenant: string }[] = [];
    const envTenant = env.AZURE_TENANT_ID;
    if (envTenant && /^[0-9a-f-]{36}$/i.test(envTenant) && envTenant.toLowerCase() !== id.tenantId.toLowerCase()) others.push({ source: 'AZURE_TENANT_ID', tenant: envTenant });
    const cliTenant = res.cli.account?.tenantId;
    if (cliTenant && winner !== 'AzureCliCredential' && cliTenant.toLowerCase() !== id.tenantId.toLowerCase()) others.push({ source: 'Azure CLI account', tenant: cliTenant });
    const profile = readProfileDefault(home);
    if (profile?.tenantId && profile.tenantId.toLowerCase() !== id.tenantId.toLowerCase()) {
      others.push({ source: `default subscription ${profile.subscriptionName ?? profile.subscriptionId} in ${profile.file}`, tenant: profile.tenantId });
    }
    if (others.length) {
      const profileHit = others.some((o) => o.source.startsWith('default subscription'));
      findings.push({
        code: 'identity.tenant-mismatch',
        severity: 'warning',
        message:
          `The server's token is from tenant ${id.tenantId} (${winner}), but ${others.map((o) => `${o.source} says ${o.tenant}`).join('; ')}.` +
          (profileHit
            ? ' The server uses that default subscription when a request names none, so Azure answers "InvalidAuthenticationTokenTenant" / "token is from the wrong issuer".'
            : ' Requests for resources in the other tenant fail with 401/403.'),
        target: winner,
        evidence: {
          tokenTenant: id.tenantId,
          credential: winner,
          ...Object.fromEntries(others.map((o, i) => [`other${i + 1}`, `${o.source}: ${o.tenant}`])),
        },
        fix: {
          summary:
            winner === 'AzureCliCredential'
              ? `Sign the Azure CLI in to the tenant you want (az login --tenant <tenant-id>) and select a subscription of that tenant (az account set).`
              : `Make the credential the server uses sign in to the tenant you want, or pin the credential that already does (AZURE_TOKEN_CREDENTIALS=<credential name>); then make the default subscription one of that tenant (az account set --subscription <id>).`,
          actor: 'user',
          commands: [`az login --tenant ${others[0]!.tenant}`, 'az account set --subscription <subscription-id>'],
        },
      });
    }
  }
  return { findings, rows };
}

export const identityCheck: Check = {
  id: 'credentials.identity',
  title: 'Identity of the selected credential',
  group: 'credentials',
  timeoutMs: 19_000,
  async run(ctx) {
    const { credentialProbes } = await import('../../src/probes/credentials/index.js');
    const res = await credentialProbes(ctx);
    if (!res.verdict.winner) return { skipped: 'No credential succeeded, so there is no identity to show.' };
    const home = ctx.env.HOME || ctx.env.USERPROFILE || os.homedir();
    const { findings, rows } = identityFindings(res, ctx.env, home);
    return { findings, details: { tables: rows.length ? [{ title: 'Token claims (decoded locally; the token is never shown)', columns: ['claim', 'value'], rows }] : [] } };
  },
};
