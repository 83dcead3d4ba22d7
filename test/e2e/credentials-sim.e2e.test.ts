// Credential diagnoses end to end: the built doctor runs in the simulated internet against the
// simulated Entra authority / ARM / managed-identity endpoint (real names, real TLS with the test CA in
// the namespace's OS store, real Azure CLI), and where it predicts what the server does, the real Azure
// MCP Server 2.0.5 runs in the same namespace with the same environment as the oracle (the simulated
// ARM's log says which identity it used).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import {
  CLIENT_ID,
  CLIENT_OBJECT_ID,
  CLIENT_SECRET,
  IMDS_HOST_NAME,
  MI_CLIENT_ID,
  MI_OBJECT_ID,
  SUBSCRIPTION_ID,
  TENANT_ID,
  startAzure,
  type AzureWorld,
  type SimTenantConfig,
} from '../harness/azure-sim.js';
import { azAvailable, createAzCli, type AzCli } from '../harness/azcli.js';
import { azmcpInstalled, runAzmcp } from '../harness/azmcp.js';
import type { SimNet } from '../harness/net.js';
import { assertValidReport } from '../helpers/schema.js';
import { startMitmproxy } from '../harness/proxies.js';

const EXPIRED_ID = '22222222-aaaa-4bbb-8ccc-000000000001';
const SP2_ID = '22222222-aaaa-4bbb-8ccc-000000000002';
const SP2_OID = '22222222-aaaa-4bbb-8ccc-0000000000f2';
const SP2_SECRET = 'sp2-secret-value';
const WI_ID = '22222222-aaaa-4bbb-8ccc-000000000003';
const TENANT2 = '72f988bf-0000-4000-8000-00000000bbbb';
const SP3_ID = '22222222-aaaa-4bbb-8ccc-000000000004';
const SP3_SECRET = 'sp3-secret-value';
const SUB2 = '00000000-1111-4222-8333-555555555555';
const OIDC_ISSUER = 'https://oidc.sim.test/cluster';
const WI_SUBJECT = 'system:serviceaccount:default:azmcp';

interface World extends AzureWorld {
  az: AzCli;
}

function tenants(): Record<string, SimTenantConfig> {
  return {
    [TENANT_ID]: {
      displayName: 'Contoso (simulated)',
      domains: ['contoso.onmicrosoft.com'],
      clients: {
        [CLIENT_ID]: { secret: CLIENT_SECRET, objectId: CLIENT_OBJECT_ID },
        [EXPIRED_ID]: { secret: 'expired-secret-value', secretExpired: true },
        [SP2_ID]: { secret: SP2_SECRET, objectId: SP2_OID },
        [WI_ID]: { federated: [{ issuer: OIDC_ISSUER, subject: WI_SUBJECT }], objectId: '22222222-aaaa-4bbb-8ccc-0000000000f3' },
      },
    },
    [TENANT2]: { displayName: 'Fabrikam (simulated)', clients: { [SP3_ID]: { secret: SP3_SECRET } } },
  };
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const unsignedJwt = (claims: Record<string, unknown>) => `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}.c2ln`;

type F = { code: string; severity: string; message: string; target?: string; evidence?: Record<string, unknown>; fix?: { summary: string; actor: string; commands?: string[] } };
const findings = (json: any): F[] => json.checks.flatMap((c: any) => c.findings as F[]);
const one = (json: any, code: string, target?: string): F => {
  const f = findings(json).find((x) => x.code === code && (target === undefined || x.target === target));
  if (!f) throw new Error(`no ${code}${target ? ` for ${target}` : ''} in ${JSON.stringify(findings(json).map((x) => [x.code, x.target]))}`);
  return f;
};
const chainRows = (json: any) => json.checks.find((c: any) => c.id === 'credentials.chain').details.chain.entries as { name: string; state: string; enabled: boolean; identity?: string }[];
const serverOk = () => process.env.AZMCP_E2E_SKIP_AZMCP !== '1' && !(process.env.AZMCP_SKIP_INSTALL === '1' && !azmcpInstalled());

async function doctor(net: SimNet, env: Record<string, string>, extra: string[] = []) {
  const r = await net.runDoctor(['--only', 'credentials', '--format', 'json', ...extra], { env, timeoutMs: 90_000 });
  if (!r.json) throw new Error(`doctor printed no JSON (code ${r.code}): ${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  assertValidReport(r.json);
  // Never a secret or a token in the output.
  for (const s of [CLIENT_SECRET, SP2_SECRET, SP3_SECRET, 'expired-secret-value']) expect(r.stdout + r.stderr).not.toContain(s);
  expect(r.stdout + r.stderr).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  return r;
}

describeE2e('credentials in the simulated internet', () => {
  const { net, ctx } = useSimNet({}, async (n): Promise<World> => {
    const world = await startAzure(n, {
      tenants: tenants(),
      subscriptions: [
        { subscriptionId: SUBSCRIPTION_ID, tenantId: TENANT_ID, displayName: 'Contoso sub' },
        { subscriptionId: SUB2, tenantId: TENANT2, displayName: 'Fabrikam sub' },
      ],
    });
    return { ...world, az: createAzCli(n) };
  });

  beforeEach(() => {
    ctx().az.reset();
    ctx().sim.clearLog();
  });

  it('a working service principal: chain.selected and identity.summary name the app; the server uses the same app', async () => {
    const n = net();
    const w = ctx();
    const env = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET };
    // AZURE_LOG_LEVEL makes the Azure SDK log; it must go through the doctor's redaction, never leak a token.
    const r = await doctor(n, { ...env, AZURE_LOG_LEVEL: 'verbose' }, ['--verbose']);
    const sel = one(r.json, 'chain.selected');
    expect(sel.target).toBe('EnvironmentCredential');
    expect(sel.evidence).toMatchObject({ tenantId: TENANT_ID, appId: CLIENT_ID, objectId: CLIENT_OBJECT_ID });
    expect(one(r.json, 'identity.summary').evidence).toMatchObject({ kind: 'app', tenantId: TENANT_ID, appId: CLIENT_ID, audience: 'https://management.azure.com' });
    expect(chainRows(r.json)[0]).toMatchObject({ name: 'EnvironmentCredential', state: 'succeeded' });
    // The doctor asked the simulated authority, over TLS trusted through the namespace's OS store.
    expect(w.sim.tokenRequests().some((e) => e.clientId === CLIENT_ID && e.status === 200)).toBe(true);
    if (!serverOk()) return;
    w.sim.clearLog();
    const s = await runAzmcp(n, ['subscription', 'list'], { env });
    expect(s.code, s.stderr.slice(-2000)).toBe(0);
    const arm = w.sim.readLog().filter((e) => e.path.startsWith('/subscriptions'));
    expect(arm.length).toBeGreaterThan(0);
    expect(arm.every((e) => e.tokenAppid === CLIENT_ID)).toBe(true);
  });

  it('a wrong secret: entra.invalid-client-secret with the AADSTS code and trace id, for the app owner; nothing else works', async () => {
    const n = net();
    const w = ctx();
    const env = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: 'wrong-secret-value' };
    const r = await doctor(n, env);
    expect(r.code).toBe(1);
    const f = one(r.json, 'entra.invalid-client-secret', 'EnvironmentCredential');
    expect(f.severity).toBe('error');
    expect(f.evidence).toMatchObject({ aadsts: 'AADSTS7000215', error: 'invalid_client' });
    const simEntry = w.sim.tokenRequests().find((e) => e.aadsts === 7000215)!;
    expect(simEntry).toBeDefined();
    expect(String(f.evidence!.traceId)).toMatch(/^[0-9a-f-]{36}$/);
    expect(f.fix!.actor).toBe('app-owner');
    expect(f.fix!.summary).not.toMatch(/\baz login\b/);
    expect(one(r.json, 'chain.none-succeeded').severity).toBe('error');
    expect(r.stdout).not.toContain('wrong-secret-value');
    if (!serverOk()) return;
    const s = await runAzmcp(n, ['subscription', 'list'], { env: { ...env, AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' } });
    expect(s.code).not.toBe(0);
    expect(s.stdout + s.stderr).toContain('AADSTS7000215');
  });

  it.runIf(azAvailable())('an expired app secret hidden by SafeTokenCredential: the server silently uses the Azure CLI identity, as predicted', async () => {
    const n = net();
    const w = ctx();
    await w.az.loginServicePrincipal({ tenant: TENANT_ID, clientId: SP2_ID, secret: SP2_SECRET });
    const env = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: EXPIRED_ID, AZURE_CLIENT_SECRET: 'expired-secret-value', ...w.az.env };
    const r = await doctor(n, env);
    const exp = one(r.json, 'entra.expired-client-secret', 'EnvironmentCredential');
    expect(exp.severity).toBe('error');
    expect(exp.message).toMatch(/SafeTokenCredential/);
    expect(exp.fix!.actor).toBe('app-owner');
    expect(exp.fix!.commands!.join(' ')).toContain(`az ad app credential reset --id ${EXPIRED_ID}`);
    const sel = one(r.json, 'chain.selected');
    expect(sel.target).toBe('AzureCliCredential');
    expect(sel.evidence).toMatchObject({ appId: SP2_ID, tenantId: TENANT_ID });
    const cli = r.json.checks.find((c: any) => c.id === 'credentials.azure-cli');
    expect(cli.details.facts).toMatchObject({ installed: true, signedIn: true, tenant: TENANT_ID, cloud: 'AzureCloud', accountType: 'servicePrincipal' });
    if (!serverOk()) return;
    w.sim.clearLog();
    const s = await runAzmcp(n, ['subscription', 'list'], { env });
    expect(s.code, s.stderr.slice(-2000)).toBe(0);
    // The server tried the expired secret first (and swallowed the error), then used the CLI's identity.
    expect(w.sim.tokenRequests().some((e) => e.clientId === EXPIRED_ID && e.aadsts === 7000222)).toBe(true);
    const arm = w.sim.readLog().filter((e) => e.path.startsWith('/subscriptions'));
    expect(arm.map((e) => e.tokenAppid)).toContain(SP2_ID);
    expect(arm.map((e) => e.tokenAppid)).not.toContain(EXPIRED_ID);
  });

  it.runIf(azAvailable())('two working identities: chain.shadowed names both; the server uses the first', async () => {
    const n = net();
    const w = ctx();
    await w.az.loginServicePrincipal({ tenant: TENANT_ID, clientId: SP2_ID, secret: SP2_SECRET });
    const env = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET, ...w.az.env };
    const r = await doctor(n, env);
    expect(one(r.json, 'chain.selected').target).toBe('EnvironmentCredential');
    const sh = one(r.json, 'chain.shadowed', 'AzureCliCredential');
    expect(sh.severity).toBe('warning');
    expect(sh.message).toContain(CLIENT_ID);
    expect(sh.message).toContain(SP2_ID);
    expect(sh.fix!.commands).toEqual(['export AZURE_TOKEN_CREDENTIALS=AzureCliCredential']);
    if (!serverOk()) return;
    w.sim.clearLog();
    const s = await runAzmcp(n, ['subscription', 'list'], { env });
    expect(s.code, s.stderr.slice(-2000)).toBe(0);
    const apps = w.sim.readLog().filter((e) => e.path.startsWith('/subscriptions')).map((e) => e.tokenAppid);
    expect(new Set(apps)).toEqual(new Set([CLIENT_ID]));
  });

  it.runIf(azAvailable())('tenants disagree: the token is from one tenant, the Azure CLI and the default subscription from another', async () => {
    const n = net();
    const w = ctx();
    await w.az.loginServicePrincipal({ tenant: TENANT2, clientId: SP3_ID, secret: SP3_SECRET });
    const env = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET, ...w.az.env };
    const r = await doctor(n, env);
    const m = one(r.json, 'identity.tenant-mismatch');
    expect(m.evidence!.tokenTenant).toBe(TENANT_ID);
    expect(m.message).toContain(`Azure CLI account says ${TENANT2}`);
    expect(m.message).toMatch(/default subscription Fabrikam sub/);
  });

  it('the authority does not answer (firewall drop): credential.failed points at tcp.timeout, within the time limit', async () => {
    const n = net();
    const w = ctx();
    const fw = await n.firewall({ action: 'drop', ip: w.authority.ip, port: 443 });
    try {
      const env = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET, AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' };
      const t0 = Date.now();
      const r = await doctor(n, env);
      expect(Date.now() - t0).toBeLessThan(30_000);
      const f = one(r.json, 'credential.failed', 'EnvironmentCredential');
      expect(f.severity).toBe('error');
      expect(f.evidence).toMatchObject({ relatedFinding: 'tcp.timeout', host: 'login.microsoftonline.com' });
    } finally {
      await fw.remove();
    }
  });

  it('a TLS-inspecting proxy: trusted by the OS store (like the server), the credential works; untrusted, it points at tls.intercepted', async () => {
    const n = net();
    const mp = await startMitmproxy(n);
    try {
      const env = {
        AZURE_TENANT_ID: TENANT_ID,
        AZURE_CLIENT_ID: CLIENT_ID,
        AZURE_CLIENT_SECRET: CLIENT_SECRET,
        AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential',
        HTTPS_PROXY: mp.url,
      };
      const untrusted = await doctor(n, env);
      const f = one(untrusted.json, 'credential.failed', 'EnvironmentCredential');
      expect(f.evidence).toMatchObject({ relatedFinding: 'tls.intercepted', networkError: 'SELF_SIGNED_CERT_IN_CHAIN', host: 'login.microsoftonline.com', viaProxy: true });
      n.setOsTrust({ extra: [mp.rootCaPath] });
      try {
        const trusted = await doctor(n, env);
        expect(one(trusted.json, 'chain.selected').target).toBe('EnvironmentCredential');
        expect(mp.connects()).toContain('login.microsoftonline.com:443');
      } finally {
        n.setOsTrust({ extra: [] });
      }
    } finally {
      await mp.stop();
    }
  });

  it('an authority name that does not resolve: credential.failed points at dns.not-found', async () => {
    const n = net();
    const env = {
      AZURE_TENANT_ID: TENANT_ID,
      AZURE_CLIENT_ID: CLIENT_ID,
      AZURE_CLIENT_SECRET: CLIENT_SECRET,
      AZURE_AUTHORITY_HOST: 'https://login.nowhere.sim.test',
      AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential',
    };
    const r = await doctor(n, env);
    const f = one(r.json, 'credential.failed', 'EnvironmentCredential');
    expect(f.evidence).toMatchObject({ networkError: 'ENOTFOUND', relatedFinding: 'dns.not-found', host: 'login.nowhere.sim.test' });
  });

  it('managed identity with prod: selected, identity is the managed identity; the server gets the same token source', async () => {
    const n = net();
    const w = ctx();
    const env = { AZURE_TOKEN_CREDENTIALS: 'prod', ...w.imdsEnv };
    const r = await doctor(n, env);
    const sel = one(r.json, 'chain.selected');
    expect(sel.target).toBe('ManagedIdentityCredential');
    expect(sel.evidence).toMatchObject({ appId: MI_CLIENT_ID, objectId: MI_OBJECT_ID });
    expect(one(r.json, 'identity.summary').evidence!.kind).toBe('managed-identity');
    const mi = w.sim.readLog().filter((e) => e.host === IMDS_HOST_NAME && e.miShape === 'imds');
    expect(mi.length).toBe(1);
    expect(mi[0]!.metadataHeader).toBe(true);
    if (!serverOk()) return;
    w.sim.clearLog();
    const s = await runAzmcp(n, ['subscription', 'list'], { env });
    expect(s.code, s.stderr.slice(-2000)).toBe(0);
    expect(w.sim.readLog().some((e) => e.host === IMDS_HOST_NAME && e.status === 200)).toBe(true);
    expect(w.sim.readLog().filter((e) => e.path.startsWith('/subscriptions')).every((e) => e.tokenAppid === MI_CLIENT_ID)).toBe(true);
  });

  it('a user-assigned identity that is not attached: credential.failed for the resource admin', async () => {
    const n = net();
    const env = { AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential', AZURE_CLIENT_ID: 'aaaaaaaa-0000-4000-8000-0000000000ff', ...ctx().imdsEnv };
    const r = await doctor(n, env);
    const f = one(r.json, 'credential.failed', 'ManagedIdentityCredential');
    expect(f.fix!.actor).toBe('resource-admin');
    expect(f.message).toContain('aaaaaaaa-0000-4000-8000-0000000000ff');
  });

  it('App Service identity variables without prod: the server never tries managed identity (chain.configured-credential-excluded)', async () => {
    const n = net();
    const env = { IDENTITY_ENDPOINT: `http://${IMDS_HOST_NAME}/msi/token`, IDENTITY_HEADER: 'hdr', AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS: 'true' };
    const r = await doctor(n, env);
    expect(one(r.json, 'chain.configured-credential-excluded', 'ManagedIdentityCredential').severity).toBe('warning');
    expect(one(r.json, 'chain.deprecated-variable', 'AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS').severity).toBe('warning');
    expect(ctx().sim.readLog().filter((e) => e.host === IMDS_HOST_NAME)).toEqual([]);
  });

  it('workload identity: a matching federated credential works; a wrong subject is entra.federated-identity-mismatch naming issuer and subject', async () => {
    const n = net();
    const w = ctx();
    const dir = join(n.homeDir, 'wi');
    mkdirSync(dir, { recursive: true });
    const now = Math.floor(Date.now() / 1000);
    const good = join(dir, 'good.jwt');
    const bad = join(dir, 'bad.jwt');
    writeFileSync(good, unsignedJwt({ iss: OIDC_ISSUER, sub: WI_SUBJECT, aud: 'api://AzureADTokenExchange', iat: now, exp: now + 3600 }));
    writeFileSync(bad, unsignedJwt({ iss: OIDC_ISSUER, sub: 'system:serviceaccount:default:other', aud: 'api://AzureADTokenExchange', iat: now, exp: now + 3600 }));
    const base = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: WI_ID, AZURE_TOKEN_CREDENTIALS: 'WorkloadIdentityCredential' };
    const ok = await doctor(n, { ...base, AZURE_FEDERATED_TOKEN_FILE: good });
    expect(one(ok.json, 'chain.selected').target).toBe('WorkloadIdentityCredential');
    const r = await doctor(n, { ...base, AZURE_FEDERATED_TOKEN_FILE: bad });
    const f = one(r.json, 'entra.federated-identity-mismatch', 'WorkloadIdentityCredential');
    expect(f.evidence!.aadsts).toBe('AADSTS70021');
    expect(f.fix!.summary).toContain('system:serviceaccount:default:other');
    expect(f.fix!.commands![0]).toContain(`"issuer":"${OIDC_ISSUER}"`);
    if (!serverOk()) return;
    w.sim.clearLog();
    const s = await runAzmcp(n, ['subscription', 'list'], { env: { ...base, AZURE_FEDERATED_TOKEN_FILE: good } });
    expect(s.code, s.stderr.slice(-2000)).toBe(0);
    const s2 = await runAzmcp(n, ['subscription', 'list'], { env: { ...base, AZURE_FEDERATED_TOKEN_FILE: bad } });
    expect(s2.code).not.toBe(0);
    expect(w.sim.tokenRequests().filter((e) => e.clientId === WI_ID).map((e) => e.aadsts ?? 'ok')).toEqual(['ok', 70021]);
  });

  it.runIf(azAvailable())('Azure CLI not signed in, nothing else: cli-not-logged-in and chain.none-succeeded; headless in CI warns', async () => {
    const n = net();
    const r = await doctor(n, { CI: 'true', ...ctx().az.env });
    expect(one(r.json, 'credential.cli-not-logged-in').severity).toBe('warning');
    expect(one(r.json, 'chain.none-succeeded').severity).toBe('error');
    expect(one(r.json, 'chain.interactive-fallback-headless').severity).toBe('warning');
    expect(r.code).toBe(1);
  });
});
