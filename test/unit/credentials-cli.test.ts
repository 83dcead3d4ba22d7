// The Azure CLI, azd and PowerShell probes with scripted child processes (no real az is ever run here).

import { describe, expect, it } from 'vitest';
import { parseAccountShow, parseCliToken, probeAzureCli } from '../../src/probes/credentials/azure-cli.js';
import { powerShellScript, probeAzureDeveloperCli, probeAzurePowerShell } from '../../src/probes/credentials/developer-tools.js';
import { whichIn } from '../../src/probes/credentials/exec.js';
import { OTHER_TENANT, probeCtx, scriptedExec, TENANT, userToken, type Script } from './credentials-fixtures.js';

const which = (present: string[]) => (p: string) => (present.includes(p) ? `/usr/bin/${p}` : undefined);

const tokenJson = (token = userToken()) => JSON.stringify({ accessToken: token, expiresOn: '2026-11-26 12:00:00.000000', expires_on: 1, subscription: 's', tenant: TENANT, tokenType: 'Bearer' });
const accountJson = JSON.stringify({ environmentName: 'AzureCloud', id: 'sub-1', isDefault: true, name: 'Dev', tenantId: TENANT, user: { name: 'alice@contoso.com', type: 'user' } });

function az(scripts: Script[]): Script[] {
  return [
    ...scripts,
    { match: /^az version/, result: { stdout: JSON.stringify({ 'azure-cli': '2.45.0', 'azure-cli-core': '2.45.0' }) } },
    { match: /^az cloud show/, result: { stdout: JSON.stringify({ name: 'AzureCloud' }) } },
  ];
}

describe('Azure CLI probe', () => {
  it('not on PATH: unavailable, nothing run', async () => {
    const calls: string[] = [];
    const r = await probeAzureCli(probeCtx({ exec: scriptedExec([], calls), which: which([]) }), { tokenAttempt: true });
    expect(r.details.installed).toBe(false);
    expect(r.attempt.state).toBe('unavailable');
    expect(calls).toEqual([]);
  });

  it('signed in: the exact .NET command line, identity decoded, account and version read; token never kept', async () => {
    const calls: string[] = [];
    const exec = scriptedExec(
      az([
        { match: /^az account get-access-token/, result: { stdout: tokenJson(), durationMs: 900 } },
        { match: /^az account show/, result: { stdout: accountJson } },
      ]),
      calls,
    );
    const r = await probeAzureCli(probeCtx({ exec, which: which(['az']) }), { tokenAttempt: true });
    expect(calls[0]).toBe('az account get-access-token --output json --resource https://management.azure.com');
    expect(r.attempt.state).toBe('succeeded');
    expect(r.attempt.identity).toMatchObject({ user: 'alice@contoso.com', tenantId: TENANT });
    expect(r.details).toMatchObject({ installed: true, version: '2.45.0', loggedIn: true, cloud: 'AzureCloud', tokenMs: 900 });
    expect(r.details.account).toMatchObject({ user: 'alice@contoso.com', tenantId: TENANT, subscriptionId: 'sub-1' });
    expect(JSON.stringify(r)).not.toContain(userToken().split('.')[1]!.slice(0, 16));
  });

  it('not signed in: unavailable and loggedIn=false', async () => {
    const exec = scriptedExec(
      az([
        { match: /^az account get-access-token/, result: { code: 1, stderr: "ERROR: Please run 'az login' to setup account.\n" } },
        { match: /^az account show/, result: { code: 1, stderr: "ERROR: Please run 'az login' to setup account.\n" } },
      ]),
    );
    const r = await probeAzureCli(probeCtx({ exec, which: which(['az']) }), { tokenAttempt: true });
    expect(r.attempt.state).toBe('unavailable');
    expect(r.attempt.reason).toMatch(/not signed in/);
    expect(r.details.loggedIn).toBe(false);
    expect(r.details.cloud).toBe('AzureCloud');
  });

  it('an expired refresh token: failed with the AADSTS code, not "not signed in"', async () => {
    const exec = scriptedExec(
      az([
        {
          match: /^az account get-access-token/,
          result: { code: 1, stderr: 'ERROR: AADSTS700082: The refresh token has expired due to inactivity.\nTrace ID: aaaaaaaa-0000-0000-0000-000000000001\nCorrelation ID: cccccccc-0000-0000-0000-000000000002\nTo re-authenticate, please run:\naz login\n' },
        },
        { match: /^az account show/, result: { stdout: accountJson } },
      ]),
    );
    const r = await probeAzureCli(probeCtx({ exec, which: which(['az']) }), { tokenAttempt: true });
    expect(r.attempt.state).toBe('failed');
    expect(r.attempt.entra?.codes).toEqual([700082]);
    expect(r.attempt.entra?.traceId).toBe('aaaaaaaa-0000-0000-0000-000000000001');
  });

  it('a network error in az: failed with the network cause', async () => {
    const exec = scriptedExec(
      az([
        {
          match: /^az account get-access-token/,
          result: { code: 1, stderr: "ERROR: HTTPSConnectionPool(host='login.microsoftonline.com', port=443): Max retries exceeded (Caused by NameResolutionError(\"Failed to resolve 'login.microsoftonline.com'\"))" },
        },
      ]),
    );
    const r = await probeAzureCli(probeCtx({ exec, which: which(['az']) }), { tokenAttempt: true });
    expect(r.attempt.network).toMatchObject({ code: 'dns.not-found', host: 'login.microsoftonline.com' });
  });

  it('a timeout: failed and timedOut', async () => {
    const exec = scriptedExec(az([{ match: /^az account get-access-token/, result: { code: null, timedOut: true, durationMs: 3000 } }]));
    const r = await probeAzureCli(probeCtx({ exec, which: which(['az']) }), { tokenAttempt: true });
    expect(r.attempt.state).toBe('failed');
    expect(r.attempt.timedOut).toBe(true);
    expect(r.details.tokenTimedOut).toBe(true);
  });

  it('a token that took 13.5 s counts as a failure for the server', async () => {
    const exec = scriptedExec(az([{ match: /^az account get-access-token/, result: { stdout: tokenJson(), durationMs: 13_500 } }]));
    const r = await probeAzureCli(probeCtx({ exec, which: which(['az']) }), { tokenAttempt: true });
    expect(r.attempt.state).toBe('failed');
    expect(r.attempt.reason).toMatch(/13 s/);
  });

  it('not in the chain: no get-access-token, but account details still read', async () => {
    const calls: string[] = [];
    const exec = scriptedExec(az([{ match: /^az account show/, result: { stdout: JSON.stringify({ tenantId: OTHER_TENANT, environmentName: 'AzureChinaCloud' }) } }]), calls);
    const r = await probeAzureCli(probeCtx({ exec, which: which(['az']) }), { tokenAttempt: false });
    expect(calls.some((c) => c.includes('get-access-token'))).toBe(false);
    expect(r.attempt.state).toBe('skipped');
    expect(r.details.account?.tenantId).toBe(OTHER_TENANT);
    expect(r.details.cloud).toBe('AzureChinaCloud');
  });

  it('parsers', () => {
    expect(parseCliToken('not json').ok).toBe(false);
    expect(parseCliToken(tokenJson()).tenant).toBe(TENANT);
    expect(parseAccountShow(accountJson)).toMatchObject({ userType: 'user', cloud: 'AzureCloud' });
  });
});

describe('azd and PowerShell probes', () => {
  it('azd not installed', async () => {
    const a = await probeAzureDeveloperCli(probeCtx({ which: which([]) }));
    expect(a.state).toBe('unavailable');
    expect(a.reason).toMatch(/not installed/);
  });

  it('azd signed in: --no-prompt, scope with /.default, identity decoded', async () => {
    const calls: string[] = [];
    const exec = scriptedExec([{ match: /^azd auth token/, result: { stdout: JSON.stringify({ token: userToken(), expiresOn: '2030-01-01T00:00:00Z' }) } }], calls);
    const a = await probeAzureDeveloperCli(probeCtx({ exec, which: which(['azd']) }));
    expect(calls[0]).toBe('azd auth token --output json --no-prompt --scope https://management.azure.com/.default');
    expect(a.state).toBe('succeeded');
    expect(a.identity?.user).toBe('alice@contoso.com');
  });

  it('azd not logged in', async () => {
    const exec = scriptedExec([{ match: /^azd auth token/, result: { code: 1, stderr: 'ERROR: not logged in, run `azd auth login` to login' } }]);
    const a = await probeAzureDeveloperCli(probeCtx({ exec, which: which(['azd']) }));
    expect(a.state).toBe('unavailable');
    expect(a.reason).toMatch(/not signed in/);
  });

  it('pwsh signed in, not signed in, module missing', async () => {
    const ok = scriptedExec([{ match: /^pwsh -NoProfile -NonInteractive -Command/, result: { stdout: `WARNING: x\n{"ExpiresOn":"2030-01-01T00:00:00+00:00","Token":"${userToken()}"}\n` } }]);
    expect((await probeAzurePowerShell(probeCtx({ exec: ok, which: which(['pwsh']) }))).state).toBe('succeeded');
    const login = scriptedExec([{ match: /^pwsh/, result: { code: 1, stderr: 'Get-AzAccessToken: Run Connect-AzAccount to login.' } }]);
    expect((await probeAzurePowerShell(probeCtx({ exec: login, which: which(['pwsh']) }))).reason).toMatch(/not signed in/);
    const mod = scriptedExec([{ match: /^pwsh/, result: { code: 1, stderr: "Import-Module: The specified module 'Az.Accounts' with version '2.2.0' was not loaded because no valid module file was found in any module directory." } }]);
    const m = await probeAzurePowerShell(probeCtx({ exec: mod, which: which(['pwsh']) }));
    expect(m.state).toBe('unavailable');
    expect(m.reason).toMatch(/Az.Accounts/);
    expect((await probeAzurePowerShell(probeCtx({ which: which([]) }))).reason).toMatch(/PowerShell is not installed/);
  });

  it('the PowerShell script asks for the ARM audience and prints JSON', () => {
    const s = powerShellScript('https://management.azure.com');
    expect(s).toContain('ResourceUrl = "https://management.azure.com"');
    expect(s).toContain('ConvertTo-Json');
  });
});

describe('whichIn', () => {
  it('finds executables on absolute PATH entries only', () => {
    expect(whichIn('sh', { PATH: '/bin:/usr/bin' })).toMatch(/\/sh$/);
    expect(whichIn('sh', { PATH: 'bin:relative' })).toBeUndefined();
    expect(whichIn('definitely-not-a-program-xyz', { PATH: '/bin:/usr/bin' })).toBeUndefined();
  });
});
