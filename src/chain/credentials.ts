// The credentials Azure MCP Server can put into its chain, with the facts the report needs about each.
// Pure data: no I/O, no library imports.

export type CredentialName =
  | 'EnvironmentCredential'
  | 'WorkloadIdentityCredential'
  | 'ManagedIdentityCredential'
  | 'VisualStudioCredential'
  | 'VisualStudioCodeCredential'
  | 'AzureCliCredential'
  | 'AzurePowerShellCredential'
  | 'AzureDeveloperCliCredential'
  | 'InteractiveBrowserCredential'
  | 'DeviceCodeCredential';

/** Every credential, in the order the product documentation lists them. */
export const ALL_CREDENTIALS: readonly CredentialName[] = [
  'EnvironmentCredential',
  'WorkloadIdentityCredential',
  'ManagedIdentityCredential',
  'VisualStudioCredential',
  'VisualStudioCodeCredential',
  'AzureCliCredential',
  'AzurePowerShellCredential',
  'AzureDeveloperCliCredential',
  'InteractiveBrowserCredential',
  'DeviceCodeCredential',
];

export const INTERACTIVE_CREDENTIALS: ReadonlySet<CredentialName> = new Set(['InteractiveBrowserCredential', 'DeviceCodeCredential']);

/** Short labels for tables. */
export const CREDENTIAL_LABEL: Record<CredentialName, string> = {
  EnvironmentCredential: 'Environment',
  WorkloadIdentityCredential: 'Workload identity',
  ManagedIdentityCredential: 'Managed identity',
  VisualStudioCredential: 'Visual Studio',
  VisualStudioCodeCredential: 'VS Code',
  AzureCliCredential: 'Azure CLI',
  AzurePowerShellCredential: 'Azure PowerShell',
  AzureDeveloperCliCredential: 'Azure Developer CLI',
  InteractiveBrowserCredential: 'Interactive browser (broker)',
  DeviceCodeCredential: 'Device code',
};

/**
 * Process time limits of the .NET Azure.Identity developer-tool credentials (library defaults; the
 * server does not override them).
 */
export const DOTNET_PROCESS_TIMEOUT_MS: Partial<Record<CredentialName, number>> = {
  AzureCliCredential: 13_000,
  AzureDeveloperCliCredential: 13_000,
  AzurePowerShellCredential: 10_000,
  VisualStudioCredential: 30_000,
};

export function isCredentialName(value: string): value is CredentialName {
  return (ALL_CREDENTIALS as readonly string[]).includes(value);
}
