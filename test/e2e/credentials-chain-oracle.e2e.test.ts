// The oracle for the chain model: for each AZURE_TOKEN_CREDENTIALS / VSCODE_PID / broker-only setting,
// the doctor's predicted chain (launched as a plain CLI, where the server also adds device code) must be
// exactly the chain the real Azure MCP Server 2.0.5 reports when every credential fails. Runs inside
// the simulated internet's client namespace; nothing is signed in, so every credential fails and the
// server lists them all, in order.

import { expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import { createAzCli } from '../harness/azcli.js';
import { azmcpInstalled, runAzmcp } from '../harness/azmcp.js';
import type { SimNet } from '../harness/net.js';

/** Credential names, in order, from the server's "ChainedTokenCredential failed" message. */
export function serverChain(message: string): string[] {
  const classify = (l: string): string => {
    const named = /^(?:\w+ is not available: )?(\w+Credential)\b/.exec(l)?.[1];
    if (named) return named;
    if (/az login|Azure CLI not installed/i.test(l)) return 'AzureCliCredential';
    if (/PowerShell is not installed|Az\.Account|Connect-AzAccount/i.test(l)) return 'AzurePowerShellCredential';
    if (/Azure Developer CLI|azd/i.test(l)) return 'AzureDeveloperCliCredential';
    return `?${l.slice(0, 40)}`;
  };
  const lines = message
    .split('\n')
    .filter((l) => l.startsWith('- ') && !/^- The ChainedTokenCredential failed/.test(l))
    .map((l) => l.slice(2));
  if (lines.length) return lines.map(classify);
  // A single credential: "... Details: <its message>".
  const d = /Details: (.*)/.exec(message)?.[1];
  return d ? [classify(d)] : [];
}

interface Case {
  name: string;
  env: Record<string, string>;
  expected: string[];
}

const DEFAULT6 = [
  'EnvironmentCredential',
  'VisualStudioCredential',
  'VisualStudioCodeCredential',
  'AzureCliCredential',
  'AzurePowerShellCredential',
  'AzureDeveloperCliCredential',
];

// The expected chains are written out here (from the server's code), and both the model and the
// real server must match them.
const CASES: Case[] = [
  { name: 'unset', env: {}, expected: [...DEFAULT6, 'InteractiveBrowserCredential', 'DeviceCodeCredential'] },
  {
    name: 'VSCODE_PID set',
    env: { VSCODE_PID: '4242' },
    expected: ['VisualStudioCodeCredential', 'EnvironmentCredential', 'VisualStudioCredential', 'AzureCliCredential', 'AzurePowerShellCredential', 'AzureDeveloperCliCredential', 'InteractiveBrowserCredential', 'DeviceCodeCredential'],
  },
  {
    name: 'dev',
    env: { AZURE_TOKEN_CREDENTIALS: 'dev' },
    expected: ['VisualStudioCredential', 'VisualStudioCodeCredential', 'AzureCliCredential', 'AzurePowerShellCredential', 'AzureDeveloperCliCredential', 'InteractiveBrowserCredential', 'DeviceCodeCredential'],
  },
  { name: 'DEV plus VSCODE_PID (explicit value wins)', env: { AZURE_TOKEN_CREDENTIALS: 'DEV', VSCODE_PID: '1' }, expected: ['VisualStudioCredential', 'VisualStudioCodeCredential', 'AzureCliCredential', 'AzurePowerShellCredential', 'AzureDeveloperCliCredential', 'InteractiveBrowserCredential', 'DeviceCodeCredential'] },
  { name: 'AzureCliCredential', env: { AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' }, expected: ['AzureCliCredential'] },
  { name: 'azureclicredential (case-insensitive)', env: { AZURE_TOKEN_CREDENTIALS: 'azureclicredential' }, expected: ['AzureCliCredential'] },
  { name: 'EnvironmentCredential', env: { AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' }, expected: ['EnvironmentCredential'] },
  { name: 'WorkloadIdentityCredential', env: { AZURE_TOKEN_CREDENTIALS: 'WorkloadIdentityCredential' }, expected: ['WorkloadIdentityCredential'] },
  { name: 'VisualStudioCredential', env: { AZURE_TOKEN_CREDENTIALS: 'VisualStudioCredential' }, expected: ['VisualStudioCredential'] },
  { name: 'VisualStudioCodeCredential', env: { AZURE_TOKEN_CREDENTIALS: 'VisualStudioCodeCredential' }, expected: ['VisualStudioCodeCredential'] },
  { name: 'AzurePowerShellCredential', env: { AZURE_TOKEN_CREDENTIALS: 'AzurePowerShellCredential' }, expected: ['AzurePowerShellCredential'] },
  { name: 'AzureDeveloperCliCredential', env: { AZURE_TOKEN_CREDENTIALS: 'AzureDeveloperCliCredential' }, expected: ['AzureDeveloperCliCredential'] },
  { name: 'DeviceCodeCredential (accepted by 2.0.5)', env: { AZURE_TOKEN_CREDENTIALS: 'DeviceCodeCredential' }, expected: ['DeviceCodeCredential'] },
  { name: 'InteractiveBrowserCredential quirk', env: { AZURE_TOKEN_CREDENTIALS: 'InteractiveBrowserCredential' }, expected: [...DEFAULT6, 'InteractiveBrowserCredential'] },
  { name: 'trailing space is not trimmed', env: { AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential ' }, expected: DEFAULT6 },
  { name: 'unknown value', env: { AZURE_TOKEN_CREDENTIALS: 'bogus' }, expected: DEFAULT6 },
  { name: 'boolean-looking value', env: { AZURE_TOKEN_CREDENTIALS: 'true' }, expected: DEFAULT6 },
  { name: 'broker-only true', env: { AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL: 'true' }, expected: ['InteractiveBrowserCredential'] },
  { name: 'broker-only T', env: { AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL: 'T', AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' }, expected: ['InteractiveBrowserCredential'] },
  { name: 'broker TRUE is false', env: { AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL: 'TRUE' }, expected: [...DEFAULT6, 'InteractiveBrowserCredential', 'DeviceCodeCredential'] },
  // Managed identity is pointed at a closed loopback port (never 169.254.169.254); the server retries ~25 s.
  { name: 'prod', env: { AZURE_TOKEN_CREDENTIALS: 'prod', AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' }, expected: ['EnvironmentCredential', 'WorkloadIdentityCredential', 'ManagedIdentityCredential'] },
];

async function doctorChain(net: SimNet, env: Record<string, string>): Promise<{ chain: string[]; json: any }> {
  const r = await net.runDoctor(['--only', 'credentials.chain', '--format', 'json', '--launched-by', 'cli', '--imds-endpoint', 'http://127.0.0.1:9'], { env, timeoutMs: 60_000 });
  expect(r.json, r.stderr).toBeDefined();
  const check = r.json.checks.find((c: any) => c.id === 'credentials.chain');
  const entries = check.details.chain.entries as { name: string; enabled: boolean }[];
  return { chain: entries.filter((e) => e.enabled).map((e) => e.name), json: r.json };
}

describeE2e('credential chain: the doctor\'s model against the real Azure MCP Server 2.0.5', () => {
  const { net } = useSimNet({}, async (n) => {
    createAzCli(n); // seeded, signed-out config dir under HOME: az answers "Please run 'az login'"
  });

  for (const c of CASES) {
    it(`${c.name}: ${c.expected.join(' > ')}`, { timeout: 120_000 }, async () => {
      const n = net();
      const skipServer = process.env.AZMCP_E2E_SKIP_AZMCP === '1' || (process.env.AZMCP_SKIP_INSTALL === '1' && !azmcpInstalled());
      // The doctor and the server run side by side with the same environment.
      const [{ chain }, s] = await Promise.all([doctorChain(n, c.env), skipServer ? undefined : runAzmcp(n, ['subscription', 'list'], { env: c.env })]);
      expect(chain).toEqual(c.expected);
      if (!s) return;
      const message: string = s.json?.message ?? `${s.stdout}\n${s.stderr}`;
      expect(serverChain(message), message.slice(0, 3000)).toEqual(c.expected);
    });
  }
});
