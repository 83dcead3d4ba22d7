// TLS chain analysis: interception detection (issuer -> product), path building against a trust
// store, validity and host-name checks. Uses node:crypto X509Certificate (no I/O).

import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

export interface Name {
  CN?: string;
  O?: string;
  OU?: string;
}

export interface CertSummary {
  subject: Name;
  issuer: Name;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  selfSigned: boolean;
  ca: boolean;
}

/** Parses X509Certificate.subject/issuer ("CN=x\nO=y") into a few fields. */
export function parseDn(dn: string): Name {
  const out: Name = {};
  for (const line of dn.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const k = line.slice(0, i).trim();
    const v = line.slice(i + 1).trim();
    if ((k === 'CN' || k === 'O' || k === 'OU') && out[k] === undefined) out[k] = v;
  }
  return out;
}

export function nameToString(n: Name): string {
  return [n.CN && `CN=${n.CN}`, n.O && `O=${n.O}`, n.OU && `OU=${n.OU}`].filter(Boolean).join(', ') || '(empty)';
}

export function isSelfSigned(c: X509Certificate): boolean {
  try {
    return c.subject === c.issuer && c.checkIssued(c) && c.verify(c.publicKey);
  } catch {
    return false;
  }
}

export function summarise(c: X509Certificate): CertSummary {
  return {
    subject: parseDn(c.subject),
    issuer: parseDn(c.issuer),
    validFrom: new Date(c.validFrom).toISOString(),
    validTo: new Date(c.validTo).toISOString(),
    fingerprint256: c.fingerprint256,
    selfSigned: isSelfSigned(c),
    ca: c.ca,
  };
}

// ---------------------------------------------------------------------------------------------
// Interception

/**
 * Roots Microsoft's endpoints chain to (Microsoft Learn "Azure Certificate Authority details"), plus
 * the names of their usual intermediates' issuers. A chain ending elsewhere on a Microsoft host is
 * re-signed by something on the path.
 */
export const AZURE_ROOT_NAMES = [
  'DigiCert Global Root G2',
  'DigiCert Global Root G3',
  'DigiCert Global Root CA',
  'DigiCert Baltimore Root',
  'Baltimore CyberTrust Root',
  'Microsoft RSA Root Certificate Authority 2017',
  'Microsoft ECC Root Certificate Authority 2017',
  'Microsoft TLS RSA Root G2',
  'Microsoft TLS ECC Root G2',
  'D-TRUST Root Class 3 CA 2 2009',
  'DigiCert Assured ID Root CA',
  'DigiCert High Assurance EV Root CA',
];

const MICROSOFT_SUFFIXES = [
  'microsoftonline.com',
  'microsoftonline.us',
  'microsoftonline.cn',
  'windows.net',
  'azure.com',
  'azure.net',
  'azure.cn',
  'azure.us',
  'microsoft.com',
  'microsoft.us',
  'chinacloudapi.cn',
  'usgovcloudapi.net',
  'azurecr.io',
  'azconfig.io',
  'azure-api.net',
  'azurewebsites.net',
  'cloudapp.net',
];

export function isMicrosoftHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return MICROSOFT_SUFFIXES.some((s) => h === s || h.endsWith(`.${s}`));
}

/** TLS-inspection products recognisable from an issuer name (CN, O or OU). */
export const INTERCEPTION_PRODUCTS: Array<{ product: string; re: RegExp }> = [
  { product: 'Zscaler', re: /zscaler/i },
  { product: 'Netskope', re: /netskope|goskope/i },
  { product: 'Palo Alto Networks', re: /palo ?alto|pan-?os|prisma access|globalprotect/i },
  { product: 'Fortinet FortiGate', re: /fortinet|fortigate|fortiproxy|fortios/i },
  { product: 'Cisco Umbrella', re: /umbrella|opendns/i },
  { product: 'Cisco', re: /\bcisco\b/i },
  { product: 'Symantec/Blue Coat ProxySG', re: /blue ?coat|proxysg|symantec (web|ssl visib)|broadcom.*(proxy|web)/i },
  { product: 'Forcepoint (Websense)', re: /forcepoint|websense/i },
  { product: 'Sophos', re: /sophos/i },
  { product: 'Check Point', re: /check ?point/i },
  { product: 'McAfee/Skyhigh Web Gateway', re: /mcafee|skyhigh/i },
  { product: 'iboss', re: /\biboss\b/i },
  { product: 'Cloudflare Gateway (WARP)', re: /gateway ca.*cloudflare|cloudflare.*(gateway|for teams|zero trust)/i },
  { product: 'Menlo Security', re: /menlo ?security/i },
  { product: 'Barracuda', re: /barracuda/i },
  { product: 'WatchGuard', re: /watchguard/i },
  { product: 'SonicWall', re: /sonicwall/i },
  { product: 'Trend Micro', re: /trend ?micro/i },
  { product: 'Kaspersky', re: /kaspersky/i },
  { product: 'ESET', re: /\beset\b/i },
  { product: 'Avast/AVG', re: /avast|\bavg\b/i },
  { product: 'Bitdefender', re: /bitdefender/i },
  { product: 'Lightspeed Systems', re: /lightspeed/i },
  { product: 'Securly', re: /securly/i },
  { product: 'Squid ssl-bump', re: /\bsquid\b/i },
  { product: 'Fiddler', re: /fiddler/i },
  { product: 'mitmproxy', re: /mitmproxy/i },
  { product: 'Charles Proxy', re: /charles proxy/i },
  { product: 'Burp Suite', re: /portswigger|\bburp\b/i },
];

export function productFor(names: Name[]): string | undefined {
  for (const n of names) {
    const text = [n.CN, n.O, n.OU].filter(Boolean).join(' | ');
    if (!text) continue;
    for (const p of INTERCEPTION_PRODUCTS) if (p.re.test(text)) return p.product;
  }
  return undefined;
}

export interface InterceptionVerdict {
  intercepted: boolean;
  product?: string;
  /** The issuer that re-signed the chain (top of the presented chain, or its issuer). */
  issuer: string;
  reason: string;
}

/**
 * Recognises TLS inspection. `chain` is leaf first (as presented, possibly completed by a store).
 * On a Microsoft host: intercepted when no certificate leads to the roots Azure uses. Anywhere: an
 * issuer naming an inspection product.
 */
export function detectInterception(host: string, chain: CertSummary[]): InterceptionVerdict {
  if (!chain.length) return { intercepted: false, issuer: '', reason: 'no certificate' };
  const top = chain[chain.length - 1]!;
  const issuerName = top.selfSigned ? top.subject : top.issuer;
  const issuer = nameToString(issuerName);
  const names: Name[] = [];
  for (const c of chain) names.push(c.issuer, c.subject);
  // The leaf's own subject may legitimately contain anything; only look at issuers and CA subjects.
  const caNames = chain.flatMap((c, i) => (i === 0 ? [c.issuer] : [c.issuer, c.subject]));
  const product = productFor(caNames);
  const expected = names.some((n) => n.CN !== undefined && AZURE_ROOT_NAMES.includes(n.CN));
  if (product) return { intercepted: true, product, issuer, reason: `issuer names ${product}` };
  if (isMicrosoftHost(host) && !expected) {
    return { intercepted: true, issuer, reason: 'the chain does not lead to the DigiCert/Microsoft roots Azure uses' };
  }
  return { intercepted: false, issuer, reason: expected ? 'chain leads to an Azure root' : 'not a Microsoft host' };
}

// ---------------------------------------------------------------------------------------------
// Path building against a store

export interface StoreIndex {
  bySubject: Map<string, X509Certificate[]>;
  fingerprints: Set<string>;
  size: number;
}

export function indexStore(certs: Iterable<X509Certificate>): StoreIndex {
  const bySubject = new Map<string, X509Certificate[]>();
  const fingerprints = new Set<string>();
  for (const c of certs) {
    if (fingerprints.has(c.fingerprint256)) continue;
    fingerprints.add(c.fingerprint256);
    const list = bySubject.get(c.subject);
    if (list) list.push(c);
    else bySubject.set(c.subject, [c]);
  }
  return { bySubject, fingerprints, size: fingerprints.size };
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

export type TrustFailure = 'untrusted-root' | 'self-signed-leaf' | 'missing-issuer';

export interface TrustResult {
  trusted: boolean;
  failure?: TrustFailure;
  /** OpenSSL-style code, for evidence (SELF_SIGNED_CERT_IN_CHAIN...). */
  code?: string;
  /** The trust anchor found in the store. */
  anchor?: X509Certificate;
  /** leaf ... top of the path that was built from presented certificates. */
  path: X509Certificate[];
}

/** Builds a path from the leaf through the presented certificates to an anchor in `store`. */
/**
 * Builds a path from the presented leaf to an anchor of `store`. `intermediates` are store
 * certificates that may complete the path but are not anchors (the .NET server's Linux store: only
 * self-signed certificates are roots, the others are intermediates).
 */
export function verifyChain(presented: X509Certificate[], store: StoreIndex, intermediates: readonly X509Certificate[] = []): TrustResult {
  const leaf = presented[0];
  if (!leaf) return { trusted: false, failure: 'missing-issuer', code: 'NO_CERTIFICATE', path: [] };
  const path: X509Certificate[] = [leaf];
  let cur = leaf;
  const seen = new Set<string>([leaf.fingerprint256]);
  for (let depth = 0; depth < 12; depth++) {
    if (store.fingerprints.has(cur.fingerprint256)) return { trusted: true, anchor: cur, path };
    for (const cand of store.bySubject.get(cur.issuer) ?? []) {
      if (issuedBy(cur, cand)) return { trusted: true, anchor: cand, path };
    }
    if (isSelfSigned(cur)) {
      return depth === 0
        ? { trusted: false, failure: 'self-signed-leaf', code: 'DEPTH_ZERO_SELF_SIGNED_CERT', path }
        : { trusted: false, failure: 'untrusted-root', code: 'SELF_SIGNED_CERT_IN_CHAIN', path };
    }
    const next =
      presented.find((p) => !seen.has(p.fingerprint256) && p.subject === cur.issuer && issuedBy(cur, p)) ??
      intermediates.find((p) => !seen.has(p.fingerprint256) && p.subject === cur.issuer && issuedBy(cur, p));
    if (!next) {
      return {
        trusted: false,
        failure: 'missing-issuer',
        code: depth === 0 ? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' : 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
        path,
      };
    }
    seen.add(next.fingerprint256);
    path.push(next);
    cur = next;
  }
  return { trusted: false, failure: 'missing-issuer', code: 'CHAIN_TOO_LONG', path };
}

export interface ValidityProblem {
  kind: 'expired' | 'not-yet-valid';
  subject: string;
  validFrom: string;
  validTo: string;
  depth: number;
}

/** The first certificate in the path that is outside its validity period at `now`. */
export function validityProblem(path: X509Certificate[], now: Date): ValidityProblem | undefined {
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    const from = new Date(c.validFrom);
    const to = new Date(c.validTo);
    const base = { subject: nameToString(parseDn(c.subject)), validFrom: from.toISOString(), validTo: to.toISOString(), depth: i };
    if (now.getTime() > to.getTime()) return { kind: 'expired', ...base };
    if (now.getTime() < from.getTime()) return { kind: 'not-yet-valid', ...base };
  }
  return undefined;
}

/** Does the leaf certificate cover `host` (DNS name or IP literal)? */
export function hostMatches(leaf: X509Certificate, host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  try {
    return isIP(h) ? leaf.checkIP(h) !== undefined : leaf.checkHost(h) !== undefined;
  } catch {
    return false;
  }
}

/** Names the leaf covers (SANs), for evidence. */
export function leafNames(leaf: X509Certificate): string {
  const san = leaf.subjectAltName ?? '';
  const names = san
    .split(/,\s*/)
    .map((s) => s.replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
  const cn = parseDn(leaf.subject).CN;
  return (names.length ? names : cn ? [cn] : []).slice(0, 6).join(' ');
}

export function toPem(c: X509Certificate): string {
  return c.toString();
}

// The same roots appear in several stores (the bundle, the hashed directory, certifi, Node's own):
// parse each distinct certificate once per process.
const parsed = new Map<string, X509Certificate | null>();

/** Parses every PEM certificate in a text; bad blocks are skipped. */
export function parsePemBundle(text: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (const m of text.matchAll(re)) {
    const key = m[1]!.replace(/\s+/g, '');
    let c = parsed.get(key);
    if (c === undefined) {
      try {
        c = new X509Certificate(m[0]);
      } catch {
        c = null;
      }
      parsed.set(key, c);
    }
    if (c) out.push(c);
  }
  return out;
}
