// The network layer as checks and other code see it: memoised per-host diagnoses (ctx.shared), the
// trust stores, and a verdict helper the credential checks use to point at the network finding that
// explains a failed token request.

import type { Endpoint, EndpointModel } from '../core/endpoints.js';
import type { CheckContext, Finding } from '../core/model.js';
import { BLOCKING_CODES, endpointFindings, hostPort } from '../network/findings.js';
import type { Route } from '../network/routes.js';
import { budgetFor, diagnoseEndpoint, type EndpointProbeResult } from './endpoint.js';
import { loadTrustStores, osStorePems, type TrustStore } from './trust-stores.js';

type Ctx = Pick<CheckContext, 'shared' | 'env' | 'options' | 'signal' | 'endpoints'>;

export const ENDPOINT_CHECK_PREFIX = 'network.endpoint.';

export function endpointCheckId(ep: Endpoint): string {
  return `${ENDPOINT_CHECK_PREFIX}${ep.id}`;
}

/** Rejects when `signal` aborts; the shared task itself keeps running for other callers. */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function trustStores(ctx: Ctx): Promise<TrustStore[]> {
  return ctx.shared('network:trust-stores', () => loadTrustStores(ctx.env, process.platform));
}

/**
 * The diagnosis of one endpoint, computed once per run. The shared task is bounded by its own
 * budget (derived from the global deadline), not by the first caller's signal, so a caller that
 * times out does not poison the result for the others.
 */
export function probeEndpoint(ctx: Ctx, ep: Endpoint): Promise<EndpointProbeResult> {
  const budget = budgetFor(ctx.options.timeoutMs);
  const task = ctx.shared(`network:endpoint:${ep.host}:${ep.port}`, () =>
    diagnoseEndpoint(ep, {
      env: ctx.env,
      budget,
      stores: () => trustStores(ctx),
      signal: AbortSignal.timeout(budget.totalMs + 1000),
      tcpOnly: ep.role === 'managed-identity',
    }),
  );
  return raceSignal(task, ctx.signal);
}

/** Finds the model's endpoint for a host or URL, or makes one (role defaults to authority). */
export function endpointFor(endpoints: EndpointModel, hostOrUrl: string, role: Endpoint['role'] = 'authority'): Endpoint {
  let host = hostOrUrl;
  let port = 443;
  let scheme: 'https' | 'http' = 'https';
  if (hostOrUrl.includes('://')) {
    const u = new URL(hostOrUrl);
    host = u.hostname.replace(/^\[|\]$/g, '');
    scheme = u.protocol === 'http:' ? 'http' : 'https';
    port = u.port ? Number(u.port) : scheme === 'https' ? 443 : 80;
  } else {
    const m = /^(.*?)(?::(\d+))?$/.exec(hostOrUrl)!;
    host = m[1]!.replace(/^\[|\]$/g, '');
    if (m[2]) port = Number(m[2]);
  }
  host = host.toLowerCase();
  const known = [...endpoints.all, endpoints.managedIdentity].find((e) => e.host === host && e.port === port);
  if (known) return known;
  const hp = hostPort(host, port);
  return { id: `host:${hp}`, role, label: hp, host, port, url: `${scheme}://${hp}`, scheme };
}

export interface NetworkVerdict {
  host: string;
  port: number;
  /** The check that reports this endpoint (when it is part of the model). */
  checkId?: string;
  /** 'unreachable': a blocking error on the server's own route; 'unknown': not probed (169.254.169.254). */
  status: 'reachable' | 'unreachable' | 'unknown';
  /** The server's route to the host. */
  serverRoute?: Route;
  /** Blocking errors on the server's route, most fundamental first. */
  findings: Finding[];
  /** One line to quote in another finding ("tcp.timeout: TCP connection to ... timed out"). */
  summary: string;
}

/**
 * What the network says about a host for the Azure MCP Server's own route. Credential checks call
 * this when a token request fails for a network reason and cite `findings[0].code` / `checkId`.
 */
export async function networkVerdict(ctx: Ctx, hostOrUrl: string, role?: Endpoint['role']): Promise<NetworkVerdict> {
  const ep = endpointFor(ctx.endpoints, hostOrUrl, role);
  const { diagnosis } = await probeEndpoint(ctx, ep);
  const all = endpointFindings(diagnosis);
  // Errors on the server's route; on hosts the server does not use (authority alias, Graph) they are
  // downgraded to warnings but still block a caller that does contact the host.
  const blocking = all.filter((f) => BLOCKING_CODES.has(f.code) && (f.severity === 'error' || f.evidence?.downgradedFrom === 'error'));
  const inModel = [...ctx.endpoints.all, ctx.endpoints.managedIdentity].some((e) => e.id === ep.id);
  const serverPaths = diagnosis.paths.filter((p) => p.consumers.includes(diagnosis.serverConsumer));
  const probed = serverPaths.some((p) => !p.skipped) || diagnosis.dns.status !== 'ok';
  return {
    host: ep.host,
    port: ep.port,
    checkId: inModel ? endpointCheckId(ep) : undefined,
    status: blocking.length ? 'unreachable' : probed ? 'reachable' : 'unknown',
    serverRoute: diagnosis.routes[diagnosis.serverConsumer],
    findings: blocking,
    summary: blocking.length
      ? `${blocking[0]!.code}: ${blocking[0]!.message}`
      : probed
        ? `${hostPort(ep.host, ep.port)} is reachable`
        : `${hostPort(ep.host, ep.port)} was not probed (${serverPaths.find((p) => p.skipped)?.skipped ?? 'no route'})`,
  };
}

/**
 * The CA certificates the Azure MCP Server trusts (OS store, SSL_CERT_FILE / SSL_CERT_DIR honoured) as
 * PEM strings for Node's `ca` option, from the run's memoised trust stores; undefined when the store
 * cannot be read on this platform. For the credential probes.
 */
export async function serverTrustPems(ctx: Ctx): Promise<string[] | undefined> {
  const os = (await trustStores(ctx)).find((s) => s.id === 'os');
  return os?.available ? osStorePems(os) : undefined;
}
