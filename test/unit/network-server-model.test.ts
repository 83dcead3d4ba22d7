// The route model against the MEASURED behaviour of Azure MCP Server 2.0.5
// (docs/server-behaviour-2.0.5.md). Each table below is copied from the facts file, row by row, so a
// reader can compare: 'token' = the server's token request to login.microsoftonline.com ('azure-core'),
// 'ARM' = management.azure.com and 'blob' = simacct.blob.core.windows.net ('server-http').
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEndpointModel, type Endpoint } from '../../src/core/endpoints.js';
import { bypassFindings, suggestedEntry } from '../../src/network/bypass.js';
import type { EndpointDiagnosis, PathObservation } from '../../src/network/diagnosis.js';
import { classifyDns } from '../../src/network/dns.js';
import { endpointFindings } from '../../src/network/findings.js';
import { envConflictFindings, precedenceFindings, proxyPrecedenceFindings } from '../../src/network/precedence.js';
import { distinctPaths, routeFor, routesFor, serverClientRoute, serverTokenRoute, type Consumer } from '../../src/network/routes.js';
import { verifyChain } from '../../src/network/tls.js';
import { loadOsStore, loadTrustStores, serverTrustedCaPems } from '../../src/probes/trust-stores.js';
import { makePki, type Pki } from './network-fixtures.js';

const T = 'http://198.51.100.3:3128';
const T2 = 'http://198.51.100.3:3130';
const SQ = '198.51.100.3:3129';
const PW = 'proxy-pass-not-real';
const TOKEN = 'https://login.microsoftonline.com';
const ARM = 'https://management.azure.com';
const BLOB = 'https://simacct.blob.core.windows.net';
const linux = { platform: 'linux' as const };

/** 'direct', 'T' or 'T2' for a consumer's route. */
function where(consumer: Consumer, url: string, env: Record<string, string>): string {
  const r = routeFor(consumer, url, env, linux);
  if (r.via === 'direct') return 'direct';
  if (r.proxy === T) return 'T';
  if (r.proxy === T2) return 'T2';
  return r.proxy ?? '?';
}
const row = (env: Record<string, string>) => [where('azure-core', TOKEN, env), where('server-http', ARM, env), where('server-http', BLOB, env)];
const env = (s: string): Record<string, string> =>
  Object.fromEntries(
    s
      .split(/\s+(?=[A-Za-z_]+=)/)
      .filter(Boolean)
      .map((kv) => {
        const i = kv.indexOf('=');
        const v = kv.slice(i + 1);
        return [kv.slice(0, i), v === 'T' ? T : v === 'T2' ? T2 : v];
      }),
  );

describe('§1.1 which proxy carries which request', () => {
  // | env (besides SP) | token | ARM | data plane |
  const table: Array<[string, string, string, string]> = [
    ['', 'direct', 'direct', 'direct'],
    ['HTTPS_PROXY=T', 'T', 'T', 'T'],
    ['https_proxy=T', 'T', 'T', 'T'],
    ['HTTPS_PROXY=T https_proxy=T2', 'T2', 'T', 'T'],
    ['ALL_PROXY=T2 HTTPS_PROXY=T', 'T', 'T2', 'T2'],
    ['ALL_PROXY=T', 'T', 'T', 'T'],
    ['all_proxy=T', 'T', 'T', 'T'],
    ['HTTP_PROXY=T', 'direct', 'T', 'T'],
    ['http_proxy=T', 'direct', 'direct', 'direct'],
  ];
  it.each(table)('%s -> token %s, ARM %s, blob %s', (e, token, arm, blob) => {
    expect(row(env(e))).toEqual([token, arm, blob]);
  });
  it('server-http: the first NON-EMPTY of ALL_PROXY, HTTPS_PROXY, HTTP_PROXY; then lower case is ignored', () => {
    expect(row({ ALL_PROXY: '', HTTPS_PROXY: T })).toEqual(['T', 'T', 'T']);
    expect(row({ ALL_PROXY: '', HTTPS_PROXY: '', HTTP_PROXY: T, https_proxy: T2 })).toEqual(['T2', 'T', 'T']);
    expect(row({ HTTPS_PROXY: '', https_proxy: T })).toEqual(['T', 'T', 'T']); // empty upper case: .NET default proxy
    expect(routeFor('server-http', ARM, { HTTPS_PROXY: T }, linux).bypassDialect).toBe('server-glob');
    expect(routeFor('server-http', ARM, { https_proxy: T }, linux).bypassDialect).toBe('dotnet-env');
  });
});

describe('§1.2 NO_PROXY (with HTTPS_PROXY=T)', () => {
  // | NO_PROXY value | token | ARM | blob |   (P = proxied, D = bypassed)
  const table: Array<[string, 'P' | 'D', 'P' | 'D', 'P' | 'D']> = [
    ['management.azure.com', 'P', 'P', 'P'],
    ['management.azure.com:443', 'P', 'P', 'P'],
    ['.azure.com', 'P', 'P', 'P'],
    ['azure.com', 'P', 'P', 'P'],
    ['*.azure.com', 'P', 'D', 'P'],
    ['*azure.com', 'P', 'D', 'P'],
    ['*', 'P', 'D', 'D'],
    ['198.51.100.0/24', 'P', 'P', 'P'],
    ['login.microsoftonline.com', 'D', 'P', 'P'],
    ['LOGIN.microsoftonline.com,*.AZURE.COM,*.BLOB.core.windows.net', 'D', 'D', 'D'],
    ['.microsoftonline.com', 'D', 'P', 'P'],
    ['microsoftonline.com', 'P', 'P', 'P'],
    ['*.microsoftonline.com', 'P', 'P', 'P'],
    ['simacct.blob.core.windows.net', 'P', 'P', 'P'],
    ['.blob.core.windows.net', 'P', 'P', 'P'],
    ['blob.core.windows.net', 'P', 'P', 'P'],
    ['*.blob.core.windows.net', 'P', 'P', 'D'],
    ['localhost, *.azure.com', 'P', 'D', 'P'],
  ];
  const pd = (s: string) => (s === 'direct' ? 'D' : 'P');
  it.each(table)('NO_PROXY=%s -> token %s, ARM %s, blob %s', (np, token, arm, blob) => {
    expect(row({ HTTPS_PROXY: T, NO_PROXY: np }).map(pd)).toEqual([token, arm, blob]);
  });

  // Lower-case no_proxy: | env | token | ARM | blob |
  const lower: Array<[Record<string, string>, 'P' | 'D', 'P' | 'D', 'P' | 'D']> = [
    [{ HTTPS_PROXY: T, no_proxy: '*.azure.com,*.blob.core.windows.net,login.microsoftonline.com' }, 'D', 'P', 'P'],
    [{ https_proxy: T, no_proxy: 'management.azure.com,.blob.core.windows.net' }, 'P', 'D', 'D'],
    [{ https_proxy: T, NO_PROXY: 'management.azure.com,.blob.core.windows.net' }, 'P', 'D', 'D'],
    [{ https_proxy: T, NO_PROXY: '*.azure.com,*.blob.core.windows.net' }, 'P', 'P', 'P'],
  ];
  it.each(lower)('%j -> token %s, ARM %s, blob %s', (e, token, arm, blob) => {
    expect(row(e).map(pd)).toEqual([token, arm, blob]);
  });
});

describe('§1.3 credentials in the proxy URL', () => {
  const up = { HTTPS_PROXY: `http://proxyuser:${PW}@${SQ}` };
  const low = { https_proxy: `http://proxyuser:${PW}@${SQ}` };
  // | env | token | ARM / blob |
  it('upper-case HTTPS_PROXY with user info: the token stack sends it, the ARM/data-plane client drops it', () => {
    const token = routeFor('azure-core', TOKEN, up, linux);
    const arm = routeFor('server-http', ARM, up, linux);
    expect(token).toMatchObject({ via: 'proxy', sendsCredentials: true });
    expect(token.credentialsDropped).toBeUndefined();
    expect(arm).toMatchObject({ via: 'proxy', proxyHasCredentials: true, sendsCredentials: false, credentialsDropped: true });
    expect(arm.reason).toMatch(/not sent/);
  });
  it('lower-case https_proxy only: both stacks send it', () => {
    expect(routeFor('azure-core', TOKEN, low, linux).sendsCredentials).toBe(true);
    expect(routeFor('server-http', ARM, low, linux)).toMatchObject({ sendsCredentials: true });
    expect(routeFor('server-http', BLOB, low, linux).credentialsDropped).toBeUndefined();
  });
  it('the dropping consumer is a path of its own, probed without credentials', () => {
    const routes = routesFor(ARM, up, linux);
    const paths = distinctPaths(routes, ['server-http', 'azure-cli', 'node-undici']);
    expect(paths.map((p) => [p.key, p.consumers, p.sendsCredentials])).toEqual([
      [`proxy:http://${SQ}`, ['server-http'], false],
      [`proxy:http://${SQ}#HTTPS_PROXY`, ['azure-cli', 'node-undici'], true],
    ]);
    expect(paths[0]!.credentialsDroppedBy).toEqual([{ consumer: 'server-http', variable: 'HTTPS_PROXY' }]);
  });
});

describe('exports for the credential probes', () => {
  it('serverTokenRoute: azure-core rules; proxyUrl keeps the credentials, displayUrl masks them', () => {
    expect(serverTokenRoute(TOKEN, { HTTP_PROXY: T }, linux)).toMatchObject({ via: 'direct' });
    const r = serverTokenRoute(TOKEN, { HTTPS_PROXY: `http://proxyuser:${PW}@${SQ}` }, linux);
    expect(r).toMatchObject({ via: 'proxy', proxyUrl: `http://proxyuser:${PW}@${SQ}`, displayUrl: `http://***@${SQ}`, variable: 'HTTPS_PROXY', sendsCredentials: true });
    expect(serverTokenRoute(TOKEN, { HTTPS_PROXY: T, https_proxy: T2 }, linux)).toMatchObject({ via: 'proxy', proxyUrl: T2, variable: 'https_proxy' });
    expect(serverTokenRoute(TOKEN, { HTTPS_PROXY: T, NO_PROXY: '.microsoftonline.com' }, linux)).toMatchObject({ via: 'direct', bypassEntry: '.microsoftonline.com' });
    expect(serverTokenRoute(TOKEN, { HTTPS_PROXY: '198.51.100.3:3128' }, linux)).toMatchObject({ via: 'proxy', proxyUrl: T });
  });
  it('serverClientRoute: server-http rules; dropped credentials are not in proxyUrl', () => {
    const r = serverClientRoute(ARM, { HTTPS_PROXY: `http://proxyuser:${PW}@${SQ}` }, linux);
    expect(r).toMatchObject({ via: 'proxy', proxyUrl: `http://${SQ}`, sendsCredentials: false, credentialsDropped: true });
    expect(JSON.stringify(r)).not.toContain(PW);
    expect(serverClientRoute(ARM, { HTTP_PROXY: T }, linux)).toMatchObject({ via: 'proxy', proxyUrl: T });
    expect(serverClientRoute(ARM, { HTTPS_PROXY: 'proxy.corp:8080' }, linux)).toMatchObject({ via: 'proxy', broken: expect.stringMatching(/no http:\/\//) });
  });
});

describe('proxy.env-conflict and proxy.precedence-differs follow the measured rules', () => {
  it('HTTPS_PROXY=T https_proxy=T2: env-conflict names who reads which; no separate precedence finding', () => {
    const f = proxyPrecedenceFindings({ HTTPS_PROXY: T, https_proxy: T2 }, linux);
    expect(f.map((x) => [x.code, x.severity])).toEqual([['proxy.env-conflict', 'warning']]);
    expect(f[0]!.evidence).toMatchObject({ lowerCaseWinsFor: 'azure-core,node-undici,azure-cli', upperCaseWinsFor: 'server-http' });
    expect(f[0]!.message).toMatch(/token requests follow https_proxy and its ARM\/data-plane calls HTTPS_PROXY/);
  });
  it('NO_PROXY vs no_proxy: the server reads NO_PROXY only under an upper-case proxy', () => {
    const a = envConflictFindings({ HTTPS_PROXY: T, NO_PROXY: '*.azure.com', no_proxy: '.azure.com' }, linux);
    expect(a[0]!.evidence).toMatchObject({ upperCaseWinsFor: 'server-http', lowerCaseWinsFor: 'azure-core,node-undici,azure-cli' });
    const b = envConflictFindings({ https_proxy: T, NO_PROXY: '*.azure.com', no_proxy: '.azure.com' }, linux);
    expect(b[0]!.evidence).toMatchObject({ upperCaseWinsFor: null, lowerCaseWinsFor: 'azure-core,server-http,node-undici,azure-cli' });
    expect(b[0]!.severity).toBe('info');
  });
  it('http_proxy vs HTTP_PROXY: the token stack uses neither for https', () => {
    const f = envConflictFindings({ HTTP_PROXY: T, http_proxy: T2 }, linux);
    expect(f[0]!.evidence).toMatchObject({ upperCaseWinsFor: 'server-http', lowerCaseWinsFor: 'node-undici' });
    expect(String(f[0]!.evidence!.lowerCaseWinsFor)).not.toContain('azure-core');
  });
  it('ALL_PROXY=T2 HTTPS_PROXY=T: token via HTTPS_PROXY, ARM via ALL_PROXY', () => {
    const f = precedenceFindings({ ALL_PROXY: T2, HTTPS_PROXY: T }, linux);
    expect(f.map((x) => [x.code, x.severity])).toEqual([['proxy.precedence-differs', 'warning']]);
    expect(f[0]!.evidence).toMatchObject({ tokenVariable: 'HTTPS_PROXY', serverVariable: 'ALL_PROXY', tokenRoute: `proxy ${T}`, serverRoute: `proxy ${T2}` });
  });
  it('HTTP_PROXY only: token direct, ARM through the proxy', () => {
    const f = precedenceFindings({ HTTP_PROXY: T }, linux);
    expect(f[0]!.evidence).toMatchObject({ tokenRoute: 'direct', serverVariable: 'HTTP_PROXY' });
    expect(f[0]!.message).toMatch(/never use HTTP_PROXY for https/);
  });
  it('silent when both stacks use the same proxy', () => {
    for (const e of [{ HTTPS_PROXY: T }, { https_proxy: T }, { ALL_PROXY: T, HTTPS_PROXY: T }, { all_proxy: T }, {}, { HTTPS_PROXY: T, https_proxy: `${T}/` }]) {
      expect(proxyPrecedenceFindings(e, linux), JSON.stringify(e)).toEqual([]);
    }
  });
  it('never prints a password', () => {
    const f = proxyPrecedenceFindings({ HTTPS_PROXY: `http://u:${PW}@${SQ}`, https_proxy: T, ALL_PROXY: `http://u:${PW}@h:1` }, linux);
    expect(f.length).toBeGreaterThan(0);
    expect(JSON.stringify(f)).not.toContain(PW);
  });
});

describe('proxy.bypass-ignored-by-server per server stack', () => {
  const model = buildEndpointModel({ cloud: '', resources: [{ kind: 'storage', name: 'simacct' }] }, {});
  const warn = (e: Record<string, string>) =>
    bypassFindings(e, model.all, linux)
      .filter((f) => f.severity === 'warning')
      .map((f) => [f.target, f.evidence?.entry, f.evidence?.serverConsumer, f.evidence?.suggestedEntry]);
  it("NO_PROXY=*: honoured by the ARM/data-plane client, not by the token stack", () => {
    expect(warn({ HTTPS_PROXY: T, NO_PROXY: '*' })).toEqual([['login.microsoftonline.com:443', '*', 'azure-core', 'login.microsoftonline.com']]);
  });
  it('.microsoftonline.com works for token requests (no warning); .blob.core.windows.net does not work for the data plane', () => {
    expect(warn({ HTTPS_PROXY: T, NO_PROXY: '.microsoftonline.com' })).toEqual([]);
    expect(warn({ HTTPS_PROXY: T, NO_PROXY: '.blob.core.windows.net' })).toEqual([
      ['simacct.blob.core.windows.net:443', '.blob.core.windows.net', 'server-http', '*.blob.core.windows.net'],
    ]);
  });
  it('*.microsoftonline.com is ignored by the token stack', () => {
    expect(warn({ HTTPS_PROXY: T, NO_PROXY: '*.microsoftonline.com' })).toEqual([
      ['login.microsoftonline.com:443', '*.microsoftonline.com', 'azure-core', '.microsoftonline.com'],
    ]);
  });
  it('upper-case proxy + lower-case no_proxy: the ARM/data-plane client ignores no_proxy', () => {
    const f = bypassFindings({ HTTPS_PROXY: T, no_proxy: '*.azure.com,login.microsoftonline.com' }, model.all, linux);
    const arm = f.find((x) => x.target === 'management.azure.com:443')!;
    expect(arm).toMatchObject({ severity: 'warning' });
    expect(arm.message).toMatch(/lower-case no_proxy is ignored/);
    expect(arm.fix?.commands).toEqual(['export NO_PROXY="$NO_PROXY,*.azure.com"']);
    expect(f.some((x) => x.target === 'login.microsoftonline.com:443')).toBe(false);
  });
  it('lower-case proxy only: the server uses .NET rules, so *-globs do not work there', () => {
    const f = bypassFindings({ https_proxy: T, NO_PROXY: '*.azure.com' }, model.all, linux);
    const arm = f.find((x) => x.target === 'management.azure.com:443')!;
    expect(arm.evidence).toMatchObject({ serverDialect: 'dotnet-env', suggestedEntry: '.azure.com', serverReads: 'NO_PROXY' });
  });
  it('the authority alias and Graph are not hosts the server uses', () => {
    const f = bypassFindings({ HTTPS_PROXY: T, NO_PROXY: 'login.windows.net,graph.microsoft.com' }, model.all, linux);
    expect(routeFor('node-undici', 'https://graph.microsoft.com', { HTTPS_PROXY: T, NO_PROXY: 'graph.microsoft.com' }, linux).via).toBe('direct');
    expect(f.filter((x) => x.severity === 'warning')).toEqual([]);
  });
  it('suggestedEntry per dialect', () => {
    expect(suggestedEntry('server-glob', 'simacct.blob.core.windows.net', '.blob.core.windows.net')).toBe('*.blob.core.windows.net');
    expect(suggestedEntry('server-glob', 'simacct.blob.core.windows.net', 'simacct.blob.core.windows.net')).toBe('*simacct.blob.core.windows.net');
    expect(suggestedEntry('dotnet-env', 'management.azure.com', '*.azure.com')).toBe('.azure.com');
    expect(suggestedEntry('dotnet-env', 'login.microsoftonline.com', '*')).toBe('login.microsoftonline.com');
    // and the suggestion really works in that dialect
    expect(where('server-http', BLOB, { HTTPS_PROXY: T, NO_PROXY: '*simacct.blob.core.windows.net' })).toBe('direct');
  });
});

// ---------------------------------------------------------------------------------------------
// Findings from hand-built diagnoses

function diag(ep: Endpoint, consumers: Consumer[], envv: Record<string, string>, paths: PathObservation[], dnsError?: string): EndpointDiagnosis {
  const routes = Object.fromEntries(consumers.map((c) => [c, routeFor(c, ep.url, envv, linux)]));
  const dns = classifyDns({
    host: ep.host,
    os: { addresses: dnsError ? [] : ['198.51.100.10'], ms: 1, error: dnsError },
    direct: { servers: ['198.51.100.2'], addresses: dnsError ? [] : ['198.51.100.10'], cname: [], ms: 1, error: dnsError },
  });
  return { endpoint: ep, consumers, serverConsumer: consumers[0]!, routes, dns, paths, durationMs: 5 };
}
const armEp: Endpoint = { id: 'arm', role: 'arm', label: 'ARM', host: 'management.azure.com', port: 443, url: ARM, scheme: 'https' };

describe('§1.3 proxy.auth-required when the server drops the credentials', () => {
  const e = { HTTPS_PROXY: `http://proxyuser:${PW}@${SQ}` };
  const p407 = (consumers: Consumer[], credentialsOffered: boolean, dropped: boolean): PathObservation => ({
    key: `proxy:http://${SQ}${credentialsOffered ? '#HTTPS_PROXY' : ''}`,
    via: 'proxy',
    proxy: `http://***@${SQ}`,
    proxyVariable: 'HTTPS_PROXY',
    consumers,
    ...(dropped ? { credentialsDroppedBy: consumers.map((c) => ({ consumer: c, variable: 'HTTPS_PROXY' })) } : {}),
    proxyConnect: { ok: false, phase: 'connect', proxyAddress: SQ, status: 407, authSchemes: ['Basic'], credentialsOffered },
  });
  it('error on ARM with the lower-case fix; the password is never shown', () => {
    const f = endpointFindings(diag(armEp, ['server-http', 'azure-cli', 'node-undici'], e, [p407(['server-http'], false, true)]), linux);
    expect(f.map((x) => [x.code, x.severity, x.target])).toEqual([['proxy.auth-required', 'error', 'management.azure.com:443']]);
    expect(f[0]!.evidence).toMatchObject({ symptom: 'credentials-dropped-by-server', credentialsInUrl: true, credentialsOffered: false, credentialsDroppedBy: 'server-http' });
    expect(f[0]!.fix?.summary).toMatch(/lower-case https_proxy and unset the upper-case HTTPS_PROXY\/HTTP_PROXY\/ALL_PROXY/);
    expect(f[0]!.fix?.commands).toEqual(['export https_proxy="$HTTPS_PROXY"   # the same URL, credentials included, in lower case', 'unset HTTPS_PROXY HTTP_PROXY ALL_PROXY']);
    expect(JSON.stringify(f)).not.toContain(PW);
  });
  it('on Windows (case-insensitive variables) the fix is an exemption or a local proxy', () => {
    const f = endpointFindings(diag(armEp, ['server-http'], e, [p407(['server-http'], false, true)]), { platform: 'win32' });
    expect(f[0]!.fix).toMatchObject({ actor: 'network-admin' });
    expect(f[0]!.fix?.summary).toMatch(/case-insensitive/);
  });
  it('rejected credentials stay credentials-rejected', () => {
    const f = endpointFindings(diag(armEp, ['server-http'], { https_proxy: e.HTTPS_PROXY }, [p407(['server-http'], true, false)]), linux);
    expect(f[0]!.evidence).toMatchObject({ symptom: 'credentials-rejected' });
  });
});

describe('§5 hosts the server never contacts', () => {
  const alias: Endpoint = { id: 'authority-alias', role: 'authority-alias', label: 'alias', host: 'login.windows.net', port: 443, url: 'https://login.windows.net', scheme: 'https' };
  const graph: Endpoint = { id: 'graph', role: 'graph', label: 'Graph', host: 'graph.microsoft.com', port: 443, url: 'https://graph.microsoft.com', scheme: 'https' };
  const authority: Endpoint = { id: 'authority', role: 'authority', label: 'authority', host: 'login.microsoftonline.com', port: 443, url: TOKEN, scheme: 'https' };
  const skipped = (cs: Consumer[]): PathObservation => ({ key: 'direct', via: 'direct', consumers: cs, skipped: 'x' });
  it('dns.not-found on Graph or the alias is a warning that says why', () => {
    for (const [ep, cs] of [
      [graph, ['server-http', 'node-undici']],
      [alias, ['azure-core', 'azure-cli', 'node-undici']],
    ] as const) {
      const f = endpointFindings(diag(ep, [...cs], {}, [skipped([...cs])], 'ENOTFOUND'), linux);
      expect(f.map((x) => [x.code, x.severity])).toEqual([['dns.not-found', 'warning']]);
      expect(f[0]!.evidence).toMatchObject({ downgradedFrom: 'error', serverUsesHost: false });
      expect(f[0]!.message).toMatch(/listed as required .* do not use it/);
      expect(f[0]!.message).toMatch(/Azure CLI, the Azure portal/);
    }
  });
  it('proxy.upstream-failed on Graph is a warning; the same on the authority stays an error', () => {
    const p = (cs: Consumer[]): PathObservation => ({
      key: `proxy:${T}`,
      via: 'proxy',
      proxy: T,
      proxyVariable: 'HTTPS_PROXY',
      consumers: cs,
      proxyConnect: { ok: false, phase: 'connect', proxyAddress: '198.51.100.3:3128', status: 502, authSchemes: [], credentialsOffered: false },
    });
    const g = endpointFindings(diag(graph, ['server-http', 'node-undici'], { HTTPS_PROXY: T }, [p(['server-http', 'node-undici'])]), linux);
    expect(g.map((x) => [x.code, x.severity])).toEqual([['proxy.upstream-failed', 'warning']]);
    expect(g[0]!.message).not.toMatch(/Affects: Azure MCP Server/);
    const a = endpointFindings(diag(authority, ['azure-core', 'azure-cli', 'node-undici'], { HTTPS_PROXY: T }, [p(['azure-core', 'azure-cli', 'node-undici'])]), linux);
    expect(a.map((x) => [x.code, x.severity])).toEqual([['proxy.upstream-failed', 'error']]);
  });
});

// ---------------------------------------------------------------------------------------------
// §2 TLS trust: the OS store both server stacks use

describe('§2 the OS store the server uses', () => {
  let pki: Pki;
  let dir: string;
  beforeAll(() => {
    pki = makePki();
    dir = mkdtempSync(join(tmpdir(), 'azmcp-os-store-'));
  }, 60_000);
  afterAll(() => {
    pki?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('SSL_CERT_FILE replaces the default bundle; NODE_EXTRA_CA_CERTS is ignored', async () => {
    const emptyDir = join(dir, 'empty');
    mkdirSync(emptyDir, { recursive: true });
    const os = await loadOsStore({ SSL_CERT_FILE: pki.testRoot.certFile, SSL_CERT_DIR: emptyDir, NODE_EXTRA_CA_CERTS: pki.zscalerRoot.certFile }, 'linux');
    expect(os.certs.map((c) => c.fingerprint256)).toEqual([pki.testRoot.x509.fingerprint256]);
    expect(os.sources).toEqual([`SSL_CERT_FILE=${pki.testRoot.certFile}`]);
    // trusted with the test CA only: the default bundle is not read at all
    expect(os.index.size).toBe(1);
  });

  it('SSL_CERT_DIR replaces the directory; every file in it is read (hashed link or not), PEM only', async () => {
    const d = join(dir, 'certs');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'corp-root.pem'), pki.zscalerRoot.cert);
    writeFileSync(join(d, 'not-a-cert.txt'), 'hello');
    symlinkSync(pki.testRoot.certFile, join(d, 'abcdef01.0'));
    const os = await loadOsStore({ SSL_CERT_FILE: join(dir, 'missing.pem'), SSL_CERT_DIR: `${d}:${d}` }, 'linux');
    expect(new Set(os.certs.map((c) => c.fingerprint256))).toEqual(new Set([pki.zscalerRoot.x509.fingerprint256, pki.testRoot.x509.fingerprint256]));
    expect(os.sources).toEqual([`SSL_CERT_DIR=${d}`]);
  });

  it('non-self-signed certificates are intermediates, not trust anchors (like .NET)', async () => {
    const f = join(dir, 'inter-only.pem');
    writeFileSync(f, pki.testInter.cert);
    const interOnly = await loadOsStore({ SSL_CERT_FILE: f, SSL_CERT_DIR: join(dir, 'nothing') }, 'linux');
    expect(interOnly.available).toBe(false);
    expect(interOnly.intermediates?.map((c) => c.fingerprint256)).toEqual([pki.testInter.x509.fingerprint256]);
    expect(verifyChain([pki.leaf.x509], interOnly.index, interOnly.intermediates).trusted).toBe(false);
    // with the root too, the stored intermediate completes a chain the server presents without it
    const both = join(dir, 'root-and-inter.pem');
    writeFileSync(both, pki.testRoot.cert + pki.testInter.cert);
    const os = await loadOsStore({ SSL_CERT_FILE: both, SSL_CERT_DIR: join(dir, 'nothing') }, 'linux');
    const r = verifyChain([pki.leaf.x509], os.index, os.intermediates);
    expect(r.trusted).toBe(true);
    expect(r.anchor?.fingerprint256).toBe(pki.testRoot.x509.fingerprint256);
  });

  it('serverTrustedCaPems: PEM strings of exactly that store', async () => {
    const both = join(dir, 'root-and-inter2.pem');
    writeFileSync(both, pki.testRoot.cert + pki.testInter.cert);
    const pems = await serverTrustedCaPems({ SSL_CERT_FILE: both, SSL_CERT_DIR: join(dir, 'nothing'), NODE_EXTRA_CA_CERTS: pki.zscalerRoot.certFile }, 'linux');
    expect(pems?.map((p) => p.trim())).toEqual([pki.testRoot.cert.trim(), pki.testInter.cert.trim()]);
    expect(await serverTrustedCaPems({ SSL_CERT_FILE: join(dir, 'missing.pem'), SSL_CERT_DIR: join(dir, 'nothing') }, 'linux')).toBeUndefined();
  });

  it('the Node store is the one NODE_EXTRA_CA_CERTS feeds (the doctor keeps the two apart)', async () => {
    const stores = await loadTrustStores({ SSL_CERT_FILE: pki.testRoot.certFile, SSL_CERT_DIR: join(dir, 'nothing'), NODE_EXTRA_CA_CERTS: pki.zscalerRoot.certFile, PATH: '' }, 'linux');
    const os = stores.find((s) => s.id === 'os')!;
    const node = stores.find((s) => s.id === 'node')!;
    expect(os.index.fingerprints.has(pki.zscalerRoot.x509.fingerprint256)).toBe(false);
    expect(node.index.fingerprints.has(pki.zscalerRoot.x509.fingerprint256)).toBe(true);
  });
});
