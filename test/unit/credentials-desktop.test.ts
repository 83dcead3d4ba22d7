import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  interactiveCapability,
  liveAttemptPossible,
  probeInteractive,
  probeVisualStudio,
  probeVisualStudioCode,
  visualStudioTokenProviderPaths,
} from '../../src/probes/credentials/desktop.js';

let home: string;
beforeAll(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'azmcp-cred-desktop-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

function writeRecord(record: Record<string, unknown>) {
  const dir = path.join(home, '.azure', 'ms-azuretools.vscode-azureresourcegroups');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'authRecord.json'), JSON.stringify(record));
}

describe('Visual Studio', () => {
  it('Linux/macOS: unavailable (Windows only), naming the file the server looks for', () => {
    const a = probeVisualStudio({ env: {}, platform: 'linux', homedir: home });
    expect(a.state).toBe('unavailable');
    expect(a.reason).toContain(path.join(home, '.IdentityService', 'AzureServiceAuth', 'tokenprovider.json'));
  });
  it('Windows: the token provider file under LOCALAPPDATA; present means unknown', () => {
    const local = path.join(home, 'AppData', 'Local');
    const file = visualStudioTokenProviderPaths({ env: { LOCALAPPDATA: local }, platform: 'win32', homedir: home })[0]!;
    expect(probeVisualStudio({ env: { LOCALAPPDATA: local }, platform: 'win32', homedir: home }).state).toBe('unavailable');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '{}');
    expect(probeVisualStudio({ env: { LOCALAPPDATA: local }, platform: 'win32', homedir: home }).state).toBe('unknown');
  });
});

describe('VS Code', () => {
  it('Linux: always unavailable (no broker for Linux in the server), even when signed in', () => {
    writeRecord({ username: 'alice@contoso.com', tenantId: 't1' });
    const a = probeVisualStudioCode({ env: {}, platform: 'linux', homedir: home });
    expect(a.state).toBe('unavailable');
    expect(a.reason).toMatch(/msalruntime/);
    expect(a.reason).toContain('alice@contoso.com');
  });
  it('macOS/Windows: the auth record decides between unavailable and unknown (with the account)', () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'azmcp-cred-desktop2-'));
    try {
      expect(probeVisualStudioCode({ env: {}, platform: 'darwin', homedir: other }).state).toBe('unavailable');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    writeRecord({ username: 'alice@contoso.com', tenantId: 't1', homeAccountId: 'x.y' });
    const a = probeVisualStudioCode({ env: {}, platform: 'win32', homedir: home });
    expect(a.state).toBe('unknown');
    expect(a.facts).toMatchObject({ account: 'alice@contoso.com', tenant: 't1' });
  });
});

describe('interactive credentials', () => {
  it('--interactive starts only a prompt someone can answer: no browser when headless (unless BROWSER is set), no device code without a terminal or in CI', () => {
    const headless = interactiveCapability({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, 'linux', true);
    expect(liveAttemptPossible('InteractiveBrowserCredential', headless, true, {})).toBe(false);
    expect(liveAttemptPossible('InteractiveBrowserCredential', headless, false, { BROWSER: '/usr/bin/w3m' })).toBe(true);
    // Device code works over SSH with a terminal (the code is entered on another device)...
    expect(liveAttemptPossible('DeviceCodeCredential', headless, true, {})).toBe(true);
    // ...but not without a terminal, or in CI.
    expect(liveAttemptPossible('DeviceCodeCredential', headless, false, {})).toBe(false);
    expect(liveAttemptPossible('DeviceCodeCredential', interactiveCapability({ CI: 'true' }, 'linux', true), true, {})).toBe(false);
    const desktop = interactiveCapability({ DISPLAY: ':0', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, 'linux', true);
    expect(liveAttemptPossible('InteractiveBrowserCredential', desktop, false, {})).toBe(true);
    const a = probeInteractive('InteractiveBrowserCredential', { env: {}, platform: 'linux', interactive: true }, headless, true);
    expect(a.state).toBe('not-tried');
    expect(a.reason).toMatch(/--interactive starts only a prompt someone can answer here/);
  });
  it('headless Linux in CI cannot prompt; never started without --interactive', () => {
    const cap = interactiveCapability({ CI: 'true' }, 'linux', true);
    expect(cap.canPrompt).toBe(false);
    expect(cap.headless).toBe(true);
    expect(cap.ci).toBe('CI');
    const a = probeInteractive('InteractiveBrowserCredential', { env: {}, platform: 'linux', interactive: false }, cap, true);
    expect(a.state).toBe('not-tried');
    expect(a.reason).toMatch(/cannot work here/);
  });
  it('a Linux desktop needs libsecret and a D-Bus session for the server\'s token cache', () => {
    expect(interactiveCapability({ DISPLAY: ':0', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, 'linux', true).canPrompt).toBe(true);
    const noSecret = interactiveCapability({ DISPLAY: ':0', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, 'linux', false);
    expect(noSecret.canPrompt).toBe(false);
    expect(noSecret.notes.join(' ')).toMatch(/libsecret/);
    expect(interactiveCapability({ DISPLAY: ':0' }, 'linux', true).notes.join(' ')).toMatch(/D-Bus/);
  });
  it('Windows desktop can prompt (WAM); over SSH it cannot', () => {
    expect(interactiveCapability({}, 'win32').canPrompt).toBe(true);
    expect(interactiveCapability({ SSH_CONNECTION: '1 2 3 4' }, 'darwin').canPrompt).toBe(false);
  });
  it('device code needs a terminal', () => {
    const cap = interactiveCapability({}, 'win32');
    expect(probeInteractive('DeviceCodeCredential', { env: {}, platform: 'win32', interactive: false }, cap, false).reason).toMatch(/no terminal/);
  });
});
