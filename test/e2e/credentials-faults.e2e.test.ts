// Credential faults a user really meets, diagnosed end to end in the simulated internet: certificate
// service principals (encrypted keys, missing keys, PFX, expired, not registered), workload identity
// token files, values pasted with quotes, Azure CLI stand-ins (slow, refresh token expired, absent),
// headless broker / interactive, --redact. Where the server can run non-interactively, the real
// Azure MCP Server 2.0.5 is the oracle.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import { CLIENT_ID, CLIENT_SECRET, SUBSCRIPTION_ID, TENANT_ID, startAzure, type AzureWorld } from '../harness/azure-sim.js';
import { azmcpInstalled, runAzmcp } from '../harness/azmcp.js';
import type { SimNet } from '../harness/net.js';
import { assertValidReport } from '../helpers/schema.js';

const CERT_APP = '33333333-aaaa-4bbb-8ccc-000000000001';
const CERT_APP_OID = '33333333-aaaa-4bbb-8ccc-0000000000f1';
const WI_APP = '33333333-aaaa-4bbb-8ccc-000000000003';
const OIDC_ISSUER = 'https://oidc.sim.test/cluster';
const WI_SUBJECT = 'system:serviceaccount:default:azmcp';
const KEY_PASSWORD = 'pem-key-pass-9f3b';
const PFX_PASSWORD = 'pfx-pass-71c2';
const SECRETS = [CLIENT_SECRET, KEY_PASSWORD, PFX_PASSWORD];

interface Files {
  dir: string;
  good: string; // cert + unencrypted key, registered
  encrypted: string; // cert + encrypted PKCS#8 key, registered
  noKey: string;
  pfx: string;
  expired: string;
  unregistered: string;
  goodThumbs: string[];
}

interface World extends AzureWorld {
  files: Files;
}

function openssl(args: string[], cwd: string) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCertFiles(dir: string): Files {
  mkdirSync(dir, { recursive: true });
  const self = (base: string, extra: string[] = []) => {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.crt`, '-subj', `/CN=${base}`, '-days', '30', ...extra], dir);
  };
  self('good');
  self('other');
  // Expired: valid yesterday only (openssl 3: -not_before/-not_after need 3.4; use faketime-free -days via a CA-less backdate).
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'old.key', '-out', 'old.crt', '-subj', '/CN=old', '-days', '1'], dir);
  const cat = (...parts: string[]) => parts.map((p) => readFileSync(join(dir, p), 'utf8')).join('\n');
  writeFileSync(join(dir, 'good.pem'), cat('good.crt', 'good.key'));
  writeFileSync(join(dir, 'nokey.pem'), cat('good.crt'));
  writeFileSync(join(dir, 'unregistered.pem'), cat('other.crt', 'other.key'));
  openssl(['pkcs8', '-topk8', '-in', 'good.key', '-out', 'good.enc.key', '-passout', `pass:${KEY_PASSWORD}`, '-v2', 'aes-256-cbc'], dir);
  writeFileSync(join(dir, 'encrypted.pem'), cat('good.crt', 'good.enc.key'));
  openssl(['pkcs12', '-export', '-in', 'good.crt', '-inkey', 'good.key', '-out', 'good.pfx', '-passout', `pass:${PFX_PASSWORD}`], dir);
  // An expired certificate: sign with faketime in the past when available, else skip the assertion.
  let expired = join(dir, 'expired.pem');
  try {
    execFileSync('faketime', ['-f', '-40d', 'openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'exp.key', '-out', 'exp.crt', '-subj', '/CN=expired', '-days', '2'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    writeFileSync(expired, cat('exp.crt', 'exp.key'));
  } catch {
    expired = '';
  }
  const x = new X509Certificate(readFileSync(join(dir, 'good.crt')));
  // Entra matches x5t (SHA-1, what .NET sends) or x5t#S256 (what the JS SDK sends).
  const goodThumbs = [x.fingerprint, x.fingerprint256].map((t) => t.replace(/:/g, ''));
  chmodSync(dir, 0o755);
  return {
    dir,
    good: join(dir, 'good.pem'),
    encrypted: join(dir, 'encrypted.pem'),
    noKey: join(dir, 'nokey.pem'),
    pfx: join(dir, 'good.pfx'),
    expired,
    unregistered: join(dir, 'unregistered.pem'),
    goodThumbs,
  };
}

type F = { code: string; severity: string; message: string; target?: string; evidence?: Record<string, unknown>; fix?: { summary: string; actor: string; commands?: string[] } };
const findings = (json: any): F[] => json.checks.flatMap((c: any) => c.findings as F[]);
const codes = (json: any) => findings(json).map((x) => `${x.code}@${x.target ?? ''}`);
const one = (json: any, code: string, target?: string): F => {
  const f = findings(json).find((x) => x.code === code && (target === undefined || x.target === target));
  if (!f) throw new Error(`no ${code}${target ? ` for ${target}` : ''} in ${JSON.stringify(codes(json))}`);
  return f;
};
const serverOk = () => process.env.AZMCP_E2E_SKIP_AZMCP !== '1' && !(process.env.AZMCP_SKIP_INSTALL === '1' && !azmcpInstalled());

const DOCTOR_BIN = fileURLToPath(new URL('../../bin/azmcp-doctor.js', import.meta.url));

async function doctor(net: SimNet, env: Record<string, string>, extra: string[] = [], format = 'json') {
  const args = ['--only', 'credentials', '--format', format, ...extra];
  let r;
  if (env.PATH !== undefined) {
    // The harness needs its own PATH to find ip(8): give the doctor its PATH through env(1).
    const { PATH, ...rest } = env;
    r = await net.exec(['/usr/bin/env', `PATH=${PATH}`, process.execPath, DOCTOR_BIN, ...args], { env: rest, timeoutMs: 90_000 }) as Awaited<ReturnType<SimNet['runDoctor']>>;
    if (format === 'json' && r.stdout.trim()) r.json = JSON.parse(r.stdout);
  } else {
    r = await net.runDoctor(args, { env, timeoutMs: 90_000 });
  }
  if (format === 'json') {
    if (!r.json) throw new Error(`doctor printed no JSON (code ${r.code}): ${r.stderr}\n${r.stdout.slice(0, 2000)}`);
    assertValidReport(r.json);
  }
  expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
  for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
  expect(r.stdout + r.stderr).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  expect(r.stdout + r.stderr).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
  return r;
}

describeE2e('credential faults a user meets', () => {
  const { net, ctx } = useSimNet({}, async (n): Promise<World> => {
    const files = makeCertFiles(join(n.dir, 'certs'));
    // Azure US Government's authority and ARM, served by the same simulated Entra and ARM.
    const [govLogin, govArm] = await Promise.all([n.addHost({ names: ['login.microsoftonline.us'] }), n.addHost({ names: ['management.usgovcloudapi.net', 'management.core.usgovcloudapi.net'] })]);
    const world = await startAzure(n, {
      extraHosts: [
        { host: govLogin!, roles: ['authority'] },
        { host: govArm!, roles: ['arm'] },
      ],
      tenants: {
        [TENANT_ID]: {
          displayName: 'Contoso (simulated)',
          domains: ['contoso.onmicrosoft.com'],
          clients: {
            [CLIENT_ID]: { secret: CLIENT_SECRET, objectId: '33333333-aaaa-4bbb-8ccc-0000000000f0' },
            [CERT_APP]: { certThumbprints: files.goodThumbs, objectId: CERT_APP_OID },
            [WI_APP]: { federated: [{ issuer: OIDC_ISSUER, subject: WI_SUBJECT }], objectId: '33333333-aaaa-4bbb-8ccc-0000000000f3' },
          },
        },
      },
      subscriptions: [{ subscriptionId: SUBSCRIPTION_ID, tenantId: TENANT_ID, displayName: 'Contoso sub' }],
    });
    return { ...world, files };
  });

  beforeEach(() => ctx().sim.clearLog());

  const certEnv = (path: string, extra: Record<string, string> = {}) => ({
    AZURE_TENANT_ID: TENANT_ID,
    AZURE_CLIENT_ID: CERT_APP,
    AZURE_CLIENT_CERTIFICATE_PATH: path,
    AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential',
    ...extra,
  });

  it('a registered PEM certificate works; an unregistered one is entra.invalid-client-assertion for the app owner', async () => {
    const n = net();
    const { files } = ctx();
    const ok = await doctor(n, certEnv(files.good));
    expect(one(ok.json, 'chain.selected').target).toBe('EnvironmentCredential');
    expect(one(ok.json, 'chain.selected').evidence).toMatchObject({ appId: CERT_APP });
    const bad = await doctor(n, certEnv(files.unregistered));
    expect(bad.code).toBe(1);
    const f = one(bad.json, 'entra.invalid-client-assertion', 'EnvironmentCredential');
    expect(f.severity).toBe('error');
    expect(f.evidence).toMatchObject({ aadsts: 'AADSTS700027' });
    expect(f.fix!.actor).toBe('app-owner');
    expect(f.fix!.summary).not.toMatch(/\baz login\b/);
    if (!serverOk()) return;
    const s = await runAzmcp(n, ['subscription', 'list'], { env: certEnv(files.unregistered) });
    expect(s.code).not.toBe(0);
    expect(s.stdout + s.stderr).toContain('AADSTS700027');
  });

  it('encrypted PEM key: credential.certificate-problem whatever the password, as the server fails with it (no password shown)', async () => {
    const n = net();
    const { files } = ctx();
    const right = await doctor(n, certEnv(files.encrypted, { AZURE_CLIENT_CERTIFICATE_PASSWORD: KEY_PASSWORD }));
    const wrong = await doctor(n, certEnv(files.encrypted, { AZURE_CLIENT_CERTIFICATE_PASSWORD: 'not-the-password' }));
    const missing = await doctor(n, certEnv(files.encrypted));
    for (const r of [right, wrong, missing]) {
      const f = one(r.json, 'credential.certificate-problem', 'AZURE_CLIENT_CERTIFICATE_PATH');
      expect(f.severity).toBe('error');
      expect(f.message).toMatch(/Password protection for PEM encoded certificates is not supported/);
      expect(f.fix!.summary).toMatch(/PFX/);
      expect(f.fix!.actor).toBe('user');
      expect(findings(r.json).some((x) => x.code === 'chain.selected')).toBe(false);
      expect(r.code).toBe(1);
    }
    expect(one(right.json, 'credential.certificate-problem').evidence).toMatchObject({ passwordDecrypts: true });
    expect(one(wrong.json, 'credential.certificate-problem').message).toMatch(/does not decrypt/);
    expect(one(missing.json, 'credential.certificate-problem').message).toMatch(/not set/);
    expect(wrong.stdout).not.toContain('not-the-password');
    // No token request was even tried with the key.
    expect(ctx().sim.tokenRequests().filter((e) => e.clientId === CERT_APP)).toEqual([]);
    if (!serverOk()) return;
    for (const pw of [{ AZURE_CLIENT_CERTIFICATE_PASSWORD: KEY_PASSWORD }, {}] as Record<string, string>[]) {
      const s = await runAzmcp(n, ['subscription', 'list'], { env: certEnv(files.encrypted, pw) });
      expect(s.code, (s.stdout + s.stderr).slice(-1500)).not.toBe(0);
      if (Object.keys(pw).length) expect(s.stdout + s.stderr).toContain('Password protection for PEM encoded certificates is not supported');
    }
  });

  it('a PEM without its private key, and a PFX with a wrong password: credential.certificate-problem, not a crash', async () => {
    const n = net();
    const { files } = ctx();
    const nokey = await doctor(n, certEnv(files.noKey));
    expect(one(nokey.json, 'credential.certificate-problem').message).toMatch(/no private key/);
    const pfxBad = await doctor(n, certEnv(files.pfx, { AZURE_CLIENT_CERTIFICATE_PASSWORD: 'nope' }));
    expect(one(pfxBad.json, 'credential.certificate-problem').message).toMatch(/PFX/);
    const pfxOk = await doctor(n, certEnv(files.pfx, { AZURE_CLIENT_CERTIFICATE_PASSWORD: PFX_PASSWORD }));
    expect(findings(pfxOk.json).filter((x) => x.code === 'credential.certificate-problem')).toEqual([]);
    // The doctor cannot send a PFX: it must say so first, never "No credential is set up".
    const none = one(pfxOk.json, 'chain.none-succeeded');
    expect(none.severity).toBe('warning');
    expect(none.message).toMatch(/^EnvironmentCredential is configured but the doctor could not test it here/);
    expect(none.message).not.toMatch(/No credential is set up/);
    if (!serverOk()) return;
    // The server (.NET) reads the PFX and signs in with it.
    const s = await runAzmcp(n, ['subscription', 'list'], { env: certEnv(files.pfx, { AZURE_CLIENT_CERTIFICATE_PASSWORD: PFX_PASSWORD }) });
    expect(s.code, (s.stdout + s.stderr).slice(-1500)).toBe(0);
    expect(ctx().sim.readLog().filter((e) => e.path.startsWith('/subscriptions')).map((e) => e.tokenAppid)).toContain(CERT_APP);
  });

  it('an expired certificate: credential.certificate-problem for the app owner', async () => {
    const { files } = ctx();
    if (!files.expired) return;
    const r = await doctor(net(), certEnv(files.expired));
    const f = one(r.json, 'credential.certificate-problem');
    expect(f.message).toMatch(/expired/);
    expect(f.fix!.actor).toBe('app-owner');
  });

  it('secret and certificate both set: the secret wins, env-invalid says the certificate is ignored', async () => {
    const r = await doctor(net(), { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH: ctx().files.unregistered, AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' });
    expect(one(r.json, 'chain.selected').target).toBe('EnvironmentCredential');
    expect(one(r.json, 'credential.env-invalid').message).toMatch(/ignores AZURE_CLIENT_CERTIFICATE_PATH/);
  });

  it('AZURE_CLIENT_ID pasted with quotes from a .env file: flagged, not "app not found" alone', async () => {
    const r = await doctor(net(), { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: `"${CLIENT_ID}"`, AZURE_CLIENT_SECRET: CLIENT_SECRET, AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' });
    expect(r.code).toBe(1);
    const all = findings(r.json);
    const quoted = all.find((x) => /quote/i.test(x.message) && /AZURE_CLIENT_ID/.test(x.message + (x.target ?? '')));
    expect(quoted, JSON.stringify(codes(r.json))).toBeDefined();
  });

  it('workload identity token file missing, empty, not a JWT, expired: one clear finding each, no crash', async () => {
    const n = net();
    const dir = join(n.dir, 'wi');
    mkdirSync(dir, { recursive: true });
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'garbage'), 'this is not a jwt\n');
    writeFileSync(join(dir, 'expired'), `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: OIDC_ISSUER, sub: WI_SUBJECT, aud: 'api://AzureADTokenExchange', iat: now - 7200, exp: now - 3600 })}.c2ln`);
    const base = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: WI_APP, AZURE_TOKEN_CREDENTIALS: 'WorkloadIdentityCredential' };
    for (const f of ['missing', 'empty', 'garbage', 'expired']) {
      const r = await doctor(n, { ...base, AZURE_FEDERATED_TOKEN_FILE: join(dir, f) });
      expect(r.code, f).toBe(1);
      const wi = findings(r.json).filter((x) => x.target === 'WorkloadIdentityCredential' || /FEDERATED_TOKEN_FILE/.test(x.target ?? ''));
      expect(wi.length, `${f}: ${JSON.stringify(codes(r.json))}`).toBeGreaterThan(0);
      expect(wi.some((x) => x.severity === 'error'), `${f}: ${JSON.stringify(codes(r.json))}`).toBe(true);
      expect(wi.every((x) => !/az login/.test(x.fix?.summary ?? '')), f).toBe(true);
    }
    // Pinned without AZURE_CLIENT_ID.
    const r = await doctor(n, { AZURE_TENANT_ID: TENANT_ID, AZURE_FEDERATED_TOKEN_FILE: join(dir, 'expired'), AZURE_TOKEN_CREDENTIALS: 'WorkloadIdentityCredential' });
    expect(r.code).toBe(1);
    expect(JSON.stringify(findings(r.json))).toMatch(/AZURE_CLIENT_ID/);
  });
  // A fake `az` (a stand-in: the real CLI cannot be made slow or given an expired refresh token on demand).
  function fakeAz(n: SimNet, name: string, tokenScript: string): string {
    const dir = join(n.dir, 'bin-' + name);
    mkdirSync(dir, { recursive: true });
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const jwt = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ aud: 'https://management.core.windows.net/', tid: TENANT_ID, oid: '44444444-0000-4000-8000-000000000001', upn: 'alice@contoso.onmicrosoft.com', idtyp: 'user', iat: now, exp: now + 3600 })}.c2ln`;
    const account = JSON.stringify({ environmentName: 'AzureCloud', id: SUBSCRIPTION_ID, name: 'Contoso sub', tenantId: TENANT_ID, user: { name: 'alice@contoso.onmicrosoft.com', type: 'user' } });
    const token = JSON.stringify({ accessToken: jwt, expiresOn: '2030-01-01 00:00:00.000000', expires_on: now + 3600, subscription: SUBSCRIPTION_ID, tenant: TENANT_ID, tokenType: 'Bearer' });
    writeFileSync(
      join(dir, 'az'),
      `#!/bin/sh
case "$1 $2" in
  "version "*) echo '{"azure-cli": "2.99.0"}' ;;
  "account show") echo '${account}' ;;
  "cloud show") echo '{"name": "AzureCloud"}' ;;
  "account get-access-token")
${tokenScript.replace('TOKEN_JSON', token)}
  ;;
  *) exit 2 ;;
esac
`,
    );
    chmodSync(join(dir, 'az'), 0o755);
    chmodSync(dir, 0o755);
    return dir;
  }

  it('a slow az (stand-in: a fake az that sleeps 9 s) is credential.cli-slow, the doctor still finishes', async () => {
    const n = net();
    const dir = fakeAz(n, 'slow', '    /usr/bin/sleep 9; echo \'TOKEN_JSON\'');
    const t0 = Date.now();
    const r = await doctor(n, { PATH: dir, AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' });
    expect(Date.now() - t0).toBeLessThan(40_000);
    const f = one(r.json, 'credential.cli-slow', 'AzureCliCredential');
    expect(f.severity).toBe('warning');
    expect(Number(f.evidence!.tokenMs)).toBeGreaterThanOrEqual(8_500);
    expect(one(r.json, 'chain.selected').target).toBe('AzureCliCredential');
  });

  it('az printing AADSTS70043 (stand-in: refresh token expired) is entra.reauthentication-required with az login, not "not logged in"', async () => {
    const n = net();
    const dir = fakeAz(
      n,
      'reauth',
      `    echo "ERROR: AADSTS70043: The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on 2026-01-01T00:00:00Z and the maximum allowed lifetime for this request is 43200. Trace ID: 0b8c3f4e-1111-4222-8333-444455556666 Correlation ID: 1c9d4e5f-1111-4222-8333-444455556666 Timestamp: 2026-11-26 12:00:00Z" >&2
    echo "Interactive authentication is needed. Please run:" >&2
    echo "az login --scope https://management.core.windows.net//.default" >&2
    exit 1`,
    );
    const r = await doctor(n, { PATH: dir, AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' });
    expect(r.code).toBe(1);
    const f = one(r.json, 'entra.reauthentication-required', 'AzureCliCredential');
    expect(f.severity).toBe('error');
    expect(f.evidence).toMatchObject({ aadsts: 'AADSTS70043' });
    expect(f.fix!.actor).toBe('user');
    expect((f.fix!.commands ?? []).join(' ') + f.fix!.summary).toMatch(/az login/);
    expect(findings(r.json).some((x) => x.code === 'credential.cli-not-logged-in')).toBe(false);
  });

  it('az not on PATH with AzureCliCredential pinned: credential.cli-not-installed, error', async () => {
    const n = net();
    const empty = join(n.dir, 'emptybin');
    mkdirSync(empty, { recursive: true });
    const r = await doctor(n, { PATH: empty, AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' });
    expect(r.code).toBe(1);
    const f = one(r.json, 'credential.cli-not-installed', 'AzureCliCredential');
    expect(f.severity).toBe('error');
  });

  it('broker-only on a headless machine and --interactive: no prompt, no hang, a headless finding', async () => {
    const n = net();
    const t0 = Date.now();
    const r = await doctor(n, { AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL: 'true' });
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(codes(r.json).some((c) => c.startsWith('chain.interactive-fallback-headless'))).toBe(true);
    const t1 = Date.now();
    const i = await doctor(n, {}, ['--interactive']);
    expect(Date.now() - t1).toBeLessThan(30_000);
    // Nobody can answer a prompt here: --interactive must not start one and time out.
    expect(codes(i.json).filter((c) => c.startsWith('doctor.check-timeout'))).toEqual([]);
    expect(codes(i.json).some((c) => c.startsWith('chain.interactive-fallback-headless'))).toBe(true);
  });

  it('--redact masks tenant, app and object ids in json and markdown', async () => {
    const n = net();
    const env = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET, AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' };
    const j = await doctor(n, env, ['--redact']);
    expect(j.json.checks.length).toBeGreaterThan(0);
    const md = await doctor(n, env, ['--redact'], 'markdown');
    for (const out of [j.stdout, md.stdout]) {
      expect(out).not.toContain(TENANT_ID);
      expect(out).not.toContain(CLIENT_ID);
      expect(out).not.toContain('33333333-aaaa-4bbb-8ccc-0000000000f0');
    }
  });
  it('sovereign cloud (--cloud AzureUSGovernment): token requests go to login.microsoftonline.us for the US Gov ARM audience', async () => {
    const n = net();
    const w = ctx();
    // EnvironmentCredential follows AZURE_AUTHORITY_HOST (the server gives it no cloud), workload identity follows the server's cloud.
    const wiDir = join(n.dir, 'wi-gov');
    mkdirSync(wiDir, { recursive: true });
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    writeFileSync(join(wiDir, 'token'), `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: OIDC_ISSUER, sub: WI_SUBJECT, aud: 'api://AzureADTokenExchange', iat: now, exp: now + 3600 })}.c2ln`);
    const r = await doctor(n, { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: WI_APP, AZURE_FEDERATED_TOKEN_FILE: join(wiDir, 'token'), AZURE_TOKEN_CREDENTIALS: 'WorkloadIdentityCredential' }, ['--cloud', 'AzureUSGovernment']);
    const reqs = w.sim.tokenRequests().filter((e) => e.clientId === WI_APP);
    expect(reqs.length).toBeGreaterThan(0);
    expect(reqs.every((e) => e.host === 'login.microsoftonline.us'), JSON.stringify(reqs.map((e) => [e.host, e.scope]))).toBe(true);
    expect(reqs.every((e) => /usgovcloudapi\.net/.test(String(e.scope))), JSON.stringify(reqs.map((e) => e.scope))).toBe(true);
    expect(one(r.json, 'chain.selected').target).toBe('WorkloadIdentityCredential');
    w.sim.clearLog();
    const sp = await doctor(n, { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET, AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us', AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' }, ['--cloud', 'AzureUSGovernment']);
    expect(one(sp.json, 'chain.selected').target).toBe('EnvironmentCredential');
    const spReqs = w.sim.tokenRequests().filter((e) => e.clientId === CLIENT_ID);
    expect(spReqs.map((e) => e.host)).toEqual(spReqs.map(() => 'login.microsoftonline.us'));
    expect(spReqs.every((e) => /usgovcloudapi\.net/.test(String(e.scope)))).toBe(true);
  });

  it('AZURE_TENANT_ID as a domain name works like the GUID', async () => {
    const r = await doctor(net(), { AZURE_TENANT_ID: 'contoso.onmicrosoft.com', AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET, AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' });
    expect(one(r.json, 'chain.selected').target).toBe('EnvironmentCredential');
    expect(findings(r.json).filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('azd stand-ins (Debian packages no azd): signed in wins in the dev chain, not signed in and not installed are errors with azd\'s own fix (it is pinned)', async () => {
    const n = net();
    const mk = (name: string, body: string) => {
      const dir = join(n.dir, 'azd-' + name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'azd'), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, 'azd'), 0o755);
      return dir;
    };
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const jwt = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ aud: 'https://management.azure.com', tid: TENANT_ID, oid: '55555555-0000-4000-8000-000000000001', upn: 'bob@contoso.onmicrosoft.com', idtyp: 'user', iat: now, exp: now + 3600 })}.c2ln`;
    const ok = mk('ok', `echo '${JSON.stringify({ token: jwt, expiresOn: new Date((now + 3600) * 1000).toISOString() })}'`);
    const out = mk('out', `echo 'ERROR: not logged in, run \`azd auth login\` to login' >&2; exit 1`);
    const env = { AZURE_TOKEN_CREDENTIALS: 'AzureDeveloperCliCredential' };
    const a = await doctor(n, { ...env, PATH: ok });
    expect(one(a.json, 'chain.selected').target).toBe('AzureDeveloperCliCredential');
    expect(a.stdout).toContain('bob@contoso.onmicrosoft.com');
    const b = await doctor(n, { ...env, PATH: out });
    expect(b.code).toBe(1);
    const bf = findings(b.json).filter((x) => x.target === 'AzureDeveloperCliCredential');
    expect(bf.length, JSON.stringify(codes(b.json))).toBeGreaterThan(0);
    expect(bf.map((x) => (x.fix?.commands ?? []).join(' ') + ' ' + (x.fix?.summary ?? '')).join(' ')).toMatch(/azd auth login/);
    const empty = join(n.dir, 'emptybin2');
    mkdirSync(empty, { recursive: true });
    const c = await doctor(n, { ...env, PATH: empty });
    expect(c.code).toBe(1);
    const cf = one(c.json, 'credential.unavailable', 'AzureDeveloperCliCredential');
    expect(cf.severity).toBe('error');
    expect(cf.message).toMatch(/not installed|not on PATH/);
    expect(cf.fix!.commands).toEqual(['azd auth login']);
    expect(one(c.json, 'chain.none-succeeded').fix!.summary).not.toMatch(/az login/);
  });
});
