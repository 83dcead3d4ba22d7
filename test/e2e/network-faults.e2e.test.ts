// Network faults a corporate user meets that the other network e2e files do not build: a resolver
// answering SERVFAIL or REFUSED (not NXDOMAIN, not silence); proxies that close after CONNECT, offer
// only NTLM/Negotiate, close the tunnel after 200, or answer 502; a captive portal; an HTML 503 from
// a load balancer in front of the authority; SNI filtering of ARM only; sovereign clouds; a fully
// blackholed network (DNS included) with a named proxy; an AAAA-only name; a stale hosts-file entry.
// Misbehaving servers: helpers/fault-server.mjs, helpers/rcode-dns.mjs (run in the server namespace).
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import type { SimNet } from '../harness/index.js';
import { startAzure, TENANT_ID, CLIENT_ID, CLIENT_SECRET } from '../harness/azure-sim.js';
import { check, find } from './network-helpers.js';

const FAULT = fileURLToPath(new URL('./helpers/fault-server.mjs', import.meta.url));
const RCODE_DNS = fileURLToPath(new URL('./helpers/rcode-dns.mjs', import.meta.url));

async function faultWorld(n: SimNet) {
  const [cnLogin, cnArm, dns2, portal, gateway] = await Promise.all([
    n.addHost({ names: ['login.chinacloudapi.cn'] }),
    n.addHost({ names: ['management.chinacloudapi.cn'] }),
    n.addHost({ names: ['dns2.sim.test', 'badproxy.sim.test'], cert: false }),
    n.addHost({ names: ['portal.example'] }),
    // A load balancer with a valid certificate for the authority, answering with an HTML 503 page.
    n.addHost({ names: ['login.microsoftonline.com', 'gwacct.blob.core.windows.net'], dns: false }),
  ]);
  n.dns.setA('gwacct.blob.core.windows.net', gateway.ip);
  const world = await startAzure(n, {
    extraHosts: [
      { host: cnLogin, roles: ['authority'] },
      { host: cnArm, roles: ['arm'] },
    ],
  });
  const procs = await Promise.all([
    n.startInServer([process.execPath, FAULT, 'https', portal.ip, '443', portal.certPath, portal.keyPath, 'portal'], { name: 'portal', readyLine: /ready/ }),
    n.startInServer([process.execPath, FAULT, 'https', gateway.ip, '443', gateway.certPath, gateway.keyPath, 'gateway'], { name: 'gateway', readyLine: /ready/ }),
    ...(['close', 'ntlm', 'established-close', '502'] as const).map((m, i) =>
      n.startInServer([process.execPath, FAULT, 'proxy', dns2.ip, String(3130 + i), m], { name: `proxy-${m}`, readyLine: /ready/ }),
    ),
  ]);
  void procs;
  return { ...world, cnLogin, cnArm, dns2, portal, gateway };
}

describeE2e('network faults', () => {
  const { net, ctx } = useSimNet({ prefix: 'azf' }, faultWorld);
  const env = () => ({ NODE_EXTRA_CA_CERTS: net().caPath });
  const doctor = (args: string[], extra: Record<string, string> = {}) =>
    net().runDoctor(['--format', 'json', '--only', 'network', ...args], { env: { ...env(), ...extra } });

  /** Point the client's resolv.conf at a server answering every query with `rcode`, run `fn`, restore. */
  async function withRcodeResolver<T>(rcode: number, fn: () => Promise<T>): Promise<T> {
    const n = net();
    const ip = ctx().dns2.ip;
    const proc = await n.startInServer([process.execPath, RCODE_DNS, ip, String(rcode)], { name: `rcode-dns-${rcode}`, readyLine: /ready/ });
    const path = join('/etc/netns', n.clientNs, 'resolv.conf');
    const saved = readFileSync(path, 'utf8');
    writeFileSync(path, `nameserver ${ip}\n`);
    try {
      return await fn();
    } finally {
      writeFileSync(path, saved);
      await proc.stop();
    }
  }

  const problemsOf = (c: { findings: Array<{ severity: string; code: string }> }) => c.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code}:${f.severity}`);

  it('a resolver answering SERVFAIL or REFUSED is named as such (not "did not answer in time"), promptly', async () => {
    for (const [rcode, symptom, text] of [
      [2, 'servfail', /answered SERVFAIL/],
      [5, 'refused', /refused the query \(REFUSED\)/],
    ] as const) {
      const r = await withRcodeResolver(rcode, () => doctor([]));
      expect(r.durationMs, `rcode ${rcode}`).toBeLessThan(8000);
      const f = find(check(r, 'network.endpoint.arm'), 'dns.timeout');
      expect(f.severity).toBe('error');
      expect(f.message).toMatch(text);
      expect(f.message).not.toMatch(/in time/);
      expect(f.evidence).toMatchObject({ symptom, resolver: ctx().dns2.ip, target: 'management.azure.com:443' });
      expect(f.fix?.actor).toBe('network-admin');
      expect(r.code).toBe(1);
    }
  });

  it('misbehaving proxies: closes after CONNECT, NTLM/Negotiate only, closes the tunnel after 200, 502', async () => {
    const w = ctx();
    const url = (i: number) => `http://${w.dns2.ip}:${3130 + i}`;
    const run = (i: number) => doctor([], { HTTPS_PROXY: url(i), https_proxy: url(i) });
    const [closed, ntlm, tunnel, bad] = await Promise.all([0, 1, 2, 3].map(run));
    const c = find(check(closed!, 'network.endpoint.arm'), 'proxy.unreachable');
    expect(c).toMatchObject({ severity: 'error', target: `${w.dns2.ip}:3130` });
    expect(c.message).toMatch(/accepted the TCP connection but closed it without answering the CONNECT for management\.azure\.com:443/);
    expect(c.evidence).toMatchObject({ symptom: 'closed-without-response', error: 'CLOSED_WITHOUT_RESPONSE', proxyVariable: 'HTTPS_PROXY' });
    expect(c.fix?.actor).toBe('network-admin');
    // NTLM/Negotiate only: neither the server nor the SDKs can answer it; an exemption or a local proxy (Px, Cntlm).
    const n = find(check(ntlm!, 'network.endpoint.authority'), 'proxy.auth-required');
    expect(n.severity).toBe('error');
    expect(n.evidence).toMatchObject({ status: 407, authSchemes: 'Negotiate, NTLM', symptom: 'no-credentials' });
    expect(n.message).toMatch(/Only integrated Windows authentication is offered/);
    expect(n.fix).toMatchObject({ actor: 'network-admin', summary: expect.stringMatching(/Px or Cntlm/) });
    const t = find(check(tunnel!, 'network.endpoint.arm'), 'tls.handshake-failed');
    expect(t.message).toMatch(/the proxy accepted the CONNECT, then closed the tunnel/);
    expect(t.evidence).toMatchObject({ route: 'proxy', symptom: 'closed' });
    expect(t.fix?.commands?.[0]).toContain(url(2));
    const b = find(check(bad!, 'network.endpoint.arm'), 'proxy.upstream-failed');
    expect(b.evidence).toMatchObject({ status: 502, symptom: 'proxy-upstream-error' });
    for (const r of [closed, ntlm, tunnel, bad]) expect(r!.code).toBe(1);
  });

  it('a captive portal: its own certificate and a 302 for every host -> hostname mismatch and "sign in", not "intercepted, connections work"', async () => {
    const n = net();
    const w = ctx();
    n.dns.setA('login.microsoftonline.com', w.portal.ip);
    n.dns.setA('management.azure.com', w.portal.ip);
    try {
      const r = await doctor([]);
      for (const id of ['network.endpoint.authority', 'network.endpoint.arm']) {
        const c = check(r, id);
        expect(c.findings.map((f) => f.code), id).not.toContain('tls.intercepted');
        const m = find(c, 'tls.hostname-mismatch');
        expect(m).toMatchObject({ severity: 'error' });
        expect(m.evidence).toMatchObject({ certificateNames: 'portal.example' });
        expect(m.fix?.actor).toBe('user');
        const h = find(c, 'http.unexpected-response');
        expect(h.evidence).toMatchObject({ status: 302, redirectHost: 'portal.example', symptom: 'redirect-to-other-host' });
        expect(h.message).toMatch(/captive portal/);
        expect(h.fix?.actor).toBe('user');
      }
    } finally {
      n.dns.setA('login.microsoftonline.com', w.authority.ip);
      n.dns.setA('management.azure.com', w.arm.ip);
    }
  });

  it('the authority answering an HTML 503 from a load balancer: an error that predicts failing token requests', async () => {
    const n = net();
    const w = ctx();
    n.dns.setA('login.microsoftonline.com', w.gateway.ip);
    try {
      const r = await doctor(['--storage', 'gwacct']);
      const a = check(r, 'network.endpoint.authority');
      expect(problemsOf(a)).toEqual(['http.unexpected-response:error']);
      const f = find(a, 'http.unexpected-response');
      expect(f.message).toMatch(/HTTP 503 \(text\/html\) from 'BigIP'.*token requests from Azure MCP Server fail/);
      expect(f.evidence).toMatchObject({ status: 503, server: 'BigIP', requestId: null, symptom: 'server-error' });
      expect(f.fix?.actor).toBe('network-admin');
      // A data-plane 503 is a warning.
      expect(problemsOf(check(r, 'network.endpoint.storage:gwacct'))).toEqual(['http.unexpected-response:warning']);
    } finally {
      n.dns.setA('login.microsoftonline.com', w.authority.ip);
    }
  });

  it('SNI filtering: the authority works, ARM is reset after its ClientHello', async () => {
    const n = net();
    await n.firewall({ action: 'reset-after-connect', sni: 'management.azure.com' });
    try {
      const r = await doctor([]);
      expect(problemsOf(check(r, 'network.endpoint.authority'))).toEqual([]);
      const f = find(check(r, 'network.endpoint.arm'), 'tcp.reset');
      expect(f.severity).toBe('error');
      expect(f.message).toMatch(/after the ClientHello named management\.azure\.com/);
      expect(f.evidence).toMatchObject({ symptom: 'reset-during-tls-handshake', phase: 'tls' });
      expect(f.fix?.actor).toBe('network-admin');
    } finally {
      await n.clearFirewall();
    }
  });

  it('sovereign clouds: --cloud AzureChinaCloud probes and names the China hosts; AZURE_CLOUD=AzureUSGovernment the US Gov ones', async () => {
    const r = await doctor(['--cloud', 'AzureChinaCloud']);
    const title = (id: string) => (r.json.checks as Array<{ id: string; title: string }>).find((c) => c.id === id)?.title;
    expect(title('network.endpoint.authority')).toContain('login.chinacloudapi.cn:443');
    expect(title('network.endpoint.arm')).toContain('management.chinacloudapi.cn:443');
    expect(problemsOf(check(r, 'network.endpoint.authority'))).toEqual([]);
    expect(problemsOf(check(r, 'network.endpoint.arm'))).toEqual([]);
    expect(check(r, 'network.endpoint.arm').details.paths[0]).toMatchObject({ tcp: { address: ctx().cnArm.ip }, http: { status: 401 } });
    const all = JSON.stringify(r.json.checks);
    expect(all).not.toMatch(/login\.microsoftonline\.com|management\.azure\.com/);
    // US Gov hosts are not in the simulated DNS: the findings must name them, not the public ones.
    const g = await doctor([], { AZURE_CLOUD: 'AzureUSGovernment' });
    const nf = find(check(g, 'network.endpoint.arm'), 'dns.not-found');
    expect(nf).toMatchObject({ severity: 'error', target: 'management.usgovcloudapi.net:443' });
    expect(nf.message).toMatch(/management\.usgovcloudapi\.net/);
    expect(JSON.stringify(g.json.checks)).not.toMatch(/management\.azure\.com/);
  });
  it('a fully blackholed network (DNS included): the report inside the default deadline, and the process exits right after it', async () => {
    const n = net();
    await n.firewall({ action: 'drop' });
    await n.firewall({ action: 'drop', proto: 'udp' });
    try {
      // A named proxy: its name cannot be resolved either; that lookup must not keep the process alive.
      const proxied = net().runDoctor(['--format', 'json', '--only', 'network', '--storage', 'acctx'], { env: { ...env(), HTTPS_PROXY: 'http://proxy.corp.example:8080' } });
      const full = net().runDoctor(['--format', 'json'], { env: { ...env(), AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET } });
      const [p, r] = await Promise.all([proxied, full]);
      for (const x of [p, r]) {
        expect(x.timedOut).toBe(false);
        expect(x.code).toBe(1);
        // Exit lag: wall time of the process minus the report's own duration.
        expect(x.durationMs - Number(x.json.durationMs), 'process lingered after the report').toBeLessThan(1500);
      }
      expect(r.durationMs).toBeLessThan(20_000);
      for (const id of ['network.endpoint.authority', 'network.endpoint.arm']) {
        const f = find(check(r, id), 'dns.timeout');
        expect(f).toMatchObject({ severity: 'error' });
        expect(f.evidence).toMatchObject({ symptom: 'timeout' });
        const u = find(check(p, id), 'proxy.unreachable');
        expect(u.evidence).toMatchObject({ phase: 'tcp', proxyAddress: 'proxy.corp.example:8080', error: 'EAI_AGAIN', symptom: 'proxy-name-unresolved' });
        expect(u.message).toMatch(/its host name does not resolve/);
      }
      expect((r.json.checks as Array<{ status: string }>).every((c) => c.status !== 'timeout')).toBe(true);
      // az is slow here only because DNS is dead: never an error blaming the Azure CLI.
      const slow = (r.json.checks as Array<{ findings: Array<{ code: string; severity: string; evidence?: Record<string, unknown> }> }>)
        .flatMap((c) => c.findings)
        .filter((f) => f.code === 'credential.cli-slow');
      for (const f of slow) expect(f).toMatchObject({ severity: 'warning', evidence: { relatedFinding: 'dns.timeout' } });
    } finally {
      await n.clearFirewall();
    }
  });
  it('a storage name with only an AAAA record and no IPv6 route: tcp.unreachable that says IPv6-only', async () => {
    const n = net();
    n.dns.setA('v6acct.blob.core.chinacloudapi.cn', '2001:db8::10');
    try {
      const r = await doctor(['--cloud', 'AzureChinaCloud', '--storage', 'v6acct']);
      const f = find(check(r, 'network.endpoint.storage:v6acct'), 'tcp.unreachable');
      expect(f).toMatchObject({ severity: 'error', target: 'v6acct.blob.core.chinacloudapi.cn:443' });
      expect(f.message).toMatch(/only to IPv6 \(AAAA\) addresses/);
      expect(f.evidence).toMatchObject({ address: '2001:db8::10', error: 'ENETUNREACH', ipv6Only: true });
      expect(f.fix?.actor).toBe('network-admin');
    } finally {
      n.dns.remove('v6acct.blob.core.chinacloudapi.cn');
    }
  });
  it('a stale /etc/hosts entry for ARM pointing at a dead address: the override is named, not a firewall', async () => {
    const n = net();
    n.setClientHostsFile({ 'management.azure.com': ctx().dns2.ip });
    try {
      const r = await doctor([]);
      const c = check(r, 'network.endpoint.arm');
      expect(problemsOf(c).sort()).toEqual(['dns.inconsistent:warning', 'tcp.refused:error']);
      const f = find(c, 'tcp.refused');
      expect(f.message).toMatch(/comes from the OS resolver \(a hosts-file entry or another resolver\)/);
      expect(f.evidence).toMatchObject({ address: ctx().dns2.ip, osOverride: true, dnsAnswer: ctx().arm.ip });
      expect(f.fix?.actor).toBe('user');
      expect(f.fix?.commands).toContain('getent hosts management.azure.com');
    } finally {
      n.setClientHostsFile({});
    }
  });
  it('an http:// proxy URL aimed at a TLS port (here ARM\'s :443): proxy.scheme-mismatch, not a dead proxy', async () => {
    const u = `http://${ctx().arm.ip}:443`;
    const r = await doctor([], { HTTPS_PROXY: u, https_proxy: u });
    const f = find(check(r, 'network.endpoint.authority'), 'proxy.scheme-mismatch');
    expect(f).toMatchObject({ severity: 'error', target: `${ctx().arm.ip}:443` });
    expect(f.message).toMatch(/speaks TLS, not plain HTTP/);
    expect(f.evidence).toMatchObject({ symptom: 'tls-port-with-http-scheme', proxyVariable: expect.stringMatching(/^https_proxy$/i) });
    expect(f.fix?.actor).toBe('user');
  });
});
