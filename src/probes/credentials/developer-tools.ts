// AzureDeveloperCliCredential (azd auth token) and AzurePowerShellCredential (Get-AzAccessToken), each
// only when its program is on PATH, each with a time limit a little above the .NET default so that
// slowness is measured rather than hidden. Tokens are decoded in memory and dropped.

import type { EvidenceValue } from '../../core/model.js';
import { DOTNET_PROCESS_TIMEOUT_MS } from '../../chain/credentials.js';
import { identityFromToken } from '../../chain/token-claims.js';
import { armAudience } from './sdk-attempt.js';
import { classifyToolError } from './tool-errors.js';
import type { CredentialAttempt, ExecResult, ProbeContext } from './types.js';

function fromToolResult(
  name: 'AzureDeveloperCliCredential' | 'AzurePowerShellCredential',
  r: ExecResult,
  token: string | undefined,
  tool: 'azd' | 'pwsh',
  ctx: ProbeContext,
  facts: Record<string, EvidenceValue>,
  started: number,
): CredentialAttempt {
  const kind = name === 'AzureDeveloperCliCredential' ? ('azure-developer-cli' as const) : ('azure-powershell' as const);
  const limit = DOTNET_PROCESS_TIMEOUT_MS[name] ?? 13_000;
  const base = { name, kind, findings: [], facts, durationMs: Math.round(performance.now() - started) };
  facts.tokenMs = r.durationMs;
  if (r.timedOut) {
    return { ...base, configured: true, state: 'failed', timedOut: true, reason: `${tool} did not answer within ${ctx.processTimeoutMs} ms (the server gives up after ${limit / 1000} s)` };
  }
  if (token) {
    const identity = identityFromToken(token);
    const slow = r.durationMs >= limit;
    return {
      ...base,
      configured: true,
      state: slow ? 'failed' : 'succeeded',
      ...(slow ? { timedOut: true } : {}),
      reason: slow ? `got a token after ${r.durationMs} ms, but the server gives up after ${limit / 1000} s` : 'got a token',
      ...(identity ? { identity } : {}),
    };
  }
  if (r.spawnError) return { ...base, configured: false, state: 'unavailable', reason: `${tool} could not be started (${r.spawnError})` };
  const e = classifyToolError(`${r.stderr}\n${r.code === 0 ? '' : r.stdout}`, tool, ctx.env);
  const unavailable = e.kind === 'not-installed' || e.kind === 'not-logged-in';
  return {
    ...base,
    configured: !unavailable,
    state: unavailable ? 'unavailable' : 'failed',
    reason:
      e.kind === 'not-logged-in'
        ? `not signed in: ${e.message}`
        : e.kind === 'not-installed'
          ? tool === 'pwsh'
            ? `the Az.Accounts module is not installed: ${e.message}`
            : e.message
          : e.message,
    ...(e.entra ? { entra: e.entra } : {}),
    ...(e.network ? { network: e.network } : {}),
  };
}

export async function probeAzureDeveloperCli(ctx: ProbeContext): Promise<CredentialAttempt> {
  const started = performance.now();
  const azd = ctx.which('azd');
  const facts: Record<string, EvidenceValue> = {};
  if (!azd) {
    return {
      name: 'AzureDeveloperCliCredential',
      kind: 'azure-developer-cli',
      configured: false,
      findings: [],
      facts,
      state: 'unavailable',
      reason: 'Azure Developer CLI not installed (azd is not on PATH)',
      durationMs: Math.round(performance.now() - started),
    };
  }
  facts.path = azd;
  const cwd = ctx.platform === 'win32' ? (ctx.env.SystemRoot ?? 'C:\\Windows') : '/';
  const r = await ctx.exec(azd, ['auth', 'token', '--output', 'json', '--no-prompt', '--scope', ctx.endpoints.armScope], {
    timeoutMs: ctx.processTimeoutMs,
    signal: ctx.signal,
    env: ctx.env,
    cwd,
  });
  let token: string | undefined;
  if (r.code === 0) {
    try {
      token = (JSON.parse(r.stdout) as { token?: string }).token;
    } catch {
      token = undefined;
    }
  }
  return fromToolResult('AzureDeveloperCliCredential', r, token, 'azd', ctx, facts, started);
}

/** The script .NET/JS Azure.Identity run; prints {ExpiresOn, Token} as JSON. The resource is ours, not user input. */
export function powerShellScript(resource: string): string {
  return [
    '$ErrorActionPreference = "Stop"',
    '$m = Import-Module Az.Accounts -MinimumVersion 2.2.0 -PassThru',
    '$useSecureString = $m.Version -ge [version]"2.17.0" -and $m.Version -lt [version]"5.0.0"',
    `$params = @{ ResourceUrl = "${resource.replace(/"/g, '')}" }`,
    'if ($useSecureString) { $params["AsSecureString"] = $true }',
    '$token = Get-AzAccessToken @params',
    '$t = $token.Token',
    'if ($t -is [System.Security.SecureString]) { $t = [System.Net.NetworkCredential]::new("", $t).Password }',
    '$result = New-Object -TypeName PSObject',
    '$result | Add-Member -MemberType NoteProperty -Name ExpiresOn -Value $token.ExpiresOn',
    '$result | Add-Member -MemberType NoteProperty -Name Token -Value $t',
    'Write-Output (ConvertTo-Json $result -Compress)',
  ].join('\n');
}

export async function probeAzurePowerShell(ctx: ProbeContext): Promise<CredentialAttempt> {
  const started = performance.now();
  const pwsh = ctx.which('pwsh') ?? (ctx.platform === 'win32' ? ctx.which('powershell') : undefined);
  const facts: Record<string, EvidenceValue> = {};
  if (!pwsh) {
    return {
      name: 'AzurePowerShellCredential',
      kind: 'azure-powershell',
      configured: false,
      findings: [],
      facts,
      state: 'unavailable',
      reason: 'PowerShell is not installed (pwsh is not on PATH)',
      durationMs: Math.round(performance.now() - started),
    };
  }
  facts.path = pwsh;
  const r = await ctx.exec(pwsh, ['-NoProfile', '-NonInteractive', '-Command', powerShellScript(armAudience(ctx))], {
    timeoutMs: ctx.processTimeoutMs,
    signal: ctx.signal,
    env: ctx.env,
  });
  let token: string | undefined;
  const m = /\{[^{}]*"Token"[^{}]*\}/.exec(r.stdout);
  if (m) {
    try {
      token = (JSON.parse(m[0]) as { Token?: string }).Token || undefined;
    } catch {
      token = undefined;
    }
  }
  return fromToolResult('AzurePowerShellCredential', r, token, 'pwsh', ctx, facts, started);
}
