// Oracle tests, network: the doctor and the real Azure MCP Server 2.0.5 run with the same environment
// in the same simulated internet; the doctor's predicted route per host (for the consumer that carries
// the server's request: 'azure-core' for the token, 'server-http' for ARM and data plane) must be the
// route the proxy logs show, and the doctor's verdict (error findings or not) must match whether the
// server succeeded. Facts and evidence: docs/server-behaviour-2.0.5.md §1, §2.
import { expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import { startAzure, TENANT_ID, CLIENT_ID, CLIENT_SECRET, type AzureWorld } from '../harness/azure-sim.js';
import { startMitmproxy, startSquid, startTinyproxy, type MitmHandle, type ProxyHandle } from '../harness/proxies.js';
import {
  ARM_HOST,
  AUTHORITY_HOST,
  STORAGE_HOST,
  describeFindings,
  prepareOracleWorld,
  proxyKey,
  routeTable,
  runDoctorJson,
  runServer,
  type DoctorView,
  type ServerCommand,
  type ServerRun,
} from './helpers/oracle.js';

interface Ctx {
  world: AzureWorld;
  /** open tinyproxy :3128 */
  t: ProxyHandle;
  /** open tinyproxy :3130 */
  t2: ProxyHandle;
  /** squid :3129 with basic auth */
  sq: ProxyHandle;
  mitm: MitmHandle;
  all: ProxyHandle[];
}

/** Nothing listens there: connection refused. */
const REFUSED_PROXY = 'http://198.51.100.3:3999';

describeE2e('oracle: network (doctor vs Azure MCP Server 2.0.5)', () => {
  const { net, ctx } = useSimNet({}, async (n): Promise<Ctx> => {
    const world = await startAzure(n);
    await prepareOracleWorld(n, world);
    const [t, t2, sq, mitm] = await Promise.all([
      startTinyproxy(n, { port: 3128, auth: false }),
      startTinyproxy(n, { port: 3130, auth: false }),
      startSquid(n, { port: 3129 }),
      startMitmproxy(n),
    ]);
    return { world, t: t!, t2: t2!, sq: sq!, mitm: mitm!, all: [t!, t2!, sq!, mitm!] };
  });

  /** Service principal pinned (no device code, no browser), plus the doctor's own Node trust. */
  const sp = (extra: Record<string, string> = {}): Record<string, string> => ({
    AZURE_TENANT_ID: TENANT_ID,
    AZURE_CLIENT_ID: CLIENT_ID,
    AZURE_CLIENT_SECRET: CLIENT_SECRET,
    AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential',
    NODE_EXTRA_CA_CERTS: net().caPath,
    ...extra,
  });

  const doctor = (env: Record<string, string>) => runDoctorJson(net(), env, ['--launched-by', 'cli', '--storage', 'simacct']);
  const server = (cmd: ServerCommand, env: Record<string, string>, fastFail = false) =>
    runServer(net(), ctx().world, ctx().all, cmd, env, { fastFail });

  /** The doctor's route for every host the server actually tried equals the route the logs show. */
  function expectRoutesMatch(d: DoctorView, s: ServerRun): void {
    const { predicted, observed } = routeTable(d, s);
    for (const h of s.hosts) {
      if (observed[h] !== 'none') continue;
      delete predicted[h];
      delete observed[h];
    }
    expect(predicted, `doctor's predicted routes vs proxy logs (${s.cmd})`).toEqual(observed);
  }

  function expectVerdictMatches(d: DoctorView, runs: ServerRun[]): void {
    const serverOk = runs.every((r) => r.ok);
    const what = runs.map((r) => `${r.cmd}: status ${r.status} ${r.message.slice(0, 200)}`).join('\n');
    expect(d.predictsFailure, `doctor predicts ${d.predictsFailure ? 'failure' : 'success'}; server:\n${what}\ndoctor:\n${describeFindings(d)}`).toBe(!serverOk);
  }

  it('HTTPS_PROXY and https_proxy disagree: token via the lower-case proxy, ARM and blob via the upper-case one', async () => {
    const { t, t2 } = ctx();
    const env = sp({ HTTPS_PROXY: t.url, https_proxy: t2.url });
    const d = await doctor(env);
    const arm = await server('arm', env);
    const blob = await server('blob', env);
    expect(arm.ok && blob.ok, arm.message + blob.message).toBe(true);
    expect(arm.route(AUTHORITY_HOST)).toBe(proxyKey(t2));
    expect(arm.route(ARM_HOST)).toBe(proxyKey(t));
    expect(blob.route(STORAGE_HOST)).toBe(proxyKey(t));
    expectRoutesMatch(d, arm);
    expectRoutesMatch(d, blob);
    expectVerdictMatches(d, [arm, blob]);
    expect(d.has('proxy.env-conflict')).toBe(true);
  });

  it('ALL_PROXY and HTTPS_PROXY: the token stack prefers HTTPS_PROXY, the server ALL_PROXY', async () => {
    const { t, t2 } = ctx();
    const env = sp({ ALL_PROXY: t2.url, HTTPS_PROXY: t.url });
    const d = await doctor(env);
    const arm = await server('arm', env);
    expect(arm.ok, arm.message).toBe(true);
    expect(arm.route(AUTHORITY_HOST)).toBe(proxyKey(t));
    expect(arm.route(ARM_HOST)).toBe(proxyKey(t2));
    expectRoutesMatch(d, arm);
    expectVerdictMatches(d, [arm]);
  });

  it('HTTP_PROXY only: token direct, ARM through the proxy', async () => {
    const { t } = ctx();
    const env = sp({ HTTP_PROXY: t.url });
    const d = await doctor(env);
    const arm = await server('arm', env);
    expect(arm.ok, arm.message).toBe(true);
    expect(arm.route(AUTHORITY_HOST)).toBe('direct');
    expect(arm.route(ARM_HOST)).toBe(proxyKey(t));
    expectRoutesMatch(d, arm);
    expectVerdictMatches(d, [arm]);
  });

  it('NO_PROXY with plain hosts and a glob: the token stack honours the host, the server only the glob', async () => {
    const { t } = ctx();
    const env = sp({ HTTPS_PROXY: t.url, NO_PROXY: `${AUTHORITY_HOST},${ARM_HOST},*.blob.core.windows.net` });
    const d = await doctor(env);
    const arm = await server('arm', env);
    const blob = await server('blob', env);
    expect(arm.ok && blob.ok).toBe(true);
    expect(arm.route(AUTHORITY_HOST)).toBe('direct');
    expect(arm.route(ARM_HOST)).toBe(proxyKey(t)); // microsoft/mcp#3338
    expect(blob.route(STORAGE_HOST)).toBe('direct');
    expectRoutesMatch(d, arm);
    expectRoutesMatch(d, blob);
    expectVerdictMatches(d, [arm, blob]);
    expect(d.has('proxy.bypass-ignored-by-server', ARM_HOST), describeFindings(d)).toBe(true);
  });

  it('lower-case https_proxy and no_proxy only: both stacks use .NET rules (exact host and .suffix, no globs)', async () => {
    const { t } = ctx();
    const env = sp({ https_proxy: t.url, no_proxy: `${ARM_HOST},*.blob.core.windows.net` });
    const d = await doctor(env);
    const arm = await server('arm', env);
    const blob = await server('blob', env);
    expect(arm.ok && blob.ok).toBe(true);
    expect(arm.route(AUTHORITY_HOST)).toBe(proxyKey(t));
    expect(arm.route(ARM_HOST)).toBe('direct');
    expect(blob.route(STORAGE_HOST)).toBe(proxyKey(t));
    expectRoutesMatch(d, arm);
    expectRoutesMatch(d, blob);
    expectVerdictMatches(d, [arm, blob]);
  });

  it('upper-case HTTPS_PROXY with lower-case no_proxy: only the token stack reads no_proxy', async () => {
    const { t } = ctx();
    const env = sp({ HTTPS_PROXY: t.url, no_proxy: `${AUTHORITY_HOST},*.azure.com` });
    const d = await doctor(env);
    const arm = await server('arm', env);
    expect(arm.ok).toBe(true);
    expect(arm.route(AUTHORITY_HOST)).toBe('direct');
    expect(arm.route(ARM_HOST)).toBe(proxyKey(t));
    expectRoutesMatch(d, arm);
    expectVerdictMatches(d, [arm]);
  });

  it('authenticating proxy, credentials in upper-case HTTPS_PROXY: the server never sends them for ARM (407)', async () => {
    const { sq } = ctx();
    const env = sp({ HTTPS_PROXY: sq.urlWithAuth() });
    const d = await doctor(env);
    const arm = await server('arm', env, true);
    // Server: token through the proxy with credentials, ARM CONNECT answered 407 without a user name.
    expect(arm.ok).toBe(false);
    const sqLog = arm.proxyLogs[proxyKey(sq)]!;
    expect(sqLog.some((e) => e.host === AUTHORITY_HOST && e.status === 200 && e.user === sq.auth!.user)).toBe(true);
    expect(sqLog.filter((e) => e.host === ARM_HOST).every((e) => e.status === 407 && !e.user)).toBe(true);
    expect(arm.tokenRequests.map((e) => e.status)).toEqual([200]);
    expectRoutesMatch(d, arm);
    // Doctor: must predict the failure on the ARM host (awaits: server-http ignores proxy user-info).
    expectVerdictMatches(d, [arm]);
    expect(d.errors.some((f) => (f.target ?? '').includes(ARM_HOST)), describeFindings(d)).toBe(true);
  });

  it('authenticating proxy, credentials in lower-case https_proxy only: both stacks authenticate', async () => {
    const { sq } = ctx();
    const env = sp({ https_proxy: sq.urlWithAuth() });
    const d = await doctor(env);
    const arm = await server('arm', env);
    expect(arm.ok, arm.message).toBe(true);
    expect(arm.proxyLogs[proxyKey(sq)]!.some((e) => e.host === ARM_HOST && e.status === 200 && e.user === sq.auth!.user)).toBe(true);
    expectRoutesMatch(d, arm);
    expectVerdictMatches(d, [arm]);
  });

  it('HTTPS_PROXY=host:port without http://: the token works, every ARM request fails at once', async () => {
    const n = net();
    n.dns.setA('proxy.sim.test', n.proxyIp);
    try {
      const env = sp({ HTTPS_PROXY: `proxy.sim.test:${ctx().t.port}` });
      const d = await doctor(env);
      const arm = await server('arm', env, true);
      expect(arm.ok).toBe(false);
      expect(arm.message).toMatch(/schemes are allowed for proxies/);
      expect(arm.route(AUTHORITY_HOST)).toBe(proxyKey(ctx().t));
      expect(arm.route(ARM_HOST)).toBe('none');
      expectVerdictMatches(d, [arm]);
      expect(d.has('proxy.invalid-url'), describeFindings(d)).toBe(true);
      expect(d.winner()?.credential, describeFindings(d)).toBe('EnvironmentCredential');
    } finally {
      n.dns.remove('proxy.sim.test');
    }
  });

  it('proxy refused, HTTP_PROXY only: the token still works (direct), ARM fails', async () => {
    const env = sp({ HTTP_PROXY: REFUSED_PROXY });
    const d = await doctor(env);
    const arm = await server('arm', env, true);
    expect(arm.ok).toBe(false);
    expect(arm.tokenRequests.map((e) => e.status)).toEqual([200]);
    expect(arm.message).toMatch(/Connection refused \(198\.51\.100\.3:3999\)/);
    expect(d.route(AUTHORITY_HOST, 'azure-core')).toBe('direct');
    expect(d.route(ARM_HOST, 'server-http')).toBe('198.51.100.3:3999');
    expectVerdictMatches(d, [arm]);
    expect(d.has('proxy.unreachable'), describeFindings(d)).toBe(true);
    // The server got its token: the doctor must not say the credential failed (awaits: credential
    // probes must route token requests like the 'azure-core' consumer, not like the Node SDK).
    expect(d.winner()?.credential, describeFindings(d)).toBe('EnvironmentCredential');
  });

  it('proxy refused, HTTPS_PROXY: the token request fails after its retries', async () => {
    const env = sp({ HTTPS_PROXY: REFUSED_PROXY });
    const d = await doctor(env);
    const arm = await server('arm', env);
    expect(arm.ok).toBe(false);
    expect(arm.status).toBe(401);
    expect(arm.sim).toEqual([]);
    expect(arm.message).toMatch(/Connection refused \(198\.51\.100\.3:3999\)/);
    expect(d.route(AUTHORITY_HOST, 'azure-core')).toBe('198.51.100.3:3999');
    expectVerdictMatches(d, [arm]);
    expect(d.errors.some((f) => f.code === 'proxy.unreachable' || f.code === 'chain.none-succeeded'), describeFindings(d)).toBe(true);
  });

  it('managed identity: the http:// identity endpoint goes through HTTP_PROXY (407 from an authenticating proxy)', async () => {
    const { sq, world } = ctx();
    const mi = { ...world.imdsEnv, AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential', NODE_EXTRA_CA_CERTS: net().caPath };
    // Open proxy: the server's IMDS GETs are proxied and work.
    const open = { ...mi, HTTP_PROXY: ctx().t.url };
    const s1 = await server('arm', open, true);
    expect(s1.ok, s1.message).toBe(true);
    expect(s1.proxyLogs[proxyKey(ctx().t)]!.some((e) => e.host === 'imds.sim.test' && e.method === 'GET')).toBe(true);
    // Authenticating proxy without credentials: the IMDS request gets 407, the credential fails.
    const env = { ...mi, HTTP_PROXY: sq.url };
    const d = await doctor(env);
    const s2 = await server('arm', env, true);
    expect(s2.ok).toBe(false);
    expect(s2.proxyLogs[proxyKey(sq)]!.some((e) => e.host === 'imds.sim.test' && e.status === 407)).toBe(true);
    expect(s2.message).toMatch(/ManagedIdentityCredential/);
    expectVerdictMatches(d, [s2]);
    expect(d.has('proxy.imds-not-bypassed', 'imds.sim.test'), describeFindings(d)).toBe(true);
    // awaits: the managed-identity probe must route like the server (http rules of the .NET default proxy).
    expect(d.winner(), describeFindings(d, 'info')).toBeUndefined();
  });

  it('hosts the server never uses (login.windows.net, graph.microsoft.com) do not resolve: the server does not care', async () => {
    const n = net();
    const snap = n.dns.snapshot();
    n.dns.setNxdomain('login.windows.net').setNxdomain('graph.microsoft.com');
    try {
      const env = sp();
      const d = await doctor(env);
      const arm = await server('arm', env);
      const blob = await server('blob', env);
      expect(arm.ok && blob.ok, arm.message + blob.message).toBe(true);
      expect(arm.sim.concat(blob.sim).some((e) => e.host === 'login.windows.net' || e.host === 'graph.microsoft.com')).toBe(false);
      // awaits: errors for hosts the server does not contact must not fail the report.
      expectVerdictMatches(d, [arm, blob]);
    } finally {
      n.dns.restore(snap);
      await n.dns.apply();
    }
  });

  it('TLS: test CA only in NODE_EXTRA_CA_CERTS, not in the OS store: the server does not trust it', async () => {
    const n = net();
    n.setOsTrust({ testCa: false });
    try {
      const env = sp();
      const d = await doctor(env);
      const arm = await server('arm', env);
      expect(arm.ok).toBe(false);
      expect(arm.sim).toEqual([]);
      expect(arm.raw.stdout).toMatch(/certificate chain: PartialChain/);
      expectVerdictMatches(d, [arm]);
      expect(
        d.errors.some((f) => /^tls\./.test(f.code) && (f.target ?? '').includes(AUTHORITY_HOST)),
        describeFindings(d),
      ).toBe(true);
    } finally {
      n.setOsTrust({ testCa: true });
    }
  });

  it('TLS: SSL_CERT_FILE pointing at a bundle with the test CA is enough for the server', async () => {
    const n = net();
    n.setOsTrust({ testCa: false });
    try {
      const env = sp({ SSL_CERT_FILE: n.bundlePath });
      const d = await doctor(env);
      const arm = await server('arm', env);
      expect(arm.ok, arm.message).toBe(true);
      expectVerdictMatches(d, [arm]);
    } finally {
      n.setOsTrust({ testCa: true });
    }
  });

  it('TLS interception: inspection root not in the OS store: the server fails (UntrustedRoot)', async () => {
    const { mitm } = ctx();
    const env = sp({ HTTPS_PROXY: mitm.url });
    const d = await doctor(env);
    const arm = await server('arm', env);
    expect(arm.ok).toBe(false);
    expect(arm.raw.stdout).toMatch(/certificate chain: UntrustedRoot/);
    expect(arm.route(AUTHORITY_HOST)).toBe(proxyKey(mitm));
    expectRoutesMatch(d, arm);
    expectVerdictMatches(d, [arm]);
    expect(d.has('tls.untrusted-root', AUTHORITY_HOST) || d.has('tls.intercepted', AUTHORITY_HOST), describeFindings(d)).toBe(true);
  });

  it('TLS interception: inspection root in the OS store: the server works', async () => {
    const { mitm } = ctx();
    const n = net();
    n.setOsTrust({ extra: [mitm.rootCaPath] });
    try {
      const env = sp({ HTTPS_PROXY: mitm.url });
      const d = await doctor(env);
      const arm = await server('arm', env);
      expect(arm.ok, arm.message).toBe(true);
      expect(arm.route(ARM_HOST)).toBe(proxyKey(mitm));
      expectRoutesMatch(d, arm);
      // awaits: the credential probe must use the OS store through a proxy too.
      expectVerdictMatches(d, [arm]);
      expect(d.winner()?.credential, describeFindings(d)).toBe('EnvironmentCredential');
    } finally {
      n.setOsTrust({ extra: [] });
    }
  });
});
