// --interactive: the browser sign-in is run for real (a fake browser that follows the authorize
// redirect stands in for a person), but only when --interactive is given and nothing earlier in the
// chain works. Loopback only.

import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCredentialProbes } from '../../src/probes/credentials/index.js';
import { cleanupPki, NO_IMDS, probeCtx, scriptedExec, startFakeAuthority, testPki, userToken, type FakeAuthority } from './credentials-fixtures.js';

let auth: FakeAuthority;
let dir: string;
let opened: string;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'azmcp-cred-ibc-'));
  auth = await startFakeAuthority((form) => (form.get('grant_type') === 'authorization_code' ? { kind: 'ok', token: userToken() } : { kind: 'aadsts', status: 400, code: 9002313, error: 'invalid_request', description: 'no' }));
  const ca = path.join(dir, 'ca.pem');
  writeFileSync(ca, testPki().caPem);
  opened = path.join(dir, 'opened.log');
  const browser = path.join(dir, 'fake-browser');
  writeFileSync(
    browser,
    `#!/bin/sh\necho "$1" >> '${opened}'\nloc=$(curl -s --cacert '${ca}' -o /dev/null -w '%{redirect_url}' "$1")\ncurl -s "$loc" > /dev/null\n`,
  );
  chmodSync(browser, 0o755);
  for (const k of ['BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY', 'XDG_CURRENT_DESKTOP', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) {
    saved[k] = process.env[k];
    delete process.env[k];
  }
  process.env.BROWSER = browser;
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await auth.close();
  rmSync(dir, { recursive: true, force: true });
  cleanupPki();
});

const noAz = scriptedExec([]);

describe('interactive credentials', () => {
  it('without --interactive the browser is never opened', async () => {
    const ctx = probeCtx({ env: { PATH: process.env.PATH }, authorityHost: auth.url, exec: noAz });
    const res = await runCredentialProbes(ctx, 'server', NO_IMDS);
    expect(res.attempts.InteractiveBrowserCredential!.state).toBe('not-tried');
    expect(existsSync(opened)).toBe(false);
    expect(res.verdict.winner).toBeUndefined();
  });

  it('with --interactive but a working Azure CLI earlier in the chain, the browser is not opened', async () => {
    const az = scriptedExec([
      { match: /^az account get-access-token/, result: { stdout: JSON.stringify({ accessToken: userToken(), tenant: 't' }) } },
      { match: /^az /, result: { stdout: '{}' } },
    ]);
    const ctx = { ...probeCtx({ env: { PATH: process.env.PATH }, authorityHost: auth.url, exec: az, which: (p) => (p === 'az' ? '/usr/bin/az' : undefined) }), interactive: true };
    const res = await runCredentialProbes(ctx, 'server', NO_IMDS);
    expect(res.verdict.winner).toBe('AzureCliCredential');
    expect(res.attempts.InteractiveBrowserCredential!.state).toBe('not-tried');
    expect(existsSync(opened)).toBe(false);
  });

  it('with --interactive and nothing else working, the browser sign-in runs and becomes the winner', { timeout: 30_000 }, async () => {
    // Headless here: the live browser sign-in starts only because BROWSER names a browser command.
    const ctx = { ...probeCtx({ env: { PATH: process.env.PATH, BROWSER: process.env.BROWSER }, authorityHost: auth.url, exec: noAz }), interactive: true, interactiveTimeoutMs: 20_000 };
    const res = await runCredentialProbes(ctx, 'server', NO_IMDS);
    const a = res.attempts.InteractiveBrowserCredential!;
    expect(a.state, a.reason).toBe('succeeded');
    expect(res.verdict.winner).toBe('InteractiveBrowserCredential');
    expect(a.identity?.user).toBe('alice@contoso.com');
    // The server's client id (Azure.Identity's developer sign-on app) was used.
    const url = new URL(readFileSync(opened, 'utf8').trim().split('\n')[0]!);
    expect(url.searchParams.get('client_id')).toBe('04b07795-8ddb-461a-bbee-02f9e1bf7b46');
    expect(url.pathname).toBe('/organizations/oauth2/v2.0/authorize');
  });
});
