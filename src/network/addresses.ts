// IP address classification for DNS answers: private ranges (RFC 1918, CGNAT, ULA), loopback,
// link-local. Pure functions over strings; no I/O.

import { isIP } from 'node:net';

export type AddressKind = 'private' | 'cgnat' | 'loopback' | 'link-local' | 'unspecified' | 'public';

function v4ToInt(a: string): number | undefined {
  const parts = a.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

function inV4(n: number, base: string, bits: number): boolean {
  const b = v4ToInt(base)!;
  const size = 2 ** (32 - bits);
  return n >= b && n < b + size;
}

/** Expands an IPv6 literal into 8 16-bit groups (handles :: and an embedded IPv4 tail). */
export function expandV6(a: string): number[] | undefined {
  let s = a.toLowerCase().replace(/^\[|\]$/g, '');
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const lastColon = s.lastIndexOf(':');
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const n = v4ToInt(maybeV4);
    if (n === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (x: string): number[] | undefined => {
    if (x === '') return [];
    const out: number[] = [];
    for (const g of x.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 0) return undefined;
    return [...head, ...new Array<number>(fill).fill(0), ...rest];
  }
  if (head.length !== 8) return undefined;
  return head;
}

/** Classifies an address literal. Unknown strings are 'public' only if they are valid IPs. */
export function classifyAddress(address: string): AddressKind | undefined {
  const fam = isIP(address.replace(/^\[|\]$/g, '').split('%')[0]!);
  if (fam === 4) {
    const n = v4ToInt(address)!;
    if (inV4(n, '10.0.0.0', 8) || inV4(n, '172.16.0.0', 12) || inV4(n, '192.168.0.0', 16)) return 'private';
    if (inV4(n, '100.64.0.0', 10)) return 'cgnat';
    if (inV4(n, '127.0.0.0', 8)) return 'loopback';
    if (inV4(n, '169.254.0.0', 16)) return 'link-local';
    if (inV4(n, '0.0.0.0', 8)) return 'unspecified';
    return 'public';
  }
  if (fam === 6) {
    const g = expandV6(address);
    if (!g) return undefined;
    if (g.every((x) => x === 0)) return 'unspecified';
    if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
    // IPv4-mapped ::ffff:a.b.c.d
    if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
      const v4 = `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
      return classifyAddress(v4);
    }
    if ((g[0]! & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
    if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local';
    return 'public';
  }
  return undefined;
}

/** True for addresses only reachable from inside a private network (RFC 1918, CGNAT 100.64/10, ULA fc00::/7). */
export function isPrivateAddress(address: string): boolean {
  const k = classifyAddress(address);
  return k === 'private' || k === 'cgnat';
}

export function isIpLiteral(host: string): boolean {
  return isIP(host.replace(/^\[|\]$/g, '')) !== 0;
}

/** Does an IPv4 address fall inside CIDR a.b.c.d/n (Python requests' no_proxy CIDR support)? */
export function ipv4InCidr(address: string, cidr: string): boolean {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return false;
  const n = v4ToInt(address);
  const base = v4ToInt(m[1]!);
  const bits = Number(m[2]);
  if (n === undefined || base === undefined || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((n & mask) >>> 0) === ((base & mask) >>> 0);
}

export function isCidr(entry: string): boolean {
  return /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(entry.trim());
}
