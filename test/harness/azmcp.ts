// The real Azure MCP Server (npm @azure/mcp, a self-contained .NET build) as the oracle: installed
// once into a cache dir, run as a one-shot CLI (`azmcp subscription list`, ...) inside the client
// namespace with the same environment as the doctor.
//
// It is .NET: it trusts the OS store (the namespace's /etc/ssl, test CA included unless
// net.setOsTrust({testCa:false})), not NODE_EXTRA_CA_CERTS, and resolves with the OS resolver.
// On Linux it always prints "No X display available. Running in headless mode." (noise).
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run, sleep, type RunResult } from './proc.js';
import { PROJECT_ROOT, type ExecOptions, type SimNet } from './net.js';

export const AZMCP_VERSION = process.env.AZMCP_VERSION ?? '2.0.5';
/** Where @azure/mcp is installed (env AZMCP_CACHE_DIR, default <project>/.tmp/azmcp). */
export const AZMCP_DIR = process.env.AZMCP_CACHE_DIR ?? join(PROJECT_ROOT, '.tmp', 'azmcp');
export const AZMCP_BIN = join(AZMCP_DIR, 'node_modules', '@azure', 'mcp-linux-x64', 'dist', 'azmcp');

function installedVersion(): string | undefined {
  const pj = join(AZMCP_DIR, 'node_modules', '@azure', 'mcp', 'package.json');
  if (!existsSync(pj) || !existsSync(AZMCP_BIN)) return undefined;
  try {
    return (JSON.parse(readFileSync(pj, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

export function azmcpInstalled(): boolean {
  return installedVersion() === AZMCP_VERSION;
}

/**
 * Install @azure/mcp@AZMCP_VERSION into AZMCP_DIR unless it is there already (idempotent; ~137 MB,
 * a few seconds from the registry). A lock directory keeps parallel callers from installing twice.
 * Returns the binary path. Set AZMCP_SKIP_INSTALL=1 to never touch the network (then it throws
 * when missing).
 */
export async function ensureAzmcp(timeoutMs = 300_000): Promise<string> {
  if (azmcpInstalled()) return AZMCP_BIN;
  if (process.env.AZMCP_SKIP_INSTALL === '1') throw new Error(`@azure/mcp@${AZMCP_VERSION} not installed in ${AZMCP_DIR} (AZMCP_SKIP_INSTALL=1)`);
  mkdirSync(AZMCP_DIR, { recursive: true });
  const lock = join(AZMCP_DIR, '.install-lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Someone else installs; a lock older than the timeout is stale.
      try {
        if (Date.now() - statSync(lock).mtimeMs > timeoutMs) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone */
      }
      if (azmcpInstalled()) return AZMCP_BIN;
      if (Date.now() > deadline) throw new Error('timed out waiting for another @azure/mcp install');
      await sleep(500);
    }
  }
  try {
    if (azmcpInstalled()) return AZMCP_BIN;
    const r = await run(
      ['npm', 'install', '--prefix', AZMCP_DIR, '--no-audit', '--no-fund', '--loglevel=error', `@azure/mcp@${AZMCP_VERSION}`],
      {
        // npm needs the host's env for the registry/cache settings, but no proxy to the test net.
        env: { ...(process.env as Record<string, string>) },
        cwd: AZMCP_DIR,
        timeoutMs,
      },
    );
    if (r.code !== 0 || !azmcpInstalled()) throw new Error(`npm install @azure/mcp@${AZMCP_VERSION} failed (${r.code}): ${r.stderr.slice(-2000)}`);
    return AZMCP_BIN;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface AzmcpResult extends RunResult {
  /** The JSON envelope tool commands print ({status, message, results, duration}), when present. */
  json?: any;
}

/**
 * Run `azmcp ...args` once inside the client namespace (e.g. ['subscription', 'list']), with
 * telemetry off and a kill timeout (default 90 s: after a failure it may retry for ~24 s).
 */
export async function runAzmcp(net: SimNet, args: string[], opts: ExecOptions = {}): Promise<AzmcpResult> {
  const bin = await ensureAzmcp();
  const r: AzmcpResult = await net.exec([bin, ...args], {
    timeoutMs: 90_000,
    ...opts,
    env: {
      AZURE_MCP_COLLECT_TELEMETRY: 'false',
      DOTNET_CLI_TELEMETRY_OPTOUT: '1',
      DOTNET_NOLOGO: '1',
      ...opts.env,
    },
  });
  // stdout may start with .NET log lines ("info: System.Net.Http..."); the result is the JSON
  // document that starts at the first line beginning with "{".
  const lines = r.stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('{') || l.startsWith('['));
  if (start >= 0) {
    try {
      r.json = JSON.parse(lines.slice(start).join('\n'));
    } catch {
      /* not a single JSON document */
    }
  }
  return r;
}
