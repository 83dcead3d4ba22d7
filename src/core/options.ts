// Options after parsing and validation: what the CLI hands to the runner and to every check.

export type OutputFormat = 'text' | 'json' | 'markdown';
export type LaunchedBy = 'vscode' | 'cli' | 'server';

export interface ResourceOption {
  kind: 'storage' | 'keyvault' | 'cosmos' | 'servicebus' | 'eventhubs' | 'endpoint';
  /** Account/vault/namespace name, or HOST[:PORT] for a generic endpoint. */
  name: string;
}

export interface DoctorOptions {
  format: OutputFormat;
  output?: string;
  only: string[];
  skip: string[];
  failOn: 'warning' | 'error';
  verbose: boolean;
  color: boolean;
  redact: boolean;
  /** Global deadline for the whole run, in milliseconds. */
  timeoutMs: number;
  /** Cloud name as canonicalised by the endpoint model (AzureCloud, AzureChinaCloud, AzureUSGovernment). */
  cloud: string;
  /** How the server is launched: decides VSCODE_PID ordering and the CLI-mode device-code fallback. */
  launchedBy?: LaunchedBy;
  interactive: boolean;
  exportCa?: string;
  resources: ResourceOption[];
  /** Overrides of base endpoints, as URLs (custom environments and tests). */
  authorityHost?: string;
  armEndpoint?: string;
  graphEndpoint?: string;
  imdsEndpoint?: string;
  subscription?: string;
}

export const DEFAULT_TIMEOUT_MS = 20_000;
