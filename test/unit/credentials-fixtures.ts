// Shared fixtures for the credential unit tests: unsigned JWTs, a test PKI (openssl), a fake Entra
// authority on 127.0.0.1 (https, test CA), a fake managed-identity endpoint, scripted child processes,
// and a ProbeContext. Loopback only.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildEndpointModel } from '../../src/core/endpoints.js';
import type { ExecFn, ExecResult, ProbeContext } from '../../src/probes/credentials/types.js';

export function b64url(s: string | Buffer): string {
  return Buffer.from(s).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/** An unsigned JWT with these claims (what MSAL and the doctor accept; signatures are not checked). */
export function makeJwt(claims: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.${b64url('sig')}`;
}

export const TENANT = '11111111-1111-1111-1111-111111111111';
export const OTHER_TENANT = '22222222-2222-2222-2222-222222222222';
export const APP = '33333333-3333-3333-3333-333333333333';
export const OID = '44444444-4444-4444-4444-444444444444';
/** A closed loopback port for the managed-identity endpoint: unit tests never reach 169.254.169.254. */
export const NO_IMDS = 'http://127.0.0.1:9';
export const MSA_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

export function userToken(extra: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return makeJwt({
    aud: 'https://management.azure.com',
    iss: `https://sts.windows.net/${TENANT}/`,
    tid: TENANT,
    oid: OID,
    upn: 'alice@contoso.com',
    name: 'Alice',
    appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
    scp: 'user_impersonation',
    idtyp: 'user',
    exp: now + 3600,
    ...extra,
  });
}

export function appToken(extra: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return makeJwt({ aud: 'https://management.azure.com', tid: TENANT, oid: OID, appid: APP, idtyp: 'app', exp: now + 3600, ...extra });
}

// ---- PKI ----------------------------------------------------------------------------------------

export interface Pki {
  dir: string;
  caPem: string;
  serverKey: string;
  serverCert: string;
  /** Client certificate + unencrypted key in one PEM file. */
  clientCombined: string;
  clientCertOnly: string;
  clientEncrypted: string;
  clientPfx: string;
  expiredCombined: string;
  cleanup(): void;
}

let pkiCache: Pki | undefined;

export function testPki(): Pki {
  if (pkiCache) return pkiCache;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'azmcp-cred-pki-'));
  const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=azmcp-doctor unit CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  o(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  o(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf']);
  o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.pem', '-days', '2', '-subj', '/CN=azmcp client']);
  writeFileSync(path.join(dir, 'client-combined.pem'), readFileSync(path.join(dir, 'client.pem'), 'utf8') + readFileSync(path.join(dir, 'client.key'), 'utf8'));
  o(['pkcs8', '-topk8', '-in', 'client.key', '-out', 'client-enc.key', '-passout', 'pass:right-pass']);
  writeFileSync(path.join(dir, 'client-encrypted.pem'), readFileSync(path.join(dir, 'client.pem'), 'utf8') + readFileSync(path.join(dir, 'client-enc.key'), 'utf8'));
  o(['pkcs12', '-export', '-in', 'client.pem', '-inkey', 'client.key', '-out', 'client.pfx', '-passout', 'pass:pfx-pass']);
  // An expired certificate: valid from 2000 to 2001.
  o(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'old.key', '-out', 'old.csr', '-subj', '/CN=old']);
  try {
    o(['x509', '-req', '-in', 'old.csr', '-signkey', 'old.key', '-out', 'old.pem', '-not_before', '20000101000000Z', '-not_after', '20010101000000Z']);
  } catch {
    o(['x509', '-req', '-in', 'old.csr', '-signkey', 'old.key', '-out', 'old.pem', '-days', '1']);
  }
  writeFileSync(path.join(dir, 'old-combined.pem'), readFileSync(path.join(dir, 'old.pem'), 'utf8') + readFileSync(path.join(dir, 'old.key'), 'utf8'));
  pkiCache = {
    dir,
    caPem: readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    serverKey: readFileSync(path.join(dir, 'server.key'), 'utf8'),
    serverCert: readFileSync(path.join(dir, 'server.pem'), 'utf8'),
    clientCombined: path.join(dir, 'client-combined.pem'),
    clientCertOnly: path.join(dir, 'client.pem'),
    clientEncrypted: path.join(dir, 'client-encrypted.pem'),
    clientPfx: path.join(dir, 'client.pfx'),
    expiredCombined: path.join(dir, 'old-combined.pem'),
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      pkiCache = undefined;
    },
  };
  return pkiCache;
}

/** Removes the test PKI directory if this process made one. */
export function cleanupPki(): void {
  pkiCache?.cleanup();
}

// ---- fake authority -----------------------------------------------------------------------------

export type TokenBehaviour =
  | { kind: 'ok'; token: string }
  | { kind: 'aadsts'; status: number; code: number; error: string; description: string }
  | { kind: 'hang' }
  | { kind: 'html'; status: number };

export const TRACE_ID = 'aaaaaaaa-0000-0000-0000-000000000001';
export const CORRELATION_ID = 'cccccccc-0000-0000-0000-000000000002';

export function aadstsBody(code: number, error: string, description: string): string {
  return JSON.stringify({
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${TRACE_ID}\r\nCorrelation ID: ${CORRELATION_ID}\r\nTimestamp: 2026-11-26 10:00:00Z`,
    error_codes: [code],
    timestamp: '2026-11-26 10:00:00Z',
    trace_id: TRACE_ID,
    correlation_id: CORRELATION_ID,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

export interface FakeAuthority {
  url: string;
  port: number;
  /** Form bodies of token requests, for assertions (never printed). */
  tokenRequests: URLSearchParams[];
  behaviour: (form: URLSearchParams) => TokenBehaviour;
  close(): Promise<void>;
}

export async function startFakeAuthority(behaviour: (form: URLSearchParams) => TokenBehaviour): Promise<FakeAuthority> {
  const pki = testPki();
  const tokenRequests: URLSearchParams[] = [];
  const hung = new Set<http.ServerResponse>();
  const state: FakeAuthority = { url: '', port: 0, tokenRequests, behaviour, close: async () => undefined };
  const server = https.createServer({ key: pki.serverKey, cert: pki.serverCert }, (req, res) => {
    const u = new URL(req.url ?? '/', 'https://127.0.0.1');
    const m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(u.pathname);
    if (req.method === 'GET' && m) {
      const base = `${state.url}/${m[1]}`;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          issuer: `${state.url}/${m[1]}/v2.0`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          token_endpoint: `${base}/oauth2/v2.0/token`,
          device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          tenant_region_scope: 'EU',
        }),
      );
      return;
    }
    // Authorization-code flow for the interactive browser credential: redirect straight back with a code.
    if (req.method === 'GET' && /\/oauth2\/v2\.0\/authorize$/.test(u.pathname)) {
      const redirect = new URL(u.searchParams.get('redirect_uri') ?? 'http://localhost/');
      redirect.searchParams.set('code', 'fake-code');
      redirect.searchParams.set('state', u.searchParams.get('state') ?? '');
      redirect.searchParams.set('client_info', b64url(JSON.stringify({ uid: OID, utid: TENANT })));
      res.statusCode = 302;
      res.setHeader('location', redirect.toString());
      res.end();
      return;
    }
    if (req.method === 'POST' && /\/oauth2\/v2\.0\/token$/.test(u.pathname)) {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        tokenRequests.push(form);
        const b = state.behaviour(form);
        if (b.kind === 'hang') {
          hung.add(res);
          return;
        }
        if (b.kind === 'html') {
          res.statusCode = b.status;
          res.setHeader('content-type', 'text/html');
          res.end('<html><body>Bad gateway</body></html>');
          return;
        }
        res.setHeader('content-type', 'application/json');
        if (b.kind === 'ok' && form.get('grant_type') === 'authorization_code') {
          const now = Math.floor(Date.now() / 1000);
          const idToken = makeJwt({ aud: form.get('client_id'), iss: `${state.url}/${TENANT}/v2.0`, tid: TENANT, oid: OID, preferred_username: 'alice@contoso.com', iat: now, nbf: now, exp: now + 3600, ver: '2.0', sub: 'sub' });
          res.end(
            JSON.stringify({
              token_type: 'Bearer',
              scope: form.get('scope'),
              expires_in: 3599,
              ext_expires_in: 3599,
              access_token: b.token,
              refresh_token: 'fake-refresh',
              id_token: idToken,
              client_info: b64url(JSON.stringify({ uid: OID, utid: TENANT })),
            }),
          );
        } else if (b.kind === 'ok') {
          res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: b.token }));
        } else {
          res.statusCode = b.status;
          res.end(aadstsBody(b.code, b.error, b.description));
        }
      });
      return;
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  state.port = port;
  state.url = `https://127.0.0.1:${port}`;
  state.close = async () => {
    for (const r of hung) r.destroy();
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

/** A plain-http server answering with a handler (managed identity endpoints). */
export async function startHttp(handler: http.RequestListener): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

// ---- scripted processes -------------------------------------------------------------------------

export interface Script {
  /** Matches "file args..." joined with spaces. */
  match: RegExp;
  result: Partial<ExecResult>;
}

export function scriptedExec(scripts: Script[], calls: string[] = []): ExecFn {
  return async (file, args) => {
    const line = [path.basename(file), ...args].join(' ');
    calls.push(line);
    const s = scripts.find((x) => x.match.test(line));
    const r = s?.result ?? { code: 127, stderr: `${path.basename(file)}: no script for ${args.join(' ')}` };
    return { code: 0, stdout: '', stderr: '', durationMs: 5, timedOut: false, ...r };
  };
}

// ---- probe context ------------------------------------------------------------------------------

export function probeCtx(opts: { env?: Record<string, string | undefined>; authorityHost?: string; imds?: string; exec?: ExecFn; which?: (p: string) => string | undefined; platform?: NodeJS.Platform; homedir?: string } = {}): ProbeContext {
  const env = opts.env ?? {};
  const endpoints = buildEndpointModel(
    { cloud: 'AzureCloud', resources: [], ...(opts.authorityHost ? { authorityHost: opts.authorityHost } : {}), ...(opts.imds ? { imdsEndpoint: opts.imds } : {}) },
    env,
  );
  return {
    env,
    signal: new AbortController().signal,
    endpoints,
    authorityOverridden: !!opts.authorityHost,
    platform: opts.platform ?? 'linux',
    homedir: opts.homedir ?? '/nonexistent-home',
    requestTimeoutMs: 1500,
    credentialTimeoutMs: 4000,
    processTimeoutMs: 3000,
    managedIdentityTimeoutMs: 1000,
    interactive: false,
    // The fake authority's CA, when a test started one (it creates the PKI).
    ...(pkiCache ? { tlsCa: pkiCache.caPem } : {}),
    exec: opts.exec ?? scriptedExec([]),
    which: opts.which ?? (() => undefined),
    log: () => undefined,
  };
}
