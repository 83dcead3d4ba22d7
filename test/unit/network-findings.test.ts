// Findings from hand-built diagnoses: the cases loopback servers cannot produce (timeouts,
// unreachable networks, private endpoints, DNS disagreement).
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../src/core/endpoints.js';
import type { EndpointDiagnosis, PathObservation } from '../../src/network/diagnosis.js';
import { classifyDns } from '../../src/network/dns.js';
import { endpointFindings, NETWORK_CODES, severityFor, trustCommands } from '../../src/network/findings.js';
import { routeFor, type Consumer } from '../../src/network/routes.js';

const storage: Endpoint = {
  id: 'storage:acct',
  role: 'resource',
  label: 'Storage (blob) acct',
  host: 'acct.blob.core.windows.net',
  port: 443,
  url: 'https://acct.blob.core.windows.net',
  scheme: 'https',
  service: 'storage',
  resourceName: 'acct',
};
const authority: Endpoint = { id: 'authority', role: 'authority', label: 'Entra ID authority', host: 'login.microsoftonline.com', port: 443, url: 'https://login.microsoftonline.com', scheme: 'https' };

function diag(ep: Endpoint, opts: { env?: Record<string, string>; os?: string[]; osError?: string; direct?: string[]; cname?: string[]; directError?: string; paths?: PathObservation[] }): EndpointDiagnosis {
  const consumers: Consumer[] = ep.role === 'authority' ? ['azure-core', 'azure-cli', 'node-undici'] : ['server-http', 'node-undici'];
  const routes = Object.fromEntries(consumers.map((c) => [c, routeFor(c, ep.url, opts.env ?? {}, { platform: 'linux' })]));
  const dns = classifyDns(
    {
      host: ep.host,
      os: { addresses: opts.os ?? [], ms: 5, error: opts.osError },
      direct: { servers: ['10.0.0.53'], addresses: opts.direct ?? opts.os ?? [], cname: opts.cname ?? [], ms: 6, error: opts.directError },
    },
    { privateMeaningful: ep.role === 'resource' },
  );
  return { endpoint: ep, consumers, serverConsumer: consumers[0]!, routes, dns, paths: opts.paths ?? [], durationMs: 10 };
}
const direct = (consumers: Consumer[], extra: Partial<PathObservation>): PathObservation => ({ key: 'direct', via: 'direct', consumers, ...extra });
const codes = (d: EndpointDiagnosis) => endpointFindings(d, { platform: 'linux' }).map((f) => `${f.code}:${f.severity}`);

describe('DNS findings', () => {
  it('dns.timeout, error when the server resolves locally', () => {
    const d = diag(authority, { osError: 'EAI_AGAIN', directError: 'ETIMEOUT', paths: [direct(['azure-core', 'azure-cli', 'node-undici'], { skipped: 'x' })] });
    const f = endpointFindings(d);
    expect(f.map((x) => [x.code, x.severity])).toEqual([['dns.timeout', 'error']]);
    expect(f[0]!.evidence).toMatchObject({ target: 'login.microsoftonline.com:443', resolver: '10.0.0.53', symptom: 'timeout' });
  });
  it('dns.timeout when the servers answered with an error: SERVFAIL, REFUSED, nothing on port 53 are named, not "did not answer in time"', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['ESERVFAIL', 'servfail', /answered SERVFAIL/],
      ['EREFUSED', 'refused', /refused the query \(REFUSED\)/],
      ['ECONNREFUSED', 'dns-server-down', /port 53 was refused/],
    ];
    for (const [directError, symptom, text] of cases) {
      const f = endpointFindings(diag(authority, { osError: 'EAI_AGAIN', directError, paths: [direct(['azure-core', 'azure-cli', 'node-undici'], { skipped: 'x' })] }));
      expect(f.map((x) => [x.code, x.severity])).toEqual([['dns.timeout', 'error']]);
      expect(f[0]!.message).toMatch(text);
      expect(f[0]!.message).not.toMatch(/in time/);
      expect(f[0]!.message).toMatch(/10\.0\.0\.53/);
      expect(f[0]!.evidence).toMatchObject({ symptom, directAnswer: directError });
      expect(f[0]!.fix?.actor).toBe('network-admin');
    }
  });
  it('dns.not-found: resource names point the user at the name', () => {
    const f = endpointFindings(diag(storage, { osError: 'ENOTFOUND', directError: 'ENOTFOUND' }));
    expect(f[0]).toMatchObject({ code: 'dns.not-found', severity: 'error' });
    expect(f[0]!.fix?.actor).toBe('user');
  });
  it('only information when every consumer goes through a proxy', () => {
    const d = diag(storage, { env: { HTTPS_PROXY: 'http://p:1' }, osError: 'ENOTFOUND' });
    expect(codes(d)).toEqual(['dns.not-found:info']);
    expect(endpointFindings(d)[0]!.message).toMatch(/proxy, which resolves names/);
  });
  it('dns.private-endpoint with its zone', () => {
    const d = diag(storage, { os: ['10.1.0.4'], cname: ['acct.privatelink.blob.core.windows.net'] });
    const f = endpointFindings(d);
    expect(f.map((x) => [x.code, x.severity])).toEqual([['dns.private-endpoint', 'info']]);
    expect(f[0]!.evidence).toMatchObject({ zone: 'privatelink.blob.core.windows.net', addresses: '10.1.0.4' });
  });
  it('dns.private-zone-missing names the zone to link', () => {
    const d = diag(storage, { os: ['20.60.1.2'], cname: ['acct.privatelink.blob.core.windows.net', 'blob.x.store.core.windows.net'] });
    const f = endpointFindings(d);
    expect(f.map((x) => [x.code, x.severity])).toEqual([['dns.private-zone-missing', 'warning']]);
    expect(f[0]!.evidence).toMatchObject({ zone: 'privatelink.blob.core.windows.net', symptom: 'privatelink-cname-public-answer' });
    expect(f[0]!.fix?.actor).toBe('network-admin');
    expect(f[0]!.fix?.commands?.[0]).toContain('-z privatelink.blob.core.windows.net');
  });
  it('dns.inconsistent', () => {
    const d = diag(authority, { os: ['127.0.0.9'], direct: ['20.190.160.1'] });
    const f = endpointFindings(d);
    expect(f.map((x) => [x.code, x.severity])).toEqual([['dns.inconsistent', 'warning']]);
    expect(f[0]!.evidence).toMatchObject({ os: '127.0.0.9', direct: '20.190.160.1' });
  });
});

describe('TCP findings', () => {
  const tcp = (symptom: 'timeout' | 'unreachable' | 'refused' | 'reset', address = '20.190.160.1') =>
    direct(['azure-core', 'azure-cli', 'node-undici'], { tcp: { ok: false, address, port: 443, ms: 4000, error: symptom === 'timeout' ? 'ETIMEDOUT' : 'EHOSTUNREACH', symptom } });
  it.each([
    ['timeout', 'tcp.timeout'],
    ['unreachable', 'tcp.unreachable'],
    ['refused', 'tcp.refused'],
    ['reset', 'tcp.reset'],
  ] as const)('%s -> %s with evidence', (symptom, code) => {
    const f = endpointFindings(diag(authority, { os: ['20.190.160.1'], paths: [tcp(symptom)] }));
    expect(f.map((x) => [x.code, x.severity])).toEqual([[code, 'error']]);
    expect(f[0]!.evidence).toMatchObject({ target: 'login.microsoftonline.com:443', address: '20.190.160.1', symptom, ms: 4000, route: 'direct' });
    expect(f[0]!.fix?.actor).toBe('network-admin');
  });
  it('a private endpoint that times out says VPN and carries the zone', () => {
    const p = direct(['server-http', 'node-undici'], { tcp: { ok: false, address: '10.1.0.4', port: 443, ms: 4000, error: 'ETIMEDOUT', symptom: 'timeout' } });
    const f = endpointFindings(diag(storage, { os: ['10.1.0.4'], cname: ['acct.privatelink.blob.core.windows.net'], paths: [p] }));
    expect(f.map((x) => x.code)).toEqual(['dns.private-endpoint', 'tcp.timeout']);
    expect(f[1]!.message).toMatch(/VPN/);
    expect(f[1]!.evidence).toMatchObject({ privateAddress: true, zone: 'privatelink.blob.core.windows.net' });
  });
});

describe('HTTP findings', () => {
  it('http.no-response after TLS', () => {
    const p = direct(['azure-core', 'azure-cli', 'node-undici'], { tcp: { ok: true, address: '1.1.1.1', port: 443, ms: 3 }, http: { ok: false, path: '/x', ms: 6000, sentAt: 0, error: 'PROBE_TIMEOUT' } });
    expect(codes(diag(authority, { os: ['1.1.1.1'], paths: [p] }))).toEqual(['http.no-response:warning']);
  });
  it('a block page from an inspecting proxy is proxy.blocked', () => {
    const p = direct(['azure-core', 'azure-cli', 'node-undici'], {
      tls: { ok: true, ms: 1, chain: [], stores: [], interception: { intercepted: true, issuer: 'CN=Corp', reason: 'x' } },
      http: { ok: true, path: '/x', status: 403, ms: 5, sentAt: 0, contentType: 'text/html' },
    });
    expect(codes(diag(authority, { os: ['1.1.1.1'], paths: [p] }))).toEqual(['proxy.blocked:error']);
  });
});

describe('faults seen in the simulated internet (network-faults.e2e)', () => {
  const all: Consumer[] = ['azure-core', 'azure-cli', 'node-undici'];
  const cert = { subject: { CN: 'portal.example' }, issuer: { CN: 'Some CA' }, validFrom: '', validTo: '', fingerprint256: 'AA', selfSigned: false, ca: false };
  it('a captive portal: certificate for another name is tls.hostname-mismatch, not "intercepted, connections work"; the redirect says sign in', () => {
    const p = direct(all, {
      tcp: { ok: true, address: '1.1.1.1', port: 443, ms: 3 },
      tls: { ok: true, ms: 1, chain: [cert], stores: [], hostMatches: false, leafNames: 'portal.example', interception: { intercepted: true, issuer: 'CN=Some CA', reason: 'x' } },
      http: { ok: true, path: '/x', status: 302, ms: 5, sentAt: 0, contentType: 'text/html', location: 'https://portal.example/login' },
    });
    const f = endpointFindings(diag(authority, { os: ['1.1.1.1'], paths: [p] }));
    expect(f.map((x) => `${x.code}:${x.severity}`)).toEqual(['tls.hostname-mismatch:error', 'http.unexpected-response:warning']);
    expect(f[1]!.message).toMatch(/captive portal/);
    expect(f[1]!.evidence).toMatchObject({ redirectHost: 'portal.example', symptom: 'redirect-to-other-host' });
    expect(f[1]!.fix?.actor).toBe('user');
  });
  it('a redirect on the same host stays a plain unexpected response', () => {
    const p = direct(all, { http: { ok: true, path: '/x', status: 301, ms: 5, sentAt: 0, location: '/other' } });
    const f = endpointFindings(diag(authority, { os: ['1.1.1.1'], paths: [p] }));
    expect(f[0]!.evidence).toMatchObject({ symptom: 'unexpected-http-response' });
  });
  it('a 5xx from the authority or ARM fails the server while it lasts: error, names the gateway', () => {
    const p = direct(all, { http: { ok: true, path: '/x', status: 503, ms: 5, sentAt: 0, contentType: 'text/html', server: 'BigIP' } });
    const f = endpointFindings(diag(authority, { os: ['1.1.1.1'], paths: [p] }));
    expect(f.map((x) => `${x.code}:${x.severity}`)).toEqual(['http.unexpected-response:error']);
    expect(f[0]!.message).toMatch(/token requests from Azure MCP Server fail/);
    expect(f[0]!.message).toMatch(/BigIP/);
    expect(f[0]!.evidence).toMatchObject({ status: 503, symptom: 'server-error' });
    // A data-plane 5xx stays a warning.
    const q = direct(['server-http', 'node-undici'], { http: { ok: true, path: '/', status: 503, ms: 5, sentAt: 0 } });
    expect(codes(diag(storage, { os: ['20.60.1.2'], paths: [q] }))).toEqual(['http.unexpected-response:warning']);
  });
  const viaProxy = (extra: Partial<PathObservation>): PathObservation => ({ key: 'proxy', via: 'proxy', proxy: 'http://p:1', proxyVariable: 'HTTPS_PROXY', consumers: all, ...extra });
  const pcBase = { proxyAddress: 'p:1', authSchemes: [], credentialsOffered: false, tcpMs: 1, connectMs: 2 };
  it('a proxy that closes after the CONNECT, or answers something that is not HTTP: not "cannot be reached", and never proxy.blocked with status 0', () => {
    const closed = endpointFindings(diag(authority, { env: { HTTPS_PROXY: 'http://p:1' }, os: ['1.1.1.1'], paths: [viaProxy({ proxyConnect: { ...pcBase, ok: false, phase: 'connect', error: 'CLOSED_WITHOUT_RESPONSE', symptom: 'no-response' } })] }));
    expect(closed.map((x) => `${x.code}:${x.severity}`)).toEqual(['proxy.unreachable:error']);
    expect(closed[0]!.message).toMatch(/accepted the TCP connection but closed it without answering the CONNECT/);
    expect(closed[0]!.evidence).toMatchObject({ symptom: 'closed-without-response' });
    expect(closed[0]!.fix?.actor).toBe('network-admin');
    const notHttp = endpointFindings(diag(authority, { env: { HTTPS_PROXY: 'http://p:1' }, os: ['1.1.1.1'], paths: [viaProxy({ proxyConnect: { ...pcBase, ok: false, phase: 'connect', error: 'HPE_INVALID_CONSTANT', symptom: 'protocol' } })] }));
    expect(notHttp.map((x) => x.code)).toEqual(['proxy.unreachable']);
    expect(notHttp[0]!.message).toMatch(/not HTTP/);
    expect(notHttp[0]!.fix?.actor).toBe('user');
  });
  it('an http:// proxy URL aimed at a TLS port: proxy.scheme-mismatch, the user fixes the port', () => {
    const f = endpointFindings(diag(authority, { env: { HTTPS_PROXY: 'http://p:1' }, os: ['1.1.1.1'], paths: [viaProxy({ proxyConnect: { ...pcBase, ok: false, phase: 'connect', error: 'CLOSED_WITHOUT_RESPONSE', symptom: 'no-response', tlsPort: true } })] }));
    expect(f.map((x) => `${x.code}:${x.severity}`)).toEqual(['proxy.scheme-mismatch:error']);
    expect(f[0]!.message).toMatch(/speaks TLS, not plain HTTP/);
    expect(f[0]!.evidence).toMatchObject({ symptom: 'tls-port-with-http-scheme' });
    expect(f[0]!.fix?.actor).toBe('user');
  });
  it('a proxy whose name does not resolve: says so, and who acts depends on NXDOMAIN vs a silent resolver', () => {
    const mk = (error: string) => endpointFindings(diag(authority, { env: { HTTPS_PROXY: 'http://p:1' }, os: ['1.1.1.1'], paths: [viaProxy({ proxyConnect: { ...pcBase, ok: false, phase: 'tcp', error, symptom: 'other' } })] }));
    const again = mk('EAI_AGAIN');
    expect(again.map((x) => `${x.code}:${x.severity}`)).toEqual(['proxy.unreachable:error']);
    expect(again[0]!.message).toMatch(/its host name does not resolve \(EAI_AGAIN: the DNS servers did not answer/);
    expect(again[0]!.evidence).toMatchObject({ symptom: 'proxy-name-unresolved' });
    expect(again[0]!.fix).toMatchObject({ actor: 'network-admin', commands: ['nslookup p'] });
    expect(mk('ENOTFOUND')[0]!.fix?.actor).toBe('user');
  });
  it('a name with only AAAA records and no IPv6 route: tcp.unreachable says IPv6-only', () => {
    const p = direct(['server-http', 'node-undici'], { tcp: { ok: false, address: '2001:db8::10', port: 443, ms: 2, error: 'ENETUNREACH', symptom: 'unreachable' } });
    const f = endpointFindings(diag(storage, { os: ['2001:db8::10'], paths: [p] }));
    expect(f.map((x) => `${x.code}:${x.severity}`)).toEqual(['tcp.unreachable:error']);
    expect(f[0]!.message).toMatch(/only to IPv6 \(AAAA\) addresses/);
    expect(f[0]!.evidence).toMatchObject({ ipv6Only: true });
    expect(f[0]!.fix?.summary).toMatch(/IPv4 \(A\) record/);
    // A dual-stack answer is not IPv6-only.
    const g = endpointFindings(diag(storage, { os: ['2001:db8::10', '20.60.1.2'], paths: [p] }));
    expect(g[0]!.evidence?.ipv6Only).toBeUndefined();
  });
  it('a stale hosts-file entry: the failing address is not what DNS answers -> the override is named, the user acts', () => {
    const p = direct(['server-http', 'node-undici'], { tcp: { ok: false, address: '10.9.9.9', port: 443, ms: 2, error: 'ECONNREFUSED', symptom: 'refused' } });
    const f = endpointFindings(diag(storage, { os: ['10.9.9.9'], direct: ['20.60.1.2'], paths: [p] }));
    expect(f.map((x) => x.code)).toEqual(['dns.private-endpoint', 'dns.inconsistent', 'tcp.refused']);
    expect(f[2]!.message).toMatch(/comes from the OS resolver .* the DNS servers answer 20\.60\.1\.2: a stale override/);
    expect(f[2]!.evidence).toMatchObject({ osOverride: true, dnsAnswer: '20.60.1.2' });
    expect(f[2]!.fix?.actor).toBe('user');
    // Same answer from both: no override claim.
    const g = endpointFindings(diag(storage, { os: ['10.9.9.9'], paths: [p] }));
    expect(g.find((x) => x.code === 'tcp.refused')!.evidence?.osOverride).toBeUndefined();
  });
  it('a proxy that accepts the CONNECT and then closes the tunnel: the proxy is named as the cause', () => {
    const f = endpointFindings(diag(authority, { env: { HTTPS_PROXY: 'http://p:1' }, os: ['1.1.1.1'], paths: [viaProxy({ proxyConnect: { ...pcBase, ok: true, phase: 'connect', status: 200 }, tls: { ok: false, ms: 3, chain: [], stores: [], failure: 'closed', error: 'CLOSED_DURING_HANDSHAKE' } })] }));
    expect(f.map((x) => `${x.code}:${x.severity}`)).toEqual(['tls.handshake-failed:error']);
    expect(f[0]!.message).toMatch(/the proxy accepted the CONNECT, then closed the tunnel/);
    expect(f[0]!.fix?.commands?.[0]).toMatch(/curl -sv -x 'http:\/\/p:1'/);
  });
});

describe('unusable proxy URL', () => {
  it('the server cannot use HTTPS_PROXY=proxy.corp:8080 for ARM/data plane: proxy.invalid-url on the endpoint', () => {
    const d = diag(storage, { env: { HTTPS_PROXY: 'proxy.corp:8080' }, os: ['20.60.1.2'] });
    const r = d.routes['server-http']!;
    expect(r.broken).toBeDefined();
    d.paths.push({ key: 'broken:server-http', via: r.via, proxy: r.proxy, proxyVariable: r.variable, consumers: ['server-http'], skipped: r.broken });
    const f = endpointFindings(d);
    expect(f.map((x) => [x.code, x.severity])).toEqual([['proxy.invalid-url', 'error']]);
    expect(f[0]!.fix?.commands).toEqual(['export HTTPS_PROXY=http://proxy.corp:8080']);
  });
});

describe('severity and fixes', () => {
  it('error for the server, warning for the Azure CLI, info for Node only', () => {
    expect(severityFor(['azure-core', 'node-undici'], 'azure-core')).toBe('error');
    expect(severityFor(['azure-cli'], 'azure-core')).toBe('warning');
    expect(severityFor(['node-undici'], 'server-http')).toBe('info');
  });
  it('trust commands per OS and store', () => {
    expect(trustCommands(['os'], 'win32').join('\n')).toMatch(/certutil -addstore -f Root/);
    expect(trustCommands(['os'], 'darwin').join('\n')).toMatch(/add-trusted-cert/);
    expect(trustCommands(['os', 'node', 'azure-cli'], 'linux').join('\n')).toMatch(/update-ca-certificates[\s\S]*NODE_EXTRA_CA_CERTS[\s\S]*REQUESTS_CA_BUNDLE/);
  });
  it('lists every required code', () => {
    for (const c of [
      'dns.not-found', 'dns.timeout', 'dns.private-endpoint', 'dns.private-zone-missing', 'dns.inconsistent',
      'tcp.timeout', 'tcp.refused', 'tcp.reset', 'tcp.unreachable',
      'tls.intercepted', 'tls.untrusted-root', 'tls.expired', 'tls.not-yet-valid', 'tls.hostname-mismatch', 'tls.handshake-failed', 'tls.trust-store-differs',
      'proxy.unreachable', 'proxy.auth-required', 'proxy.blocked', 'proxy.invalid-url', 'proxy.scheme-mismatch', 'proxy.env-conflict', 'proxy.imds-not-bypassed', 'proxy.bypass-ignored-by-server',
      'clock.skew',
    ]) expect(NETWORK_CODES).toContain(c);
  });
});
