// Tests of the simulated-internet harness itself: each asserts real behaviour of the real tools
// (dnsmasq, iptables, openssl, curl, python requests, tinyproxy, squid, mitmproxy, az, azmcp).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import { createSimNet, hasBinary, makeClientCert, PROJECT_ROOT, runSyncQuiet, sweepLeftovers, type SimHost, type SimNet } from '../harness/index.js';
import {
  CLIENT_ID, CLIENT_OBJECT_ID, CLIENT_SECRET, IMDS_HOST_NAME, MI_CLIENT_ID, SUBSCRIPTION_ID, TENANT_ID,
  defaultTenants, startAzure, type AzureWorld, type SimHostConfig,
} from '../harness/azure-sim.js';
import { startMitmproxy, startSquid, startTinyproxy } from '../harness/proxies.js';
import { azAvailable, createAzCli } from '../harness/azcli.js';
import { runAzmcp } from '../harness/azmcp.js';

interface World extends AzureWorld {
  privateHost: SimHost;
  expired: SimHost;
  wrongName: SimHost;
  selfSigned: SimHost;
  notYetValid: SimHost;
  baseHosts: SimHostConfig[];
}

const timings: Record<string, number> = {};

function jwtPayload(t: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describeE2e('simulated internet harness', () => {
  const { net, ctx } = useSimNet({}, async (n): Promise<World> => {
    const t0 = performance.now();
    // A private endpoint: acct.blob.core.windows.net -> acct.privatelink.blob.core.windows.net -> 10.99.0.x
    const [privateHost, expired, wrongName, selfSigned, notYetValid] = await Promise.all([
      n.addHost({ names: ['acct.privatelink.blob.core.windows.net'], private: true }),
      n.addHost({ names: ['expired.sim.test'], cert: { expired: true } }),
      n.addHost({ names: ['wrongname.sim.test'], cert: { wrongName: true } }),
      n.addHost({ names: ['selfsigned.sim.test'], cert: { issuer: 'self-signed' } }),
      n.addHost({ names: ['notyet.sim.test'], cert: { notYetValid: true } }),
    ]);
    n.dns.setCname('acct.blob.core.windows.net', 'acct.privatelink.blob.core.windows.net');
    const dp = (host: SimHost): SimHostConfig => ({ host, roles: ['dataplane'], dataplane: { requireBearer: false, status: 200, body: { host: host.names[0] } } });
    const extraHosts = [privateHost, expired, wrongName, selfSigned, notYetValid].map(dp);
    const world = await startAzure(n, { extraHosts });
    timings.fixtureMs = Math.round(performance.now() - t0);
    return { ...world, privateHost, expired, wrongName, selfSigned, notYetValid, baseHosts: world.sim.config.hosts };
  });

  it('DNS: A records, a CNAME chain to a private address and NXDOMAIN, via getaddrinfo in the client namespace', async () => {
    const n = net();
    const w = ctx();
    const a = await n.probe(['lookup', 'login.microsoftonline.com']);
    expect(a).toMatchObject({ ok: true, addresses: [w.authority.ip] });
    const arm = await n.probe(['lookup', 'management.azure.com']);
    expect(arm.addresses).toEqual([w.arm.ip]);
    // The specific CNAME wins over the *.blob.core.windows.net wildcard of the storage host.
    const pe = await n.probe(['lookup', 'acct.blob.core.windows.net']);
    expect(pe).toMatchObject({ ok: true, addresses: [w.privateHost.ip] });
    expect(w.privateHost.ip).toMatch(/^10\./);
    const cname = await n.probe(['resolve', 'acct.blob.core.windows.net', 'CNAME']);
    expect(cname.records).toEqual(['acct.privatelink.blob.core.windows.net']);
    const wild = await n.probe(['lookup', 'other.blob.core.windows.net']);
    expect(wild.addresses).toEqual([w.storage!.ip]);
    const nx = await n.probe(['lookup', 'no-such-host.example.com']);
    expect(nx).toMatchObject({ ok: false, code: 'ENOTFOUND' });
    const dig = await n.exec(['dig', '+time=1', '+tries=1', 'no-such-host.example.com']);
    expect(dig.stdout).toContain('status: NXDOMAIN');
    // The client sees only the test resolver; the host's /etc/hosts does not leak in.
    expect(readFileSync(`/etc/netns/${n.clientNs}/resolv.conf`, 'utf8')).toContain(n.dnsIp);
    const vm = await n.probe(['lookup', 'vm']);
    expect(vm.ok).toBe(false);
    // dnsmasq logged the queries.
    expect(n.dns.queries().some((q) => q.name === 'acct.blob.core.windows.net')).toBe(true);
  });

  it('DNS: records can be changed between tests, and a dropping DNS server gives a timeout', async () => {
    const n = net();
    n.dns.setA('new-record.sim.test', '198.51.100.99');
    const t0 = performance.now();
    await n.dns.apply();
    timings.dnsApplyMs = Math.round(performance.now() - t0);
    expect((await n.probe(['lookup', 'new-record.sim.test'])).addresses).toEqual(['198.51.100.99']);
    n.dns.remove('new-record.sim.test');
    expect((await n.probe(['lookup', 'new-record.sim.test'])).code).toBe('ENOTFOUND'); // exec() applied it
    await n.dns.setDropped(true);
    try {
      const dig = await n.exec(['dig', '+time=1', '+tries=1', 'login.microsoftonline.com']);
      expect(dig.code).toBe(9); // dig: no reply from server
      expect(dig.stdout).toMatch(/timed out/);
      const r = await n.probe(['resolve', 'login.microsoftonline.com', 'A', '500']);
      expect(r).toMatchObject({ ok: false, code: 'ETIMEOUT' });
    } finally {
      await n.dns.setDropped(false);
    }
    expect((await n.probe(['lookup', 'login.microsoftonline.com'])).ok).toBe(true);
  });

  it('TLS: the client OS bundle trusts the test CA (curl, openssl, python requests/certifi); Node needs NODE_EXTRA_CA_CERTS', async () => {
    const n = net();
    const curl = await n.exec(['curl', '-sS', '-i', 'https://management.azure.com/subscriptions?api-version=2022-12-01']);
    expect(curl.code).toBe(0);
    expect(curl.stdout).toMatch(/^HTTP\/1\.1 401/);
    expect(curl.stdout.toLowerCase()).toContain('www-authenticate: bearer authorization_uri="https://login.windows.net/"');
    expect(curl.stdout).toContain('"AuthenticationFailed"');
    const ossl = await n.exec(['openssl', 's_client', '-connect', 'login.microsoftonline.com:443', '-servername', 'login.microsoftonline.com', '-verify_return_error', '-brief'], { input: '' });
    expect(ossl.code).toBe(0);
    expect(ossl.stderr).toMatch(/Verification: OK/);
    const py = await n.exec([
      '/usr/bin/python3', '-c',
      'import certifi, requests; r = requests.get("https://management.azure.com/metadata/endpoints?api-version=2022-09-01", timeout=5); print(certifi.where()); print(r.status_code)',
    ]);
    expect(py.code).toBe(0);
    // Debian's certifi points at the OS bundle, so az (requests + certifi) trusts the namespace's bundle.
    expect(py.stdout.split('\n')).toEqual(['/etc/ssl/certs/ca-certificates.crt', '200', '']);
    // Node uses its own bundled roots, not the OS bundle:
    const nodeDefault = await n.probe(['tls', 'login.microsoftonline.com', '443']);
    expect(nodeDefault).toMatchObject({ authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const nodeExtra = await n.probe(['tls', 'login.microsoftonline.com', '443'], { env: { NODE_EXTRA_CA_CERTS: n.caPath } });
    expect(nodeExtra).toMatchObject({ authorized: true });
    expect(nodeExtra.chain[0]).toMatchObject({ subject: 'login.microsoftonline.com', issuer: 'azmcp-doctor Test Root CA' });
  });

  it('TLS: without the test CA in the OS bundle, curl and python fail while Node with NODE_EXTRA_CA_CERTS succeeds', async () => {
    const n = net();
    n.setOsTrust({ testCa: false });
    try {
      const curl = await n.exec(['curl', '-sS', 'https://management.azure.com/metadata/endpoints?api-version=2022-09-01']);
      expect(curl.code).toBe(60); // peer certificate cannot be authenticated
      const ossl = await n.exec(['openssl', 's_client', '-connect', 'login.microsoftonline.com:443', '-servername', 'login.microsoftonline.com', '-verify_return_error', '-brief'], { input: '' });
      expect(ossl.code).not.toBe(0);
      const py = await n.exec(['/usr/bin/python3', '-c', 'import requests\ntry:\n requests.get("https://management.azure.com/", timeout=5)\nexcept requests.exceptions.SSLError as e:\n print("SSLError")']);
      expect(py.stdout.trim()).toBe('SSLError');
      const node = await n.probe(['tls', 'management.azure.com', '443'], { env: { NODE_EXTRA_CA_CERTS: n.caPath } });
      expect(node.authorized).toBe(true);
    } finally {
      n.setOsTrust({ testCa: true });
    }
    expect((await n.exec(['curl', '-sS', '-o', '/dev/null', 'https://management.azure.com/'])).code).toBe(0);
  });

  it('TLS: faulty certificates give the real Node errors; faketime shifts the client clock', async () => {
    const n = net();
    const env = { NODE_EXTRA_CA_CERTS: n.caPath };
    const probe = async (name: string, opts: { faketime?: string } = {}) => n.probe(['tls', name, '443'], { env, ...opts });
    expect((await probe('expired.sim.test')).authorizationError).toBe('CERT_HAS_EXPIRED');
    expect((await probe('notyet.sim.test')).authorizationError).toBe('CERT_NOT_YET_VALID');
    expect((await probe('wrongname.sim.test')).authorizationError).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect((await probe('selfsigned.sim.test')).authorizationError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    // The test CA and good leaves are valid ~30 days: a client 40 days ahead sees them expired.
    expect((await probe('login.microsoftonline.com', { faketime: '+40d' })).authorizationError).toBe('CERT_HAS_EXPIRED');
    const date = await n.exec(['date', '+%s'], { faketime: '+40d' });
    expect(Number(date.stdout) - Date.now() / 1000).toBeGreaterThan(39 * 86400);
  });

  it('firewall: DROP times out, REJECT refuses, reset-after-connect resets, SNI match resets only that name; private route works', async () => {
    const n = net();
    const w = ctx();
    const ip = w.authority.ip;
    expect((await n.probe(['tcp', ip, '443', '1500'])).ok).toBe(true);
    const drop = await n.firewall({ action: 'drop', ip, port: 443 });
    const t0 = performance.now();
    const d = await n.probe(['tcp', ip, '443', '1000']);
    expect(d).toMatchObject({ ok: false, code: 'TIMEOUT' });
    expect(performance.now() - t0).toBeGreaterThan(900);
    await drop.remove();
    const rej = await n.firewall({ action: 'refuse', ip, port: 443 });
    expect(await n.probe(['tcp', ip, '443', '1500'])).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
    await rej.remove();
    const icmp = await n.firewall({ action: 'icmp-host-unreachable', ip, port: 443 });
    expect(await n.probe(['tcp', ip, '443', '1500'])).toMatchObject({ ok: false, code: 'EHOSTUNREACH' });
    await icmp.remove();
    const rst = await n.firewall({ action: 'reset-after-connect', ip, port: 443 });
    expect(await n.probe(['tls', 'login.microsoftonline.com', '443', '2000'], { env: { NODE_EXTRA_CA_CERTS: n.caPath } })).toMatchObject({ ok: false, code: 'ECONNRESET' });
    await rst.remove();
    await n.firewall({ action: 'refuse', sni: 'management.azure.com', port: 443 });
    expect((await n.probe(['tls', 'management.azure.com', '443', '2000'])).code).toBe('ECONNRESET');
    expect((await n.probe(['tls', 'login.microsoftonline.com', '443', '2000'])).protocol).toBe('TLSv1.3');
    // Client-side rule: the client's own firewall blocks the address.
    await n.firewall({ where: 'client', action: 'refuse', ip: w.arm.ip, port: 443 });
    expect((await n.probe(['tcp', w.arm.ip, '443', '1500'])).code).toBe('ECONNREFUSED');
    expect(await n.firewallCounters('client')).toContain(w.arm.ip);
    await n.clearFirewall();
    expect((await n.probe(['tls', 'management.azure.com', '443', '2000'])).protocol).toBe('TLSv1.3');
    // Private endpoint address over the 10/8 route; nothing else is routable.
    expect((await n.probe(['tcp', w.privateHost.ip, '443', '1500'])).ok).toBe(true);
    expect((await n.probe(['tcp', '192.0.2.1', '443', '1500'])).code).toBe('ENETUNREACH');
  });

  it('proxies: tinyproxy and squid answer 407 without credentials, tunnel with them, 403 for denied hosts, and log it', async () => {
    const n = net();
    const t0 = performance.now();
    const [tp, sq] = await Promise.all([startTinyproxy(n, { deny: ['blocked.example'] }), startSquid(n, { deny: ['blocked.example'] })]);
    timings.proxiesStartMs = Math.round(performance.now() - t0);
    try {
      for (const p of [tp, sq]) {
        const noAuth = await n.probe(['connect', p.url, 'login.microsoftonline.com:443']);
        expect(noAuth, p.kind).toMatchObject({ ok: false, status: 407 });
        expect(noAuth.proxyAuthenticate).toMatch(/^Basic realm=/);
        const wrong = await n.probe(['connect', p.urlWithAuth(undefined, 'wrong-password'), 'login.microsoftonline.com:443']);
        // tinyproxy's gotcha: wrong credentials get 401, not 407.
        expect(wrong.status, p.kind).toBe(p.kind === 'tinyproxy' ? 401 : 407);
        const ok = await n.probe(['proxytls', p.urlWithAuth(), 'login.microsoftonline.com'], { env: { NODE_EXTRA_CA_CERTS: n.caPath } });
        expect(ok, p.kind).toMatchObject({ status: 200, authorized: true });
        const denied = await n.probe(['connect', p.urlWithAuth(), 'x.blocked.example:443']);
        expect(denied.status, p.kind).toBe(403);
        // curl through the proxy with the OS bundle reaches the simulated ARM.
        const curl = await n.exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-x', p.urlWithAuth(), 'https://management.azure.com/subscriptions?api-version=2022-12-01']);
        expect(curl.stdout, p.kind).toBe('401');
        const log = p.log();
        expect(log.filter((e) => e.method === 'CONNECT').map((e) => e.host), p.kind).toEqual([
          'login.microsoftonline.com', 'login.microsoftonline.com', 'login.microsoftonline.com', 'x.blocked.example', 'management.azure.com',
        ]);
        expect(log.map((e) => e.status ?? (e.authRejected ? 'rejected' : undefined)), p.kind).toEqual(
          p.kind === 'squid' ? [407, 407, 200, 403, 200] : ['rejected', 'rejected', 200, 403, 200],
        );
      }
      // The proxy passwords never reach a log file.
      for (const f of [join(n.dir, 'tinyproxy-3128', 'tinyproxy.log'), join(n.dir, 'squid-3129', 'access.log')]) {
        expect(readFileSync(f, 'utf8')).not.toContain(tp.auth!.password);
      }
    } finally {
      await Promise.all([tp.stop(), sq.stop()]);
    }
  });

  it('proxies: mitmproxy re-signs with a vendor-named inspection CA and forwards to the simulated hosts', async () => {
    const n = net();
    const w = ctx();
    const t0 = performance.now();
    const mp = await startMitmproxy(n);
    timings.mitmStartMs = Math.round(performance.now() - t0);
    try {
      const untrusted = await n.probe(['proxytls', mp.url, 'management.azure.com'], { env: { NODE_EXTRA_CA_CERTS: n.caPath } });
      expect(untrusted).toMatchObject({ status: 200, authorized: false, authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' });
      expect(untrusted.chain.map((c: { subject: string }) => c.subject)).toEqual(['management.azure.com', 'Zscaler Intermediate Root CA', 'Zscaler Root CA']);
      expect(untrusted.chain[0].issuerO).toBe('Zscaler Inc.');
      const trusted = await n.probe(['proxytls', mp.url, 'management.azure.com'], { env: { NODE_EXTRA_CA_CERTS: mp.rootCaPath } });
      expect(trusted.authorized).toBe(true);
      w.sim.clearLog();
      const curl = await n.exec(['curl', '-sS', '-x', mp.url, '--cacert', mp.rootCaPath, 'https://management.azure.com/subscriptions?api-version=2022-12-01']);
      expect(JSON.parse(curl.stdout).error.code).toBe('AuthenticationFailed'); // answered by azure-sim, through the proxy
      expect(w.sim.readLog().some((e) => e.host === 'management.azure.com' && e.path === '/subscriptions')).toBe(true);
      expect(mp.connects()).toContain('management.azure.com:443');
      expect(mp.log().some((e) => e.event === 'request' && e.status === 401)).toBe(true);
    } finally {
      await mp.stop();
    }
  });

  it('azure-sim: Entra discovery, client-credentials tokens, real AADSTS bodies, ARM, managed identity, clock skew, safe log', async () => {
    const n = net();
    const w = ctx();
    const env = { NODE_EXTRA_CA_CERTS: n.caPath };
    w.sim.clearLog();
    const token = (tenant: string, form: Record<string, string>) =>
      n.exec(['curl', '-sS', '-w', '\n%{http_code}', ...Object.entries(form).flatMap(([k, v]) => ['--data-urlencode', `${k}=${v}`]), `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`]);
    const parse = (r: { stdout: string }) => {
      const i = r.stdout.lastIndexOf('\n');
      return { body: JSON.parse(r.stdout.slice(0, i)), status: Number(r.stdout.slice(i + 1)) };
    };
    const scope = 'https://management.azure.com/.default';
    // OIDC discovery: issuer on the same host; unknown tenant -> AADSTS90002.
    const oidc = await n.probe(['https', `https://login.microsoftonline.com/${TENANT_ID}/v2.0/.well-known/openid-configuration`], { env });
    expect(JSON.parse(oidc.body)).toMatchObject({ issuer: `https://login.microsoftonline.com/${TENANT_ID}/v2.0`, token_endpoint: `https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/token` });
    const badTenant = await n.probe(['https', 'https://login.microsoftonline.com/00000000-dead-4000-8000-000000000000/v2.0/.well-known/openid-configuration'], { env });
    expect(badTenant.status).toBe(400);
    expect(JSON.parse(badTenant.body).error_codes).toEqual([90002]);
    // Good secret -> JWT with the expected claims.
    const good = parse(await token(TENANT_ID, { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'client_credentials', scope }));
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    expect(jwtPayload(good.body.access_token)).toMatchObject({ tid: TENANT_ID, appid: CLIENT_ID, oid: CLIENT_OBJECT_ID, aud: 'https://management.azure.com', idtyp: 'app', iss: `https://sts.windows.net/${TENANT_ID}/` });
    // Wrong secret -> 401 AADSTS7000215 with trace and correlation ids (correlation = client-request-id).
    const bad = parse(await n.exec(['curl', '-sS', '-w', '\n%{http_code}', '-d', `client_id=${CLIENT_ID}&client_secret=nope&grant_type=client_credentials&scope=${scope}`, `https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/token?client-request-id=0d0d0d0d-1111-4222-8333-444444444444`]));
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215], correlation_id: '0d0d0d0d-1111-4222-8333-444444444444' });
    expect(bad.body.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided\..*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: 0d0d0d0d-1111-4222-8333-444444444444\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s);
    expect(bad.body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(parse(await token(TENANT_ID, { client_id: '00000000-0000-4000-8000-0000000000ff', client_secret: 'x', grant_type: 'client_credentials', scope })).body.error_codes).toEqual([700016]);
    expect(parse(await token('contoso.onmicrosoft.com', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'client_credentials', scope })).status).toBe(200);
    // A configured error (expired secret), via a live reconfiguration.
    await w.sim.modify((c) => {
      c.tenants![TENANT_ID]!.clients![CLIENT_ID]!.error = { code: 7000222 };
    });
    const expiredSecret = parse(await token(TENANT_ID, { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'client_credentials', scope }));
    expect(expiredSecret).toMatchObject({ status: 401, body: { error: 'invalid_client', error_codes: [7000222] } });
    // ARM: 401 without bearer (above), subscription list with one, configurable 403.
    await w.sim.modify((c) => {
      c.tenants = defaultTenants();
    });
    const armOk = await n.exec(['curl', '-sS', '-H', `Authorization: Bearer ${good.body.access_token}`, 'https://management.azure.com/subscriptions?api-version=2022-12-01']);
    expect(JSON.parse(armOk.stdout).value.map((s: { subscriptionId: string }) => s.subscriptionId)).toEqual([SUBSCRIPTION_ID]);
    await w.sim.modify((c) => {
      c.arm!.error = { status: 403, code: 'AuthorizationFailed' };
    });
    const arm403 = await n.exec(['curl', '-sS', '-w', '\n%{http_code}', '-H', `Authorization: Bearer ${good.body.access_token}`, 'https://management.azure.com/subscriptions?api-version=2022-12-01']);
    expect(parse(arm403)).toMatchObject({ status: 403, body: { error: { code: 'AuthorizationFailed' } } });
    await w.sim.modify((c) => {
      delete c.arm!.error;
    });
    // Managed identity: IMDS shape over plain HTTP, Metadata header required; App Service shape.
    const imdsUrl = `http://${IMDS_HOST_NAME}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`;
    const noHeader = parse(await n.exec(['curl', '-sS', '-w', '\n%{http_code}', imdsUrl]));
    expect(noHeader).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const mi = parse(await n.exec(['curl', '-sS', '-w', '\n%{http_code}', '-H', 'Metadata: true', imdsUrl]));
    expect(mi.status).toBe(200);
    expect(mi.body).toMatchObject({ client_id: MI_CLIENT_ID, token_type: 'Bearer', resource: 'https://management.azure.com/' });
    expect(typeof mi.body.expires_on).toBe('string');
    const slash = await n.exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Metadata: true', imdsUrl.replace('/token?', '/token/?')]);
    expect(slash.stdout).toBe('200');
    const appSvc = await n.exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'X-IDENTITY-HEADER: h', `https://${IMDS_HOST_NAME}/msi/token?api-version=2019-08-01&resource=https://vault.azure.net`]);
    expect(appSvc.stdout).toBe('200');
    // Clock skew on one host: its Date header is 2 hours ahead.
    await w.sim.update({ ...w.sim.config, hosts: w.sim.config.hosts.map((h) => (h.host === w.arm ? { ...h, dateOffsetSec: 7200 } : h)) });
    const skew = await n.probe(['https', 'https://management.azure.com/metadata/endpoints?api-version=2022-09-01'], { env });
    expect(Date.parse(skew.date) - Date.now()).toBeGreaterThan(7000_000);
    await w.sim.update({ ...w.sim.config, hosts: w.baseHosts });
    // The request log: ids and codes, never the secret or a token.
    const log = w.sim.readLog();
    expect(log.find((e) => e.aadsts === 7000215)).toMatchObject({ clientId: CLIENT_ID, tenant: TENANT_ID, credentialType: 'secret', status: 401 });
    expect(log.find((e) => e.path === '/subscriptions' && e.status === 200)).toMatchObject({ authorization: true, tokenTid: TENANT_ID, tokenAppid: CLIENT_ID });
    expect(log.find((e) => e.miShape === 'imds' && e.status === 200)).toMatchObject({ metadataHeader: true, clientId: MI_CLIENT_ID });
    const raw = readFileSync(w.sim.logPath, 'utf8');
    expect(raw).not.toContain(CLIENT_SECRET);
    expect(raw).not.toContain(good.body.access_token.split('.')[1]);
  });

  it('azure-sim speaks MSAL: @azure/identity secret, certificate, workload-identity and managed-identity credentials get tokens (and AADSTS errors)', async () => {
    const n = net();
    const w = ctx();
    const cert = await makeClientCert(n.dir, 'client-cert');
    const wiFile = join(n.dir, 'wi-token.jwt');
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    writeFileSync(wiFile, `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: 'https://oidc.sim.test/cluster', sub: 'system:serviceaccount:default:app', aud: 'api://AzureADTokenExchange', iat: now, nbf: now, exp: now + 3600 })}.c2ln`);
    const certClient = '22222222-0000-4000-8000-000000000001';
    const wiClient = '22222222-0000-4000-8000-000000000002';
    await w.sim.modify((c) => {
      const clients = c.tenants![TENANT_ID]!.clients!;
      clients[certClient] = { certThumbprints: [cert.x5tS256, cert.thumbprintSha1Hex], objectId: '33333333-0000-4000-8000-000000000001' };
      clients[wiClient] = { federated: [{ issuer: 'https://oidc.sim.test/cluster', subject: 'system:serviceaccount:default:app' }] };
    });
    const script = join(n.dir, 'identity-probe.mjs');
    writeFileSync(script, `
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(PROJECT_ROOT, 'package.json'))});
const id = require('@azure/identity');
const opts = { retryOptions: { maxRetries: 0 } };
const scope = 'https://management.azure.com/.default';
const creds = {
  secret: new id.ClientSecretCredential(${JSON.stringify(TENANT_ID)}, ${JSON.stringify(CLIENT_ID)}, process.env.SECRET, opts),
  badSecret: new id.ClientSecretCredential(${JSON.stringify(TENANT_ID)}, ${JSON.stringify(CLIENT_ID)}, 'wrong', opts),
  certificate: new id.ClientCertificateCredential(${JSON.stringify(TENANT_ID)}, ${JSON.stringify(certClient)}, { certificatePath: ${JSON.stringify(cert.combinedPath)} }, opts),
  workload: new id.WorkloadIdentityCredential({ tenantId: ${JSON.stringify(TENANT_ID)}, clientId: ${JSON.stringify(wiClient)}, tokenFilePath: ${JSON.stringify(wiFile)}, ...opts }),
  workloadWrongClient: new id.WorkloadIdentityCredential({ tenantId: ${JSON.stringify(TENANT_ID)}, clientId: ${JSON.stringify(CLIENT_ID)}, tokenFilePath: ${JSON.stringify(wiFile)}, ...opts }),
  managed: new id.ManagedIdentityCredential(opts),
};
const out = {};
for (const [k, c] of Object.entries(creds)) {
  try { const t = await c.getToken(scope); out[k] = { ok: true, claims: JSON.parse(Buffer.from(t.token.split('.')[1], 'base64url').toString()) }; }
  catch (e) { out[k] = { ok: false, name: e.name, message: String(e.message).slice(0, 400) }; }
}
console.log(JSON.stringify(out));
`);
    w.sim.clearLog();
    const r = await n.exec([process.execPath, script], { env: { SECRET: CLIENT_SECRET, NODE_EXTRA_CA_CERTS: n.caPath, ...w.imdsEnv } });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.secret).toMatchObject({ ok: true, claims: { appid: CLIENT_ID, tid: TENANT_ID } });
    expect(out.badSecret.ok).toBe(false);
    expect(out.badSecret.message).toContain('AADSTS7000215');
    expect(out.certificate).toMatchObject({ ok: true, claims: { appid: certClient, appidacr: '2' } });
    expect(out.workload).toMatchObject({ ok: true, claims: { appid: wiClient } });
    expect(out.workloadWrongClient.message).toContain('AADSTS70021');
    expect(out.managed).toMatchObject({ ok: true, claims: { appid: MI_CLIENT_ID } });
    const log = w.sim.readLog();
    expect(log.find((e) => e.clientId === certClient)).toMatchObject({ credentialType: 'certificate', status: 200 });
    expect(log.find((e) => e.clientId === wiClient)).toMatchObject({ credentialType: 'federated', status: 200, assertionSubject: 'system:serviceaccount:default:app' });
    expect(log.some((e) => e.host === IMDS_HOST_NAME && e.miShape === 'imds' && e.status === 200)).toBe(true);
    await w.sim.modify((c) => {
      c.tenants = defaultTenants();
    });
  });

  it.runIf(azAvailable())('Azure CLI: not signed in, then a service-principal login against the simulated cloud', async () => {
    const n = net();
    const w = ctx();
    const az = createAzCli(n);
    const t0 = performance.now();
    const before = await az.getAccessToken();
    timings.azNotLoggedInMs = Math.round(performance.now() - t0);
    expect(before.code).toBe(1);
    expect(before.stderr).toBe("ERROR: Please run 'az login' to setup account.\n");
    w.sim.clearLog();
    const t1 = performance.now();
    await az.loginServicePrincipal({ tenant: TENANT_ID, clientId: CLIENT_ID, secret: CLIENT_SECRET });
    timings.azLoginMs = Math.round(performance.now() - t1);
    const t2 = performance.now();
    const tok = await az.getAccessToken();
    timings.azGetTokenMs = Math.round(performance.now() - t2);
    expect(tok.code).toBe(0);
    expect(tok.json).toMatchObject({ tenant: TENANT_ID, subscription: SUBSCRIPTION_ID, tokenType: 'Bearer' });
    expect(jwtPayload(tok.json!.accessToken)).toMatchObject({ appid: CLIENT_ID, tid: TENANT_ID });
    const log = w.sim.readLog();
    expect(log.filter((e) => e.clientId === CLIENT_ID && e.status === 200).length).toBeGreaterThanOrEqual(2);
    // Only simulated hosts were contacted (the versionCheck/telemetry seeding works).
    expect(n.dns.queries().map((q) => q.name).filter((q) => /azure\.microsoft\.com|githubusercontent|applicationinsights|vortex/.test(q))).toEqual([]);
    az.reset();
    expect((await az.getAccessToken()).code).toBe(1);
  });

  it.runIf(process.env.AZMCP_E2E_SKIP_AZMCP !== '1')('Azure MCP Server (oracle): subscription list with EnvironmentCredential, success and AADSTS7000215', async () => {
    const n = net();
    const w = ctx();
    const env = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET, AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' };
    w.sim.clearLog();
    const t0 = performance.now();
    const ok = await runAzmcp(n, ['subscription', 'list'], { env });
    timings.azmcpSubscriptionListMs = Math.round(performance.now() - t0);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json?.results?.subscriptions?.[0]?.subscriptionId).toBe(SUBSCRIPTION_ID);
    expect(w.sim.tokenRequests().map((e) => e.clientId)).toEqual([CLIENT_ID]);
    const bad = await runAzmcp(n, ['subscription', 'list'], { env: { ...env, AZURE_CLIENT_SECRET: 'wrong' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('AADSTS7000215');
  });

  it.runIf(existsSync(join(PROJECT_ROOT, 'dist', 'src', 'cli.js')))('doctor CLI: --format json --only environment runs in the client namespace', async () => {
    const n = net();
    const t0 = performance.now();
    const r = await n.runDoctor(['--format', 'json', '--only', 'environment']);
    timings.doctorEnvironmentMs = Math.round(performance.now() - t0);
    expect(r.json, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBeDefined();
    expect(r.json.schemaVersion).toBe(1);
    expect([0, 1]).toContain(r.code);
    expect(r.json.checks.length).toBeGreaterThan(0);
    expect(r.json.checks.every((c: { group: string }) => c.group === 'environment')).toBe(true);
    expect(r.json.checks.some((c: { id: string }) => c.id.startsWith('environment.'))).toBe(true);
    expect(r.json.platform.node).toBe(process.version); // the same Node runs inside the namespace
  });

  it('cleanup removes namespaces, /etc/netns entries, processes and temp dirs; stale leftovers are swept', async () => {
    const other: SimNet = await createSimNet();
    const p = await other.startInServer(['sleep', '600'], { name: 'sleeper' });
    const names = [other.clientNs, other.serverNs];
    const dir = other.dir;
    expect(runSyncQuiet(['ip', 'netns', 'list']).stdout).toContain(other.clientNs);
    await other.cleanup();
    const list = runSyncQuiet(['ip', 'netns', 'list']).stdout;
    for (const ns of names) {
      expect(list).not.toContain(ns);
      expect(existsSync(`/etc/netns/${ns}`)).toBe(false);
    }
    expect(existsSync(dir)).toBe(false);
    expect(p.running).toBe(false);
    // A leftover from a crashed run: a namespace named after a pid that no longer exists.
    const dead = runSyncQuiet(['sh', '-c', 'sh -c "echo \\$\\$"']).stdout.trim();
    const stale = `azh${dead}x1c`;
    runSyncQuiet(['ip', 'netns', 'add', stale]);
    expect(runSyncQuiet(['ip', 'netns', 'list']).stdout).toContain(stale);
    expect(sweepLeftovers()).toContain(stale);
    expect(runSyncQuiet(['ip', 'netns', 'list']).stdout).not.toContain(stale);
    // Our own (live) namespaces survive the sweep.
    expect(runSyncQuiet(['ip', 'netns', 'list']).stdout).toContain(net().clientNs);
  });

  it('timings', () => {
    // Printed for the CI log / the lead; asserts the fixture stays fast.
    console.log(`harness timings: ${JSON.stringify(timings)}`);
    expect(timings.fixtureMs).toBeLessThan(5000);
    void hasBinary;
  });
});
