import { describe, expect, it } from 'vitest';
import { proxyPrecedenceFindings } from '../../src/network/precedence.js';
import { basicAuthorization, credentialsOf, parseProxyValue, proxyEnvSummary, redactProxyValue, validateProxyEnv } from '../../src/network/proxy-env.js';

const SECRET = 'S3cr3t!pw';

describe('redaction', () => {
  it('never keeps user info', () => {
    expect(redactProxyValue(`http://alice:${SECRET}@proxy.corp:8080`)).toBe('http://***@proxy.corp:8080');
    expect(redactProxyValue(`alice:${SECRET}@proxy.corp:8080`)).toBe('***@proxy.corp:8080');
    expect(redactProxyValue(`http://alice:p@ss@proxy.corp:8080/`)).toBe('http://***@proxy.corp:8080/');
    expect(redactProxyValue('http://proxy.corp:8080')).toBe('http://proxy.corp:8080');
    expect(redactProxyValue(`http://al ice:${SECRET}@bad host`)).not.toContain(SECRET);
  });
  it('summary redacts proxies but keeps NO_PROXY', () => {
    const s = proxyEnvSummary({ HTTPS_PROXY: `http://u:${SECRET}@p:1`, NO_PROXY: 'localhost,.corp' });
    expect(JSON.stringify(s)).not.toContain(SECRET);
    expect(s.NO_PROXY).toBe('localhost,.corp');
  });
});

describe('parseProxyValue', () => {
  it('parses scheme, host, port, credentials', () => {
    const p = parseProxyValue('HTTPS_PROXY', `http://alice:${SECRET}@proxy.corp:3128`);
    expect(p).toMatchObject({ scheme: 'http', host: 'proxy.corp', port: 3128, hasCredentials: true, display: 'http://***@proxy.corp:3128' });
    expect(p.problem).toBeUndefined();
    expect(JSON.stringify(p)).not.toContain(SECRET);
  });
  it('defaults ports', () => {
    expect(parseProxyValue('X', 'http://p').port).toBe(80);
    expect(parseProxyValue('X', 'https://p').port).toBe(443);
  });
  it('flags missing, unsupported and unparsable', () => {
    expect(parseProxyValue('X', 'proxy.corp:8080').problem).toBe('missing-scheme');
    expect(parseProxyValue('X', 'ftp://proxy.corp:21').problem).toBe('unsupported-scheme');
    expect(parseProxyValue('X', 'http://proxy corp:8080').problem).toBe('unparsable');
    expect(parseProxyValue('X', 'http://proxy:99999').problem).toBe('unparsable');
    expect(parseProxyValue('X', 'socks5://p:1080').problem).toBeUndefined();
  });
  it('builds Basic credentials from user info (decoded)', () => {
    expect(credentialsOf('http://al%40ice:p%3Aw@p:1')).toEqual({ username: 'al@ice', password: 'p:w' });
    expect(basicAuthorization('http://u:pw@p:1')).toBe(`Basic ${Buffer.from('u:pw').toString('base64')}`);
    expect(basicAuthorization('http://p:1')).toBeUndefined();
  });
});

describe('validateProxyEnv', () => {
  const codes = (env: Record<string, string>) => validateProxyEnv(env).map((f) => f.code);

  it('is silent for a clean env', () => {
    expect(codes({})).toEqual([]);
    expect(codes({ HTTPS_PROXY: 'http://p:3128', https_proxy: 'http://p:3128/', NO_PROXY: 'a,b', no_proxy: 'b, a' })).toEqual([]);
  });
  it('proxy.invalid-url for unparsable and unsupported schemes', () => {
    const f = validateProxyEnv({ HTTPS_PROXY: `http://u:${SECRET}@bad host:1` });
    expect(f.map((x) => x.code)).toEqual(['proxy.invalid-url']);
    expect(f[0]!.severity).toBe('error');
    expect(JSON.stringify(f)).not.toContain(SECRET);
    expect(codes({ ALL_PROXY: 'ftp://p:21' })).toEqual(['proxy.invalid-url']);
  });
  it('proxy.missing-scheme is a warning', () => {
    const f = validateProxyEnv({ HTTPS_PROXY: 'proxy.corp:8080' });
    expect(f.map((x) => [x.code, x.severity])).toEqual([['proxy.missing-scheme', 'warning']]);
  });
  it('case conflicts and precedence are not its business (src/network/precedence.ts)', () => {
    expect(codes({ HTTPS_PROXY: `http://u:${SECRET}@a:1`, https_proxy: 'http://b:1' })).toEqual([]);
    expect(codes({ ALL_PROXY: 'http://a:1', HTTPS_PROXY: 'http://b:1' })).toEqual([]);
  });
});

describe('proxyPrecedenceFindings', () => {
  const codes = (env: Record<string, string>) => proxyPrecedenceFindings(env, { platform: 'linux' }).map((f) => f.code);
  it('proxy.env-conflict when cases disagree, with redacted values', () => {
    const f = proxyPrecedenceFindings({ HTTPS_PROXY: `http://u:${SECRET}@a:1`, https_proxy: 'http://b:1' }, { platform: 'linux' });
    expect(f.map((x) => x.code)).toEqual(['proxy.env-conflict']);
    expect(f[0]!.evidence).toMatchObject({ upper: 'HTTPS_PROXY', lower: 'https_proxy', upperCaseWinsFor: 'server-http' });
    expect(JSON.stringify(f)).not.toContain(SECRET);
    expect(codes({ NO_PROXY: '.a.com', no_proxy: '.b.com' })).toEqual(['proxy.env-conflict']);
    expect(codes({ HTTPS_PROXY: 'http://p:3128', https_proxy: 'http://p:3128/', NO_PROXY: 'a,b', no_proxy: 'b, a' })).toEqual([]);
  });
  it('proxy.precedence-differs when ALL_PROXY and HTTPS_PROXY name different proxies', () => {
    expect(codes({ ALL_PROXY: 'http://a:1', HTTPS_PROXY: 'http://b:1' })).toEqual(['proxy.precedence-differs']);
    expect(codes({ ALL_PROXY: 'http://a:1', HTTPS_PROXY: 'http://a:1' })).toEqual([]);
  });
});
