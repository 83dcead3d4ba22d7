// DNS probe: the OS resolver (getaddrinfo, what HTTP clients use, /etc/hosts included) and a direct
// query of the configured name servers (c-ares: addresses and the CNAME chain).

import { lookup } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import type { DirectAnswer, OsAnswer } from '../network/dns.js';
import { errorCode } from '../network/errors.js';
import { elapsed, Limiter, now, ProbeTimeoutError, withTimeout } from './util.js';

/** At most this many getaddrinfo calls in flight (libuv's pool has 4 threads by default). */
const gaiLimiter = new Limiter(2);

function gai(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    lookup(host, { all: true, verbatim: true }, (err, addrs) => {
      if (err) reject(err);
      else resolve(addrs.map((a) => a.address));
    });
  });
}

/** getaddrinfo with a timeout; queueing behind the limiter counts toward it. */
export async function osLookup(host: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<OsAnswer> {
  const start = now();
  const h = host.replace(/^\[|\]$/g, '');
  if (isIP(h)) return { addresses: [h], ms: 0 };
  try {
    const addresses = await withTimeout(opts.timeoutMs, opts.signal, `lookup ${host}`, (signal) => gaiLimiter.run(() => gai(h), signal));
    return { addresses, ms: elapsed(start) };
  } catch (e) {
    return { addresses: [], ms: elapsed(start), error: errorCode(e) ?? 'ERROR' };
  }
}

/**
 * A `lookup` function for net.connect (proxy host names). Like the endpoint probes it asks the name
 * servers first and runs getaddrinfo (through the limiter) only when they answer: a getaddrinfo
 * stuck on a dead resolver cannot be cancelled and would keep the process alive after the report.
 */
export function limitedLookup(timeoutMs: number): LookupFunction {
  return (
    hostname: string,
    options: unknown,
    callback: (err: NodeJS.ErrnoException | null, address: string | Array<{ address: string; family: number }>, family?: number) => void,
  ): void => {
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
    const start = now();
    // Hosts-file names (localhost, a pinned proxy) need no name server: getaddrinfo reads the file first.
    hostsFileLookup(hostname)
      .then((fromHosts): OsAnswer | Promise<OsAnswer> => (fromHosts.length ? { addresses: fromHosts, ms: elapsed(start) } : resolveBoth(hostname, { timeoutMs }).then((r) => r.os)))
      .catch((): OsAnswer => ({ addresses: [], ms: elapsed(start), error: 'ERROR' }))
      .then((a) => {
        if (a.error || !a.addresses.length) {
          const err = Object.assign(new Error(`getaddrinfo ${a.error ?? 'ENOTFOUND'} ${hostname}`), { code: a.error ?? 'ENOTFOUND' }) as NodeJS.ErrnoException;
          callback(err, all ? [] : '', 4);
          return;
        }
        const list = a.addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
        if (all) callback(null, list);
        else callback(null, list[0]!.address, list[0]!.family);
      });
  };
}

/** Direct query of the configured name servers: A, AAAA and the CNAME chain, in parallel. */
export async function directQuery(host: string, opts: { timeoutMs: number; signal?: AbortSignal; servers?: string[] }): Promise<DirectAnswer> {
  const start = now();
  const resolver = new Resolver({ timeout: Math.max(200, opts.timeoutMs), tries: 1 });
  if (opts.servers?.length) resolver.setServers(opts.servers);
  const servers = resolver.getServers();
  const h = host.replace(/^\[|\]$/g, '');
  if (isIP(h)) return { servers, addresses: [h], cname: [], ms: 0 };
  const onAbort = (): void => resolver.cancel();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => resolver.cancel(), opts.timeoutMs + 50);
  try {
    const cnameChain = async (): Promise<string[]> => {
      const chain: string[] = [];
      let name = h;
      for (let i = 0; i < 8; i++) {
        try {
          const [next] = await resolver.resolveCname(name);
          if (!next || chain.includes(next)) break;
          chain.push(next);
          name = next;
        } catch {
          break;
        }
      }
      return chain;
    };
    const [a, aaaa, cname] = await Promise.allSettled([resolver.resolve4(h), resolver.resolve6(h), cnameChain()]);
    const addresses = [...(a.status === 'fulfilled' ? a.value : []), ...(aaaa.status === 'fulfilled' ? aaaa.value : [])];
    const chain = cname.status === 'fulfilled' ? cname.value : [];
    const ms = elapsed(start);
    if (addresses.length) return { servers, addresses, cname: chain, ms };
    let code = a.status === 'rejected' ? errorCode(a.reason) : 'ENODATA';
    if (code === 'ECANCELLED') code = ms >= opts.timeoutMs ? 'ETIMEOUT' : 'ECANCELLED';
    if (code === 'ENODATA' && aaaa.status === 'rejected' && errorCode(aaaa.reason) === 'ENOTFOUND') code = 'ENOTFOUND';
    return { servers, addresses: [], cname: chain, ms, error: code ?? 'ERROR' };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

export { ProbeTimeoutError };

/** Entries for `host` in the hosts file (what getaddrinfo consults before DNS). */
export async function hostsFileLookup(host: string, platform: NodeJS.Platform = process.platform): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const path = platform === 'win32' ? `${process.env.SystemRoot ?? 'C:\\Windows'}\\System32\\drivers\\etc\\hosts` : '/etc/hosts';
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const h = host.toLowerCase();
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const [addr, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (addr && names.some((n) => n.toLowerCase() === h) && isIP(addr)) out.push(addr);
  }
  return out;
}

/**
 * Both DNS views of a host. The direct query (cancellable) goes first; getaddrinfo runs only when
 * the name servers answered. getaddrinfo cannot be cancelled and the process cannot exit while one
 * is pending, so with a dead resolver the OS view comes from the hosts file alone (what
 * getaddrinfo would find before timing out on DNS).
 */
export async function resolveBoth(
  host: string,
  opts: { timeoutMs: number; signal?: AbortSignal; servers?: string[]; platform?: NodeJS.Platform },
): Promise<{ os: OsAnswer; direct?: DirectAnswer }> {
  const h = host.replace(/^\[|\]$/g, '');
  if (isIP(h)) return { os: { addresses: [h], ms: 0 }, direct: { servers: [], addresses: [h], cname: [], ms: 0 } };
  const direct = await directQuery(h, opts).catch(() => undefined);
  const dead = !direct || ['ETIMEOUT', 'ECANCELLED', 'ECONNREFUSED', 'EREFUSED', 'ESERVFAIL', 'ECONNRESET'].includes(direct.error ?? '');
  if (dead && direct?.error !== 'ESERVFAIL') {
    const start = now();
    const fromHosts = await hostsFileLookup(h, opts.platform);
    return {
      os: {
        ...(fromHosts.length ? { addresses: fromHosts, ms: elapsed(start) } : { addresses: [], ms: direct?.ms ?? 0, error: 'EAI_AGAIN' }),
        note: 'name servers did not answer: hosts file only (getaddrinfo not run, it cannot be cancelled)',
      },
      direct,
    };
  }
  return { os: await osLookup(h, opts), direct };
}
