// EnvironmentCredential and WorkloadIdentityCredential through the real @azure/identity against a fake
// Entra authority on 127.0.0.1: success, AADSTS errors with trace/correlation ids, a hung authority,
// a closed port.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeEnvironment } from '../../src/probes/credentials/environment.js';
import { probeWorkloadIdentity } from '../../src/probes/credentials/workload-identity.js';
import {
  APP,
  appToken,
  cleanupPki,
  closedPort,
  CORRELATION_ID,
  makeJwt,
  probeCtx,
  startFakeAuthority,
  TENANT,
  testPki,
  TRACE_ID,
  type FakeAuthority,
} from './credentials-fixtures.js';

const SECRET = 'the-real-secret-value-123';

let auth: FakeAuthority;
let dir: string;

beforeAll(async () => {
  for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy']) delete process.env[k];
  dir = mkdtempSync(path.join(os.tmpdir(), 'azmcp-cred-sdk-'));
  auth = await startFakeAuthority((form) => {
    const client = form.get('client_id');
    if (client === 'hang') return { kind: 'hang' };
    if (client === 'html') return { kind: 'html', status: 502 };
    if (form.get('client_secret') === SECRET) return { kind: 'ok', token: appToken() };
    if (form.get('client_secret') === 'expired') return { kind: 'aadsts', status: 401, code: 7000222, error: 'invalid_client', description: 'The provided client secret keys are expired.' };
    if (form.get('client_secret')) return { kind: 'aadsts', status: 401, code: 7000215, error: 'invalid_client', description: 'Invalid client secret provided.' };
    const assertion = form.get('client_assertion');
    if (assertion && form.get('client_assertion_type')?.includes('jwt-bearer')) {
      if (client === 'wi-ok') return { kind: 'ok', token: appToken({ appid: 'wi-ok' }) };
      if (client === 'wi-mismatch') return { kind: 'aadsts', status: 400, code: 700213, error: 'invalid_request', description: 'No matching federated identity record found for presented assertion subject.' };
      if (client === APP) return { kind: 'ok', token: appToken({ appid: 'cert-app' }) };
    }
    return { kind: 'aadsts', status: 400, code: 700016, error: 'unauthorized_client', description: 'Application not found in the directory.' };
  });
});

afterAll(async () => {
  await auth.close();
  rmSync(dir, { recursive: true, force: true });
  cleanupPki();
});

const env = (extra: Record<string, string>) => ({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, ...extra });

describe('EnvironmentCredential (client secret)', () => {
  it('succeeds and decodes the identity; the token is nowhere in the attempt', async () => {
    const a = await probeEnvironment(probeCtx({ env: env({ AZURE_CLIENT_SECRET: SECRET }), authorityHost: auth.url }));
    expect(a.state).toBe('succeeded');
    expect(a.kind).toBe('client-secret');
    expect(a.identity).toMatchObject({ kind: 'app', tenantId: TENANT, appId: APP });
    const json = JSON.stringify(a);
    expect(json).not.toContain(appToken().split('.')[1]!.slice(0, 20));
    expect(json).not.toContain(SECRET);
    expect(a.exchanges!.some((x) => x.url.endsWith('/oauth2/v2.0/token') && x.status === 200)).toBe(true);
    expect(auth.tokenRequests.at(-1)!.get('scope')).toBe('https://management.azure.com/.default');
  });

  it('a wrong secret keeps AADSTS7000215 with trace and correlation ids', async () => {
    const a = await probeEnvironment(probeCtx({ env: env({ AZURE_CLIENT_SECRET: 'wrong' }), authorityHost: auth.url }));
    expect(a.state).toBe('failed');
    expect(a.entra?.codes).toEqual([7000215]);
    expect(a.entra?.traceId).toBe(TRACE_ID);
    expect(a.entra?.correlationId).toBe(CORRELATION_ID);
    expect(a.exchanges!.find((x) => x.status === 401)!.body).toContain('AADSTS7000215');
    expect(JSON.stringify(a)).not.toContain('"wrong"');
  });

  it('an expired secret is AADSTS7000222', async () => {
    const a = await probeEnvironment(probeCtx({ env: env({ AZURE_CLIENT_SECRET: 'expired' }), authorityHost: auth.url }));
    expect(a.entra?.codes).toEqual([7000222]);
  });

  it('a hung token endpoint is bounded by the per-request timeout', async () => {
    const t0 = Date.now();
    const a = await probeEnvironment(probeCtx({ env: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: 'hang', AZURE_CLIENT_SECRET: 'x' }, authorityHost: auth.url }));
    const took = Date.now() - t0;
    expect(a.state).toBe('failed');
    expect(took).toBeLessThan(4000);
    expect(a.network?.code).toBe('tcp.timeout');
  });

  it('a closed port is tcp.refused, with the host', async () => {
    const port = await closedPort();
    const a = await probeEnvironment(probeCtx({ env: env({ AZURE_CLIENT_SECRET: SECRET }), authorityHost: `https://127.0.0.1:${port}` }));
    expect(a.state).toBe('failed');
    expect(a.network).toMatchObject({ code: 'tcp.refused', errorCode: 'ECONNREFUSED', host: '127.0.0.1' });
  });

  it('an untrusted authority certificate is a TLS finding', async () => {
    const ctx = { ...probeCtx({ env: env({ AZURE_CLIENT_SECRET: SECRET }), authorityHost: auth.url }), tlsCa: undefined };
    // Node's own store (no test CA): the OS bundle on this machine does not hold the unit-test CA either.
    const a = await probeEnvironment(ctx);
    expect(a.state).toBe('failed');
    expect(a.network?.code).toBe('tls.untrusted-root');
  });

  it('unset variables: unavailable, not configured', async () => {
    const a = await probeEnvironment(probeCtx({ env: {}, authorityHost: auth.url }));
    expect(a.state).toBe('unavailable');
    expect(a.configured).toBe(false);
  });

  it('EnvironmentCredential ignores the server cloud: authority is AZURE_AUTHORITY_HOST or public', async () => {
    const ctx = probeCtx({ env: env({ AZURE_CLIENT_SECRET: SECRET, AZURE_AUTHORITY_HOST: auth.url }) });
    const a = await probeEnvironment(ctx);
    expect(a.facts.authority).toBe(auth.url);
    expect(a.facts.authoritySource).toBe('AZURE_AUTHORITY_HOST');
    expect(a.state).toBe('succeeded');
  });
});

describe('EnvironmentCredential (certificate)', () => {
  it('a PEM with certificate and key is sent as a client assertion', async () => {
    const pki = testPki();
    const a = await probeEnvironment(probeCtx({ env: env({ AZURE_CLIENT_CERTIFICATE_PATH: pki.clientCombined }), authorityHost: auth.url }));
    expect(a.kind).toBe('client-certificate');
    expect(a.state).toBe('succeeded');
    expect(a.facts.thumbprint).toMatch(/^[0-9A-F]{40}$/);
  });

  it('a PEM without a key fails locally with credential.certificate-problem and sends nothing', async () => {
    const pki = testPki();
    const before = auth.tokenRequests.length;
    const a = await probeEnvironment(probeCtx({ env: env({ AZURE_CLIENT_CERTIFICATE_PATH: pki.clientCertOnly }), authorityHost: auth.url }));
    expect(a.state).toBe('failed');
    expect(a.findings.map((f) => f.code)).toContain('credential.certificate-problem');
    expect(auth.tokenRequests.length).toBe(before);
  });

  it('a PFX is validated locally but not sent (unknown)', async () => {
    const pki = testPki();
    const a = await probeEnvironment(probeCtx({ env: env({ AZURE_CLIENT_CERTIFICATE_PATH: pki.clientPfx, AZURE_CLIENT_CERTIFICATE_PASSWORD: 'pfx-pass' }), authorityHost: auth.url }));
    expect(a.state).toBe('unknown');
    expect(a.facts.format).toBe('PFX');
  });
});

describe('WorkloadIdentityCredential', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const file = (name: string, content: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  it('not configured without AZURE_FEDERATED_TOKEN_FILE', async () => {
    const a = await probeWorkloadIdentity(probeCtx({ env: env({}), authorityHost: auth.url }));
    expect(a.state).toBe('unavailable');
    expect(a.configured).toBe(false);
  });

  it('partial variables: env-incomplete naming the missing ones', async () => {
    const a = await probeWorkloadIdentity(probeCtx({ env: { AZURE_FEDERATED_TOKEN_FILE: '/x' }, authorityHost: auth.url }));
    expect(a.state).toBe('unavailable');
    expect(a.findings[0]!.code).toBe('credential.env-incomplete');
    expect(a.findings[0]!.evidence!.missing).toBe('AZURE_TENANT_ID,AZURE_CLIENT_ID');
  });

  it('a good token file: issuer and subject shown, exchange succeeds', async () => {
    const jwt = makeJwt({ iss: 'https://oidc.test', sub: 'system:serviceaccount:default:app', aud: 'api://AzureADTokenExchange', exp: now() + 600 });
    const p = file('good.jwt', `${jwt}\n`);
    const a = await probeWorkloadIdentity(probeCtx({ env: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: 'wi-ok', AZURE_FEDERATED_TOKEN_FILE: p }, authorityHost: auth.url }));
    expect(a.facts).toMatchObject({ issuer: 'https://oidc.test', subject: 'system:serviceaccount:default:app', audience: 'api://AzureADTokenExchange' });
    expect(a.state).toBe('succeeded');
    expect(a.identity?.appId).toBe('wi-ok');
    // The file content is sent as the client assertion, trimmed; it never appears in the attempt.
    expect(auth.tokenRequests.at(-1)!.get('client_assertion')).toBe(jwt);
    expect(JSON.stringify(a)).not.toContain(jwt);
  });

  it('an expired token file is a federated-token-problem, and Entra\'s answer is kept', async () => {
    const p = file('old.jwt', makeJwt({ iss: 'https://oidc.test', sub: 's', aud: 'api://AzureADTokenExchange', exp: now() - 60 }));
    const a = await probeWorkloadIdentity(probeCtx({ env: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: 'wi-mismatch', AZURE_FEDERATED_TOKEN_FILE: p }, authorityHost: auth.url }));
    expect(a.findings.map((f) => f.code)).toContain('credential.federated-token-problem');
    expect(a.findings[0]!.message).toMatch(/expired/);
    expect(a.entra?.codes).toEqual([700213]);
  });

  it('a missing file and a non-JWT file fail locally', async () => {
    const missing = await probeWorkloadIdentity(probeCtx({ env: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: 'x', AZURE_FEDERATED_TOKEN_FILE: path.join(dir, 'nope') }, authorityHost: auth.url }));
    expect(missing.state).toBe('failed');
    expect(missing.findings[0]!.evidence!.error).toBe('ENOENT');
    const junk = await probeWorkloadIdentity(probeCtx({ env: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: 'x', AZURE_FEDERATED_TOKEN_FILE: file('junk', 'hello') }, authorityHost: auth.url }));
    expect(junk.findings[0]!.message).toMatch(/does not contain a JWT/);
  });

  it('an unusual audience is a warning', async () => {
    const p = file('aud.jwt', makeJwt({ iss: 'i', sub: 's', aud: 'api://something-else', exp: now() + 600 }));
    const a = await probeWorkloadIdentity(probeCtx({ env: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: 'wi-ok', AZURE_FEDERATED_TOKEN_FILE: p }, authorityHost: auth.url }));
    const f = a.findings.find((x) => x.code === 'credential.federated-token-problem')!;
    expect(f.severity).toBe('warning');
    expect(f.evidence!.expected).toBe('api://AzureADTokenExchange');
  });
});
