import { describe, expect, it } from 'vitest';
import {
  ACCEPTED_TOKEN_CREDENTIALS,
  chainOrder,
  effectiveChain,
  serverTruthy,
  suggestTokenCredential,
} from '../../src/chain/effective-chain.js';

const DEFAULT6 = [
  'EnvironmentCredential',
  'VisualStudioCredential',
  'VisualStudioCodeCredential',
  'AzureCliCredential',
  'AzurePowerShellCredential',
  'AzureDeveloperCliCredential',
];

describe('effectiveChain: default and launch modes', () => {
  it('unset, launched as a server: default six + browser, no device code', () => {
    const c = effectiveChain({}, 'server');
    expect(c.mode).toBe('default');
    expect(c.modelledRelease).toBe('2.0.5');
    expect(chainOrder(c)).toEqual([...DEFAULT6, 'InteractiveBrowserCredential']);
    expect(c.interactiveFallbacks).toEqual(['InteractiveBrowserCredential']);
    const dc = c.entries.find((e) => e.name === 'DeviceCodeCredential')!;
    expect(dc.enabled).toBe(false);
    expect(dc.reason).toMatch(/plain CLI/);
    for (const n of ['WorkloadIdentityCredential', 'ManagedIdentityCredential']) {
      const e = c.entries.find((x) => x.name === n)!;
      expect(e.enabled).toBe(false);
      expect(e.reason).toMatch(/off by default/);
    }
  });

  it('empty string means unset', () => {
    expect(chainOrder(effectiveChain({ AZURE_TOKEN_CREDENTIALS: '' }, 'server'))).toEqual([...DEFAULT6, 'InteractiveBrowserCredential']);
    expect(effectiveChain({ AZURE_TOKEN_CREDENTIALS: '' }, 'server').warnings).toEqual([]);
  });

  it('CLI mode adds the device-code fallback after the browser', () => {
    const c = effectiveChain({}, 'cli');
    expect(chainOrder(c)).toEqual([...DEFAULT6, 'InteractiveBrowserCredential', 'DeviceCodeCredential']);
    expect(c.interactiveFallbacks).toEqual(['InteractiveBrowserCredential', 'DeviceCodeCredential']);
  });

  it('VSCODE_PID set: launchedBy defaults to vscode and VS Code goes first', () => {
    const c = effectiveChain({ VSCODE_PID: '4242' });
    expect(c.launchedBy).toBe('vscode');
    expect(c.launchedByInferred).toBe(true);
    expect(c.mode).toBe('vscode-first');
    expect(chainOrder(c)).toEqual([
      'VisualStudioCodeCredential',
      'EnvironmentCredential',
      'VisualStudioCredential',
      'AzureCliCredential',
      'AzurePowerShellCredential',
      'AzureDeveloperCliCredential',
      'InteractiveBrowserCredential',
    ]);
  });

  it('--launched-by vscode implies VSCODE_PID even when this shell lacks it', () => {
    expect(effectiveChain({}, 'vscode').mode).toBe('vscode-first');
  });

  it('--launched-by server ignores the VSCODE_PID of the shell the doctor runs in', () => {
    const c = effectiveChain({ VSCODE_PID: '1' }, 'server');
    expect(c.mode).toBe('default');
    expect(c.launchedByInferred).toBe(false);
  });

  it('CLI mode with VSCODE_PID: VS Code first plus both fallbacks', () => {
    const c = effectiveChain({ VSCODE_PID: '1' }, 'cli');
    expect(chainOrder(c)[0]).toBe('VisualStudioCodeCredential');
    expect(chainOrder(c).slice(-2)).toEqual(['InteractiveBrowserCredential', 'DeviceCodeCredential']);
  });

  it('an explicit AZURE_TOKEN_CREDENTIALS disables the VS Code reordering', () => {
    const c = effectiveChain({ VSCODE_PID: '1', AZURE_TOKEN_CREDENTIALS: 'dev' });
    expect(c.mode).toBe('dev');
    expect(chainOrder(c)[0]).toBe('VisualStudioCredential');
  });

  it('without a launch mode and without VSCODE_PID the default is server', () => {
    const c = effectiveChain({});
    expect(c.launchedBy).toBe('server');
    expect(c.launchedByInferred).toBe(true);
  });
});

describe('effectiveChain: AZURE_TOKEN_CREDENTIALS values', () => {
  it('dev: VS, VS Code, CLI, PowerShell, azd + browser; no EnvironmentCredential', () => {
    for (const v of ['dev', 'DEV', 'Dev']) {
      const c = effectiveChain({ AZURE_TOKEN_CREDENTIALS: v }, 'server');
      expect(c.mode).toBe('dev');
      expect(chainOrder(c)).toEqual([
        'VisualStudioCredential',
        'VisualStudioCodeCredential',
        'AzureCliCredential',
        'AzurePowerShellCredential',
        'AzureDeveloperCliCredential',
        'InteractiveBrowserCredential',
      ]);
      expect(c.entries.find((e) => e.name === 'EnvironmentCredential')!.reason).toMatch(/not part of the dev chain/);
      expect(c.warnings).toEqual([]);
    }
    expect(chainOrder(effectiveChain({ AZURE_TOKEN_CREDENTIALS: 'dev' }, 'cli')).at(-1)).toBe('DeviceCodeCredential');
  });

  it('prod: Environment, WorkloadIdentity, ManagedIdentity; never a fallback, even in CLI mode', () => {
    for (const launched of ['server', 'cli', 'vscode'] as const) {
      const c = effectiveChain({ AZURE_TOKEN_CREDENTIALS: 'PROD', VSCODE_PID: '1' }, launched);
      expect(c.mode).toBe('prod');
      expect(chainOrder(c)).toEqual(['EnvironmentCredential', 'WorkloadIdentityCredential', 'ManagedIdentityCredential']);
      expect(c.interactiveFallbacks).toEqual([]);
      expect(c.entries.find((e) => e.name === 'InteractiveBrowserCredential')!.reason).toMatch(/never added to the prod chain/);
    }
  });

  const singles = [
    'EnvironmentCredential',
    'WorkloadIdentityCredential',
    'ManagedIdentityCredential',
    'VisualStudioCredential',
    'VisualStudioCodeCredential',
    'AzureCliCredential',
    'AzurePowerShellCredential',
    'AzureDeveloperCliCredential',
  ];
  for (const name of singles) {
    it(`${name} pins exactly that credential, case-insensitively, with no fallback`, () => {
      for (const v of [name, name.toLowerCase(), name.toUpperCase()]) {
        for (const launched of ['server', 'cli'] as const) {
          const c = effectiveChain({ AZURE_TOKEN_CREDENTIALS: v }, launched);
          expect(c.mode).toBe('pinned');
          expect(chainOrder(c)).toEqual([name]);
          expect(c.interactiveFallbacks).toEqual([]);
          expect(c.warnings).toEqual([]);
        }
      }
    });
  }

  it('DeviceCodeCredential is accepted by 2.0.5: in CLI mode it is the only credential', () => {
    const c = effectiveChain({ AZURE_TOKEN_CREDENTIALS: 'devicecodecredential' }, 'cli');
    expect(c.mode).toBe('pinned');
    expect(chainOrder(c)).toEqual(['DeviceCodeCredential']);
    expect(c.entries[0]!.alwaysUnavailable).toBeUndefined();
  });

  it('DeviceCodeCredential pinned while running as a server can never work', () => {
    const c = effectiveChain({ AZURE_TOKEN_CREDENTIALS: 'DeviceCodeCredential' }, 'server');
    expect(chainOrder(c)).toEqual(['DeviceCodeCredential']);
    expect(c.entries[0]!.alwaysUnavailable).toMatch(/not available when the server is running in 'stdio' transport mode/);
  });

  it('InteractiveBrowserCredential quirk: default chain + browser, no device code, with a warning', () => {
    for (const launched of ['server', 'cli'] as const) {
      const c = effectiveChain({ AZURE_TOKEN_CREDENTIALS: 'interactivebrowsercredential' }, launched);
      expect(c.mode).toBe('browser');
      expect(chainOrder(c)).toEqual([...DEFAULT6, 'InteractiveBrowserCredential']);
      expect(c.entries.find((e) => e.name === 'DeviceCodeCredential')!.reason).toMatch(/InteractiveBrowserCredential/);
      expect(c.warnings[0]!.code).toBe('chain.invalid-token-credentials');
      expect(c.warnings[0]!.severity).toBe('warning');
    }
  });

  it('VSCODE_PID plus InteractiveBrowserCredential keeps the default order (explicit value wins)', () => {
    expect(chainOrder(effectiveChain({ VSCODE_PID: '1', AZURE_TOKEN_CREDENTIALS: 'InteractiveBrowserCredential' }))[0]).toBe(
      'EnvironmentCredential',
    );
  });

  it('an unrecognised value: default chain, no interactive fallback, an error with a suggestion', () => {
    const c = effectiveChain({ AZURE_TOKEN_CREDENTIALS: 'AzureCliCredentail' }, 'cli');
    expect(c.mode).toBe('unrecognized');
    expect(chainOrder(c)).toEqual(DEFAULT6);
    expect(c.interactiveFallbacks).toEqual([]);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatchObject({ code: 'chain.invalid-token-credentials', severity: 'error', suggestion: 'AzureCliCredential' });
    expect(c.warnings[0]!.message).toMatch(/silently/);
    expect(c.headDifferences.join(' ')).toMatch(/Unrecognized AZURE_TOKEN_CREDENTIALS value/);
  });

  it('no trimming: a trailing space or quotes make the value unknown, and the message says so', () => {
    for (const v of ['AzureCliCredential ', '"AzureCliCredential"', " 'prod'"]) {
      const c = effectiveChain({ AZURE_TOKEN_CREDENTIALS: v }, 'server');
      expect(c.mode).toBe('unrecognized');
      expect(c.warnings[0]!.message).toMatch(/quotes or spaces/);
    }
  });

  it('a boolean-looking value (true) is unknown and explained', () => {
    const c = effectiveChain({ AZURE_TOKEN_CREDENTIALS: 'true' }, 'server');
    expect(c.mode).toBe('unrecognized');
    expect(c.warnings[0]!.message).toMatch(/boolean/);
  });

  it('HEAD (3.0.0-beta) logs the warning; the message for HEAD drops "silently"', () => {
    const c = effectiveChain({ AZURE_TOKEN_CREDENTIALS: 'bogus' }, 'server', '3.0.0-beta');
    expect(c.modelledRelease).toBe('3.0.0-beta');
    expect(c.warnings[0]!.message).not.toMatch(/silently/);
  });

  it('every accepted value yields a known mode', () => {
    for (const v of ACCEPTED_TOKEN_CREDENTIALS) {
      expect(effectiveChain({ AZURE_TOKEN_CREDENTIALS: v }, 'cli').mode).not.toBe('unrecognized');
    }
  });
});

describe('broker-only mode', () => {
  it('only true, True, T and 1 count as true', () => {
    for (const v of ['true', 'True', 'T', '1']) expect(serverTruthy(v)).toBe(true);
    for (const v of ['TRUE', 'yes', 't', ' true', 'on', '', undefined]) expect(serverTruthy(v)).toBe(false);
  });

  it('truthy: the broker browser credential alone, whatever else is set', () => {
    const c = effectiveChain({ AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL: 'T', AZURE_TOKEN_CREDENTIALS: 'prod', VSCODE_PID: '1' }, 'cli');
    expect(c.mode).toBe('broker-only');
    expect(c.brokerOnly).toBe(true);
    expect(chainOrder(c)).toEqual(['InteractiveBrowserCredential']);
    expect(c.summary).toMatch(/AZURE_TOKEN_CREDENTIALS=prod is ignored/);
    expect(c.entries.filter((e) => !e.enabled).every((e) => /broker-only/.test(e.reason))).toBe(true);
  });

  it('TRUE is not true: normal chain', () => {
    const c = effectiveChain({ AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL: 'TRUE' }, 'server');
    expect(c.mode).toBe('default');
    expect(c.brokerOnly).toBe(false);
  });
});

describe('deprecated variables', () => {
  it('AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS is reported and does not enable managed identity', () => {
    const c = effectiveChain({ AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS: 'true' }, 'server');
    expect(c.entries.find((e) => e.name === 'ManagedIdentityCredential')!.enabled).toBe(false);
    const w = c.warnings.find((x) => x.code === 'chain.deprecated-variable')!;
    expect(w.variable).toBe('AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS');
    expect(w.message).toMatch(/0\.8\.0/);
    expect(w.suggestion).toBe('AZURE_TOKEN_CREDENTIALS=prod');
  });

  it('AZURE_CREDENTIALS value is never echoed (it holds a secret)', () => {
    const c = effectiveChain({ AZURE_CREDENTIALS: '{"clientSecret":"s3cr3t"}' }, 'server');
    const w = c.warnings.find((x) => x.variable === 'AZURE_CREDENTIALS')!;
    expect(JSON.stringify(w)).not.toContain('s3cr3t');
  });
});

describe('suggestTokenCredential', () => {
  it('finds near misses and short forms', () => {
    expect(suggestTokenCredential('AzureCli')).toBe('AzureCliCredential');
    expect(suggestTokenCredential('managedidentity')).toBe('ManagedIdentityCredential');
    expect(suggestTokenCredential('prd')).toBe('prod');
    expect(suggestTokenCredential('something-else-entirely')).toBeUndefined();
  });
});
