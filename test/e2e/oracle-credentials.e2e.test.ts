// Oracle tests, credentials: the doctor's model of the chain (order, winner, identity) against what the
// real Azure MCP Server 2.0.5 does with the same environment in the same simulated internet.
// - chain order: the server's failure message lists each credential it tried, in order;
// - winner: the appid of the bearer token management.azure.com received from the server.
// The server runs in CLI mode (`azmcp subscription list`), so the doctor runs with --launched-by cli.
// Facts and evidence: docs/server-behaviour-2.0.5.md §3.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import { azAvailable, createAzCli, type AzCli } from '../harness/azcli.js';
import { startAzure, defaultTenants, TENANT_ID, CLIENT_ID, CLIENT_SECRET, MI_CLIENT_ID, type AzureWorld } from '../harness/azure-sim.js';
import { describeFindings, prepareOracleWorld, runDoctorJson, runServer, serverChainFromMessage, type DoctorView, type ServerRun } from './helpers/oracle.js';

/** A second app registration, signed in to the Azure CLI. */
const CLI_CLIENT_ID = '22222222-3333-4444-8555-666666666666';
const CLI_CLIENT_SECRET = 'cli-secret-not-real';

interface Ctx {
  world: AzureWorld;
  /** Signed in (as CLI_CLIENT_ID) when az is installed. */
  cli?: AzCli;
  /** Never signed in. */
  noCli: AzCli;
}

const HAS_AZ = azAvailable();

/** Errors that do not contradict a working server when they concern another credential or a variable. */
const TOLERATED_ERRORS = /^(chain\.invalid-token-credentials|chain\.deprecated-variable|credential\.failed|entra\.)/;

describeE2e('oracle: credentials (doctor vs Azure MCP Server 2.0.5)', () => {
  const { net, ctx } = useSimNet({}, async (n): Promise<Ctx> => {
    const tenants = defaultTenants();
    tenants[TENANT_ID]!.clients![CLI_CLIENT_ID] = { secret: CLI_CLIENT_SECRET, objectId: '77777777-6666-4555-8444-333333333333' };
    const world = await startAzure(n, { tenants });
    await prepareOracleWorld(n, world);
    // Managed identity only ever at the simulated IMDS (imdsEnv); the real address is refused locally too.
    await n.firewall({ where: 'client', ip: '169.254.169.254', action: 'refuse' });
    const noCli = createAzCli(n, { configDir: join(n.dir, 'az-not-signed-in') });
    let cli: AzCli | undefined;
    if (HAS_AZ) {
      cli = createAzCli(n, { configDir: join(n.dir, 'az-signed-in') });
      await cli.loginServicePrincipal({ tenant: TENANT_ID, clientId: CLI_CLIENT_ID, secret: CLI_CLIENT_SECRET });
    }
    return { world, cli, noCli };
  });

  const base = (extra: Record<string, string> = {}): Record<string, string> => ({
    NODE_EXTRA_CA_CERTS: net().caPath,
    ...ctx().world.imdsEnv,
    ...ctx().noCli.env,
    ...extra,
  });
  const spVars = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET };
  const doctor = (env: Record<string, string>) => runDoctorJson(net(), env, ['--launched-by', 'cli', '--only', 'environment,credentials']);
  const server = (env: Record<string, string>) => runServer(net(), ctx().world, [], 'arm', env, { timeoutMs: 60_000 });

  function expectSameWinner(d: DoctorView, s: ServerRun, expected: { credential: string; appId: string }): void {
    expect(s.ok, `server failed: ${s.message.slice(0, 500)}`).toBe(true);
    expect(s.armAppIds, 'identity the server used for ARM').toEqual([expected.appId]);
    // Token requests the server made itself (az may answer from its cache and make none).
    const granted = s.tokenRequests.filter((e) => e.status === 200).map((e) => e.clientId);
    if (granted.length) expect(granted, 'client ids that got a token from the simulated authority').toEqual([expected.appId]);
    const w = d.winner();
    expect(w?.credential, describeFindings(d, 'info')).toBe(expected.credential);
    expect(w?.appId, describeFindings(d, 'info')).toBe(expected.appId);
    // The doctor may still report errors about configuration the server tolerates (a failing credential
    // that the chain skips, an unknown AZURE_TOKEN_CREDENTIALS value), but not that the chain fails.
    expect(d.has('chain.none-succeeded'), describeFindings(d)).toBe(false);
    const unrelated = d.errors.filter((f) => !TOLERATED_ERRORS.test(f.code) || f.target === expected.credential);
    expect(unrelated.map((f) => `${f.code} [${f.target ?? ''}]`), describeFindings(d)).toEqual([]);
  }

  // ---- chain order with nothing configured (no az sign-in, no SP): the server lists what it tried ----

  const orderCases: [string, Record<string, string>][] = [
    ['AZURE_TOKEN_CREDENTIALS unset', {}],
    ['dev', { AZURE_TOKEN_CREDENTIALS: 'dev' }],
    ['InteractiveBrowserCredential (default chain + browser)', { AZURE_TOKEN_CREDENTIALS: 'InteractiveBrowserCredential' }],
    ['unknown value (default chain, no fallback)', { AZURE_TOKEN_CREDENTIALS: 'azureclicredentialX' }],
    ['DeviceCodeCredential (pinned in 2.0.5)', { AZURE_TOKEN_CREDENTIALS: 'DeviceCodeCredential' }],
    ['VSCODE_PID set', { VSCODE_PID: '4242' }],
    ['broker-only flag "true"', { AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL: 'true' }],
    ['broker-only flag "TRUE" (not truthy)', { AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL: 'TRUE' }],
  ];

  for (const [name, extra] of orderCases) {
    it(`chain order, nothing signed in: ${name}`, async () => {
      const env = base(extra);
      // No credential can reach the network here, so the two runs can overlap.
      const [d, s] = await Promise.all([doctor(env), server(env)]);
      expect(s.ok).toBe(false);
      expect(s.status).toBe(401);
      expect(s.tokenRequests).toEqual([]);
      const tried = serverChainFromMessage(s.message);
      expect(tried.length, s.message).toBeGreaterThan(0);
      expect(d.chain(), `server tried: ${tried.join(' > ')}`).toEqual(tried);
      expect(d.predictsFailure).toBe(true);
      expect(d.has('chain.none-succeeded'), describeFindings(d)).toBe(true);
    });
  }

  it('prod: managed identity (simulated IMDS) wins, as the doctor says', async () => {
    const env = base({ AZURE_TOKEN_CREDENTIALS: 'prod' });
    const d = await doctor(env);
    const s = await server(env);
    expect(s.sim.some((e) => e.host === 'imds.sim.test' && e.status === 200)).toBe(true);
    expectSameWinner(d, s, { credential: 'ManagedIdentityCredential', appId: MI_CLIENT_ID });
  });

  // ---- service principal in env AND a signed-in Azure CLI: which identity wins ----

  const withCli = (extra: Record<string, string>) => base({ ...spVars, ...ctx().cli!.env, ...extra });

  it.skipIf(!HAS_AZ)('SP in env + az signed in, default chain: EnvironmentCredential wins', async () => {
    const env = withCli({});
    const d = await doctor(env);
    const s = await server(env);
    expectSameWinner(d, s, { credential: 'EnvironmentCredential', appId: CLIENT_ID });
  });

  it.skipIf(!HAS_AZ)('SP in env + az signed in, dev: AzureCliCredential wins (dev has no EnvironmentCredential)', async () => {
    const env = withCli({ AZURE_TOKEN_CREDENTIALS: 'dev' });
    const d = await doctor(env);
    const s = await server(env);
    expectSameWinner(d, s, { credential: 'AzureCliCredential', appId: CLI_CLIENT_ID });
  });

  it.skipIf(!HAS_AZ)('SP in env + az signed in, VSCODE_PID: VS Code fails, EnvironmentCredential wins', async () => {
    const env = withCli({ VSCODE_PID: '4242' });
    const d = await doctor(env);
    const s = await server(env);
    expectSameWinner(d, s, { credential: 'EnvironmentCredential', appId: CLIENT_ID });
  });

  it.skipIf(!HAS_AZ)('SP in env + az signed in, AzureCliCredential pinned: the CLI identity', async () => {
    const env = withCli({ AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' });
    const d = await doctor(env);
    const s = await server(env);
    expectSameWinner(d, s, { credential: 'AzureCliCredential', appId: CLI_CLIENT_ID });
  });

  it.skipIf(!HAS_AZ)('SP in env + az signed in, unknown AZURE_TOKEN_CREDENTIALS: default chain, EnvironmentCredential', async () => {
    const env = withCli({ AZURE_TOKEN_CREDENTIALS: 'azureclicredentialX' });
    const d = await doctor(env);
    const s = await server(env);
    expectSameWinner(d, s, { credential: 'EnvironmentCredential', appId: CLIENT_ID });
  });

  it.skipIf(!HAS_AZ)('wrong secret + az signed in: the failing EnvironmentCredential is skipped, the CLI identity is used', async () => {
    const env = withCli({ AZURE_CLIENT_SECRET: 'wrong-secret-not-real' });
    const d = await doctor(env);
    const s = await server(env);
    expect(s.tokenRequests.some((e) => e.clientId === CLIENT_ID && e.aadsts === 7000215)).toBe(true);
    expectSameWinner(d, s, { credential: 'AzureCliCredential', appId: CLI_CLIENT_ID });
    // The doctor also names the failing credential and its Entra error.
    expect(d.has('entra.invalid-client-secret') || d.has('credential.failed', 'EnvironmentCredential'), describeFindings(d, 'info')).toBe(true);
  });

  it('wrong secret, EnvironmentCredential pinned: the server fails with AADSTS7000215, the doctor says why', async () => {
    const env = base({ ...spVars, AZURE_CLIENT_SECRET: 'wrong-secret-not-real', AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' });
    const d = await doctor(env);
    const s = await server(env);
    expect(s.ok).toBe(false);
    expect(s.status).toBe(401);
    expect(s.tokenRequests.map((e) => e.aadsts)).toEqual([7000215]);
    expect(s.raw.stdout).toMatch(/AADSTS7000215/);
    expect(d.predictsFailure).toBe(true);
    expect(d.has('entra.invalid-client-secret'), describeFindings(d)).toBe(true);
    expect(d.winner()).toBeUndefined();
  });
});
