// The credentials @azure/identity (JS) cannot run the way the server does: Visual Studio (a Windows token
// provider), VS Code (the broker plus the Azure Resources extension's auth record) and the interactive
// ones (browser/broker, device code). The doctor reports what can be known: files, OS, display, keyring.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EvidenceValue } from '../../core/model.js';
import { isCi, isHeadless } from '../../core/environment.js';
import type { CredentialName } from '../../chain/credentials.js';
import type { CredentialAttempt, Env, ProbeContext } from './types.js';

type Ctx = Pick<ProbeContext, 'env' | 'platform' | 'homedir'>;

/** Where .NET's VisualStudioCredential looks for the token provider list. */
export function visualStudioTokenProviderPaths(ctx: Ctx): string[] {
  const rel = path.join('.IdentityService', 'AzureServiceAuth', 'tokenprovider.json');
  if (ctx.platform === 'win32') {
    const local = ctx.env.LOCALAPPDATA ?? path.join(ctx.homedir, 'AppData', 'Local');
    return [path.join(local, rel)];
  }
  const xdg = ctx.env.XDG_DATA_HOME || path.join(ctx.homedir, '.local', 'share');
  // The 2.0.5 server reports <HOME>/.IdentityService/... on Linux; XDG is checked too.
  return [path.join(ctx.homedir, rel), path.join(xdg, rel)];
}

export function probeVisualStudio(ctx: Ctx): CredentialAttempt {
  const files = visualStudioTokenProviderPaths(ctx);
  const found = files.find((f) => existsSync(f));
  const facts: Record<string, EvidenceValue> = { tokenProviderFile: found ?? files[0]!, os: ctx.platform };
  const base = { name: 'VisualStudioCredential' as const, kind: 'visual-studio' as const, findings: [], facts, durationMs: 0 };
  if (ctx.platform !== 'win32') {
    return { ...base, configured: false, state: 'unavailable', reason: `Visual Studio runs only on Windows; the server finds no token provider at ${files[0]}` };
  }
  if (!found) {
    return { ...base, configured: false, state: 'unavailable', reason: `no Visual Studio token provider at ${files[0]} (Visual Studio not installed or never signed in)` };
  }
  return {
    ...base,
    configured: true,
    state: 'unknown',
    reason: 'Visual Studio\'s token provider is installed; the doctor cannot run it, so whether Visual Studio is signed in (and as whom) is unknown. Check Tools > Options > Azure Service Authentication.',
  };
}

export interface VsCodeAuthRecord {
  username?: string;
  tenantId?: string;
  authority?: string;
  clientId?: string;
}

/** The auth record the VS Code Azure Resources extension writes and .NET's VisualStudioCodeCredential reads. */
export function vscodeAuthRecordPaths(ctx: Ctx): string[] {
  const rel = path.join('ms-azuretools.vscode-azureresourcegroups', 'authRecord.json');
  return [path.join(ctx.homedir, '.azure', rel), path.join(ctx.homedir, '.Azure', rel)];
}

export function readVsCodeAuthRecord(file: string): VsCodeAuthRecord | undefined {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const s = (k: string) => (typeof j[k] === 'string' ? (j[k] as string) : undefined);
    return {
      ...(s('username') ? { username: s('username') } : {}),
      ...(s('tenantId') ? { tenantId: s('tenantId') } : {}),
      ...(s('authority') ? { authority: s('authority') } : {}),
      ...(s('clientId') ? { clientId: s('clientId') } : {}),
    };
  } catch {
    return undefined;
  }
}

export function probeVisualStudioCode(ctx: Ctx): CredentialAttempt {
  const files = vscodeAuthRecordPaths(ctx);
  const found = files.find((f) => existsSync(f));
  const record = found ? readVsCodeAuthRecord(found) : undefined;
  const facts: Record<string, EvidenceValue> = { authRecord: found ?? files[0]!, os: ctx.platform };
  if (record?.username) facts.account = record.username;
  if (record?.tenantId) facts.tenant = record.tenantId;
  const base = { name: 'VisualStudioCodeCredential' as const, kind: 'visual-studio-code' as const, findings: [], facts, durationMs: 0 };
  if (ctx.platform === 'linux') {
    return {
      ...base,
      configured: !!found,
      state: 'unavailable',
      reason:
        'on Linux the server\'s VS Code credential needs the authentication broker (msalruntime), which the server does not ship for Linux, so it always fails' +
        (found ? ` (even though the VS Code sign-in record exists${record?.username ? ` for ${record.username}` : ''})` : ''),
    };
  }
  if (!found) {
    return {
      ...base,
      configured: false,
      state: 'unavailable',
      reason: `not signed in to VS Code's Azure Resources extension (no ${files[0]})`,
    };
  }
  if (!record) {
    return { ...base, configured: true, state: 'failed', reason: `the VS Code sign-in record ${found} is not valid JSON` };
  }
  return {
    ...base,
    configured: true,
    state: 'unknown',
    reason:
      `VS Code is signed in${record.username ? ` as ${record.username}` : ''}${record.tenantId ? ` (tenant ${record.tenantId})` : ''}; ` +
      'the server gets its token silently through the OS broker, which the doctor cannot run, so whether that succeeds is unknown',
  };
}

const LIBSECRET_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/lib'];

export function hasLibsecret(): boolean {
  return LIBSECRET_DIRS.some((d) => existsSync(path.join(d, 'libsecret-1.so.0')));
}

export interface InteractiveCapability {
  /** A browser or broker prompt can be shown to a person here. */
  canPrompt: boolean;
  headless: boolean;
  ci?: string;
  /** Linux: the server's persistent token cache needs libsecret and a D-Bus session, else sign-in fails at once. */
  keyringOk?: boolean;
  /** Plain-text reasons. */
  notes: string[];
}

export function interactiveCapability(env: Env, platform: NodeJS.Platform, libsecret = platform === 'linux' ? hasLibsecret() : true): InteractiveCapability {
  const notes: string[] = [];
  const ci = isCi(env);
  const headless = isHeadless(env, platform);
  let keyringOk: boolean | undefined;
  if (ci) notes.push(`running in CI (${ci}): nobody can answer a prompt`);
  if (platform === 'linux') {
    if (headless) notes.push('no display (DISPLAY and WAYLAND_DISPLAY are unset): no browser can open');
    keyringOk = libsecret && !!env.DBUS_SESSION_BUS_ADDRESS;
    if (!libsecret) notes.push('libsecret-1.so.0 is missing: the server\'s persistent token cache fails ("Persistence check failed") before any prompt');
    else if (!env.DBUS_SESSION_BUS_ADDRESS) notes.push('no D-Bus session (DBUS_SESSION_BUS_ADDRESS unset): the keyring the server\'s token cache needs is unreachable');
  } else if (headless) {
    notes.push('remote shell session (SSH): a browser would open on a desktop nobody is looking at, if at all');
  }
  if (platform === 'win32' && !headless && !ci) notes.push('Windows: the server signs in through the Web Account Manager broker (account picker)');
  if (platform === 'darwin' && !headless && !ci) notes.push('macOS: the server opens the system browser');
  const canPrompt = !ci && !headless && keyringOk !== false;
  return { canPrompt, headless, ...(ci ? { ci } : {}), ...(keyringOk !== undefined ? { keyringOk } : {}), notes };
}

/**
 * Whether a live --interactive attempt (the doctor's own prompt) can reach a person here. Never started
 * when it cannot: headless without a BROWSER command, CI, or no terminal for a device code would only
 * wait for the timeout.
 */
export function liveAttemptPossible(name: CredentialName, cap: InteractiveCapability, tty: boolean, env: Env): boolean {
  if (name === 'DeviceCodeCredential') return !cap.ci && tty;
  return !!env.BROWSER || (!cap.headless && !cap.ci);
}

export function probeInteractive(name: CredentialName, ctx: Pick<ProbeContext, 'env' | 'platform' | 'interactive'>, cap: InteractiveCapability, tty: boolean): CredentialAttempt {
  const facts: Record<string, EvidenceValue> = { canPrompt: cap.canPrompt, headless: cap.headless, ci: cap.ci ?? false };
  if (cap.keyringOk !== undefined) facts.keyring = cap.keyringOk;
  let could = cap.canPrompt;
  const notes = [...cap.notes];
  if (name === 'DeviceCodeCredential') {
    // Device code needs only a terminal, but on Linux the same persistent cache.
    could = !cap.ci && tty && cap.keyringOk !== false;
    if (!tty) notes.push('no terminal to show the device code');
  }
  return {
    name,
    kind: 'interactive',
    configured: false,
    findings: [],
    facts,
    durationMs: 0,
    state: 'not-tried',
    reason: `interactive: not started (${ctx.interactive ? '--interactive starts only a prompt someone can answer here' : 'use --interactive to try it'}); ${could ? 'it could work here' : 'it cannot work here'}${notes.length ? `: ${notes.join('; ')}` : ''}`,
  };
}
