// The credential chain exactly as Azure MCP Server builds it (CustomChainedCredential.CreateCredential),
// as a pure function of the environment and of how the server is launched. No I/O.
//
// Modelled release: 2.0.5 (npm @azure/mcp, branch release/azure/2.x). Checked against the real 2.0.5
// binary in CLI mode (see test/e2e/credentials-chain-oracle.e2e.test.ts). HEAD (3.0.0-beta) builds the
// same chains; its differences are listed in `headDifferences`.

import type { LaunchedBy } from '../core/options.js';
import type { Severity } from '../core/model.js';
import { ALL_CREDENTIALS, INTERACTIVE_CREDENTIALS, type CredentialName } from './credentials.js';

export type ServerRelease = '2.0.5' | '3.0.0-beta';
export const MODELLED_RELEASE: ServerRelease = '2.0.5';

export type ChainMode =
  /** AZURE_TOKEN_CREDENTIALS unset. */
  | 'default'
  /** Unset, and VSCODE_PID set: VS Code credential first. */
  | 'vscode-first'
  | 'dev'
  | 'prod'
  /** One credential named. */
  | 'pinned'
  /** AZURE_TOKEN_CREDENTIALS=InteractiveBrowserCredential: default chain + browser (server quirk). */
  | 'browser'
  /** A value the server does not know: default chain, no interactive fallback. */
  | 'unrecognized'
  /** AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL truthy: the broker browser credential alone. */
  | 'broker-only';

export interface ChainEntry {
  name: CredentialName;
  /** In the chain the server builds. */
  enabled: boolean;
  /** 1-based position among enabled entries. */
  position?: number;
  interactive: boolean;
  /** Why it is in the chain (its role), or why it is skipped. */
  reason: string;
  /** The server builds it, but it can never produce a token in this launch mode (fixed message). */
  alwaysUnavailable?: string;
}

export interface ChainWarning {
  code: 'chain.invalid-token-credentials' | 'chain.deprecated-variable';
  severity: Severity;
  variable: string;
  value: string;
  message: string;
  /** An accepted value the user probably meant. */
  suggestion?: string;
}

export interface EffectiveChain {
  modelledRelease: ServerRelease;
  launchedBy: LaunchedBy;
  /** True when launchedBy was not given and was inferred from VSCODE_PID. */
  launchedByInferred: boolean;
  mode: ChainMode;
  /** The raw AZURE_TOKEN_CREDENTIALS value ('' and unset both mean unset). */
  tokenCredentials?: string;
  brokerOnly: boolean;
  vscodeContext: boolean;
  /** Enabled entries in chain order, then the skipped ones. */
  entries: ChainEntry[];
  interactiveFallbacks: CredentialName[];
  warnings: ChainWarning[];
  /** What HEAD (3.0.0-beta) would do differently for this environment. */
  headDifferences: string[];
  /** One sentence describing how the chain was chosen. */
  summary: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Values CustomChainedCredential recognises (matched with ToLowerInvariant, no trimming). */
export const ACCEPTED_TOKEN_CREDENTIALS: readonly string[] = ['dev', 'prod', ...ALL_CREDENTIALS];

/** Variables users still set that the server ignores. */
export const DEPRECATED_VARIABLES: Record<string, { why: string; replacement: string }> = {
  AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS: {
    why: 'it was removed in Azure MCP Server 0.8.0; workload and managed identity are only used with AZURE_TOKEN_CREDENTIALS=prod or their credential name',
    replacement: 'AZURE_TOKEN_CREDENTIALS=prod',
  },
  AZURE_IDENTITY_DISABLE_INTERACTIVE_BROWSER_CREDENTIAL: {
    why: 'the server never reads it; the browser fallback is only left out when AZURE_TOKEN_CREDENTIALS pins a credential or is prod',
    replacement: 'AZURE_TOKEN_CREDENTIALS=<the credential you use>',
  },
  AZURE_IDENTITY_DISABLE_CP1: { why: 'the server never reads it', replacement: '(nothing; remove it)' },
  AZURE_CREDENTIALS: {
    why: 'it was only read by the long-removed "az" extension tool',
    replacement: 'AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_TENANT_ID',
  },
};

/** EnvironmentHelpers.GetEnvironmentVariableAsBool: only these spellings count as true. */
export function serverTruthy(value: string | undefined): boolean {
  return value === 'true' || value === 'True' || value === 'T' || value === '1';
}

const DEFAULT_ORDER: CredentialName[] = [
  'EnvironmentCredential',
  'VisualStudioCredential',
  'VisualStudioCodeCredential',
  'AzureCliCredential',
  'AzurePowerShellCredential',
  'AzureDeveloperCliCredential',
];
const VSCODE_FIRST_ORDER: CredentialName[] = [
  'VisualStudioCodeCredential',
  'EnvironmentCredential',
  'VisualStudioCredential',
  'AzureCliCredential',
  'AzurePowerShellCredential',
  'AzureDeveloperCliCredential',
];
const DEV_ORDER: CredentialName[] = [
  'VisualStudioCredential',
  'VisualStudioCodeCredential',
  'AzureCliCredential',
  'AzurePowerShellCredential',
  'AzureDeveloperCliCredential',
];
const PROD_ORDER: CredentialName[] = ['EnvironmentCredential', 'WorkloadIdentityCredential', 'ManagedIdentityCredential'];

export function resolveLaunchedBy(env: Env, launchedBy?: LaunchedBy): { launchedBy: LaunchedBy; inferred: boolean } {
  if (launchedBy) return { launchedBy, inferred: false };
  return { launchedBy: env.VSCODE_PID ? 'vscode' : 'server', inferred: true };
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** The accepted value the user most likely meant, if one is close. */
export function suggestTokenCredential(value: string): string | undefined {
  const cleaned = value.trim().replace(/^["']+|["']+$/g, '').trim().toLowerCase();
  const exact = ACCEPTED_TOKEN_CREDENTIALS.find((v) => v.toLowerCase() === cleaned);
  if (exact) return exact;
  // Common short forms: "AzureCli", "cli", "managedidentity", "environment".
  const prefix = ACCEPTED_TOKEN_CREDENTIALS.find(
    (v) => v.length > 4 && cleaned.length >= 4 && v.toLowerCase().replace(/credential$/, '') === cleaned.replace(/credential$/, ''),
  );
  if (prefix) return prefix;
  let best: { v: string; d: number } | undefined;
  for (const v of ACCEPTED_TOKEN_CREDENTIALS) {
    const d = levenshtein(cleaned, v.toLowerCase());
    if (!best || d < best.d) best = { v, d };
  }
  return best && best.d <= Math.max(2, Math.floor(best.v.length / 6)) ? best.v : undefined;
}

const BOOLEAN_LIKE = /^(true|false|yes|no|on|off|1|0)$/i;

function tokenCredentialWarning(raw: string, mode: ChainMode, release: ServerRelease): ChainWarning | undefined {
  if (mode === 'browser') {
    return {
      code: 'chain.invalid-token-credentials',
      severity: 'warning',
      variable: 'AZURE_TOKEN_CREDENTIALS',
      value: raw,
      message:
        `AZURE_TOKEN_CREDENTIALS=${raw} does not limit the server to the browser sign-in, whatever the documentation says: ` +
        `Azure MCP Server ${release} has no case for this value, so it builds the whole default chain ` +
        '(Environment, Visual Studio, VS Code, Azure CLI, Azure PowerShell, Azure Developer CLI) and adds the browser credential after it. ' +
        'Any of those developer credentials that works is used before a browser ever opens.',
    };
  }
  if (mode !== 'unrecognized') return undefined;
  const suggestion = suggestTokenCredential(raw);
  const cleaned = raw.trim().replace(/^["']+|["']+$/g, '').trim();
  const strayChars = cleaned !== raw && suggestion && suggestion.toLowerCase() === cleaned.toLowerCase();
  let hint = '';
  if (strayChars) hint = ` It looks like "${suggestion}" with quotes or spaces around it; the server does not strip them.`;
  else if (BOOLEAN_LIKE.test(raw.trim())) hint = ' It looks like a boolean, but the variable takes "dev", "prod" or one credential name.';
  else if (suggestion) hint = ` Did you mean "${suggestion}"?`;
  const silently = release === '2.0.5' ? 'silently ' : '';
  return {
    code: 'chain.invalid-token-credentials',
    severity: 'error',
    variable: 'AZURE_TOKEN_CREDENTIALS',
    value: raw,
    suggestion,
    message:
      `AZURE_TOKEN_CREDENTIALS="${raw}" is not a value Azure MCP Server ${release} recognises, so it ${silently}uses the default chain ` +
      '(Environment, Visual Studio, VS Code, Azure CLI, Azure PowerShell, Azure Developer CLI) and, because the variable is set, ' +
      'without any interactive fallback. The credential you meant to pin is not the one that decides.' +
      hint,
  };
}

/**
 * The chain Azure MCP Server builds for this environment and launch mode.
 * @param env the environment the server would see
 * @param launchedBy how the server is started; default 'vscode' when VSCODE_PID is set, else 'server'
 * @param serverRelease the release to model (default 2.0.5, the current npm release)
 */
export function effectiveChain(env: Env, launchedBy?: LaunchedBy, serverRelease: ServerRelease = MODELLED_RELEASE): EffectiveChain {
  const launch = resolveLaunchedBy(env, launchedBy);
  const cliMode = launch.launchedBy === 'cli';
  const transport = cliMode ? '' : 'stdio';
  const raw = env.AZURE_TOKEN_CREDENTIALS;
  const hasExplicit = raw !== undefined && raw !== '';
  const lower = hasExplicit ? raw.toLowerCase() : '';
  const brokerRaw = env.AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL;
  const brokerOnly = serverTruthy(brokerRaw);
  // VS Code sets VSCODE_PID for every process it starts. --launched-by vscode implies it; --launched-by
  // server says the server does not inherit this shell's VSCODE_PID.
  const vscodeContext = launch.launchedBy === 'vscode' || (cliMode && !!env.VSCODE_PID);

  const warnings: ChainWarning[] = [];
  for (const [name, info] of Object.entries(DEPRECATED_VARIABLES)) {
    const value = env[name];
    if (value === undefined) continue;
    warnings.push({
      code: 'chain.deprecated-variable',
      severity: 'warning',
      variable: name,
      value: name === 'AZURE_CREDENTIALS' ? '(hidden)' : value,
      suggestion: info.replacement,
      message: `${name} is set but has no effect on Azure MCP Server ${serverRelease}: ${info.why}.`,
    });
  }

  const headDifferences: string[] = [];
  const enabled: { name: CredentialName; reason: string; alwaysUnavailable?: string }[] = [];
  const skipReason = new Map<CredentialName, string>();
  let mode: ChainMode;
  let summary: string;

  if (brokerOnly) {
    mode = 'broker-only';
    enabled.push({ name: 'InteractiveBrowserCredential', reason: 'broker-only mode: the only credential (account picker, no default account)' });
    summary = `AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL=${brokerRaw}: the server uses only the broker-enabled browser credential; no other credential is tried.`;
    if (hasExplicit) summary += ` AZURE_TOKEN_CREDENTIALS=${raw} is ignored in this mode.`;
    for (const c of ALL_CREDENTIALS) if (c !== 'InteractiveBrowserCredential') skipReason.set(c, 'broker-only mode (AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL)');
  } else {
    let base: CredentialName[];
    let baseReason: string;
    if (vscodeContext && !hasExplicit) {
      mode = 'vscode-first';
      base = VSCODE_FIRST_ORDER;
      baseReason = 'VS Code context (VSCODE_PID): VS Code credential first';
      summary =
        launch.launchedBy === 'vscode'
          ? 'Started from VS Code (VSCODE_PID) with AZURE_TOKEN_CREDENTIALS unset: the VS Code credential goes first, then the rest of the default chain.'
          : 'VSCODE_PID is set and AZURE_TOKEN_CREDENTIALS is unset: the VS Code credential goes first, then the rest of the default chain.';
    } else if (!hasExplicit) {
      mode = 'default';
      base = DEFAULT_ORDER;
      baseReason = 'default chain';
      summary = 'AZURE_TOKEN_CREDENTIALS is unset: the default developer chain, without workload or managed identity.';
    } else if (lower === 'dev') {
      mode = 'dev';
      base = DEV_ORDER;
      baseReason = 'dev chain';
      summary = `AZURE_TOKEN_CREDENTIALS=${raw}: the developer-tool chain. It has no EnvironmentCredential.`;
      skipReason.set('EnvironmentCredential', 'not part of the dev chain (AZURE_TOKEN_CREDENTIALS=dev)');
    } else if (lower === 'prod') {
      mode = 'prod';
      base = PROD_ORDER;
      baseReason = 'prod chain';
      summary = `AZURE_TOKEN_CREDENTIALS=${raw}: Environment, then workload identity, then managed identity; never an interactive prompt.`;
    } else if (lower === 'interactivebrowsercredential') {
      mode = 'browser';
      base = DEFAULT_ORDER;
      baseReason = 'default chain (no case for InteractiveBrowserCredential: server quirk)';
      summary = `AZURE_TOKEN_CREDENTIALS=${raw}: the server has no case for this value, so it builds the default chain and then adds the browser credential.`;
    } else {
      const pinned = ACCEPTED_TOKEN_CREDENTIALS.find((v) => v.toLowerCase() === lower && v !== 'dev' && v !== 'prod');
      if (pinned) {
        mode = 'pinned';
        base = [pinned as CredentialName];
        baseReason = `pinned by AZURE_TOKEN_CREDENTIALS=${raw}`;
        summary = `AZURE_TOKEN_CREDENTIALS=${raw}: only ${pinned}, with no fallback.`;
      } else {
        mode = 'unrecognized';
        base = DEFAULT_ORDER;
        baseReason = 'default chain (unrecognised AZURE_TOKEN_CREDENTIALS value)';
        summary = `AZURE_TOKEN_CREDENTIALS="${raw}" is not a value the server knows: it falls back to the default chain, and because the variable is set, adds no interactive fallback.`;
        headDifferences.push(
          'HEAD (3.0.0-beta.26 and later) logs "Unrecognized AZURE_TOKEN_CREDENTIALS value ..." as a warning; 2.0.5 falls back silently. The chain is the same.',
        );
      }
    }
    for (const name of base) {
      if (name === 'DeviceCodeCredential' && transport !== '') {
        enabled.push({
          name,
          reason: baseReason,
          alwaysUnavailable:
            `DeviceCodeCredential is not available when the server is running in '${transport}' transport mode. ` +
            'DeviceCodeCredential requires an interactive terminal to display the device code prompt.',
        });
      } else {
        enabled.push({ name, reason: baseReason });
      }
    }

    const isDev = lower === 'dev';
    const isBrowser = lower === 'interactivebrowsercredential';
    const isPinned = hasExplicit && !isDev && !isBrowser;
    if (!isPinned) enabled.push({ name: 'InteractiveBrowserCredential', reason: 'interactive fallback (broker, then browser)' });
    if (!isPinned && !isBrowser && transport === '') {
      enabled.push({ name: 'DeviceCodeCredential', reason: 'device-code fallback (CLI mode only)' });
    }

    const inChain = new Set(enabled.map((e) => e.name));
    for (const c of ALL_CREDENTIALS) {
      if (inChain.has(c) || skipReason.has(c)) continue;
      let why: string;
      if (c === 'WorkloadIdentityCredential' || c === 'ManagedIdentityCredential') {
        why =
          mode === 'pinned'
            ? `AZURE_TOKEN_CREDENTIALS pins ${base[0]}`
            : `off by default: only AZURE_TOKEN_CREDENTIALS=prod or =${c} enables it`;
      } else if (c === 'InteractiveBrowserCredential') {
        why =
          mode === 'prod'
            ? 'never added to the prod chain'
            : mode === 'unrecognized'
              ? 'not added: an unrecognised AZURE_TOKEN_CREDENTIALS value counts as a pinned choice'
              : `not added when AZURE_TOKEN_CREDENTIALS pins a credential`;
      } else if (c === 'DeviceCodeCredential') {
        if (isPinned) why = mode === 'prod' ? 'never added to the prod chain' : mode === 'unrecognized' ? 'not added: an unrecognised value counts as a pinned choice' : 'not added when AZURE_TOKEN_CREDENTIALS pins a credential';
        else if (isBrowser) why = 'not added when AZURE_TOKEN_CREDENTIALS=InteractiveBrowserCredential';
        else why = 'only added when azmcp runs as a plain CLI command (--launched-by cli), never by "server start"';
      } else if (mode === 'pinned') {
        why = `AZURE_TOKEN_CREDENTIALS pins ${base[0]}`;
      } else if (mode === 'prod') {
        why = 'not part of the prod chain';
      } else {
        why = 'not part of this chain';
      }
      skipReason.set(c, why);
    }
  }

  const entries: ChainEntry[] = enabled.map((e, i) => ({
    name: e.name,
    enabled: true,
    position: i + 1,
    interactive: INTERACTIVE_CREDENTIALS.has(e.name),
    reason: e.reason,
    ...(e.alwaysUnavailable ? { alwaysUnavailable: e.alwaysUnavailable } : {}),
  }));
  for (const c of ALL_CREDENTIALS) {
    if (enabled.some((e) => e.name === c)) continue;
    entries.push({ name: c, enabled: false, interactive: INTERACTIVE_CREDENTIALS.has(c), reason: skipReason.get(c) ?? 'not part of this chain' });
  }

  if (hasExplicit && !brokerOnly) {
    const w = tokenCredentialWarning(raw, mode, serverRelease);
    if (w) warnings.unshift(w);
  }
  return {
    modelledRelease: serverRelease,
    launchedBy: launch.launchedBy,
    launchedByInferred: launch.inferred,
    mode,
    ...(hasExplicit ? { tokenCredentials: raw } : {}),
    brokerOnly,
    vscodeContext: brokerOnly ? false : vscodeContext,
    entries,
    interactiveFallbacks: entries.filter((e) => e.enabled && e.interactive).map((e) => e.name),
    warnings,
    headDifferences,
    summary,
  };
}

/** The enabled entries in order. */
export function chainOrder(chain: EffectiveChain): CredentialName[] {
  return chain.entries.filter((e) => e.enabled).map((e) => e.name);
}
