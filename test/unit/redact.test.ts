import { describe, expect, it } from 'vitest';
import { Redactor, maskUrlPassword } from '../../src/core/redact.js';

const jwt = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0aWQiOiJhYmMiLCJvaWQiOiJkZWYifQ.c2lnbmF0dXJlLXBhcnQ';

describe('Redactor', () => {
  it('removes secret variable values wherever they appear, including encoded forms', () => {
    const secret = 'Canary~Secret/Value+1';
    const r = new Redactor({ AZURE_CLIENT_SECRET: secret });
    const text = `a ${secret} b ${encodeURIComponent(secret)} c ${Buffer.from(secret).toString('base64')}`;
    const out = r.redact(text);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(encodeURIComponent(secret));
    expect(out).not.toContain(Buffer.from(secret).toString('base64'));
    expect(out).toContain('[REDACTED]');
  });

  it('removes proxy passwords from any proxy variable, and passwords in any URL', () => {
    const r = new Redactor({ https_proxy: 'http://corp%5Cuser:Pr0xyCanary!@proxy.example:8080' });
    const out = r.redact('CONNECT via http://corp%5Cuser:Pr0xyCanary!@proxy.example:8080 failed; password Pr0xyCanary! again');
    expect(out).not.toContain('Pr0xyCanary');
    expect(r.redact('see https://bob:hunter22@host/x')).toBe('see https://bob:[REDACTED]@host/x');
    expect(maskUrlPassword('http://u:p4ss@h:1')).toBe('http://u:[REDACTED]@h:1');
  });

  it('removes JWTs, bearer tokens and secret members of JSON, forms and connection strings', () => {
    const r = new Redactor({});
    expect(r.redact(`token ${jwt} end`)).toBe('token [REDACTED:jwt] end');
    expect(r.redact('Authorization: Bearer abcdefghijklmnop')).toBe('Authorization: Bearer [REDACTED]');
    expect(r.redact('{"accessToken": "opaque-token-value", "tenant": "t"}')).toBe('{"accessToken":"[REDACTED]", "tenant": "t"}');
    expect(r.redact('client_id=abc&client_secret=s3cr3t&scope=x')).toBe('client_id=abc&client_secret=[REDACTED]&scope=x');
    expect(r.redact('AccountName=a;AccountKey=Zm9vYmFy==;EndpointSuffix=x')).toBe('AccountName=a;AccountKey=[REDACTED];EndpointSuffix=x');
  });

  it('masks identities only when asked', () => {
    const text = 'tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 user alice@contoso.com';
    expect(new Redactor({}, false).redact(text)).toBe(text);
    const out = new Redactor({}, true).redact(text);
    expect(out).toBe('tenant ********-****-****-****-********db47 user a***@contoso.com');
  });

  it('does not mangle ordinary text for short or empty values', () => {
    const r = new Redactor({ AZURE_CLIENT_SECRET: 'ab', AZURE_PASSWORD: '' });
    expect(r.redact('about a table')).toBe('about a table');
  });

  it('redacts deeply inside objects', () => {
    const r = new Redactor({ AZURE_CLIENT_CERTIFICATE_PASSWORD: 'CertPassCanary' });
    const obj = r.redactDeep({ a: ['x CertPassCanary'], b: { c: jwt }, n: 3 });
    expect(JSON.stringify(obj)).not.toContain('CertPassCanary');
    expect(obj.b.c).toBe('[REDACTED:jwt]');
    expect(obj.n).toBe(3);
  });
});
