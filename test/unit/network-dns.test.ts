import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyDns, privatelinkName, privateZoneFor } from '../../src/network/dns.js';
import { directQuery, hostsFileLookup, osLookup, resolveBoth } from '../../src/probes/dns.js';

describe('private zones', () => {
  it('derives the zone from a privatelink CNAME', () => {
    expect(privatelinkName(['acct.privatelink.blob.core.windows.net', 'blob.x.store.core.windows.net'])).toBe('acct.privatelink.blob.core.windows.net');
    expect(privateZoneFor('acct.blob.core.windows.net', ['acct.privatelink.blob.core.windows.net'])).toBe('privatelink.blob.core.windows.net');
    expect(privateZoneFor('kv1.vault.azure.net', ['kv1.privatelink.vaultcore.azure.net.'])).toBe('privatelink.vaultcore.azure.net');
  });
  it('derives the zone from the service suffix when there is no CNAME', () => {
    expect(privateZoneFor('kv1.vault.azure.net')).toBe('privatelink.vaultcore.azure.net');
    expect(privateZoneFor('acct.blob.core.usgovcloudapi.net')).toBe('privatelink.blob.core.usgovcloudapi.net');
    expect(privateZoneFor('db.documents.azure.com')).toBe('privatelink.documents.azure.com');
    expect(privateZoneFor('ns.servicebus.windows.net')).toBe('privatelink.servicebus.windows.net');
    expect(privateZoneFor('management.azure.com')).toBe('privatelink.azure.com');
    expect(privateZoneFor('example.org')).toBeUndefined();
  });
});

describe('classifyDns', () => {
  const os = (addresses: string[], error?: string) => ({ addresses, ms: 3, error });
  const direct = (addresses: string[], cname: string[] = [], error?: string) => ({ servers: ['10.0.0.53'], addresses, cname, ms: 4, error });

  it('private endpoint via privatelink CNAME', () => {
    const f = classifyDns({ host: 'acct.blob.core.windows.net', os: os(['10.1.0.4']), direct: direct(['10.1.0.4'], ['acct.privatelink.blob.core.windows.net']) });
    expect(f).toMatchObject({ status: 'ok', privateEndpoint: true, privateZoneMissing: false, zone: 'privatelink.blob.core.windows.net' });
    expect(f.inconsistent).toBeUndefined();
  });
  it('private zone missing: privatelink CNAME with a public answer', () => {
    const f = classifyDns({
      host: 'acct.blob.core.windows.net',
      os: os(['20.60.1.2']),
      direct: direct(['20.60.1.2'], ['acct.privatelink.blob.core.windows.net', 'blob.bl5prdstr.store.core.windows.net']),
    });
    expect(f).toMatchObject({ privateEndpoint: false, privateZoneMissing: true, zone: 'privatelink.blob.core.windows.net' });
  });
  it('a private answer without CNAME counts only where meaningful', () => {
    expect(classifyDns({ host: 'login.microsoftonline.com', os: os(['10.9.9.9']) }).privateEndpoint).toBe(false);
    const f = classifyDns({ host: 'acct.blob.core.windows.net', os: os(['10.9.9.9']) }, { privateMeaningful: true });
    expect(f.privateEndpoint).toBe(true);
    expect(f.zone).toBe('privatelink.blob.core.windows.net');
  });
  it('not found, timeouts', () => {
    expect(classifyDns({ host: 'x', os: os([], 'ENOTFOUND') }).status).toBe('not-found');
    expect(classifyDns({ host: 'x', os: os([], 'EAI_AGAIN') }).status).toBe('timeout');
    expect(classifyDns({ host: 'x', os: os([], 'PROBE_TIMEOUT') }).status).toBe('timeout');
    expect(classifyDns({ host: 'x', os: os([]) }).status).toBe('no-data');
  });
  it('inconsistent: disjoint answers or NXDOMAIN from the name servers', () => {
    expect(classifyDns({ host: 'x', os: os(['1.1.1.1']), direct: direct(['2.2.2.2']) }).inconsistent).toEqual({ os: '1.1.1.1', direct: '2.2.2.2' });
    expect(classifyDns({ host: 'x', os: os(['1.1.1.1']), direct: direct([], [], 'ENOTFOUND') }).inconsistent?.direct).toBe('NXDOMAIN');
    // Round-robin subsets, other families, and a dead name server are not disagreements.
    expect(classifyDns({ host: 'x', os: os(['1.1.1.1', '1.1.1.2']), direct: direct(['1.1.1.2', '1.1.1.3']) }).inconsistent).toBeUndefined();
    expect(classifyDns({ host: 'x', os: os(['1.1.1.1']), direct: direct(['2001:db8::1']) }).inconsistent).toBeUndefined();
    expect(classifyDns({ host: 'x', os: os(['1.1.1.1']), direct: direct([], [], 'ETIMEOUT') }).inconsistent).toBeUndefined();
  });
});

// A tiny authoritative DNS server on 127.0.0.1 for the direct-query probe.
type Rec = { a?: string[]; cname?: string };
function encodeName(n: string): Buffer {
  const parts = n.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])), Buffer.from([0])]);
}
function startDns(zone: Record<string, Rec>, opts: { silent?: string[] } = {}): Promise<{ sock: Socket; port: number }> {
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    let off = 12;
    const labels: string[] = [];
    while (msg[off]! > 0) {
      labels.push(msg.subarray(off + 1, off + 1 + msg[off]!).toString());
      off += msg[off]! + 1;
    }
    off += 1;
    const qtype = msg.readUInt16BE(off);
    const question = msg.subarray(12, off + 4);
    const name = labels.join('.').toLowerCase();
    if (opts.silent?.includes(name)) return;
    const answers: Buffer[] = [];
    let cur = name;
    let rcode = 0;
    for (let i = 0; i < 8; i++) {
      const rec = zone[cur];
      if (!rec) {
        if (i === 0) rcode = 3;
        break;
      }
      if (rec.cname) {
        const rd = encodeName(rec.cname);
        const rr = Buffer.alloc(10);
        rr.writeUInt16BE(5, 0);
        rr.writeUInt16BE(1, 2);
        rr.writeUInt32BE(60, 4);
        rr.writeUInt16BE(rd.length, 8);
        answers.push(Buffer.concat([encodeName(cur), rr, rd]));
        if (qtype === 5) break;
        cur = rec.cname;
        continue;
      }
      if (qtype === 1) {
        for (const a of rec.a ?? []) {
          const rr = Buffer.alloc(14);
          rr.writeUInt16BE(1, 0);
          rr.writeUInt16BE(1, 2);
          rr.writeUInt32BE(60, 4);
          rr.writeUInt16BE(4, 8);
          a.split('.').forEach((x, j) => rr.writeUInt8(Number(x), 10 + j));
          answers.push(Buffer.concat([encodeName(cur), rr]));
        }
      }
      break;
    }
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | rcode, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    sock.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  return new Promise((r) => sock.bind(0, '127.0.0.1', () => r({ sock, port: sock.address().port })));
}

describe('directQuery against a loopback name server', () => {
  let dns: { sock: Socket; port: number };
  beforeAll(async () => {
    dns = await startDns(
      {
        'acct.blob.core.windows.net': { cname: 'acct.privatelink.blob.core.windows.net' },
        'acct.privatelink.blob.core.windows.net': { cname: 'blob.prd.store.core.windows.net' },
        'blob.prd.store.core.windows.net': { a: ['20.60.1.2'] },
        'plain.test': { a: ['198.51.100.7', '198.51.100.8'] },
      },
      { silent: ['silent.test'] },
    );
  });
  afterAll(() => dns.sock.close());
  const servers = () => [`127.0.0.1:${dns.port}`];

  it('follows the CNAME chain and returns the final addresses', async () => {
    const r = await directQuery('acct.blob.core.windows.net', { timeoutMs: 2000, servers: servers() });
    expect(r.cname).toEqual(['acct.privatelink.blob.core.windows.net', 'blob.prd.store.core.windows.net']);
    expect(r.addresses).toEqual(['20.60.1.2']);
    expect(r.error).toBeUndefined();
    const f = classifyDns({ host: 'acct.blob.core.windows.net', os: { addresses: ['20.60.1.2'], ms: 1 }, direct: r });
    expect(f.privateZoneMissing).toBe(true);
  });
  it('plain A records', async () => {
    const r = await directQuery('plain.test', { timeoutMs: 2000, servers: servers() });
    expect(r.addresses.sort()).toEqual(['198.51.100.7', '198.51.100.8']);
    expect(r.cname).toEqual([]);
  });
  it('NXDOMAIN', async () => {
    const r = await directQuery('nope.test', { timeoutMs: 2000, servers: servers() });
    expect(r.error).toBe('ENOTFOUND');
  });
  it('a name server that does not answer times out within the budget', async () => {
    const t = Date.now();
    const r = await directQuery('silent.test', { timeoutMs: 400, servers: servers() });
    expect(r.error).toMatch(/ETIMEOUT|ECANCELLED/);
    expect(Date.now() - t).toBeLessThan(2000);
  });
  it('IP literals need no query', async () => {
    expect((await directQuery('127.0.0.1', { timeoutMs: 100 })).addresses).toEqual(['127.0.0.1']);
    expect(await osLookup('[::1]', { timeoutMs: 100 })).toMatchObject({ addresses: ['::1'], ms: 0 });
  });

  it('resolveBoth: getaddrinfo only when the name servers answer; hosts file otherwise', async () => {
    const up = await resolveBoth('plain.test', { timeoutMs: 2000, servers: servers() });
    expect(up.direct?.addresses.sort()).toEqual(['198.51.100.7', '198.51.100.8']);
    expect(up.os.note).toBeUndefined(); // getaddrinfo ran (and does not know plain.test)
    const dead = await resolveBoth('silent.test', { timeoutMs: 300, servers: servers() });
    expect(dead.os).toMatchObject({ addresses: [], error: 'EAI_AGAIN' });
    expect(dead.os.note).toMatch(/hosts file only/);
    const local = await resolveBoth('localhost', { timeoutMs: 300, servers: servers().map(() => '127.0.0.1:9') });
    expect(local.os.addresses).toContain('127.0.0.1');
    expect(await hostsFileLookup('LOCALHOST')).toContain('127.0.0.1');
  });
});
