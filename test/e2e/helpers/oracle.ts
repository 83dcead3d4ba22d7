// The oracle: run the doctor and the real Azure MCP Server 2.0.5 with the same environment in the same
// simulated internet, and reduce both to comparable facts (per-host route, identity that got the token,
// success or failure). Facts behind the comparisons: docs/server-behaviour-2.0.5.md.
//
// Attribution relies on running the two one after the other: logs (azure-sim, proxies) are cleared
// right before the server runs, so what they show afterwards is the server's traffic only.
import type { Finding, Report } from '../../../src/core/model.js';
import { runAzmcp, type AzmcpResult } from '../../harness/azmcp.js';
import { SUBSCRIPTION_ID, type AzureWorld, type SimLogEntry } from '../../harness/azure-sim.js';
import type { DoctorResult, SimNet } from '../../harness/net.js';
import type { ProxyHandle, ProxyLogEntry } from '../../harness/proxies.js';

export const AUTHORITY_HOST = 'login.microsoftonline.com';
export const ARM_HOST = 'management.azure.com';
export const GRAPH_HOST = 'graph.microsoft.com';
export const STORAGE_ACCOUNT = 'simacct';
export const STORAGE_HOST = `${STORAGE_ACCOUNT}.blob.core.windows.net`;

/** What the blob service answers to `GET /?comp=list` (the server parses XML). */
export const CONTAINER_LIST_XML =
  '<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://simacct.blob.core.windows.net/">' +
  '<Containers><Container><Name>c1</Name><Properties><Last-Modified>Mon, 01 Jan 2024 00:00:00 GMT</Last-Modified>' +
  '<Etag>"0x1"</Etag></Properties></Container></Containers><NextMarker /></EnumerationResults>';

/**
 * Make the usual world fit for oracle runs: the storage host answers container listings in XML
 * (so `storage blob container get` succeeds), and graph.microsoft.com exists (the doctor probes it;
 * the server never uses it for these commands, see the facts file §5).
 */
export async function prepareOracleWorld(net: SimNet, world: AzureWorld): Promise<void> {
  const graph = await net.addHost({ names: [GRAPH_HOST] });
  await world.sim.modify((c) => {
    const storage = c.hosts.find((h) => h.host === world.storage);
    if (storage) storage.dataplane = { body: CONTAINER_LIST_XML, headers: { 'content-type': 'application/xml', 'x-ms-version': '2021-12-02' } };
    c.hosts.push({ host: graph, roles: ['dataplane'] });
  });
}

// ------------------------------------------------------------------------------------------------
// The server

export type ServerCommand = 'arm' | 'blob';

export function serverArgs(cmd: ServerCommand, opts: { fastFail?: boolean } = {}): string[] {
  const base = cmd === 'arm' ? ['subscription', 'list'] : ['storage', 'blob', 'container', 'get', '--account', STORAGE_ACCOUNT, '--subscription', SUBSCRIPTION_ID];
  // One try for ARM/data-plane failures (token retries are not affected). Then the process exits 0
  // with status 0: judge by `ok` (status 200), never by the exit code (facts §1.5).
  return opts.fastFail ? [...base, '--retry-max-retries', '0'] : base;
}

/** The route one request took: 'direct', or the proxy's host:port. 'none' = never attempted. */
export type ObservedRoute = 'direct' | 'none' | string;

export interface ServerRun {
  cmd: ServerCommand;
  raw: AzmcpResult;
  /** The envelope says 200. */
  ok: boolean;
  status?: number;
  message: string;
  durationMs: number;
  /** Every request azure-sim saw during the run. */
  sim: SimLogEntry[];
  tokenRequests: SimLogEntry[];
  /** appid of the bearer tokens ARM saw (= the identity the server used). */
  armAppIds: string[];
  /** Per proxy (host:port): its log during the run. */
  proxyLogs: Record<string, ProxyLogEntry[]>;
  /** Hosts this command needs: authority + ARM or storage. */
  hosts: string[];
  route(host: string): ObservedRoute;
}

export function proxyKey(p: ProxyHandle): string {
  return `${p.ip}:${p.port}`;
}

/**
 * Run the server once (telemetry off, stdin closed, kill timeout), with logs cleared before, and
 * collect what it did.
 */
export async function runServer(
  net: SimNet,
  world: AzureWorld,
  proxies: ProxyHandle[],
  cmd: ServerCommand,
  env: Record<string, string>,
  opts: { fastFail?: boolean; timeoutMs?: number } = {},
): Promise<ServerRun> {
  world.sim.clearLog();
  for (const p of proxies) p.clearLog();
  const raw = await runAzmcp(net, serverArgs(cmd, opts), { env, input: '', timeoutMs: opts.timeoutMs ?? 60_000 });
  const sim = world.sim.readLog();
  const proxyLogs: Record<string, ProxyLogEntry[]> = {};
  for (const p of proxies) proxyLogs[proxyKey(p)] = p.log();
  const route = (host: string): ObservedRoute => {
    for (const [k, log] of Object.entries(proxyLogs)) if (log.some((e) => e.host === host)) return k;
    return sim.some((e) => e.host === host) ? 'direct' : 'none';
  };
  return {
    cmd,
    raw,
    ok: raw.json?.status === 200,
    status: raw.json?.status,
    message: String(raw.json?.message ?? ''),
    durationMs: raw.durationMs,
    sim,
    tokenRequests: sim.filter((e) => e.method === 'POST' && /\/oauth2\/(v2\.0\/)?token$/.test(e.path)),
    armAppIds: [...new Set(sim.filter((e) => e.host === ARM_HOST && e.tokenAppid).map((e) => String(e.tokenAppid)))],
    proxyLogs,
    hosts: [AUTHORITY_HOST, cmd === 'arm' ? ARM_HOST : STORAGE_HOST],
    route,
  };
}

/** Which consumer of the doctor's route model carries the server's requests to this host (facts §1). */
export function serverConsumerFor(host: string): 'azure-core' | 'server-http' {
  return host === AUTHORITY_HOST || host.startsWith('login.') ? 'azure-core' : 'server-http';
}

/**
 * The credentials the server tried, in order, read from its failure message (facts §3: one line per
 * credential; a pinned credential's reason follows "Details: ").
 */
export function serverChainFromMessage(message: string): string[] {
  const out: string[] = [];
  for (const raw of message.split('\n')) {
    const line = raw.replace(/^.*?Details: /, '').replace(/^- /, '').trim();
    let name: string | undefined;
    if (/^The ChainedTokenCredential failed/.test(line)) continue;
    if (/^Please run 'az login'/.test(line)) name = 'AzureCliCredential';
    else if (/^PowerShell is not installed/.test(line)) name = 'AzurePowerShellCredential';
    else if (/^Azure Developer CLI could not be found/.test(line)) name = 'AzureDeveloperCliCredential';
    else {
      const m = /^(\w+Credential)\b/.exec(line);
      if (m) name = m[1];
    }
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// The doctor

export type PredictedRoute = 'direct' | string;

export interface DoctorView {
  raw: DoctorResult;
  report: Report;
  findings: (Finding & { check: string })[];
  errors: (Finding & { check: string })[];
  /** The doctor predicts that the server fails (at least one error finding). */
  predictsFailure: boolean;
  /** Predicted route for host (network.proxy-config details.routes["host:443"][consumer]). */
  route(host: string, consumer: string): PredictedRoute | undefined;
  /** chain.selected: credential (target) and app id (evidence). */
  winner(): { credential?: string; appId?: string; objectId?: string } | undefined;
  /** Enabled credentials of credentials.chain details.chain.entries, by position. */
  chain(): string[];
  has(code: string, target?: string | RegExp): boolean;
}

function parseRouteText(s: string | undefined): PredictedRoute | undefined {
  if (s === undefined) return undefined;
  if (s.startsWith('direct')) return 'direct';
  const m = /^proxy (\S+)/.exec(s);
  if (!m) return undefined;
  try {
    const u = new URL(m[1]!.replace(/:$/, ''));
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return m[1];
  }
}

export async function runDoctorJson(net: SimNet, env: Record<string, string>, args: string[] = []): Promise<DoctorView> {
  const raw = await net.runDoctor(['--format', 'json', ...args], { env, timeoutMs: 90_000 });
  if (!raw.json) throw new Error(`doctor printed no JSON (exit ${raw.code}): ${raw.stderr.slice(0, 2000)}${raw.stdout.slice(0, 2000)}`);
  const report = raw.json as Report;
  const findings = report.checks.flatMap((c) => c.findings.map((f) => ({ ...f, check: c.id })));
  const errors = findings.filter((f) => f.severity === 'error');
  const check = (id: string) => report.checks.find((c) => c.id === id);
  return {
    raw,
    report,
    findings,
    errors,
    predictsFailure: errors.length > 0,
    route(host, consumer) {
      const routes = check('network.proxy-config')?.details?.routes as Record<string, Record<string, string>> | undefined;
      return parseRouteText(routes?.[`${host}:443`]?.[consumer]);
    },
    winner() {
      const f = findings.find((x) => x.code === 'chain.selected');
      if (!f) return undefined;
      const ev = f.evidence ?? {};
      return {
        ...(f.target ? { credential: f.target } : {}),
        ...(typeof ev.appId === 'string' ? { appId: ev.appId } : {}),
        ...(typeof ev.objectId === 'string' ? { objectId: ev.objectId } : {}),
      };
    },
    chain() {
      const chain = check('credentials.chain')?.details?.chain as { entries?: { name: string; enabled: boolean; position: number | null }[] } | undefined;
      return (chain?.entries ?? [])
        .filter((e) => e.enabled)
        .sort((a, b) => (a.position ?? 99) - (b.position ?? 99))
        .map((e) => e.name);
    },
    has(code, target) {
      return findings.some(
        (f) => f.code === code && (target === undefined || (typeof target === 'string' ? (f.target ?? '').includes(target) : target.test(f.target ?? ''))),
      );
    },
  };
}

/** One line per finding, for assertion messages. */
export function describeFindings(d: DoctorView, minSeverity: 'info' | 'warning' | 'error' = 'warning'): string {
  const rank = { info: 0, warning: 1, error: 2 } as const;
  return d.findings
    .filter((f) => rank[f.severity] >= rank[minSeverity])
    .map((f) => `${f.severity} ${f.code} [${f.target ?? ''}] ${f.message.slice(0, 160)}`)
    .join('\n');
}

/** Predicted vs observed route for each host the server's command needs. */
export function routeTable(d: DoctorView, s: ServerRun): { predicted: Record<string, PredictedRoute | undefined>; observed: Record<string, ObservedRoute> } {
  const predicted: Record<string, PredictedRoute | undefined> = {};
  const observed: Record<string, ObservedRoute> = {};
  for (const h of s.hosts) {
    predicted[h] = d.route(h, serverConsumerFor(h));
    observed[h] = s.route(h);
  }
  return { predicted, observed };
}
