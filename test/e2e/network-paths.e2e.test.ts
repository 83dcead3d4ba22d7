// The network checks end to end, the built CLI inside the simulated internet: DNS (private
// endpoints, missing private zones, NXDOMAIN, disagreement, a dead resolver), TCP (drop, reject,
// unreachable, reset), TLS (trust per store, expiry, names), clock skew, and a fully blackholed network.
import { expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import { check, codes, find, netWorld, problems } from './network-helpers.js';

describeE2e('network checks: DNS, TCP, TLS, clock', () => {
  const { net, ctx } = useSimNet({ prefix: 'azn' }, netWorld);
  const env = () => ({ NODE_EXTRA_CA_CERTS: net().caPath });
  const doctor = (args: string[], extra: Record<string, string> = {}, opts: { faketime?: string } = {}) =>
    net().runDoctor(['--format', 'json', '--only', 'network', ...args], { env: { ...env(), ...extra }, ...opts });

  it('healthy: every endpoint reached on its route, no errors or warnings; the private endpoint is information', async () => {
    const r = await doctor(['--storage', 'acct']);
    expect(r.code, r.stderr).toBe(0);
    expect(problems(r)).toEqual([]);
    const ids = (r.json.checks as Array<{ id: string }>).map((c) => c.id);
    expect(ids).toEqual([
      'network.proxy-config',
      'network.endpoint.authority',
      'network.endpoint.authority-alias',
      'network.endpoint.arm',
      'network.endpoint.graph',
      'network.endpoint.storage:acct',
      'network.clock',
    ]);
    const st = check(r, 'network.endpoint.storage:acct');
    const pe = find(st, 'dns.private-endpoint');
    expect(pe.evidence).toMatchObject({ zone: 'privatelink.blob.core.windows.net', addresses: ctx().privateHost.ip, cname: 'acct.privatelink.blob.core.windows.net' });
    const auth = check(r, 'network.endpoint.authority');
    expect(auth.details.paths[0]).toMatchObject({ route: 'direct', tcp: { address: ctx().authority.ip }, http: { status: 200 } });
    expect(auth.details.paths[0].tls.stores).toMatchObject({ os: expect.stringMatching(/^trusted/), node: expect.stringMatching(/^trusted/), 'azure-cli': expect.stringMatching(/^trusted/) });
    expect(check(r, 'network.endpoint.arm').details.paths[0].http.status).toBe(401);
    expect(check(r, 'network.clock').status).toBe('pass');
  });

  it('tls.trust-store-differs: the test CA only in NODE_EXTRA_CA_CERTS (the server and az reject it)', async () => {
    const n = net();
    n.setOsTrust({ testCa: false });
    try {
      const r = await doctor([]);
      expect(r.code).toBe(1);
      const f = find(check(r, 'network.endpoint.authority'), 'tls.trust-store-differs');
      expect(f.severity).toBe('error');
      expect(f.evidence).toMatchObject({ trustedBy: 'node', rejectedBy: 'os,azure-cli', target: 'login.microsoftonline.com:443' });
      expect(f.fix?.commands?.join('\n')).toMatch(/update-ca-certificates/);
      // And the other way round: trusted by the OS (server, az), not by Node: only information.
      n.setOsTrust({ testCa: true });
      const r2 = await doctor([], { NODE_EXTRA_CA_CERTS: '' });
      const f2 = find(check(r2, 'network.endpoint.arm'), 'tls.trust-store-differs');
      expect(f2).toMatchObject({ severity: 'info' });
      expect(f2.evidence).toMatchObject({ trustedBy: 'os,azure-cli', rejectedBy: 'node' });
    } finally {
      n.setOsTrust({ testCa: true });
    }
  });

  it('DNS: NXDOMAIN for a resource, a privatelink CNAME with a public answer, hosts file vs DNS', async () => {
    const n = net();
    n.dns.setNxdomain('nosuch.blob.core.windows.net');
    n.setClientHostsFile({ 'graph.microsoft.com': ctx().arm.ip });
    try {
      const r = await doctor(['--storage', 'nosuch', '--storage', 'pzm']);
      const nx = find(check(r, 'network.endpoint.storage:nosuch'), 'dns.not-found');
      expect(nx).toMatchObject({ severity: 'error', target: 'nosuch.blob.core.windows.net:443' });
      expect(nx.evidence).toMatchObject({ symptom: 'NXDOMAIN', resolver: n.dnsIp });
      const pz = find(check(r, 'network.endpoint.storage:pzm'), 'dns.private-zone-missing');
      expect(pz.evidence).toMatchObject({ zone: 'privatelink.blob.core.windows.net', addresses: ctx().storage!.ip });
      expect(pz.fix?.actor).toBe('network-admin');
      const inc = find(check(r, 'network.endpoint.graph'), 'dns.inconsistent');
      expect(inc.evidence).toMatchObject({ os: ctx().arm.ip, direct: ctx().graph.ip });
    } finally {
      n.setClientHostsFile({});
      n.dns.remove('nosuch.blob.core.windows.net');
    }
  });

  it('TCP: drop -> tcp.timeout, reject -> tcp.refused, ICMP -> tcp.unreachable, RST after connect -> tcp.reset', async () => {
    const n = net();
    const w = ctx();
    await n.firewall({ action: 'drop', ip: w.authority.ip, port: 443 });
    await n.firewall({ action: 'refuse', ip: w.arm.ip, port: 443 });
    await n.firewall({ action: 'icmp-host-unreachable', ip: w.graph.ip, port: 443 });
    await n.firewall({ action: 'reset-after-connect', ip: w.storage!.ip, port: 443 });
    try {
      const t0 = Date.now();
      const r = await doctor(['--storage', 'other']);
      expect(Date.now() - t0).toBeLessThan(15_000);
      const to = find(check(r, 'network.endpoint.authority'), 'tcp.timeout');
      expect(to.evidence).toMatchObject({ target: 'login.microsoftonline.com:443', address: w.authority.ip, symptom: 'timeout', route: 'direct' });
      expect(Number(to.evidence!.ms)).toBeGreaterThan(1000);
      expect(find(check(r, 'network.endpoint.arm'), 'tcp.refused').evidence).toMatchObject({ address: w.arm.ip, symptom: 'refused' });
      expect(find(check(r, 'network.endpoint.graph'), 'tcp.unreachable').evidence).toMatchObject({ symptom: 'unreachable', error: 'EHOSTUNREACH' });
      // RST right after the handshake: seen while connecting or during the TLS handshake, by timing.
      expect(String(find(check(r, 'network.endpoint.storage:other'), 'tcp.reset').evidence!.symptom)).toMatch(/^reset/);
      expect(r.code).toBe(1);
    } finally {
      await n.clearFirewall();
    }
  });

  it('a private endpoint that is not reachable says so and names the zone', async () => {
    const n = net();
    await n.firewall({ action: 'drop', ip: ctx().privateHost.ip, port: 443 });
    try {
      const r = await doctor(['--storage', 'acct']);
      const f = find(check(r, 'network.endpoint.storage:acct'), 'tcp.timeout');
      expect(f.message).toMatch(/private/);
      expect(f.evidence).toMatchObject({ privateAddress: true, zone: 'privatelink.blob.core.windows.net', address: ctx().privateHost.ip });
    } finally {
      await n.clearFirewall();
    }
  });

  it('TLS: expired, not yet valid, wrong name; handshake silently dropped', async () => {
    const n = net();
    const w = ctx();
    await n.reissueHostCert(w.arm, { expired: true });
    await n.reissueHostCert(w.graph, { wrongName: true });
    await n.reissueHostCert(w.storage!, { notYetValid: true });
    await w.sim.update(w.sim.config);
    await n.firewall({ action: 'drop-after-connect', ip: w.authority.ip, port: 443 });
    try {
      const r = await doctor(['--storage', 'other', '--timeout', '12']);
      expect(codes(check(r, 'network.endpoint.arm'))).toContain('tls.expired:error');
      // Graph: the server does not use it (facts §5), so a warning that says so.
      const hm = find(check(r, 'network.endpoint.graph'), 'tls.hostname-mismatch');
      expect(hm.severity).toBe('warning');
      expect(hm.evidence).toMatchObject({ downgradedFrom: 'error', serverUsesHost: false });
      expect(codes(check(r, 'network.endpoint.storage:other'))).toContain('tls.not-yet-valid:error');
      const hs = find(check(r, 'network.endpoint.authority'), 'tls.handshake-failed');
      expect(hs.evidence).toMatchObject({ symptom: 'timeout', phase: 'tls' });
    } finally {
      await n.clearFirewall();
      await n.reissueHostCert(w.arm, {});
      await n.reissueHostCert(w.graph, {});
      await n.reissueHostCert(w.storage!, {});
      await w.sim.update(w.sim.config);
    }
  });

  it('HTTP layer: an authority without its discovery document, a host that accepts TLS and never answers', async () => {
    const w = ctx();
    const orig = w.sim.config;
    await w.sim.modify((c) => {
      for (const h of c.hosts) {
        if (h.host === w.authority) h.routes = [{ pathPrefix: '/organizations/v2.0/.well-known', status: 404, body: { error: 'not here' } }];
        if (h.host === w.graph) h.hang = true;
      }
    });
    try {
      const r = await doctor(['--timeout', '12']);
      const a = find(check(r, 'network.endpoint.authority'), 'http.unexpected-response');
      expect(a.evidence).toMatchObject({ status: 404, path: '/organizations/v2.0/.well-known/openid-configuration', target: 'login.microsoftonline.com:443' });
      const g = find(check(r, 'network.endpoint.graph'), 'http.no-response');
      expect(g.evidence).toMatchObject({ target: 'graph.microsoft.com:443', symptom: 'no-http-response' });
    } finally {
      await w.sim.update(orig);
    }
  });

  it('clock.skew from the Date header: the local clock 10 minutes ahead', async () => {
    const r = await doctor([], {}, { faketime: '+10m' });
    const f = find(check(r, 'network.clock'), 'clock.skew');
    expect(f.severity).toBe('error');
    expect(f.evidence).toMatchObject({ symptom: 'local-clock-ahead', target: 'login.microsoftonline.com:443' });
    expect(Math.abs(Number(f.evidence!.skewSeconds) + 600)).toBeLessThan(30);
  });

  it('dns.timeout when the resolver does not answer; the report still completes in time', async () => {
    const n = net();
    await n.dns.setDropped(true);
    try {
      const t0 = Date.now();
      const r = await doctor(['--timeout', '10']);
      // getaddrinfo is not left pending (it would hold the process ~10 s after the report).
      expect(Date.now() - t0).toBeLessThan(6_000);
      const f = find(check(r, 'network.endpoint.authority'), 'dns.timeout');
      expect(f.severity).toBe('error');
      expect(f.evidence).toMatchObject({ resolver: n.dnsIp, symptom: 'timeout', target: 'login.microsoftonline.com:443' });
      for (const c of r.json.checks) expect(['pass', 'fail', 'warn', 'skip']).toContain(c.status);
    } finally {
      await n.dns.setDropped(false);
    }
  });

  it('a fully blackholed network: every check finishes (no timeout status) well inside the deadline', async () => {
    const n = net();
    await n.firewall({ action: 'drop' });
    try {
      const t0 = Date.now();
      const r = await doctor(['--storage', 'acct', '--timeout', '10']);
      const ms = Date.now() - t0;
      expect(ms).toBeLessThan(11_000);
      const statuses = Object.fromEntries((r.json.checks as Array<{ id: string; status: string }>).map((c) => [c.id, c.status]));
      for (const id of ['network.endpoint.authority', 'network.endpoint.arm', 'network.endpoint.graph', 'network.endpoint.storage:acct']) {
        // Graph and the authority alias are not used by the server's commands (facts §5): warnings.
        expect(statuses[id], id).toBe(id === 'network.endpoint.graph' ? 'warn' : 'fail');
        const c = check(r, id);
        expect(c.findings.some((f) => f.code === 'tcp.timeout' || f.code === 'dns.timeout'), id).toBe(true);
      }
      expect(r.code).toBe(1);
    } finally {
      await n.clearFirewall();
    }
  });
});
