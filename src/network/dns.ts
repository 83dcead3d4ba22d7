// DNS answer classification: private endpoints, privatelink CNAMEs, the private DNS zone to link,
// OS-vs-direct disagreement. Pure functions over the observations the DNS probe collects.

import { classifyDnsError, type DnsSymptom } from './errors.js';
import { isPrivateAddress } from './addresses.js';

export interface OsAnswer {
  addresses: string[];
  ms: number;
  /** Error code (ENOTFOUND, EAI_AGAIN, PROBE_TIMEOUT...) when the lookup failed. */
  error?: string;
  /** How the answer was obtained when getaddrinfo itself was not run. */
  note?: string;
}

export interface DirectAnswer {
  servers: string[];
  addresses: string[];
  /** CNAME chain starting at the queried name (excluding it). */
  cname: string[];
  ms: number;
  error?: string;
}

export interface DnsObservation {
  host: string;
  os: OsAnswer;
  direct?: DirectAnswer;
}

/** Private DNS zones for Azure Private Link, by public suffix (sovereign clouds included). */
const PRIVATE_ZONES: Array<[suffix: string, zone: string]> = [
  ['vault.azure.net', 'privatelink.vaultcore.azure.net'],
  ['vault.azure.cn', 'privatelink.vaultcore.azure.cn'],
  ['vault.usgovcloudapi.net', 'privatelink.vaultcore.usgovcloudapi.net'],
  ['managedhsm.azure.net', 'privatelink.managedhsm.azure.net'],
  ['management.azure.com', 'privatelink.azure.com'],
  ['management.chinacloudapi.cn', 'privatelink.azure.cn'],
  ['management.usgovcloudapi.net', 'privatelink.azure.us'],
];

const GENERIC_SUFFIXES = [
  'blob.core.windows.net',
  'table.core.windows.net',
  'queue.core.windows.net',
  'file.core.windows.net',
  'dfs.core.windows.net',
  'blob.core.chinacloudapi.cn',
  'blob.core.usgovcloudapi.net',
  'documents.azure.com',
  'documents.azure.cn',
  'documents.azure.us',
  'servicebus.windows.net',
  'servicebus.chinacloudapi.cn',
  'servicebus.usgovcloudapi.net',
  'database.windows.net',
  'azurecr.io',
  'search.windows.net',
  'openai.azure.com',
  'cognitiveservices.azure.com',
  'azconfig.io',
];

/** The first privatelink name in a CNAME chain (e.g. myacct.privatelink.blob.core.windows.net). */
export function privatelinkName(chain: readonly string[]): string | undefined {
  return chain.find((n) => /(^|\.)privatelink\./i.test(n));
}

/** The private DNS zone that must be linked for a name: from the CNAME chain, else from the service suffix. */
export function privateZoneFor(host: string, chain: readonly string[] = []): string | undefined {
  const pl = privatelinkName(chain);
  if (pl) {
    const i = pl.toLowerCase().indexOf('privatelink.');
    return pl.slice(i).toLowerCase().replace(/\.$/, '');
  }
  const h = host.toLowerCase();
  if (/(^|\.)privatelink\./.test(h)) return h.slice(h.indexOf('privatelink.'));
  for (const [suffix, zone] of PRIVATE_ZONES) if (h === suffix || h.endsWith(`.${suffix}`)) return zone;
  for (const suffix of GENERIC_SUFFIXES) if (h.endsWith(`.${suffix}`)) return `privatelink.${suffix}`;
  return undefined;
}

export interface DnsFacts {
  host: string;
  /** What consumers that resolve locally get (getaddrinfo). */
  status: 'ok' | DnsSymptom;
  osError?: string;
  addresses: string[];
  privateAddresses: string[];
  publicAddresses: string[];
  cname: string[];
  privatelink?: string;
  zone?: string;
  /** A private endpoint is in use (privatelink CNAME or private answer). */
  privateEndpoint: boolean;
  /** privatelink CNAME, but the answer is public: the private DNS zone is not linked/used. */
  privateZoneMissing: boolean;
  /** OS resolver and direct query disagree (hosts file, split DNS, a different resolver). */
  inconsistent?: { os: string; direct: string };
  osMs: number;
  osNote?: string;
  directMs?: number;
  directError?: string;
  servers: string[];
}

function describe(addresses: string[], error?: string): string {
  if (error) return error;
  return addresses.length ? addresses.join(' ') : '(no addresses)';
}

export function classifyDns(obs: DnsObservation, opts: { privateMeaningful?: boolean } = {}): DnsFacts {
  const os = obs.os;
  const direct = obs.direct;
  const status: DnsFacts['status'] = os.error ? classifyDnsError(os.error) : os.addresses.length ? 'ok' : 'no-data';
  // Addresses consumers will use: the OS answer; when the OS failed, the direct answer is only evidence.
  const addresses = status === 'ok' ? os.addresses : [];
  const cname = direct?.cname ?? [];
  const privatelink = privatelinkName(cname) ?? (/(^|\.)privatelink\./i.test(obs.host) ? obs.host : undefined);
  const privateAddresses = addresses.filter(isPrivateAddress);
  const publicAddresses = addresses.filter((a) => !isPrivateAddress(a));
  const privateZoneMissing = !!privatelink && status === 'ok' && privateAddresses.length === 0 && publicAddresses.length > 0;
  const privateEndpoint = status === 'ok' && privateAddresses.length > 0 && (!!privatelink || opts.privateMeaningful === true);
  const facts: DnsFacts = {
    host: obs.host,
    status,
    osError: os.error,
    addresses,
    privateAddresses,
    publicAddresses,
    cname,
    privatelink,
    zone: privatelink || privateEndpoint || privateZoneMissing ? privateZoneFor(obs.host, cname) : undefined,
    privateEndpoint,
    privateZoneMissing,
    osMs: os.ms,
    osNote: os.note,
    directMs: direct?.ms,
    directError: direct?.error,
    servers: direct?.servers ?? [],
  };
  if (status === 'ok' && direct) {
    const dstatus = direct.error ? classifyDnsError(direct.error) : 'ok';
    if (dstatus === 'ok' && direct.addresses.length) {
      // Compare per family present on both sides; disjoint sets = disagreement (round-robin subsets are fine).
      const fam = (a: string): number => (a.includes(':') ? 6 : 4);
      let overlap = false;
      let comparable = false;
      for (const f of [4, 6]) {
        const o = os.addresses.filter((a) => fam(a) === f);
        const d = direct.addresses.filter((a) => fam(a) === f);
        if (!o.length || !d.length) continue;
        comparable = true;
        if (o.some((a) => d.includes(a))) overlap = true;
      }
      if (comparable && !overlap) facts.inconsistent = { os: describe(os.addresses), direct: describe(direct.addresses) };
    } else if (dstatus === 'not-found') {
      facts.inconsistent = { os: describe(os.addresses), direct: 'NXDOMAIN' };
    }
  }
  return facts;
}
