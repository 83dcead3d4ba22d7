// Facts about the Azure MCP Server release the doctor models. Where HEAD (3.0.0-beta) differs, the
// credential-chain model records it; everything here is for the current npm release.

export const SERVER_RELEASE = '2.0.5';

/**
 * AZURE_TOKEN_CREDENTIALS values the 2.x server accepts (case-insensitive, no trimming).
 * 2.0.5 accepts DeviceCodeCredential too (verified against the real 2.0.5 binary:
 * test/e2e/credentials-chain-oracle.e2e.test.ts); the full model is src/chain/effective-chain.ts.
 */
export const TOKEN_CREDENTIAL_VALUES = [
  'dev',
  'prod',
  'EnvironmentCredential',
  'WorkloadIdentityCredential',
  'ManagedIdentityCredential',
  'VisualStudioCredential',
  'VisualStudioCodeCredential',
  'AzureCliCredential',
  'AzurePowerShellCredential',
  'AzureDeveloperCliCredential',
  'DeviceCodeCredential',
  'InteractiveBrowserCredential',
] as const;

/** EnvironmentHelpers.GetEnvironmentVariableAsBool: only these spellings are true. */
export function isServerTruthy(value: string | undefined): boolean {
  return value === 'true' || value === 'True' || value === 'T' || value === '1';
}
