// Proxies end to end: real tinyproxy, squid and mitmproxy in the simulated internet, the built CLI
// in the client namespace. Routes per consumer, CONNECT outcomes, TLS inspection, --export-ca,
// NO_PROXY entries the server ignores, and never a proxy password in the output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import { DEFAULT_PROXY_AUTH, startMitmproxy, startSquid, startTinyproxy, type MitmHandle, type ProxyHandle } from '../harness/proxies.js';
import { check, codes, find, netWorld, problems, type NetWorld } from './network-helpers.js';

interface World extends NetWorld {
  tp: ProxyHandle; // tinyproxy :3128, Basic auth, denies management.azure.com
  tpBlob: ProxyHandle; // tinyproxy :3131, open, denies *.blob.core.windows.net
  sq: ProxyHandle; // squid :3130, Basic auth
  mp: MitmHandle; // mitmproxy :8080, Zscaler-named inspection CA
}

const PASSWORD = DEFAULT_PROXY_AUTH.password;

describeE2e('network checks: proxies and TLS inspection', () => {
  const { net, ctx } = useSimNet({ prefix: 'azn' }, async (n): Promise<World> => {
    const world = await netWorld(n);
    const [tp, tpBlob, sq, mp] = await Promise.all([
      startTinyproxy(n, { port: 3128, deny: ['management.azure.com'] }),
      startTinyproxy(n, { port: 3131, auth: false, deny: ['blob.core.windows.net'] }),
      startSquid(n, { port: 3130 }),
      startMitmproxy(n, { port: 8080 }),
    ]);
    return { ...world, tp, tpBlob, sq, mp };
  });
  const doctor = (env: Record<string, string>, args: string[] = []) =>
    net().runDoctor(['--format', 'json', '--only', 'network', ...args], { env: { NODE_EXTRA_CA_CERTS: net().caPath, ...env } });
  const noSecret = (r: { stdout: string; stderr: string }) => {
    expect(r.stdout).not.toContain(PASSWORD);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.stdout).not.toContain(Buffer.from(`${DEFAULT_PROXY_AUTH.user}:${PASSWORD}`).toString('base64'));
  };

  it('proxy.auth-required: no credentials offered (tinyproxy 407)', async () => {
    const { tp } = ctx();
    const r = await doctor({ HTTPS_PROXY: tp.url });
    const f = find(check(r, 'network.endpoint.authority'), 'proxy.auth-required');
    expect(f.severity).toBe('error');
    expect(f.evidence).toMatchObject({ status: 407, credentialsOffered: false, authSchemes: 'Basic', proxyAddress: `${tp.ip}:3128`, symptom: 'no-credentials' });
    expect(r.code).toBe(1);
  });

  it('with credentials in lower-case https_proxy: tunnels through tinyproxy, which blocks ARM (proxy.blocked); the password never appears', async () => {
    const { tp } = ctx();
    tp.clearLog();
    const url = tp.urlWithAuth();
    // Lower case only: every stack of the server sends the credentials (facts §1.3).
    const r = await doctor({ https_proxy: url });
    noSecret(r);
    expect(codes(check(r, 'network.endpoint.authority')).filter((c) => !c.endsWith(':info'))).toEqual([]);
    const auth = check(r, 'network.endpoint.authority');
    expect(auth.details.paths[0]).toMatchObject({ route: `proxy http://***@${tp.ip}:3128`, proxyConnect: { status: 200 }, http: { status: 200 } });
    const b = find(check(r, 'network.endpoint.arm'), 'proxy.blocked');
    expect(b).toMatchObject({ severity: 'error', target: 'management.azure.com:443' });
    expect(b.evidence).toMatchObject({ status: 403, proxy: `http://***@${tp.ip}:3128` });
    expect(tp.connects()).toContain('login.microsoftonline.com:443');
  });

  it('squid rejects wrong credentials with 407: credentials were offered', async () => {
    const { sq } = ctx();
    const r = await doctor({ HTTPS_PROXY: sq.urlWithAuth(undefined, 'wrong-password') });
    // The token stack (authority) sends the URL's credentials; the ARM/data-plane client would not.
    const f = find(check(r, 'network.endpoint.authority'), 'proxy.auth-required');
    expect(f.evidence).toMatchObject({ status: 407, credentialsOffered: true, symptom: 'credentials-rejected' });
    expect(r.stdout).not.toContain('wrong-password');
  });

  it('proxy.upstream-failed: squid cannot resolve the account; the local NXDOMAIN is only information', async () => {
    const n = net();
    const { sq } = ctx();
    n.dns.setNxdomain('gone.blob.core.windows.net');
    try {
      // Lower case, so the server's data-plane client sends the credentials too (facts §1.3).
      const r = await doctor({ https_proxy: sq.urlWithAuth() }, ['--storage', 'gone']);
      noSecret(r);
      const c = check(r, 'network.endpoint.storage:gone');
      expect(codes(c)).toEqual(['dns.not-found:info', 'proxy.upstream-failed:error']);
      expect(find(c, 'proxy.upstream-failed').evidence).toMatchObject({ target: 'gone.blob.core.windows.net:443', symptom: 'proxy-upstream-error' });
      expect(Number(find(c, 'proxy.upstream-failed').evidence!.status)).toBeGreaterThanOrEqual(500);
    } finally {
      n.dns.remove('gone.blob.core.windows.net');
    }
  });

  it('proxy.unreachable and proxy.scheme-mismatch', async () => {
    const { tp } = ctx();
    const r = await doctor({ HTTPS_PROXY: `http://${DEFAULT_PROXY_AUTH.user}:${PASSWORD}@${tp.ip}:9` });
    noSecret(r);
    const u = find(check(r, 'network.endpoint.authority'), 'proxy.unreachable');
    expect(u.evidence).toMatchObject({ proxyAddress: `${tp.ip}:9`, phase: 'tcp', symptom: 'refused' });
    const r2 = await doctor({ HTTPS_PROXY: `https://${tp.ip}:3128` });
    const m = find(check(r2, 'network.endpoint.authority'), 'proxy.scheme-mismatch');
    expect(m.fix?.commands?.[0]).toBe(`export HTTPS_PROXY=http://${tp.ip}:3128`);
  });

  it('TLS inspection (mitmproxy, Zscaler-named CA): intercepted + untrusted root; --export-ca writes the inspection root', async () => {
    const n = net();
    const { mp } = ctx();
    const file = join(n.homeDir, 'exported-root.pem');
    const r = await doctor({ HTTPS_PROXY: mp.url }, ['--export-ca', file]);
    const auth = check(r, 'network.endpoint.authority');
    const i = find(auth, 'tls.intercepted');
    expect(i.severity).toBe('warning');
    expect(i.evidence).toMatchObject({ product: 'Zscaler', route: 'proxy' });
    expect(String(i.evidence!.issuer)).toMatch(/Zscaler/);
    expect(find(auth, 'tls.untrusted-root').severity).toBe('error');
    const ex = find(check(r, 'network.export-ca'), 'tls.ca-exported');
    expect(ex.evidence).toMatchObject({ intercepted: true, file });
    expect(readFileSync(file, 'utf8').trim()).toBe(readFileSync(mp.rootCaPath, 'utf8').trim());
  });

  it('TLS inspection trusted by every store is information only', async () => {
    const n = net();
    const { mp } = ctx();
    n.setOsTrust({ extra: [mp.rootCaPath] });
    try {
      const bundle = join(n.homeDir, 'node-extra.pem');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(bundle, readFileSync(n.caPath, 'utf8') + readFileSync(mp.rootCaPath, 'utf8'));
      const r = await doctor({ HTTPS_PROXY: mp.url, NODE_EXTRA_CA_CERTS: bundle });
      expect(problems(r)).toEqual([]);
      expect(codes(check(r, 'network.endpoint.arm'))).toEqual(['tls.intercepted:info']);
    } finally {
      n.setOsTrust({ extra: [] });
    }
  });

  it('per-route verdicts: NO_PROXY=.blob.core.windows.net sends the others direct, the server through a proxy that blocks it', async () => {
    const { tpBlob } = ctx();
    const r = await doctor({ HTTPS_PROXY: tpBlob.url, NO_PROXY: '.blob.core.windows.net' }, ['--storage', 'acct']);
    const cfg = check(r, 'network.proxy-config');
    const ign = cfg.findings.find((f) => f.code === 'proxy.bypass-ignored-by-server' && f.target === 'acct.blob.core.windows.net:443')!;
    expect(ign).toBeDefined();
    expect(ign.evidence).toMatchObject({ entry: '.blob.core.windows.net', suggestedEntry: '*.blob.core.windows.net' });
    const st = check(r, 'network.endpoint.storage:acct');
    expect(st.details.paths.map((p: { route: string; consumers: string[] }) => [p.route, p.consumers])).toEqual([
      [`proxy http://${tpBlob.ip}:3131`, ['server-http']],
      ['direct', ['node-undici']],
    ]);
    expect(find(st, 'proxy.blocked').evidence).toMatchObject({ consumers: 'server-http', status: 403 });
    // With the glob the server honours, every consumer goes direct and the check passes.
    const r2 = await doctor({ HTTPS_PROXY: tpBlob.url, NO_PROXY: '.blob.core.windows.net,*.blob.core.windows.net' }, ['--storage', 'acct']);
    expect(check(r2, 'network.endpoint.storage:acct').status).toBe('pass');
    expect(check(r2, 'network.proxy-config').findings.map((f) => f.code)).not.toContain('proxy.bypass-ignored-by-server');
  });

  it('upper/lower case disagreement: two consumers, two proxies', async () => {
    const { tp } = ctx();
    const r = await doctor({ HTTPS_PROXY: tp.urlWithAuth(), https_proxy: `http://${tp.ip}:9` });
    noSecret(r);
    expect(find(check(r, 'network.proxy-config'), 'proxy.env-conflict').severity).toBe('warning');
    // Token requests (Azure.Core, lower case wins) hit the dead proxy; ARM calls (server, upper case) reach tinyproxy.
    const auth = find(check(r, 'network.endpoint.authority'), 'proxy.unreachable');
    expect(auth.evidence).toMatchObject({ consumers: 'azure-core,azure-cli,node-undici' });
    const graph = check(r, 'network.endpoint.graph');
    const serverPath = graph.details.paths.find((p: { consumers: string[] }) => p.consumers.includes('server-http'));
    // The server's WebProxy drops the user info of the upper-case URL: tinyproxy answers 407 (facts §1.3).
    expect(serverPath).toMatchObject({ route: `proxy http://***@${tp.ip}:3128`, consumers: ['server-http'], proxyConnect: { status: 407, credentialsOffered: false } });
    expect(find(graph, 'proxy.auth-required').evidence).toMatchObject({ symptom: 'credentials-dropped-by-server' });
  });

  it('authenticating squid, credentials in upper-case HTTPS_PROXY: 407 predicted for ARM and storage, not for the token; lower case: none', async () => {
    const { sq } = ctx();
    sq.clearLog();
    const url = sq.urlWithAuth();
    const r = await doctor({ HTTPS_PROXY: url }, ['--storage', 'simacct']);
    noSecret(r);
    for (const id of ['network.endpoint.arm', 'network.endpoint.storage:simacct']) {
      const f = find(check(r, id), 'proxy.auth-required');
      expect(f.severity, id).toBe('error');
      expect(f.target, id).toBe(id.endsWith('arm') ? 'management.azure.com:443' : 'simacct.blob.core.windows.net:443');
      expect(f.evidence, id).toMatchObject({ symptom: 'credentials-dropped-by-server', credentialsOffered: false, consumers: 'server-http', status: 407 });
      expect(f.fix?.summary).toMatch(/lower-case https_proxy and unset the upper-case HTTPS_PROXY\/HTTP_PROXY\/ALL_PROXY/);
      expect(f.fix?.commands).toContain('unset HTTPS_PROXY HTTP_PROXY ALL_PROXY');
    }
    const auth = check(r, 'network.endpoint.authority');
    expect(auth.findings.map((f) => f.code)).not.toContain('proxy.auth-required');
    expect(auth.details.paths[0]).toMatchObject({ consumers: ['azure-core', 'azure-cli', 'node-undici'], proxyConnect: { status: 200 } });
    // What squid saw: the token host with the user name, ARM without (as the server sends it).
    const log = sq.log();
    expect(log.some((e) => e.host === 'login.microsoftonline.com' && e.status === 200 && e.user === DEFAULT_PROXY_AUTH.user)).toBe(true);
    expect(log.some((e) => e.host === 'management.azure.com' && e.status === 407 && !e.user)).toBe(true);
    expect(r.code).toBe(1);

    const r2 = await doctor({ https_proxy: url }, ['--storage', 'simacct']);
    noSecret(r2);
    const all = (r2.json.checks as Array<{ findings: Array<{ code: string }> }>).flatMap((c) => c.findings.map((f) => f.code));
    expect(all).not.toContain('proxy.auth-required');
    expect(check(r2, 'network.endpoint.arm').details.paths[0]).toMatchObject({ proxyConnect: { status: 200 } });
  });

  it('managed identity: the configured endpoint is probed direct; a proxy that would get IMDS requests is reported', async () => {
    const { tp, imds } = ctx();
    const r = await doctor({ HTTP_PROXY: tp.url }, ['--imds-endpoint', `http://${imds.names[0]}`]);
    const mi = check(r, 'network.endpoint.managed-identity');
    expect(mi.status).toBe('pass');
    expect(mi.details.paths[0]).toMatchObject({ route: 'direct', tcp: { address: imds.ip } });
    const cfg = check(r, 'network.proxy-config');
    const imdsF = cfg.findings.filter((f) => f.code === 'proxy.imds-not-bypassed');
    expect(imdsF.map((f) => [f.target, f.severity])).toEqual([
      ['169.254.169.254:80', 'warning'],
      [`${imds.names[0]}:80`, 'warning'],
    ]);
    // No request ever went to 169.254.169.254: only the configured endpoint was contacted.
    expect(r.stdout).not.toMatch(/"address":"169\.254\.169\.254"/);
  });

  it('proxy.missing-scheme and proxy.invalid-url', async () => {
    const { tp } = ctx();
    const r = await doctor({ HTTPS_PROXY: `${tp.ip}:3128`, ALL_PROXY: 'http://bad host:1' });
    const cfg = check(r, 'network.proxy-config');
    expect(codes(cfg)).toEqual(expect.arrayContaining(['proxy.missing-scheme:warning', 'proxy.invalid-url:error']));
    // A host name without scheme: .NET's Uri reads "proxy.corp" as the scheme, so every server ARM call fails.
    const r2 = await doctor({ HTTPS_PROXY: 'proxy.corp:8080' });
    const f = find(check(r2, 'network.endpoint.arm'), 'proxy.invalid-url');
    expect(f).toMatchObject({ severity: 'error', target: 'management.azure.com:443' });
    expect(f.evidence).toMatchObject({ consumers: 'server-http', variable: 'HTTPS_PROXY', symptom: 'unusable-proxy-url' });
  });
});
