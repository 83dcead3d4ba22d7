// The credential scenarios of the chain issue that the other files do not cover: nothing configured,
// partial variables, unknown tenant, unknown application, MFA required, conditional access, and prod
// without a managed identity. Each asserts the finding codes, the winner (none), the actor of the fix,
// and that no secret or token leaks. Where the server can run non-interactively, the real Azure MCP
// Server 2.0.5 runs with the same environment and must fail the way the doctor says.

import { expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import { startAzure, TENANT_ID, CLIENT_ID, CLIENT_SECRET, CLIENT_OBJECT_ID, type AzureWorld } from '../harness/azure-sim.js';
import { runAzmcp } from '../harness/azmcp.js';
import { assertValidReport } from '../helpers/schema.js';
import type { SimNet } from '../harness/net.js';

const MFA_ID = '55555555-6666-4777-8888-999999999999';
const CA_ID = '66666666-7777-4888-8999-aaaaaaaaaaaa';
const UNKNOWN_TENANT = '12345678-1234-4234-8234-123456789abc';
const UNKNOWN_APP = '87654321-4321-4321-8321-cba987654321';
const OTHER_SECRET = 'entra-errors-other-secret-value';

type F = { code: string; severity: string; message: string; target?: string; evidence?: Record<string, unknown>; fix?: { summary: string; actor: string; commands?: string[] } };
const findings = (json: any): F[] => json.checks.flatMap((c: any) => c.findings as F[]);
const one = (json: any, code: string, target?: string): F => {
  const f = findings(json).find((x) => x.code === code && (target === undefined || x.target === target));
  if (!f) throw new Error(`no ${code}${target ? ` for ${target}` : ''} in ${JSON.stringify(findings(json).map((x) => [x.code, x.target]))}`);
  return f;
};
const winner = (json: any) => findings(json).find((f) => f.code === 'chain.selected')?.target;

async function doctor(net: SimNet, env: Record<string, string>) {
  const r = await net.runDoctor(['--only', 'credentials', '--format', 'json'], { env: { NODE_EXTRA_CA_CERTS: net.caPath, ...env }, timeoutMs: 90_000 });
  if (!r.json) throw new Error(`doctor printed no JSON (code ${r.code}): ${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  assertValidReport(r.json);
  for (const s of [CLIENT_SECRET, OTHER_SECRET]) expect(r.stdout + r.stderr).not.toContain(s);
  expect(r.stdout + r.stderr).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  return r;
}

/** The real server, pinned to the credential under test so that CLI mode never reaches a prompt. */
async function server(net: SimNet, env: Record<string, string>) {
  return runAzmcp(net, ['subscription', 'list'], { env, timeoutMs: 60_000 });
}

describeE2e('credential failures explained (simulated Entra ID)', () => {
  const { net, ctx } = useSimNet({}, (n): Promise<AzureWorld> =>
    startAzure(n, {
      tenants: {
        [TENANT_ID]: {
          displayName: 'Contoso (simulated)',
          clients: {
            [CLIENT_ID]: { secret: CLIENT_SECRET, objectId: CLIENT_OBJECT_ID },
            [MFA_ID]: { secret: OTHER_SECRET, error: { code: 50076 } },
            [CA_ID]: { secret: OTHER_SECRET, error: { code: 53003 } },
          },
        },
      },
    }),
  );

  it('nothing configured: chain.none-succeeded, every credential explained, no winner', async () => {
    const r = await doctor(net(), {});
    expect(r.code).toBe(1);
    expect(winner(r.json)).toBeUndefined();
    const none = one(r.json, 'chain.none-succeeded');
    expect(none.severity).toBe('error');
    expect(one(r.json, 'credential.cli-not-logged-in').fix?.commands).toContain('az login');
    const chain = r.json.checks.find((c: any) => c.id === 'credentials.chain');
    const states = chain.details.chain.entries.filter((e: any) => e.enabled).map((e: any) => [e.name, e.state]);
    expect(states[0]).toEqual(['EnvironmentCredential', 'unavailable']);
    expect(states.every(([, s]: string[]) => s !== 'succeeded')).toBe(true);
  });

  it('partial environment variables: credential.env-incomplete names what is missing', async () => {
    const r = await doctor(net(), { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID });
    const f = one(r.json, 'credential.env-incomplete', 'EnvironmentCredential');
    expect(f.message).toMatch(/AZURE_CLIENT_SECRET/);
    expect(f.fix?.actor).toBe('user');
    // The server does not use half a service principal: nothing is sent to the authority.
    expect(ctx().sim.tokenRequests().filter((e) => e.clientId === CLIENT_ID)).toEqual([]);
  });

  it('unknown tenant: entra.tenant-not-found with AADSTS90002 and the ids; the server fails the same way', async () => {
    ctx().sim.clearLog();
    const env = { AZURE_TENANT_ID: UNKNOWN_TENANT, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET };
    const r = await doctor(net(), env);
    const f = one(r.json, 'entra.tenant-not-found', 'EnvironmentCredential');
    expect(f.evidence).toMatchObject({ aadsts: 'AADSTS90002' });
    expect(String(f.evidence?.traceId ?? '')).toMatch(/^[0-9a-f-]{36}$/);
    expect(f.fix?.summary).toMatch(/tenant/i);
    expect(f.fix?.summary).not.toMatch(/az login/);
    expect(winner(r.json)).toBeUndefined();
    const s = await server(net(), { ...env, AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' });
    expect(s.json?.status ?? s.code).not.toBe(200);
    expect(s.stdout + s.stderr).toContain('AADSTS90002');
  });

  it('unknown application: entra.application-not-found with AADSTS700016, for the app owner', async () => {
    const r = await doctor(net(), { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: UNKNOWN_APP, AZURE_CLIENT_SECRET: CLIENT_SECRET });
    const f = one(r.json, 'entra.application-not-found', 'EnvironmentCredential');
    expect(f.evidence).toMatchObject({ aadsts: 'AADSTS700016' });
    expect(['app-owner', 'tenant-admin', 'user']).toContain(f.fix?.actor);
    // The Entra description (evidence) and the fix name the application id the server sent.
    expect(`${f.fix?.summary} ${f.evidence?.description}`).toContain(UNKNOWN_APP);
    expect(ctx().sim.tokenRequests().some((e) => e.clientId === UNKNOWN_APP && e.aadsts === 700016)).toBe(true);
  });

  it('MFA required: entra.mfa-required with AADSTS50076', async () => {
    const r = await doctor(net(), { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: MFA_ID, AZURE_CLIENT_SECRET: OTHER_SECRET });
    const f = one(r.json, 'entra.mfa-required', 'EnvironmentCredential');
    expect(f.evidence).toMatchObject({ aadsts: 'AADSTS50076' });
    expect(f.fix?.summary).toBeTruthy();
  });

  it('conditional access: entra.conditional-access with AADSTS53003, for the tenant admin; the server fails too', async () => {
    const env = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CA_ID, AZURE_CLIENT_SECRET: OTHER_SECRET };
    const r = await doctor(net(), env);
    const f = one(r.json, 'entra.conditional-access', 'EnvironmentCredential');
    expect(f.evidence).toMatchObject({ aadsts: 'AADSTS53003' });
    expect(f.fix?.actor).toBe('tenant-admin');
    const s = await server(net(), { ...env, AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' });
    expect(s.json?.status ?? s.code).not.toBe(200);
    expect(s.stdout + s.stderr).toContain('AADSTS53003');
  });

  it('prod without a managed identity: the endpoint does not answer, nothing succeeds, like the server', async () => {
    // A name that does not resolve in the simulated internet: no managed-identity endpoint here.
    const env = { AZURE_TOKEN_CREDENTIALS: 'prod', AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://no-imds.sim.test' };
    const r = await doctor(net(), env);
    expect(r.code).toBe(1);
    expect(winner(r.json)).toBeUndefined();
    one(r.json, 'chain.none-succeeded');
    const chain = r.json.checks.find((c: any) => c.id === 'credentials.chain');
    expect(chain.details.chain.entries.filter((e: any) => e.enabled).map((e: any) => e.name)).toEqual([
      'EnvironmentCredential',
      'WorkloadIdentityCredential',
      'ManagedIdentityCredential',
    ]);
    const s = await server(net(), env);
    expect(s.json?.status ?? s.code).not.toBe(200);
  });
});
