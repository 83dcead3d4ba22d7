// Probes and the per-endpoint pipeline against loopback servers started in-process. Azure host
// names are mapped to 127.0.0.1 by an injected resolver: no query leaves the machine.
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint } from '../../src/core/endpoints.js';
import type { Finding } from '../../src/core/model.js';
import { endpointDetails } from '../../src/network/details.js';
import { endpointFindings } from '../../src/network/findings.js';
import { budgetFor, diagnoseEndpoint, type EndpointProbeDeps } from '../../src/probes/endpoint.js';
import { proxyConnect } from '../../src/probes/proxy.js';
import { tcpConnect } from '../../src/probes/tcp.js';
import { tlsHandshake } from '../../src/probes/tls.js';
import type { TrustStore } from '../../src/probes/trust-stores.js';
import {
  closedPort,
  connectProxy,
  makePki,
  plainHttpServer,
  resettingServer,
  silentServer,
  store,
  tlsServer,
  type Pki,
  type Running,
} from './network-fixtures.js';

const SECRET = 'Pr0xy-S3cret';
let pki: Pki;
const running: Running[] = [];
const keep = <T extends Running>(r: T): T => {
  running.push(r);
  return r;
};
beforeAll(() => {
  pki = makePki();
}, 60_000);
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});
afterAll(() => pki?.cleanup());

function ep(host: string, port: number, role: Endpoint['role'] = 'authority'): Endpoint {
  return { id: role, role, label: role, host, port, url: `https://${host}:${port}`, scheme: 'https' };
}

const loopback = async () => ({ os: { addresses: ['127.0.0.1'], ms: 1 }, direct: { servers: ['127.0.0.1:53'], addresses: ['127.0.0.1'], cname: [], ms: 1 } });
const nxdomain = async () => ({ os: { addresses: [], ms: 1, error: 'ENOTFOUND' }, direct: { servers: ['127.0.0.1:53'], addresses: [], cname: [], ms: 1, error: 'ENOTFOUND' } });

function deps(stores: TrustStore[], extra: Partial<EndpointProbeDeps> = {}): EndpointProbeDeps {
  return { env: {}, platform: 'linux', budget: budgetFor(20_000), stores: async () => stores, resolve: loopback, ...extra };
}
const allTrust = () => [store('os', [pki.testRoot.x509]), store('node', [pki.testRoot.x509]), store('azure-cli', [pki.testRoot.x509])];
const codes = (fs: Finding[]) => fs.map((f) => `${f.code}:${f.severity}`).sort();

describe('tcp / tls / proxy probes', () => {
  it('tcp.refused on a closed port', async () => {
    const r = await tcpConnect('127.0.0.1', await closedPort(), { timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: false, error: 'ECONNREFUSED', symptom: 'refused' });
  });

  it('a reset after the ClientHello is a reset; silence is a handshake timeout', async () => {
    const rs = keep(await resettingServer());
    const s1 = connect(rs.port, '127.0.0.1');
    const r1 = await tlsHandshake({ socket: s1, host: 'login.microsoftonline.com', timeoutMs: 2000 });
    expect(r1).toMatchObject({ ok: false, failure: 'reset' });
    const ss = keep(await silentServer());
    const s2 = connect(ss.port, '127.0.0.1');
    const t = Date.now();
    const r2 = await tlsHandshake({ socket: s2, host: 'x.test', timeoutMs: 300 });
    expect(r2).toMatchObject({ ok: false, failure: 'timeout' });
    expect(Date.now() - t).toBeLessThan(1500);
  });

  it('collects the presented chain leaf first', async () => {
    const srv = keep(await tlsServer([pki.leaf, pki.testInter]));
    const r = await tlsHandshake({ socket: connect(srv.port, '127.0.0.1'), host: 'login.microsoftonline.com', timeoutMs: 2000 });
    expect(r.ok).toBe(true);
    expect(r.chain[0]!.fingerprint256).toBe(pki.leaf.x509.fingerprint256);
    expect(r.chain[1]!.fingerprint256).toBe(pki.testInter.x509.fingerprint256);
    r.socket?.destroy();
  });

  it('CONNECT: 407 with schemes, credentials as Basic, 200 tunnel', async () => {
    const target = keep(await tlsServer([pki.leaf, pki.testInter]));
    const seen: Array<{ target: string; authorization?: string }> = [];
    const good = `Basic ${Buffer.from(`alice:${SECRET}`).toString('base64')}`;
    const proxy = keep(
      await connectProxy({
        seen,
        tunnelTo: target.port,
        decide: (_t, auth) => (auth === good ? { status: 200 } : { status: 407, headers: { 'Proxy-Authenticate': ['Basic realm="corp"', 'Negotiate'] } }),
      }),
    );
    const no = await proxyConnect({ scheme: 'http', host: '127.0.0.1', port: proxy.port }, { host: 'login.microsoftonline.com', port: 443 }, { timeoutMs: 2000 });
    expect(no).toMatchObject({ ok: false, phase: 'connect', status: 407, credentialsOffered: false, authSchemes: ['Basic', 'Negotiate'] });
    const yes = await proxyConnect({ scheme: 'http', host: '127.0.0.1', port: proxy.port, authorization: good }, { host: 'login.microsoftonline.com', port: 443 }, { timeoutMs: 2000 });
    expect(yes).toMatchObject({ ok: true, status: 200, credentialsOffered: true });
    expect(seen.map((s) => s.target)).toEqual(['login.microsoftonline.com:443', 'login.microsoftonline.com:443']);
    const tls = await tlsHandshake({ socket: yes.socket!, host: 'login.microsoftonline.com', timeoutMs: 2000 });
    expect(tls.ok).toBe(true);
    tls.socket?.destroy();
  });

  it('https:// aimed at a plain proxy is recognised', async () => {
    const plain = keep(await plainHttpServer());
    const r = await proxyConnect({ scheme: 'https', host: '127.0.0.1', port: plain.port }, { host: 'x.test', port: 443 }, { timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: false, phase: 'tls', plaintextProxy: true });
  });
});

describe('diagnoseEndpoint -> findings', () => {
  it('healthy non-Microsoft endpoint: no findings, details filled', async () => {
    const srv = keep(await tlsServer([pki.leaf, pki.testInter]));
    const { diagnosis } = await diagnoseEndpoint(ep('localhost', srv.port, 'resource'), deps(allTrust()));
    expect(endpointFindings(diagnosis)).toEqual([]);
    const d = endpointDetails(diagnosis) as { paths: Array<Record<string, unknown>> };
    expect(d.paths[0]).toMatchObject({ route: 'direct', http: { status: 200 } });
    expect(JSON.stringify(d)).toContain('trusted (CN=Test Root CA');
  });

  it('a CA trusted only by Node shows up as tls.trust-store-differs (error: the server rejects it)', async () => {
    const srv = keep(await tlsServer([pki.leaf, pki.testInter]));
    const stores = [store('os', []), store('node', [pki.testRoot.x509]), store('azure-cli', [])];
    const { diagnosis } = await diagnoseEndpoint(ep('localhost', srv.port), deps(stores));
    const f = endpointFindings(diagnosis);
    expect(codes(f)).toEqual(['tls.trust-store-differs:error']);
    expect(f[0]!.evidence).toMatchObject({ trustedBy: 'node', rejectedBy: 'os,azure-cli', target: `localhost:${srv.port}` });
    expect(f[0]!.fix?.commands?.join('\n')).toMatch(/update-ca-certificates/);
  });

  it('trusted by the OS but not the Azure CLI bundle: a warning', async () => {
    const srv = keep(await tlsServer([pki.leaf, pki.testInter]));
    const stores = [store('os', [pki.testRoot.x509]), store('node', [pki.testRoot.x509]), store('azure-cli', [])];
    const { diagnosis } = await diagnoseEndpoint(ep('localhost', srv.port), deps(stores));
    const f = endpointFindings(diagnosis);
    expect(codes(f)).toEqual(['tls.trust-store-differs:warning']);
    expect(f[0]!.fix?.commands?.join('\n')).toMatch(/REQUESTS_CA_BUNDLE/);
  });

  it('Zscaler interception on login.microsoftonline.com: intercepted + untrusted root', async () => {
    const srv = keep(await tlsServer([pki.zscalerLeaf, pki.zscalerRoot]));
    const { diagnosis } = await diagnoseEndpoint(ep('login.microsoftonline.com', srv.port), deps(allTrust()));
    const f = endpointFindings(diagnosis);
    expect(codes(f)).toEqual(['tls.intercepted:warning', 'tls.untrusted-root:error']);
    const i = f.find((x) => x.code === 'tls.intercepted')!;
    expect(i.evidence).toMatchObject({ product: 'Zscaler' });
    expect(String(i.evidence?.issuer)).toContain('Zscaler Root CA');
  });

  it('interception every store trusts is information', async () => {
    const srv = keep(await tlsServer([pki.zscalerLeaf, pki.zscalerRoot]));
    const z = [pki.zscalerRoot.x509];
    const { diagnosis } = await diagnoseEndpoint(ep('login.microsoftonline.com', srv.port), deps([store('os', z), store('node', z), store('azure-cli', z)]));
    expect(codes(endpointFindings(diagnosis))).toEqual(['tls.intercepted:info']);
  });

  it('an unreadable OS store never turns into a server error', async () => {
    const srv = keep(await tlsServer([pki.zscalerLeaf, pki.zscalerRoot]));
    const { diagnosis } = await diagnoseEndpoint(ep('localhost', srv.port), deps([store('os', [], false), store('node', [])]));
    expect(codes(endpointFindings(diagnosis))).toEqual(['tls.intercepted:warning', 'tls.untrusted-root:warning']);
  });

  it.each([
    ['expiredLeaf', 'tls.expired:error'],
    ['futureLeaf', 'tls.not-yet-valid:error'],
    ['wrongHostLeaf', 'tls.hostname-mismatch:error'],
  ] as const)('%s -> %s', async (leaf, code) => {
    const srv = keep(await tlsServer([pki[leaf], pki.testRoot]));
    const { diagnosis } = await diagnoseEndpoint(ep('localhost', srv.port), deps(allTrust()));
    expect(codes(endpointFindings(diagnosis))).toEqual([code]);
  });

  it('tcp.refused with target and symptom in evidence', async () => {
    const port = await closedPort();
    const { diagnosis } = await diagnoseEndpoint(ep('login.microsoftonline.com', port), deps(allTrust()));
    const f = endpointFindings(diagnosis);
    expect(codes(f)).toEqual(['tcp.refused:error']);
    expect(f[0]!.evidence).toMatchObject({ target: `login.microsoftonline.com:${port}`, address: '127.0.0.1', symptom: 'refused', route: 'direct' });
  });

  it('reset during the TLS handshake -> tcp.reset; a stalled handshake -> tls.handshake-failed', async () => {
    const rs = keep(await resettingServer());
    const a = await diagnoseEndpoint(ep('login.microsoftonline.com', rs.port), deps(allTrust()));
    expect(codes(endpointFindings(a.diagnosis))).toEqual(['tcp.reset:error']);
    const ss = keep(await silentServer());
    const t = Date.now();
    const b = await diagnoseEndpoint(ep('login.microsoftonline.com', ss.port), deps(allTrust(), { budget: budgetFor(3000) }));
    expect(codes(endpointFindings(b.diagnosis))).toEqual(['tls.handshake-failed:error']);
    expect(Date.now() - t).toBeLessThan(2500);
  });

  it('http: the authority must serve its discovery document; ARM must answer 401', async () => {
    const bad = keep(await tlsServer([pki.leaf, pki.testInter], { status: 404, contentType: 'text/html', body: '<html>portal</html>' }));
    const a = await diagnoseEndpoint(ep('localhost', bad.port), deps(allTrust()));
    const f = endpointFindings(a.diagnosis);
    expect(codes(f)).toEqual(['http.unexpected-response:warning']);
    expect(f[0]!.evidence).toMatchObject({ status: 404, path: '/organizations/v2.0/.well-known/openid-configuration' });
    const arm = keep(await tlsServer([pki.leaf, pki.testInter], { status: 401, body: '{"error":{"code":"AuthenticationFailed"}}' }));
    const b = await diagnoseEndpoint(ep('localhost', arm.port, 'arm'), deps(allTrust()));
    expect(endpointFindings(b.diagnosis)).toEqual([]);
    expect(b.diagnosis.paths[0]!.http).toMatchObject({ status: 401, path: '/subscriptions?api-version=2022-12-01' });
  });

  it('never contacts 169.254.169.254', async () => {
    let resolved = false;
    const { diagnosis } = await diagnoseEndpoint(
      { id: 'managed-identity', role: 'managed-identity', label: 'mi', host: '169.254.169.254', port: 80, url: 'http://169.254.169.254', scheme: 'http' },
      deps(allTrust(), { resolve: async () => ((resolved = true), loopback()) }),
    );
    expect(resolved).toBe(false);
    expect(diagnosis.paths[0]!.skipped).toMatch(/never probed/);
    expect(endpointFindings(diagnosis)).toEqual([]);
  });

  it('dns.not-found is an error on a direct route', async () => {
    const { diagnosis } = await diagnoseEndpoint(ep('login.microsoftonline.com', 443), deps(allTrust(), { resolve: nxdomain }));
    const f = endpointFindings(diagnosis);
    expect(codes(f)).toEqual(['dns.not-found:error']);
    expect(diagnosis.paths[0]!.skipped).toMatch(/does not resolve/);
  });

  describe('through a proxy', () => {
    async function setup(decide: Parameters<typeof connectProxy>[0]['decide']) {
      const target = keep(await tlsServer([pki.leaf, pki.testInter]));
      const proxy = keep(await connectProxy({ decide, tunnelTo: target.port }));
      return { target, proxy };
    }
    const good = `Basic ${Buffer.from(`alice:${SECRET}`).toString('base64')}`;

    it('works with the right credentials; local DNS failure is only information', async () => {
      const { target, proxy } = await setup((_t, a) => (a === good ? { status: 200 } : { status: 407, headers: { 'Proxy-Authenticate': 'Basic realm="x"' } }));
      const env = { HTTPS_PROXY: `http://alice:${SECRET}@127.0.0.1:${proxy.port}`, https_proxy: `http://alice:${SECRET}@127.0.0.1:${proxy.port}` };
      const { diagnosis } = await diagnoseEndpoint(ep('localhost', target.port), deps(allTrust(), { env, resolve: nxdomain }));
      const f = endpointFindings(diagnosis);
      expect(codes(f)).toEqual(['dns.not-found:info']);
      const proxied = diagnosis.paths.find((p) => p.via === 'proxy')!;
      expect(proxied.proxyConnect).toMatchObject({ ok: true, status: 200, credentialsOffered: true });
      expect(proxied.http?.status).toBe(200);
      const text = JSON.stringify({ f, d: endpointDetails(diagnosis), diagnosis });
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(Buffer.from(`alice:${SECRET}`).toString('base64'));
    });

    it('proxy.auth-required: no credentials offered vs rejected', async () => {
      const { target, proxy } = await setup(() => ({ status: 407, headers: { 'Proxy-Authenticate': ['Negotiate', 'NTLM'] } }));
      const none = await diagnoseEndpoint(ep('localhost', target.port), deps(allTrust(), { env: { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` } }));
      const f1 = endpointFindings(none.diagnosis);
      expect(codes(f1)).toEqual(['proxy.auth-required:error']);
      expect(f1[0]!.evidence).toMatchObject({ credentialsOffered: false, authSchemes: 'Negotiate, NTLM', symptom: 'no-credentials' });
      expect(f1[0]!.message).toMatch(/integrated Windows authentication/);
      const wrong = await diagnoseEndpoint(
        ep('localhost', target.port),
        deps(allTrust(), { env: { HTTPS_PROXY: `http://alice:${SECRET}@127.0.0.1:${proxy.port}` } }),
      );
      const f2 = endpointFindings(wrong.diagnosis);
      expect(f2[0]!.evidence).toMatchObject({ credentialsOffered: true, symptom: 'credentials-rejected' });
      expect(JSON.stringify(f2)).not.toContain(SECRET);
    });

    it('upper-case proxy URL with credentials: the server path CONNECTs without them (407), the token path with them', async () => {
      const seen: Array<{ target: string; authorization?: string }> = [];
      const target = keep(await tlsServer([pki.leaf, pki.testInter]));
      const proxy = keep(
        await connectProxy({ decide: (_t, a) => (a === good ? { status: 200 } : { status: 407, headers: { 'Proxy-Authenticate': 'Basic realm="x"' } }), tunnelTo: target.port, seen }),
      );
      const env = { HTTPS_PROXY: `http://alice:${SECRET}@127.0.0.1:${proxy.port}` };
      const arm = await diagnoseEndpoint(ep('localhost', target.port, 'arm'), deps(allTrust(), { env }));
      const serverPath = arm.diagnosis.paths.find((p) => p.consumers.includes('server-http'))!;
      expect(serverPath.consumers).toEqual(['server-http']);
      expect(serverPath.proxyConnect).toMatchObject({ ok: false, status: 407, credentialsOffered: false });
      expect(serverPath.credentialsDroppedBy).toEqual([{ consumer: 'server-http', variable: 'HTTPS_PROXY' }]);
      const cliPath = arm.diagnosis.paths.find((p) => p.consumers.includes('azure-cli'))!;
      expect(cliPath.proxyConnect).toMatchObject({ ok: true, status: 200, credentialsOffered: true });
      const f = endpointFindings(arm.diagnosis, { platform: 'linux' });
      expect(codes(f)).toEqual(['proxy.auth-required:error']);
      expect(f[0]!.evidence).toMatchObject({ symptom: 'credentials-dropped-by-server', consumers: 'server-http' });
      expect(seen.filter((x) => x.authorization === undefined)).toHaveLength(1);
      // The token stack (authority) sends the credentials through the same proxy: no finding.
      const auth = await diagnoseEndpoint(ep('localhost', target.port, 'authority'), deps(allTrust(), { env }));
      expect(endpointFindings(auth.diagnosis, { platform: 'linux' })).toEqual([]);
      expect(auth.diagnosis.paths.map((p) => [p.consumers, p.proxyConnect?.status])).toEqual([[['azure-core', 'azure-cli', 'node-undici'], 200]]);
      const text = JSON.stringify({ f, d: endpointDetails(arm.diagnosis), arm: arm.diagnosis });
      expect(text).not.toContain(SECRET);
    });

    it('proxy.blocked and proxy.upstream-failed', async () => {
      const a = await setup(() => ({ status: 403, headers: { 'X-Squid-Error': 'ERR_ACCESS_DENIED 0' } }));
      const r1 = await diagnoseEndpoint(ep('localhost', a.target.port, 'arm'), deps(allTrust(), { env: { HTTPS_PROXY: `http://127.0.0.1:${a.proxy.port}` } }));
      const f1 = endpointFindings(r1.diagnosis);
      expect(codes(f1)).toEqual(['proxy.blocked:error']);
      expect(f1[0]!.evidence).toMatchObject({ status: 403, proxyInfo: 'x-squid-error: ERR_ACCESS_DENIED 0', target: `localhost:${a.target.port}` });
      const b = await setup(() => ({ status: 502 }));
      const r2 = await diagnoseEndpoint(ep('localhost', b.target.port, 'arm'), deps(allTrust(), { env: { HTTPS_PROXY: `http://127.0.0.1:${b.proxy.port}` } }));
      expect(codes(endpointFindings(r2.diagnosis))).toEqual(['proxy.upstream-failed:error']);
    });

    it('proxy.unreachable and proxy.scheme-mismatch', async () => {
      const dead = await closedPort();
      const r1 = await diagnoseEndpoint(ep('localhost', 443), deps(allTrust(), { env: { HTTPS_PROXY: `http://u:${SECRET}@127.0.0.1:${dead}` } }));
      const f1 = endpointFindings(r1.diagnosis);
      expect(codes(f1)).toEqual(['proxy.unreachable:error']);
      expect(f1[0]!.evidence).toMatchObject({ proxyAddress: `127.0.0.1:${dead}`, symptom: 'refused', proxy: `http://***@127.0.0.1:${dead}` });
      expect(JSON.stringify(f1)).not.toContain(SECRET);
      const plain = keep(await plainHttpServer());
      const r2 = await diagnoseEndpoint(ep('localhost', 443), deps(allTrust(), { env: { HTTPS_PROXY: `https://127.0.0.1:${plain.port}` } }));
      const f2 = endpointFindings(r2.diagnosis);
      expect(codes(f2)).toEqual(['proxy.scheme-mismatch:error']);
      expect(f2[0]!.fix?.commands?.[0]).toBe(`export HTTPS_PROXY=http://127.0.0.1:${plain.port}`);
    });

    it('per-route verdicts: the server proxied and blocked, Node direct and fine', async () => {
      const target = keep(await tlsServer([pki.leaf, pki.testInter]));
      const proxy = keep(await connectProxy({ decide: () => ({ status: 403 }) }));
      const env = { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: '.localhost,localhost' };
      const { diagnosis } = await diagnoseEndpoint(ep('localhost', target.port, 'resource'), deps(allTrust(), { env }));
      expect(diagnosis.paths.map((p) => [p.key, p.consumers])).toEqual([
        [`proxy:http://127.0.0.1:${proxy.port}`, ['server-http']],
        ['direct', ['node-undici']],
      ]);
      const f = endpointFindings(diagnosis);
      expect(codes(f)).toEqual(['proxy.blocked:error']);
      expect(diagnosis.paths[1]!.http?.status).toBe(200);
    });
  });
});
