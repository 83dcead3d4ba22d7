// Test PKI made with the openssl CLI: a test root CA (valid ~30 days), leaf certificates with SANs,
// deliberately faulty leaves (expired, not yet valid, wrong name, self-signed, other issuer) and
// "corporate TLS inspection" CAs with vendor-like names. Keys are ECDSA P-256 for leaves (fast) and
// RSA 2048 for CAs (mitmproxy and old clients expect RSA CAs).
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './proc.js';

export interface CaInfo {
  certPath: string;
  keyPath: string;
  /** Subject CN. */
  name: string;
  /** For a two-level CA: the root that signed this intermediate. */
  root?: CaInfo;
}

export interface LeafInfo {
  certPath: string;
  keyPath: string;
  /** certificate followed by intermediates (what a server should send). */
  chainPath: string;
  sha256: string;
}

export interface LeafFaults {
  /** notAfter in the past (validity ended ~10 days ago). */
  expired?: boolean;
  /** notBefore in the future (starts in ~2 days). */
  notYetValid?: boolean;
  /** SANs name another host (`wrong-name.invalid`) instead of the requested names. */
  wrongName?: boolean;
  /** 'test-ca' (default), 'self-signed', or another CA (e.g. an inspection CA or an untrusted CA). */
  issuer?: 'test-ca' | 'self-signed' | CaInfo;
}

let serial = 0;

function opensslSubj(cn: string, o?: string): string {
  const esc = (s: string) => s.replace(/[/=\\]/g, (c) => `\\${c}`);
  return `/CN=${esc(cn)}${o ? `/O=${esc(o)}` : ''}`;
}

/** A root CA (self-signed), valid `days` (default 30). */
export async function makeRootCa(dir: string, base: string, cn: string, o = 'azmcp-doctor tests', days = 30): Promise<CaInfo> {
  const certPath = join(dir, `${base}.pem`);
  const keyPath = join(dir, `${base}.key`);
  await runOk([
    'openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath,
    '-days', String(days), '-subj', opensslSubj(cn, o), '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash',
  ]);
  return { certPath, keyPath, name: cn };
}

/** An intermediate CA signed by `root`. */
export async function makeIntermediateCa(dir: string, base: string, root: CaInfo, cn: string, o?: string, days = 30): Promise<CaInfo> {
  const certPath = join(dir, `${base}.pem`);
  const keyPath = join(dir, `${base}.key`);
  const csr = join(dir, `${base}.csr`);
  const ext = join(dir, `${base}.ext`);
  writeFileSync(ext, 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  await runOk(['openssl', 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', csr, '-subj', opensslSubj(cn, o)]);
  await runOk([
    'openssl', 'x509', '-req', '-in', csr, '-CA', root.certPath, '-CAkey', root.keyPath, '-set_serial', String(Date.now() * 100 + ++serial),
    '-out', certPath, '-days', String(days), '-sha256', '-extfile', ext,
  ]);
  return { certPath, keyPath, name: cn, root };
}

/**
 * A "corporate TLS inspection" CA: a root plus an intermediate, named like a vendor's
 * (defaults: "Zscaler Root CA" / "Zscaler Intermediate Root CA", O "Zscaler Inc.").
 * Returns the intermediate (its `root` field holds the root).
 */
export async function makeInspectionCa(
  dir: string,
  opts: { rootName?: string; intermediateName?: string; org?: string; base?: string } = {},
): Promise<CaInfo> {
  const base = opts.base ?? 'inspection';
  const org = opts.org ?? 'Zscaler Inc.';
  const root = await makeRootCa(dir, `${base}-root`, opts.rootName ?? 'Zscaler Root CA', org, 365);
  return makeIntermediateCa(dir, `${base}-int`, root, opts.intermediateName ?? 'Zscaler Intermediate Root CA', org, 365);
}

function sanList(names: string[]): string {
  return names
    .map((n) => (/^[0-9.]+$/.test(n) || n.includes(':') ? `IP:${n}` : `DNS:${n}`))
    .join(',');
}

/** A leaf (server) certificate for `names` signed by `ca` (or faulty, per `faults`). */
export async function makeLeaf(dir: string, base: string, ca: CaInfo, names: string[], faults: LeafFaults = {}): Promise<LeafInfo> {
  const certPath = join(dir, `${base}.pem`);
  const keyPath = join(dir, `${base}.key`);
  const chainPath = join(dir, `${base}.chain.pem`);
  const csr = join(dir, `${base}.csr`);
  const ext = join(dir, `${base}.ext`);
  const sanNames = faults.wrongName ? ['wrong-name.invalid'] : names;
  const cn = sanNames[0] ?? 'localhost';
  writeFileSync(
    ext,
    `subjectAltName=${sanList(sanNames)}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\n` +
      (faults.issuer === 'self-signed' ? '' : 'authorityKeyIdentifier=keyid\n'),
  );
  // faketime shifts the signing clock: -40d with 30 days validity = expired 10 days ago;
  // +2d = notBefore two days in the future.
  const fake = faults.expired ? ['faketime', '-f', '-40d'] : faults.notYetValid ? ['faketime', '-f', '+2d'] : [];
  await runOk(['openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', csr, '-subj', opensslSubj(cn)]);
  const issuer = faults.issuer ?? 'test-ca';
  if (issuer === 'self-signed') {
    await runOk([...fake, 'openssl', 'x509', '-req', '-in', csr, '-signkey', keyPath, '-out', certPath, '-days', '30', '-sha256', '-extfile', ext]);
  } else {
    const signer = issuer === 'test-ca' ? ca : issuer;
    await runOk([
      ...fake, 'openssl', 'x509', '-req', '-in', csr, '-CA', signer.certPath, '-CAkey', signer.keyPath,
      '-set_serial', String(Date.now() * 100 + ++serial), '-out', certPath, '-days', '30', '-sha256', '-extfile', ext,
    ]);
  }
  let chain = readFileSync(certPath, 'utf8');
  if (typeof issuer === 'object' && issuer.root) chain += readFileSync(issuer.certPath, 'utf8');
  writeFileSync(chainPath, chain);
  const sha256 = new X509Certificate(readFileSync(certPath)).fingerprint256;
  return { certPath, keyPath, chainPath, sha256 };
}

/**
 * A client certificate for ClientCertificateCredential (RSA, as Entra requires): returns the PEM
 * paths, a combined cert+key PEM, and the thumbprints Entra would know the certificate by
 * (`x5t` = SHA-1, `x5t#S256` = SHA-256, both base64url, plus the SHA-1 hex "thumbprint").
 */
export async function makeClientCert(dir: string, base: string, cn = 'azmcp-doctor test client'): Promise<{
  certPath: string; keyPath: string; combinedPath: string; thumbprintSha1Hex: string; x5t: string; x5tS256: string;
}> {
  const certPath = join(dir, `${base}.pem`);
  const keyPath = join(dir, `${base}.key`);
  const combinedPath = join(dir, `${base}.combined.pem`);
  await runOk(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '30', '-subj', opensslSubj(cn)]);
  writeFileSync(combinedPath, readFileSync(certPath, 'utf8') + readFileSync(keyPath, 'utf8'));
  const der = new X509Certificate(readFileSync(certPath)).raw;
  const sha1 = createHash('sha1').update(der).digest();
  const sha256 = createHash('sha256').update(der).digest();
  return {
    certPath, keyPath, combinedPath,
    thumbprintSha1Hex: sha1.toString('hex').toUpperCase(),
    x5t: sha1.toString('base64url'),
    x5tS256: sha256.toString('base64url'),
  };
}
