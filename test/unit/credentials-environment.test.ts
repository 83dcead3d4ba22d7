import { afterAll, describe, expect, it } from 'vitest';
import { analyzeEnvironment, checkCertificateFile } from '../../src/probes/credentials/environment.js';
import { APP, cleanupPki, TENANT, testPki } from './credentials-fixtures.js';

afterAll(cleanupPki);

describe('analyzeEnvironment: the .NET EnvironmentCredential selection', () => {
  it('secret wins over user/password, which wins over a certificate (.NET order)', () => {
    expect(analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_CLIENT_SECRET: 's', AZURE_CLIENT_CERTIFICATE_PATH: '/c' }).mode).toBe('secret');
    expect(analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_USERNAME: 'u', AZURE_PASSWORD: 'p', AZURE_CLIENT_CERTIFICATE_PATH: '/c' }).mode).toBe(
      'username-password',
    );
    expect(analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_CLIENT_CERTIFICATE_PATH: '/c' }).mode).toBe('certificate');
  });

  it('a conflicting set is credential.env-invalid naming what is ignored', () => {
    const a = analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_CLIENT_SECRET: 's', AZURE_CLIENT_CERTIFICATE_PATH: '/c' });
    const f = a.findings.find((x) => x.code === 'credential.env-invalid')!;
    expect(f.evidence!.ignored).toBe('AZURE_CLIENT_CERTIFICATE_PATH');
    expect(f.severity).toBe('warning');
  });

  it('a secret without tenant id: env-incomplete (error), unavailable for the server', () => {
    const a = analyzeEnvironment({ AZURE_CLIENT_ID: APP, AZURE_CLIENT_SECRET: 'secret-value' });
    expect(a.mode).toBe('none');
    expect(a.configured).toBe(true);
    const f = a.findings[0]!;
    expect(f.code).toBe('credential.env-incomplete');
    expect(f.severity).toBe('error');
    expect(f.evidence!.missing).toBe('AZURE_TENANT_ID');
    expect(JSON.stringify(a)).not.toContain('secret-value');
  });

  it('tenant + client without a secret is a warning, unless workload or managed identity explains it', () => {
    expect(analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP }).findings[0]!.severity).toBe('warning');
    expect(analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_FEDERATED_TOKEN_FILE: '/t' }).findings).toEqual([]);
    expect(analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, IDENTITY_ENDPOINT: 'http://x' }).findings).toEqual([]);
    expect(analyzeEnvironment({ AZURE_CLIENT_ID: APP }).findings).toEqual([]);
  });

  it('user name without password is incomplete', () => {
    const a = analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_USERNAME: 'u' });
    expect(a.findings[0]!.evidence!.missing).toBe('AZURE_PASSWORD');
  });

  it('quotes or spaces around the secret are flagged without showing it', () => {
    const a = analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_CLIENT_SECRET: '"abc~def"' });
    const f = a.findings.find((x) => x.target === 'AZURE_CLIENT_SECRET')!;
    expect(f.code).toBe('credential.env-invalid');
    expect(JSON.stringify(f)).not.toContain('abc~def');
  });

  it('AZURE_CLIENT_SEND_CERTIFICATE_CHAIN accepts only 1 or true', () => {
    const a = analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_CLIENT_CERTIFICATE_PATH: '/c', AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: 'True' });
    expect(a.findings.some((f) => f.target === 'AZURE_CLIENT_SEND_CERTIFICATE_CHAIN')).toBe(true);
    expect(
      analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_CLIENT_CERTIFICATE_PATH: '/c', AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: 'true' }).findings,
    ).toEqual([]);
  });

  it('user name and password is deprecated and flagged', () => {
    const a = analyzeEnvironment({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_USERNAME: 'u', AZURE_PASSWORD: 'p' });
    expect(a.kind).toBe('username-password');
    expect(a.findings.some((f) => /deprecated/.test(f.message))).toBe(true);
  });
});

describe('checkCertificateFile', () => {
  it('a PEM with certificate and matching key is fine', () => {
    const c = checkCertificateFile(testPki().clientCombined, undefined);
    expect(c.ok).toBe(true);
    expect(c.format).toBe('pem');
    expect(c.pem).toMatch(/BEGIN PRIVATE KEY/);
    expect(c.findings).toEqual([]);
  });

  it('a missing file', () => {
    const c = checkCertificateFile('/nonexistent/cert.pem', undefined);
    expect(c.ok).toBe(false);
    expect(c.findings[0]).toMatchObject({ code: 'credential.certificate-problem', severity: 'error' });
    expect(c.findings[0]!.evidence!.error).toBe('ENOENT');
  });

  it('a certificate without its key', () => {
    const c = checkCertificateFile(testPki().clientCertOnly, undefined);
    expect(c.ok).toBe(false);
    expect(c.findings[0]!.message).toMatch(/no private key/);
  });

  it('an encrypted PEM key fails whatever the password (the server cannot read password-protected PEM), and says whether the password is right', () => {
    const pki = testPki();
    const none = checkCertificateFile(pki.clientEncrypted, undefined);
    const wrong = checkCertificateFile(pki.clientEncrypted, 'wrong');
    const right = checkCertificateFile(pki.clientEncrypted, 'right-pass');
    for (const c of [none, wrong, right]) {
      expect(c.ok).toBe(false);
      expect(c.pem).toBeUndefined();
      expect(c.findings[0]).toMatchObject({ code: 'credential.certificate-problem', severity: 'error' });
      expect(c.findings[0]!.message).toMatch(/Password protection for PEM encoded certificates is not supported/);
      expect(c.findings[0]!.fix!.summary).toMatch(/PFX/);
    }
    expect(none.findings[0]!.message).toMatch(/not set/);
    expect(wrong.findings[0]!.message).toMatch(/does not decrypt/);
    expect(right.findings[0]!.message).toMatch(/is the right password/);
    expect(right.findings[0]!.evidence).toMatchObject({ passwordDecrypts: true });
    expect(JSON.stringify([none, wrong, right].map((c) => c.findings))).not.toMatch(/right-pass|"wrong"/);
  });

  it('an expired certificate', () => {
    const c = checkCertificateFile(testPki().expiredCombined, undefined, Date.parse('2030-01-01'));
    expect(c.ok).toBe(false);
    expect(c.findings[0]!.message).toMatch(/expired/);
    expect(c.findings[0]!.fix!.actor).toBe('app-owner');
  });

  it('a PFX: wrong password fails, right password passes and reads the thumbprint', () => {
    const pki = testPki();
    const bad = checkCertificateFile(pki.clientPfx, 'nope');
    expect(bad.ok).toBe(false);
    expect(bad.findings[0]!.evidence!.error).toBe('bad-password');
    const good = checkCertificateFile(pki.clientPfx, 'pfx-pass');
    expect(good.ok).toBe(true);
    expect(good.format).toBe('pfx');
    expect(good.pem).toBeUndefined();
    expect(good.facts.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(good.facts.subject).toBe('CN=azmcp client');
  });
});
