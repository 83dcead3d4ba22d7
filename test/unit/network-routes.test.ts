import { describe, expect, it } from 'vitest';
import { buildEndpointModel } from '../../src/core/endpoints.js';
import { bypassFindings, imdsFindings, managedIdentityLikely, serverGlobFor, serverUsesWebProxy } from '../../src/network/bypass.js';
import { distinctPaths, routeFor, routesFor, serverGlobToRegex } from '../../src/network/routes.js';

const BLOB = 'https://acct.blob.core.windows.net';
const LOGIN = 'https://login.microsoftonline.com';
const linux = { platform: 'linux' as const };
const via = (c: Parameters<typeof routeFor>[0], url: string, env: Record<string, string>) => {
  const r = routeFor(c, url, env, linux);
  return r.via === 'direct' ? 'direct' : r.proxy;
};

describe("azure-core (.NET HttpEnvironmentProxy)", () => {
  it('lower case wins over upper case', () => {
    expect(via('azure-core', LOGIN, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' })).toBe('http://lower:1');
    expect(via('azure-core', LOGIN, { HTTPS_PROXY: 'http://upper:1' })).toBe('http://upper:1');
  });
  it('never sends https to the HTTP proxy; ALL_PROXY fills a missing protocol', () => {
    expect(via('azure-core', LOGIN, { HTTP_PROXY: 'http://h:1' })).toBe('direct');
    expect(via('azure-core', LOGIN, { ALL_PROXY: 'http://all:1' })).toBe('http://all:1');
    expect(via('azure-core', LOGIN, { HTTP_PROXY: 'http://h:1', all_proxy: 'http://all:1' })).toBe('http://all:1');
    expect(via('azure-core', 'http://169.254.169.254/x', { HTTPS_PROXY: 'http://s:1' })).toBe('direct');
    expect(via('azure-core', 'http://169.254.169.254/x', { HTTP_PROXY: 'http://h:1' })).toBe('http://h:1');
  });
  it('ignores HTTP_PROXY under CGI (GATEWAY_INTERFACE) but not http_proxy', () => {
    expect(via('azure-core', 'http://x.test/', { HTTP_PROXY: 'http://h:1', GATEWAY_INTERFACE: 'CGI/1.1' })).toBe('direct');
    expect(via('azure-core', 'http://x.test/', { http_proxy: 'http://h:1', GATEWAY_INTERFACE: 'CGI/1.1' })).toBe('http://h:1');
  });
  it('assumes http:// for a value without scheme, skips unusable values', () => {
    expect(via('azure-core', LOGIN, { HTTPS_PROXY: 'proxy.corp:8080' })).toBe('proxy.corp:8080');
    expect(routeFor('azure-core', LOGIN, { HTTPS_PROXY: 'proxy.corp:8080' }, linux).proxyScheme).toBe('http');
    expect(via('azure-core', LOGIN, { https_proxy: 'ftp://x:1', HTTPS_PROXY: 'http://upper:1' })).toBe('http://upper:1');
  });
  it('NO_PROXY: exact host, or leading dot = domain and subdomains; no * globs', () => {
    const env = (np: string) => ({ HTTPS_PROXY: 'http://p:1', NO_PROXY: np });
    expect(via('azure-core', BLOB, env('.blob.core.windows.net'))).toBe('direct');
    expect(via('azure-core', 'https://blob.core.windows.net', env('.blob.core.windows.net'))).toBe('direct');
    expect(via('azure-core', BLOB, env('blob.core.windows.net'))).toBe('http://p:1');
    expect(via('azure-core', BLOB, env('acct.blob.core.windows.net'))).toBe('direct');
    expect(via('azure-core', BLOB, env('*.blob.core.windows.net'))).toBe('http://p:1');
    expect(via('azure-core', BLOB, env('*'))).toBe('http://p:1');
    expect(via('azure-core', BLOB, env(' localhost , ACCT.blob.core.windows.net '))).toBe('direct');
    expect(routeFor('azure-core', BLOB, env('.core.windows.net'), linux).bypassEntry).toBe('.core.windows.net');
  });
  it('no_proxy (even empty) shadows NO_PROXY', () => {
    expect(via('azure-core', BLOB, { HTTPS_PROXY: 'http://p:1', no_proxy: '', NO_PROXY: '.windows.net' })).toBe('http://p:1');
  });
  it('says when the system proxy may apply instead', () => {
    expect(routeFor('azure-core', LOGIN, {}, { platform: 'win32' }).uncertain).toMatch(/Windows/);
    expect(routeFor('azure-core', LOGIN, {}, linux).uncertain).toBeUndefined();
  });
});

describe("server-http (the server's WebProxy)", () => {
  it('reads upper case only, ALL_PROXY first', () => {
    expect(via('server-http', BLOB, { ALL_PROXY: 'http://all:1', HTTPS_PROXY: 'http://s:1' })).toBe('http://all:1');
    expect(via('server-http', BLOB, { HTTPS_PROXY: 'http://s:1', HTTP_PROXY: 'http://h:1' })).toBe('http://s:1');
    expect(via('server-http', BLOB, { HTTP_PROXY: 'http://h:1' })).toBe('http://h:1');
    expect(via('server-http', BLOB, { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:1' })).toBe('http://upper:1');
  });
  it('falls back to the .NET default proxy (lower case env) without upper-case variables', () => {
    const r = routeFor('server-http', BLOB, { https_proxy: 'http://lower:1', no_proxy: '.blob.core.windows.net' }, linux);
    expect(r.via).toBe('direct');
    expect(r.reason).toMatch(/default proxy/);
    expect(via('server-http', BLOB, { https_proxy: 'http://lower:1' })).toBe('http://lower:1');
  });
  it('NO_PROXY only matches as ^glob$ against scheme://host[:port]', () => {
    const env = (np: string) => ({ HTTPS_PROXY: 'http://p:1', NO_PROXY: np });
    expect(via('server-http', BLOB, env('.blob.core.windows.net'))).toBe('http://p:1');
    expect(via('server-http', BLOB, env('acct.blob.core.windows.net'))).toBe('http://p:1');
    expect(via('server-http', BLOB, env('10.0.0.0/8'))).toBe('http://p:1');
    expect(via('server-http', BLOB, env('*.blob.core.windows.net'))).toBe('direct');
    expect(via('server-http', BLOB, env('*'))).toBe('direct');
    expect(via('server-http', BLOB, env('https://acct.blob.core.windows.net'))).toBe('direct');
    expect(via('server-http', 'https://x.example.com:8443', env('*.example.com'))).toBe('http://p:1');
    expect(via('server-http', 'https://x.example.com:8443', env('*.example.com:8443'))).toBe('direct');
    expect(via('server-http', BLOB, env('lower.case.only'))).toBe('http://p:1');
    expect(via('server-http', BLOB, { HTTPS_PROXY: 'http://p:1', no_proxy: '*' })).toBe('http://p:1');
  });
  it('a value without scheme breaks the server or falls back, depending on its shape', () => {
    const r = routeFor('server-http', BLOB, { HTTPS_PROXY: 'proxy.corp:8080' }, linux);
    expect(r.broken).toMatch(/proxy\.corp/);
    const ip = routeFor('server-http', BLOB, { HTTPS_PROXY: '10.0.0.1:3128' }, linux);
    expect(ip.broken).toBeUndefined();
    expect(ip.reason).toMatch(/default proxy/);
    expect(ip.proxyHost).toBe('10.0.0.1');
  });
  it('translates globs like the server', () => {
    expect(serverGlobToRegex('*.blob.core.windows.net')!.source).toBe('^.*\\.blob\\.core\\.windows\\.net$');
    expect(serverGlobToRegex('a?c')!.test('abc')).toBe(true);
  });
});

describe('node-undici (EnvHttpProxyAgent)', () => {
  it('lower case first; https falls back to the HTTP proxy; ALL_PROXY ignored', () => {
    expect(via('node-undici', LOGIN, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' })).toBe('http://lower:1');
    expect(via('node-undici', LOGIN, { HTTP_PROXY: 'http://h:1' })).toBe('http://h:1');
    expect(via('node-undici', LOGIN, { ALL_PROXY: 'http://all:1' })).toBe('direct');
    expect(via('node-undici', LOGIN, { https_proxy: '', HTTPS_PROXY: 'http://upper:1' })).toBe('direct');
  });
  it('NO_PROXY: suffix match for any entry, ports, lone *', () => {
    const env = (np: string) => ({ HTTPS_PROXY: 'http://p:1', NO_PROXY: np });
    expect(via('node-undici', BLOB, env('blob.core.windows.net'))).toBe('direct');
    expect(via('node-undici', BLOB, env('*.blob.core.windows.net'))).toBe('direct');
    expect(via('node-undici', BLOB, env('.core.windows.net'))).toBe('direct');
    expect(via('node-undici', BLOB, env('ob.core.windows.net'))).toBe('http://p:1');
    expect(via('node-undici', BLOB, env('*'))).toBe('direct');
    expect(via('node-undici', BLOB, env('acct.blob.core.windows.net:8443'))).toBe('http://p:1');
    expect(via('node-undici', 'https://acct.blob.core.windows.net:8443', env('acct.blob.core.windows.net:8443'))).toBe('direct');
    expect(via('node-undici', BLOB, env('a b,acct.blob.core.windows.net'))).toBe('direct');
    expect(via('node-undici', BLOB, env('10.0.0.0/8'))).toBe('http://p:1');
  });
});

describe('azure-cli (Python requests)', () => {
  it('uses https_proxy or all_proxy for https, never http_proxy', () => {
    expect(via('azure-cli', LOGIN, { HTTP_PROXY: 'http://h:1' })).toBe('direct');
    expect(via('azure-cli', LOGIN, { ALL_PROXY: 'http://all:1' })).toBe('http://all:1');
    expect(via('azure-cli', LOGIN, { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:1' })).toBe('http://lower:1');
    expect(via('azure-cli', LOGIN, { HTTPS_PROXY: 'http://upper:1', https_proxy: '' })).toBe('direct');
  });
  it('drops the http proxy under CGI (REQUEST_METHOD)', () => {
    expect(via('azure-cli', 'http://x.test/', { HTTP_PROXY: 'http://h:1', REQUEST_METHOD: 'GET' })).toBe('direct');
    expect(via('azure-cli', 'http://x.test/', { http_proxy: 'http://h:1', REQUEST_METHOD: 'GET' })).toBe('http://h:1');
  });
  it('no_proxy: plain suffix match, CIDR for IP hosts, *', () => {
    const env = (np: string) => ({ HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://p:1', NO_PROXY: np });
    expect(via('azure-cli', BLOB, env('blob.core.windows.net'))).toBe('direct');
    expect(via('azure-cli', BLOB, env('.blob.core.windows.net'))).toBe('direct');
    expect(via('azure-cli', BLOB, env('*.blob.core.windows.net'))).toBe('http://p:1');
    expect(via('azure-cli', BLOB, env('*'))).toBe('direct');
    expect(via('azure-cli', 'http://10.1.2.3/', env('10.0.0.0/8'))).toBe('direct');
    expect(via('azure-cli', 'http://169.254.169.254/x', env('169.254.169.254'))).toBe('direct');
    expect(via('azure-cli', BLOB, { HTTPS_PROXY: 'http://p:1', no_proxy: '.windows.net', NO_PROXY: 'other' })).toBe('direct');
  });
});

describe('distinctPaths', () => {
  it('groups consumers by route; separates credentials; skips broken routes', () => {
    const env = { HTTPS_PROXY: 'http://p:1', https_proxy: 'http://u:pw@p:1', NO_PROXY: '.blob.core.windows.net' };
    const routes = routesFor(BLOB, env, linux);
    const paths = distinctPaths(routes);
    const byKey = Object.fromEntries(paths.map((p) => [p.key, p.consumers]));
    expect(byKey).toEqual({
      direct: ['azure-core', 'node-undici', 'azure-cli'],
      'proxy:http://p:1': ['server-http'],
    });
    const broken = distinctPaths(routesFor(BLOB, { HTTPS_PROXY: 'proxy.corp:8080' }, linux));
    expect(broken.flatMap((p) => p.consumers)).not.toContain('server-http');
  });
});

describe('bypass analysis', () => {
  const model = buildEndpointModel({ cloud: '', resources: [{ kind: 'storage', name: 'acct' }] }, {});
  it('proxy.bypass-ignored-by-server per affected endpoint, with the glob to add', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost,.blob.core.windows.net,.vault.azure.net,.corp.example' };
    expect(serverUsesWebProxy(env)).toBe(true);
    const f = bypassFindings(env, model.all, linux);
    const perEndpoint = f.filter((x) => x.severity === 'warning');
    expect(perEndpoint).toHaveLength(1);
    expect(perEndpoint[0]).toMatchObject({ code: 'proxy.bypass-ignored-by-server', target: 'acct.blob.core.windows.net:443' });
    expect(perEndpoint[0]!.evidence).toMatchObject({ entry: '.blob.core.windows.net', suggestedEntry: '*.blob.core.windows.net' });
    const perEntry = f.filter((x) => x.severity === 'info');
    expect(perEntry.map((x) => x.evidence?.entry)).toEqual(['.vault.azure.net']);
  });
  it('silent when the server honours the entry or uses no WebProxy', () => {
    expect(bypassFindings({ HTTPS_PROXY: 'http://p:1', NO_PROXY: '*.blob.core.windows.net,.blob.core.windows.net' }, model.all, linux)).toEqual([]);
    expect(bypassFindings({ https_proxy: 'http://p:1', no_proxy: '.blob.core.windows.net' }, model.all, linux)).toEqual([]);
    expect(serverGlobFor('.x.y')).toBe('*.x.y');
  });
  it('proxy.imds-not-bypassed follows the .NET http proxy rules', () => {
    expect(imdsFindings({ HTTPS_PROXY: 'http://p:1' }, model.managedIdentity, linux)).toEqual([]);
    const f = imdsFindings({ HTTP_PROXY: 'http://u:secretpw@p:1' }, model.managedIdentity, { ...linux, miLikely: true });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ code: 'proxy.imds-not-bypassed', severity: 'warning', target: '169.254.169.254:80' });
    expect(JSON.stringify(f)).not.toContain('secretpw');
    expect(imdsFindings({ ALL_PROXY: 'http://p:1' }, model.managedIdentity, linux)[0]!.severity).toBe('info');
    expect(imdsFindings({ HTTP_PROXY: 'http://p:1', NO_PROXY: '169.254.169.254' }, model.managedIdentity, linux)).toEqual([]);
  });
  it('also checks a configured identity endpoint', () => {
    const m = buildEndpointModel({ cloud: '', resources: [] }, { IDENTITY_ENDPOINT: 'http://127.0.0.1:41741/msi/token' });
    const f = imdsFindings({ HTTP_PROXY: 'http://p:1', NO_PROXY: '169.254.169.254' }, m.managedIdentity, linux);
    expect(f.map((x) => x.target)).toEqual(['127.0.0.1:41741']);
    expect(managedIdentityLikely({ IDENTITY_ENDPOINT: 'x' })).toBe(true);
    expect(managedIdentityLikely({ AZURE_TOKEN_CREDENTIALS: ' Prod ' })).toBe(true);
    expect(managedIdentityLikely({ AZURE_TOKEN_CREDENTIALS: 'dev' })).toBe(false);
  });
});
