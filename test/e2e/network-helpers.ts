// Shared bits for the network e2e tests: a simulated Azure (authority, ARM, Graph, storage, a
// private endpoint) and helpers to read the doctor's JSON report.
import { expect } from 'vitest';
import type { SimHost, SimNet, DoctorResult } from '../harness/index.js';
import { startAzure, type AzureWorld } from '../harness/azure-sim.js';

export interface NetWorld extends AzureWorld {
  graph: SimHost;
  privateHost: SimHost;
}

/** login/ARM/IMDS/storage from startAzure, plus Graph and acct.blob -> privatelink -> 10.99.0.x. */
export async function netWorld(n: SimNet): Promise<NetWorld> {
  const [graph, privateHost] = await Promise.all([
    n.addHost({ names: ['graph.microsoft.com'] }),
    n.addHost({ names: ['acct.privatelink.blob.core.windows.net'], private: true }),
  ]);
  n.dns.setCname('acct.blob.core.windows.net', 'acct.privatelink.blob.core.windows.net');
  // A private endpoint whose privatelink zone is not served privately: the CNAME exists, but the
  // privatelink name falls under the public *.blob.core.windows.net wildcard.
  n.dns.setCname('pzm.blob.core.windows.net', 'pzm.privatelink.blob.core.windows.net');
  const world = await startAzure(n, {
    extraHosts: [
      { host: graph, roles: ['dataplane'] },
      { host: privateHost, roles: ['dataplane'], dataplane: { requireBearer: false, status: 200 } },
    ],
  });
  n.dns.setA('pzm.privatelink.blob.core.windows.net', world.storage!.ip);
  await n.sync();
  return { ...world, graph, privateHost };
}

export type Finding = { code: string; severity: string; message: string; target?: string; evidence?: Record<string, unknown>; fix?: { summary?: string; actor: string; commands?: string[] } };
export type CheckJson = { id: string; status: string; durationMs: number; findings: Finding[]; details?: any };

export function check(r: DoctorResult, id: string): CheckJson {
  expect(r.json, `no JSON report; code ${r.code}\n${r.stderr}\n${r.stdout.slice(0, 2000)}`).toBeDefined();
  const c = (r.json.checks as CheckJson[]).find((x) => x.id === id);
  expect(c, `no check ${id} in ${(r.json.checks as CheckJson[]).map((x) => x.id).join(', ')}`).toBeDefined();
  return c!;
}

export function codes(c: CheckJson): string[] {
  return c.findings.map((f) => `${f.code}:${f.severity}`).sort();
}

/** Every non-info finding of the whole report, as code@check. */
export function problems(r: DoctorResult): string[] {
  return (r.json.checks as CheckJson[]).flatMap((c) => c.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code}:${f.severity}@${c.id}`));
}

export function find(c: CheckJson, code: string): Finding {
  const f = c.findings.find((x) => x.code === code);
  expect(f, `${code} not in ${c.id}: ${JSON.stringify(c.findings.map((x) => x.code))}`).toBeDefined();
  return f!;
}
