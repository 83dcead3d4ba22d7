// The network checks with a fake context whose shared memo is pre-seeded with diagnoses, so no
// probe runs and nothing leaves the process (except the loopback TLS server used for --export-ca).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEndpointModel, type Endpoint, type EndpointModel } from '../../src/core/endpoints.js';
import type { CheckContext, CheckOutcome } from '../../src/core/model.js';
import type { DoctorOptions } from '../../src/core/options.js';
import type { EndpointDiagnosis, PathObservation } from '../../src/network/diagnosis.js';
import { classifyDns } from '../../src/network/dns.js';
import { budgetFor, diagnoseEndpoint, type EndpointProbeResult } from '../../src/probes/endpoint.js';
import { networkVerdict } from '../../src/probes/network.js';
import { networkChecks, clockCheck, exportCaCheck, proxyConfigCheck, endpointCheck } from '../../checks/network/index.js';
import { makePki, store, tlsServer, type Pki } from './network-fixtures.js';

const model = buildEndpointModel({ cloud: '', resources: [{ kind: 'storage', name: 'acct' }] }, {});

function result(ep: Endpoint, paths: PathObservation[], extra: Partial<EndpointDiagnosis> = {}): EndpointProbeResult {
  const consumers = ep.role === 'authority' || ep.role === 'authority-alias' ? (['azure-core', 'azure-cli', 'node-undici'] as const) : (['server-http', 'node-undici'] as const);
  return {
    diagnosis: {
      endpoint: ep,
      consumers: [...consumers],
      serverConsumer: consumers[0],
      routes: {},
      dns: classifyDns({ host: ep.host, os: { addresses: ['198.51.100.10'], ms: 1 } }),
      paths,
      durationMs: 1,
      ...extra,
    },
    chains: new Map(),
  };
}
const okPath = (date: string, sentAt: number): PathObservation => ({
  key: 'direct',
  via: 'direct',
  consumers: ['azure-core', 'server-http'],
  tcp: { ok: true, address: '198.51.100.10', port: 443, ms: 1 },
  http: { ok: true, path: '/', status: 200, ms: 20, date, sentAt, receivedAt: sentAt + 20 },
});

function ctx(env: Record<string, string>, endpoints: EndpointModel, seeds: Record<string, EndpointProbeResult>, options: Partial<DoctorOptions> = {}): CheckContext {
  const memo = new Map<string, Promise<unknown>>(Object.entries(seeds).map(([k, v]) => [`network:endpoint:${k}`, Promise.resolve(v)]));
  return {
    signal: new AbortController().signal,
    options: { timeoutMs: 20_000, ...options } as DoctorOptions,
    env,
    endpoints,
    shared<T>(key: string, task: () => Promise<T>): Promise<T> {
      if (!memo.has(key)) {
        if (key.startsWith('network:endpoint:') && !key.includes('169.254.169.254')) throw new Error(`unseeded probe ${key}`);
        memo.set(key, task());
      }
      return memo.get(key) as Promise<T>;
    },
    resultOf: () => undefined,
    log: () => undefined,
  };
}
const outcome = async (p: Promise<CheckOutcome | unknown>) => (await p) as CheckOutcome;

describe('networkChecks', () => {
  it('orders proxy config, endpoints, clock; never adds the default IMDS address', () => {
    const ids = networkChecks(model).map((c) => c.id);
    expect(ids).toEqual([
      'network.proxy-config',
      'network.endpoint.authority',
      'network.endpoint.authority-alias',
      'network.endpoint.arm',
      'network.endpoint.graph',
      'network.endpoint.storage:acct',
      'network.clock',
    ]);
    expect(networkChecks(model).every((c) => c.group === 'network')).toBe(true);
  });
  it('adds a configured managed-identity endpoint and --export-ca', () => {
    const m = buildEndpointModel({ cloud: '', resources: [], imdsEndpoint: 'http://127.0.0.1:50342' }, {});
    const checks = networkChecks(m, { exportCa: '/tmp/x.pem', timeoutMs: 20_000 });
    expect(checks.map((c) => c.id)).toContain('network.endpoint.managed-identity');
    expect(checks.at(-1)!.id).toBe('network.export-ca');
    expect(checks[1]!.timeoutMs).toBe(budgetFor(20_000).totalMs + 2000);
  });
});

describe('clock check', () => {
  const seeds = (offsetMs: number) => {
    const sentAt = Date.now();
    const date = new Date(sentAt + 10 + offsetMs).toUTCString();
    return Object.fromEntries(
      [model.authority, model.authorityAlias!, model.arm, model.graph].map((e) => [`${e.host}:${e.port}`, result(e, [okPath(date, sentAt)])]),
    );
  };
  it('clock.skew error beyond 5 minutes, warning beyond 2, nothing within', async () => {
    const err = await outcome(clockCheck.run(ctx({}, model, seeds(10 * 60_000))));
    expect(err.findings?.map((f) => [f.code, f.severity])).toEqual([['clock.skew', 'error']]);
    expect(err.findings?.[0]!.evidence).toMatchObject({ symptom: 'local-clock-behind', target: 'login.microsoftonline.com:443' });
    expect(Math.abs(Number(err.findings?.[0]!.evidence?.skewSeconds) - 600)).toBeLessThanOrEqual(2);
    const warn = await outcome(clockCheck.run(ctx({}, model, seeds(-3 * 60_000))));
    expect(warn.findings?.map((f) => [f.code, f.severity, f.evidence?.symptom])).toEqual([['clock.skew', 'warning', 'local-clock-ahead']]);
    const ok = await outcome(clockCheck.run(ctx({}, model, seeds(1000))));
    expect(ok.findings ?? []).toEqual([]);
  });
  it('skips when nothing answered', async () => {
    const s = Object.fromEntries([model.authority, model.authorityAlias!, model.arm, model.graph].map((e) => [`${e.host}:${e.port}`, result(e, [])]));
    expect((await outcome(clockCheck.run(ctx({}, model, s)))).skipped).toMatch(/no endpoint/);
  });
});

describe('proxy-config check', () => {
  it('validates, routes and never leaks the password', async () => {
    const env = { HTTPS_PROXY: 'http://bob:hunter2@proxy.corp:3128', https_proxy: 'http://other:3128', HTTP_PROXY: 'http://bob:hunter2@proxy.corp:3128', NO_PROXY: '.blob.core.windows.net' };
    const o = await outcome(proxyConfigCheck.run(ctx(env, model, {})));
    const codes = o.findings!.map((f) => f.code).sort();
    expect(codes).toEqual(['proxy.bypass-ignored-by-server', 'proxy.env-conflict', 'proxy.imds-not-bypassed']);
    const routes = (o.details as { routes: Record<string, Record<string, string>> }).routes;
    expect(routes['acct.blob.core.windows.net:443']!['server-http']).toMatch(/^proxy http:\/\/\*\*\*@proxy\.corp:3128/);
    expect(routes['acct.blob.core.windows.net:443']!['azure-core']).toMatch(/^direct \(NO_PROXY entry '.blob.core.windows.net' matches/);
    expect(routes['login.microsoftonline.com:443']!['azure-core']).toMatch(/^proxy http:\/\/other:3128/);
    expect(JSON.stringify(o)).not.toContain('hunter2');
  });
  it('passes with no proxy variables', async () => {
    const o = await outcome(proxyConfigCheck.run(ctx({}, model, {})));
    expect(o.findings).toEqual([]);
  });
});

describe('networkVerdict and endpoint checks', () => {
  const timeoutPath: PathObservation = {
    key: 'direct',
    via: 'direct',
    consumers: ['azure-core', 'azure-cli', 'node-undici'],
    tcp: { ok: false, address: '198.51.100.10', port: 443, ms: 4000, error: 'ETIMEDOUT', symptom: 'timeout' },
  };
  it('points credential checks at the blocking network finding', async () => {
    const c = ctx({}, model, { 'login.microsoftonline.com:443': result(model.authority, [timeoutPath]) });
    const v = await networkVerdict(c, 'https://login.microsoftonline.com/tenant/oauth2/v2.0/token');
    expect(v).toMatchObject({ status: 'unreachable', checkId: 'network.endpoint.authority', host: 'login.microsoftonline.com', port: 443 });
    expect(v.findings.map((f) => f.code)).toEqual(['tcp.timeout']);
    expect(v.summary).toMatch(/^tcp\.timeout: /);
    const o = await outcome(endpointCheck(model.authority).run(c));
    expect(o.findings!.map((f) => f.code)).toEqual(['tcp.timeout']);
    expect((o.details as { paths: unknown[] }).paths).toHaveLength(1);
  });
  it('unknown for the default IMDS address, which is never probed', async () => {
    const c = ctx({}, model, {});
    const v = await networkVerdict(c, 'http://169.254.169.254/metadata/identity/oauth2/token', 'managed-identity');
    expect(v.status).toBe('unknown');
    expect(v.summary).toMatch(/never probed/);
  });

  it('reachable when nothing blocks', async () => {
    const c = ctx({}, model, { 'management.azure.com:443': result(model.arm, [okPath(new Date().toUTCString(), Date.now())]) });
    expect((await networkVerdict(c, 'management.azure.com')).status).toBe('reachable');
  });
});

describe('--export-ca', () => {
  let pki: Pki;
  beforeAll(() => {
    pki = makePki();
  }, 60_000);
  afterAll(() => pki?.cleanup());

  it('writes the root of the intercepted chain as PEM', async () => {
    const srv = await tlsServer([pki.zscalerLeaf, pki.zscalerRoot]);
    try {
      const ep: Endpoint = { ...model.authority, port: srv.port, url: `https://login.microsoftonline.com:${srv.port}` };
      const m = { ...model, authority: ep, all: [ep] };
      const r = await diagnoseEndpoint(ep, {
        env: {},
        platform: 'linux',
        budget: budgetFor(10_000),
        stores: async () => [store('os', []), store('node', [])],
        resolve: async () => ({ os: { addresses: ['127.0.0.1'], ms: 1 } }),
      });
      const file = join(pki.dir, 'exported.pem');
      const o = await outcome(exportCaCheck(file).run(ctx({}, m, { [`login.microsoftonline.com:${srv.port}`]: r })));
      expect(o.findings!.map((f) => [f.code, f.severity])).toEqual([['tls.ca-exported', 'info']]);
      expect(o.findings![0]!.evidence).toMatchObject({ intercepted: true, kind: 'presented-root', fingerprint256: pki.zscalerRoot.x509.fingerprint256 });
      expect(readFileSync(file, 'utf8').trim()).toBe(pki.zscalerRoot.cert.trim());
      const bad = await outcome(exportCaCheck(join(pki.dir, 'no/such/dir/x.pem')).run(ctx({}, m, { [`login.microsoftonline.com:${srv.port}`]: r })));
      expect(bad.findings!.map((f) => f.code)).toEqual(['tls.ca-export-failed']);
    } finally {
      await srv.close();
    }
  });
});
