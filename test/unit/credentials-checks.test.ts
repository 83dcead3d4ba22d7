// The credential checks' findings: winner, shadowing, nothing working, headless fallbacks, severity rules
// (SafeTokenCredential), Azure CLI details, identity and tenant mismatches. Probes run in-process against
// a fake authority on 127.0.0.1 and scripted az; nothing else is contacted.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/model.js';
import { runCredentialProbes, type CredentialProbeResult } from '../../src/probes/credentials/index.js';
import { chainFindings, chainTable, excludedButConfigured } from '../../checks/credentials/chain.js';
import { attemptFindings, failureWeight, pinnedUnavailableFix } from '../../checks/credentials/explain.js';
import { azureCliFindings } from '../../checks/credentials/azure-cli.js';
import { identityFindings } from '../../checks/credentials/identity.js';
import { effectiveChain } from '../../src/chain/effective-chain.js';
import { chainVerdict } from '../../src/chain/verdict.js';
import type { CredentialAttempt } from '../../src/probes/credentials/types.js';
import {
  APP,
  appToken,
  cleanupPki,
  MSA_TENANT,
  NO_IMDS,
  OTHER_TENANT,
  probeCtx,
  scriptedExec,
  startFakeAuthority,
  TENANT,
  testPki,
  userToken,
  type FakeAuthority,
  type Script,
} from './credentials-fixtures.js';

const SECRET = 'unit-secret-value';
let auth: FakeAuthority;
let home: string;

beforeAll(async () => {
  for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy']) delete process.env[k];
  home = mkdtempSync(path.join(os.tmpdir(), 'azmcp-cred-home-'));
  auth = await startFakeAuthority((form) => {
    if (form.get('client_secret') === SECRET) return { kind: 'ok', token: appToken() };
    if (form.get('client_secret') === 'expired') return { kind: 'aadsts', status: 401, code: 7000222, error: 'invalid_client', description: 'The provided client secret keys are expired.' };
    return { kind: 'aadsts', status: 401, code: 7000215, error: 'invalid_client', description: 'Invalid client secret provided.' };
  });
});
afterAll(async () => {
  await auth.close();
  rmSync(home, { recursive: true, force: true });
  cleanupPki();
});

const which = (present: string[]) => (p: string) => (present.includes(p) ? `/usr/bin/${p}` : undefined);
const cliToken = (tok = userToken()) => JSON.stringify({ accessToken: tok, tenant: TENANT, tokenType: 'Bearer' });
const account = (tenant = TENANT, cloud = 'AzureCloud') => JSON.stringify({ environmentName: cloud, id: 'sub-1', name: 'Dev', tenantId: tenant, user: { name: 'alice@contoso.com', type: 'user' } });
const azOk = (ms = 500, tenant = TENANT): Script[] => [
  { match: /^az account get-access-token/, result: { stdout: cliToken(userToken({ tid: tenant, oid: 'user-oid-1' })), durationMs: ms } },
  { match: /^az account show/, result: { stdout: account(tenant) } },
  { match: /^az version/, result: { stdout: '{"azure-cli":"2.45.0"}' } },
];
const azNotLoggedIn: Script[] = [
  { match: /^az account/, result: { code: 1, stderr: "ERROR: Please run 'az login' to setup account.\n" } },
  { match: /^az version/, result: { stdout: '{"azure-cli":"2.45.0"}' } },
  { match: /^az cloud show/, result: { stdout: '{"name":"AzureCloud"}' } },
];

async function run(env: Record<string, string>, scripts: Script[], tools: string[], launchedBy: 'server' | 'cli' | 'vscode' = 'server'): Promise<CredentialProbeResult> {
  const ctx = probeCtx({ env: { HOME: home, ...env }, authorityHost: auth.url, exec: scriptedExec(scripts), which: which(tools), homedir: home });
  return runCredentialProbes(ctx, launchedBy, NO_IMDS);
}

const codes = (fs: Finding[]) => fs.map((f) => f.code);
const byCode = (fs: Finding[], c: string) => fs.filter((f) => f.code === c);
const spEnv = (secret = SECRET) => ({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_CLIENT_SECRET: secret });

describe('chain verdict and chain.* findings', () => {
  it('service principal first, Azure CLI later: chain.selected names the app; chain.shadowed names both identities', async () => {
    const res = await run(spEnv(), azOk(), ['az']);
    expect(res.verdict.winner).toBe('EnvironmentCredential');
    expect(res.verdict.shadowed).toEqual(['AzureCliCredential']);
    const fs = chainFindings(res, {});
    const sel = byCode(fs, 'chain.selected')[0]!;
    expect(sel.severity).toBe('info');
    expect(sel.message).toContain(`app ${APP} in tenant ${TENANT}`);
    const sh = byCode(fs, 'chain.shadowed')[0]!;
    expect(sh.severity).toBe('warning');
    expect(sh.message).toContain('alice@contoso.com');
    expect(sh.message).toContain(APP);
    expect(sh.fix!.commands).toEqual(['export AZURE_TOKEN_CREDENTIALS=AzureCliCredential']);
    // The table lists the chain in order, the winner marked, later ones "not reached".
    const t = chainTable(res);
    expect(t.rows[0]!.slice(0, 3)).toEqual(['1', 'EnvironmentCredential', 'SELECTED']);
    expect(t.rows.find((r) => r[1] === 'AzureCliCredential')![2]).toBe('succeeded (not reached)');
    expect(t.rows.find((r) => r[1] === 'ManagedIdentityCredential')![0]).toBe('-');
    expect(t.title).toMatch(/Azure MCP Server 2\.0\.5/);
  });

  it('a configured credential the doctor cannot test (a PFX certificate): chain.none-succeeded leads with it, never "No credential is set up"', async () => {
    const env = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP, AZURE_CLIENT_CERTIFICATE_PATH: testPki().clientPfx, AZURE_CLIENT_CERTIFICATE_PASSWORD: 'pfx-pass', AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' };
    const res = await run(env, azNotLoggedIn, ['az']);
    expect(res.attempts.EnvironmentCredential!.state).toBe('unknown');
    const none = byCode(chainFindings(res, env), 'chain.none-succeeded')[0]!;
    expect(none.severity).toBe('warning');
    expect(none.message).toMatch(/^EnvironmentCredential is configured but the doctor could not test it here/);
    expect(none.message).toMatch(/PFX/);
    expect(none.message).not.toMatch(/No credential is set up/);
    expect(none.fix!.summary).toMatch(/Confirm that EnvironmentCredential works with the server itself/);
    expect(none.fix!.commands).toBeUndefined();
    expect(JSON.stringify(none)).not.toContain('pfx-pass');
  });

  it('a pinned developer tool that is not available: credential.unavailable is an error with that tool\'s own sign-in, never az login', async () => {
    const env = { AZURE_TOKEN_CREDENTIALS: 'AzureDeveloperCliCredential' };
    const res = await run(env, [], []);
    const a = res.attempts.AzureDeveloperCliCredential!;
    expect(a.state).toBe('unavailable');
    const fs = attemptFindings(a, res.chain, res.verdict, env, probeCtx().endpoints);
    const u = byCode(fs, 'credential.unavailable')[0]!;
    expect(u.severity).toBe('error');
    expect(u.message).toMatch(/AZURE_TOKEN_CREDENTIALS pins it/);
    expect(u.evidence).toMatchObject({ pinned: true });
    expect(u.fix!.commands).toEqual(['azd auth login']);
    expect(u.fix!.summary).toMatch(/Install the Azure Developer CLI/);
    const none = byCode(chainFindings(res, env), 'chain.none-succeeded')[0]!;
    expect(none.message).toMatch(/pins AzureDeveloperCliCredential/);
    expect(none.message).not.toMatch(/No credential is set up/);
    expect(none.fix!.commands).toBeUndefined();
    expect(none.fix!.summary).not.toMatch(/az login/);
    // Not pinned: the same unavailable tool stays an info without a fix.
    const dev = await run({ AZURE_TOKEN_CREDENTIALS: 'dev' }, azNotLoggedIn, ['az']);
    const info = attemptFindings(dev.attempts.AzureDeveloperCliCredential!, dev.chain, dev.verdict, {}, probeCtx().endpoints);
    expect(info.map((f) => [f.code, f.severity])).toEqual([['credential.unavailable', 'info']]);
    expect(pinnedUnavailableFix({ name: 'AzurePowerShellCredential', reason: 'not signed in' })!.commands).toEqual(['pwsh -Command Connect-AzAccount']);
  });

  it('nothing configured: chain.none-succeeded (error), each unavailable credential is an info', async () => {
    const res = await run({}, azNotLoggedIn, ['az']);
    expect(res.verdict.noneSucceeded).toBe(true);
    expect(res.verdict.fallsToInteractive).toBe('InteractiveBrowserCredential');
    const fs = chainFindings(res, {});
    const none = byCode(fs, 'chain.none-succeeded')[0]!;
    expect(none.severity).toBe('error');
    expect(none.message).toMatch(/No credential is set up/);
    expect(none.fix!.commands).toEqual(['az login']);
    const infos = res.verdict.rows
      .filter((r) => r.enabled && r.name !== 'AzureCliCredential')
      .flatMap((r) => attemptFindings(res.attempts[r.name]!, res.chain, res.verdict, {}, probeCtx().endpoints));
    expect(infos.every((f) => f.code === 'credential.unavailable' && f.severity === 'info')).toBe(true);
    expect(infos.map((f) => f.target)).toEqual(expect.arrayContaining(['EnvironmentCredential', 'VisualStudioCredential', 'VisualStudioCodeCredential']));
    const cli = azureCliFindings(res, {}, probeCtx().endpoints);
    expect(cli.map((f) => [f.code, f.severity])).toEqual([['credential.cli-not-logged-in', 'warning']]);
  });

  it('headless without a working credential: chain.interactive-fallback-headless', async () => {
    const res = await run({ CI: 'true' }, azNotLoggedIn, ['az']);
    const fs = chainFindings(res, {});
    const h = byCode(fs, 'chain.interactive-fallback-headless')[0]!;
    expect(h.severity).toBe('warning');
    expect(h.message).toMatch(/CI/);
  });

  it('no headless warning when a credential works, and none for prod (no interactive fallback)', async () => {
    expect(codes(chainFindings(await run({ CI: 'true' }, azOk(), ['az']), {}))).not.toContain('chain.interactive-fallback-headless');
    const prod = await run({ CI: 'true', AZURE_TOKEN_CREDENTIALS: 'prod' }, [], [], 'server');
    expect(codes(chainFindings(prod, {}))).not.toContain('chain.interactive-fallback-headless');
  });

  it('same identity twice: chain.shadowed is only an info', async () => {
    const env = { AZURE_TOKEN_CREDENTIALS: 'dev' };
    const scripts: Script[] = [...azOk(), { match: /^azd auth token/, result: { stdout: JSON.stringify({ token: userToken({ oid: 'user-oid-1' }) }) } }];
    const res = await run(env, scripts, ['az', 'azd']);
    expect(res.verdict.winner).toBe('AzureCliCredential');
    const sh = byCode(chainFindings(res, {}), 'chain.shadowed')[0]!;
    expect(sh.severity).toBe('info');
    expect(sh.fix).toBeUndefined();
  });

  it('an unrecognised AZURE_TOKEN_CREDENTIALS value: error finding, default chain, no fallback', async () => {
    const res = await run({ AZURE_TOKEN_CREDENTIALS: 'AzureCLI' }, azOk(), ['az']);
    const f = byCode(chainFindings(res, {}), 'chain.invalid-token-credentials')[0]!;
    expect(f.severity).toBe('error');
    expect(f.evidence!.suggestion).toBe('AzureCliCredential');
    expect(f.fix!.commands).toEqual(['export AZURE_TOKEN_CREDENTIALS=AzureCliCredential']);
    expect(res.chain.interactiveFallbacks).toEqual([]);
  });

  it('AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS plus an App Service identity: deprecated variable and the identity is excluded', async () => {
    const env = { AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS: 'true', IDENTITY_ENDPOINT: 'http://127.0.0.1:9/msi', IDENTITY_HEADER: 'h' };
    const res = await run(env, azNotLoggedIn, ['az']);
    const fs = chainFindings(res, env);
    expect(byCode(fs, 'chain.deprecated-variable')[0]!.target).toBe('AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS');
    const ex = byCode(fs, 'chain.configured-credential-excluded')[0]!;
    expect(ex.target).toBe('ManagedIdentityCredential');
    expect(ex.message).toMatch(/off by default/);
    // The managed identity endpoint was never contacted: MI is not in the chain.
    expect(res.attempts.ManagedIdentityCredential).toBeUndefined();
  });

  it('excludedButConfigured: service principal variables with the dev chain', () => {
    const chain = effectiveChain({ AZURE_TOKEN_CREDENTIALS: 'dev', AZURE_CLIENT_SECRET: 'x' }, 'server');
    const f = excludedButConfigured(chain, { AZURE_CLIENT_SECRET: 'x' })[0]!;
    expect(f.target).toBe('EnvironmentCredential');
    expect(f.message).toMatch(/dev chain/);
    expect(JSON.stringify(f)).not.toContain('"x"');
  });

  it('uncertain VS Code on macOS before a working CLI: the winner carries a caveat', () => {
    const chain = effectiveChain({ VSCODE_PID: '1' });
    const attempts: Record<string, CredentialAttempt> = {
      EnvironmentCredential: { name: 'EnvironmentCredential', state: 'unavailable', reason: 'unset', configured: false, durationMs: 0, findings: [], facts: {} },
      VisualStudioCredential: { name: 'VisualStudioCredential', state: 'unavailable', reason: 'no', configured: false, durationMs: 0, findings: [], facts: {} },
      VisualStudioCodeCredential: { name: 'VisualStudioCodeCredential', state: 'unknown', reason: 'broker', configured: true, durationMs: 0, findings: [], facts: {} },
      AzureCliCredential: { name: 'AzureCliCredential', state: 'succeeded', reason: 'ok', configured: true, durationMs: 1, findings: [], facts: {} },
    };
    const v = chainVerdict(chain, attempts);
    expect(v.winner).toBe('AzureCliCredential');
    expect(v.uncertain).toEqual(['VisualStudioCodeCredential']);
  });
});

describe('severity: SafeTokenCredential hides failures', () => {
  it('the intended service principal fails (expired secret) and the CLI takes over: error, with the app-owner fix', async () => {
    const res = await run(spEnv('expired'), azOk(), ['az']);
    expect(res.verdict.winner).toBe('AzureCliCredential');
    const fs = attemptFindings(res.attempts.EnvironmentCredential!, res.chain, res.verdict, spEnv('expired'), probeCtx().endpoints);
    const f = byCode(fs, 'entra.expired-client-secret')[0]!;
    expect(f.severity).toBe('error');
    expect(f.message).toMatch(/SafeTokenCredential/);
    expect(f.message).toMatch(/Azure CLI is used instead/);
    expect(f.evidence).toMatchObject({ aadsts: 'AADSTS7000222', credential: 'EnvironmentCredential' });
    expect(f.evidence!.traceId).toBeTruthy();
    expect(f.fix!.actor).toBe('app-owner');
    expect(f.fix!.commands![0]).toContain(`--id ${APP}`);
    expect(JSON.stringify(fs)).not.toContain('expired"');
  });

  it('a wrong secret with nothing else working: error, entra.invalid-client-secret', async () => {
    const res = await run(spEnv('bad'), azNotLoggedIn, ['az']);
    const fs = attemptFindings(res.attempts.EnvironmentCredential!, res.chain, res.verdict, spEnv('bad'), probeCtx().endpoints);
    expect(byCode(fs, 'entra.invalid-client-secret')[0]!.severity).toBe('error');
  });

  it('a developer credential that fails before a working one is a warning; one after the winner an info', () => {
    const chain = effectiveChain({}, 'server');
    const mk = (name: CredentialAttempt['name'], state: CredentialAttempt['state']): CredentialAttempt => ({
      name,
      state,
      reason: 'x',
      configured: state !== 'unavailable',
      durationMs: 0,
      findings: [],
      facts: {},
    });
    const attempts = {
      EnvironmentCredential: mk('EnvironmentCredential', 'unavailable'),
      VisualStudioCredential: mk('VisualStudioCredential', 'unavailable'),
      VisualStudioCodeCredential: mk('VisualStudioCodeCredential', 'failed'),
      AzureCliCredential: mk('AzureCliCredential', 'succeeded'),
      AzurePowerShellCredential: mk('AzurePowerShellCredential', 'failed'),
      AzureDeveloperCliCredential: mk('AzureDeveloperCliCredential', 'unavailable'),
    };
    const v = chainVerdict(chain, attempts);
    expect(failureWeight(attempts.VisualStudioCodeCredential, chain, v).severity).toBe('warning');
    expect(failureWeight(attempts.AzurePowerShellCredential, chain, v).severity).toBe('info');
    const pinned = effectiveChain({ AZURE_TOKEN_CREDENTIALS: 'AzurePowerShellCredential' }, 'server');
    expect(failureWeight(attempts.AzurePowerShellCredential, pinned, chainVerdict(pinned, attempts)).severity).toBe('error');
  });

  it('a network failure points at the network finding', () => {
    const chain = effectiveChain({ AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' }, 'server');
    const a: CredentialAttempt = {
      name: 'EnvironmentCredential',
      state: 'failed',
      reason: 'dns',
      configured: true,
      kind: 'client-secret',
      durationMs: 3,
      findings: [],
      facts: {},
      network: { code: 'dns.not-found', errorCode: 'ENOTFOUND', host: 'login.microsoftonline.com', viaProxy: false, explanation: 'The name does not resolve.' },
    };
    const f = attemptFindings(a, chain, chainVerdict(chain, { EnvironmentCredential: a }), {}, probeCtx().endpoints)[0]!;
    expect(f.code).toBe('credential.failed');
    expect(f.severity).toBe('error');
    expect(f.evidence).toMatchObject({ networkError: 'ENOTFOUND', host: 'login.microsoftonline.com', relatedFinding: 'dns.not-found' });
    expect(f.message).toContain('See dns.not-found');
  });
});

describe('Azure CLI findings', () => {
  it('pinned but not installed: error', async () => {
    const res = await run({ AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' }, [], []);
    const f = azureCliFindings(res, {}, probeCtx().endpoints)[0]!;
    expect(f).toMatchObject({ code: 'credential.cli-not-installed', severity: 'error' });
  });

  it('slow: a warning above 8 s, an error at 13 s when the CLI matters', async () => {
    const slow = await run({ AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' }, azOk(9_000), ['az']);
    expect(byCode(azureCliFindings(slow, {}, probeCtx().endpoints), 'credential.cli-slow')[0]!.severity).toBe('warning');
    expect(slow.verdict.winner).toBe('AzureCliCredential');
    const tooSlow = await run({ AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' }, azOk(13_200), ['az']);
    const f = byCode(azureCliFindings(tooSlow, {}, probeCtx().endpoints), 'credential.cli-slow')[0]!;
    expect(f.severity).toBe('error');
    expect(f.evidence).toMatchObject({ tokenMs: 13_200, limitMs: 13_000 });
    expect(tooSlow.verdict.winner).toBeUndefined();
  });

  it('a different cloud than the server: credential.cli-cloud-mismatch', async () => {
    const scripts: Script[] = [
      { match: /^az account get-access-token/, result: { stdout: cliToken() } },
      { match: /^az account show/, result: { stdout: account(TENANT, 'AzureChinaCloud') } },
      { match: /^az version/, result: { stdout: '{"azure-cli":"2.45.0"}' } },
    ];
    const res = await run({}, scripts, ['az']);
    const f = byCode(azureCliFindings(res, {}, probeCtx().endpoints), 'credential.cli-cloud-mismatch')[0]!;
    expect(f.evidence).toEqual({ cliCloud: 'AzureChinaCloud', serverCloud: 'AzureCloud' });
    expect(f.fix!.commands![0]).toBe('az cloud set --name AzureCloud');
  });

  it('AADSTS from az: the entra finding suggests az login --tenant with the account tenant', async () => {
    const scripts: Script[] = [
      { match: /^az account get-access-token/, result: { code: 1, stderr: 'ERROR: AADSTS50173: The provided grant has expired due to it being revoked.\naz login' } },
      { match: /^az account show/, result: { stdout: account(OTHER_TENANT) } },
      { match: /^az version/, result: { stdout: '{"azure-cli":"2.45.0"}' } },
    ];
    const res = await run({}, scripts, ['az']);
    const f = byCode(azureCliFindings(res, {}, probeCtx().endpoints), 'entra.reauthentication-required')[0]!;
    expect(f.fix!.commands).toEqual([`az login --tenant ${OTHER_TENANT}`]);
    expect(f.severity).toBe('error');
  });
});

describe('identity findings', () => {
  it('identity.summary for the winner, and tenant mismatches with AZURE_TENANT_ID, the CLI and azureProfile.json', async () => {
    mkdirSync(path.join(home, '.azure'), { recursive: true });
    writeFileSync(
      path.join(home, '.azure', 'azureProfile.json'),
      '\uFEFF' + JSON.stringify({ subscriptions: [{ id: 'sub-x', name: 'Prod', tenantId: OTHER_TENANT, isDefault: true }] }),
    );
    try {
      const env = { ...spEnv(), AZURE_TENANT_ID: TENANT };
      const res = await run(env, azOk(500, OTHER_TENANT), ['az']);
      const { findings, rows } = identityFindings(res, env, home);
      const s = byCode(findings, 'identity.summary')[0]!;
      expect(s.evidence).toMatchObject({ credential: 'EnvironmentCredential', kind: 'app', tenantId: TENANT, appId: APP, personalAccount: false });
      expect(rows.find((r) => r[0] === 'tenant')![1]).toBe(TENANT);
      const m = byCode(findings, 'identity.tenant-mismatch')[0]!;
      expect(m.message).toContain(`Azure CLI account says ${OTHER_TENANT}`);
      expect(m.message).toMatch(/default subscription Prod/);
      expect(m.message).toMatch(/InvalidAuthenticationTokenTenant/);
    } finally {
      rmSync(path.join(home, '.azure'), { recursive: true, force: true });
    }
  });

  it('no mismatch when everything agrees', async () => {
    const res = await run(spEnv(), azOk(500, TENANT), ['az']);
    expect(codes(identityFindings(res, spEnv(), home).findings)).toEqual(['identity.summary']);
  });

  it('a personal Microsoft account is flagged', async () => {
    const scripts: Script[] = [
      { match: /^az account get-access-token/, result: { stdout: cliToken(userToken({ tid: MSA_TENANT, upn: undefined, preferred_username: 'bob@outlook.com' })) } },
      { match: /^az account show/, result: { stdout: account(MSA_TENANT) } },
      { match: /^az version/, result: { stdout: '{}' } },
    ];
    const res = await run({}, scripts, ['az']);
    const { findings } = identityFindings(res, {}, home);
    expect(byCode(findings, 'identity.summary')[0]!.evidence!.personalAccount).toBe(true);
    expect(byCode(findings, 'entra.personal-account')[0]!.severity).toBe('warning');
  });
});
