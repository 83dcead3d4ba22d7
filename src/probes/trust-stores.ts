// Trust stores that decide whether a presented chain is accepted, per consumer:
//  - 'os'        : the store the .NET server uses for BOTH its token requests and its ARM/data-plane
//                  calls (docs/server-behaviour-2.0.5.md §2). Linux, as .NET's OpenSslCachedSystemStoreProvider
//                  reads it: the bundle file = SSL_CERT_FILE when set (it REPLACES the default bundle),
//                  else the distribution bundle; the directories = SSL_CERT_DIR (':'-separated) when set
//                  (it REPLACES the default directory), else the OpenSSL default directory (/etc/ssl/certs);
//                  every file in a directory is read (PEM only); self-signed certificates are roots,
//                  the others only intermediates. NODE_EXTRA_CA_CERTS plays no part. macOS/Windows: the
//                  system store when this Node can read it.
//  - 'node'      : Node's bundled Mozilla roots + NODE_EXTRA_CA_CERTS (+ system store with NODE_USE_SYSTEM_CA=1).
//  - 'azure-cli' : REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, else the CLI's certifi bundle (only when az is installed).
//
// Exported for the credential probes (src/probes/credentials/), to send token requests with exactly the
// server's trust (Node's `ca` option replaces Node's roots; like .NET, Node then needs a self-signed root
// at the top of the path, and uses the non-root certificates only as intermediates):
//   serverTrustedCaPems(env: Env, platform?: NodeJS.Platform, signal?: AbortSignal): Promise<string[] | undefined>
//       PEM strings of the OS store the server uses (roots + store intermediates), honouring
//       SSL_CERT_FILE / SSL_CERT_DIR; undefined when this platform's store cannot be read (then the
//       server's trust is unknown: say so rather than guess). Within a run prefer the memoised
//       serverTrustPems(ctx) in src/probes/network.ts.
//   osStorePems(store: TrustStore): string[]   the same from an already loaded 'os' store.

import { X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import * as tls from 'node:tls';
import { indexStore, parsePemBundle, type StoreIndex } from '../network/tls.js';
import type { Env } from '../network/proxy-env.js';

export type StoreId = 'os' | 'node' | 'azure-cli';

export interface TrustStore {
  id: StoreId;
  label: string;
  /** Who relies on this store. */
  consumers: string;
  /** Files/dirs/APIs read (paths only). */
  sources: string[];
  available: boolean;
  /** Why unavailable, or a caveat. */
  note?: string;
  certs: X509Certificate[];
  index: StoreIndex;
  /** Store certificates that can complete a path but are not trust anchors ('os' on Linux: non-self-signed). */
  intermediates?: X509Certificate[];
}

export const STORE_LABEL: Record<StoreId, string> = {
  os: 'OS store (.NET server)',
  node: 'Node.js store',
  'azure-cli': 'Azure CLI bundle',
};

const LINUX_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Alpine (ca-certificates)
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem', // Alpine, macOS
];

async function exists(p: string): Promise<boolean> {
  try {
    await access(p, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

async function readPemFile(p: string): Promise<X509Certificate[]> {
  try {
    const text = await readFile(p, 'utf8');
    if (text.includes('-----BEGIN CERTIFICATE-----')) return parsePemBundle(text);
    try {
      return [new X509Certificate(await readFile(p))]; // single DER
    } catch {
      return [];
    }
  } catch {
    return [];
  }
}

/** PEM only, as .NET reads the store files (no DER; "TRUSTED CERTIFICATE" blocks are skipped). */
async function readPemOnly(p: string): Promise<X509Certificate[]> {
  try {
    const text = await readFile(p, 'utf8');
    return text.includes('-----BEGIN CERTIFICATE-----') ? parsePemBundle(text) : [];
  } catch {
    return [];
  }
}

/** .NET reads every regular file of a store directory (following links), not only hashed names. */
async function readDotnetDir(dir: string): Promise<X509Certificate[] | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const lists = await Promise.all(
    names.map(async (n) => {
      const p = join(dir, n);
      const st = await stat(p).catch(() => undefined);
      return st?.isFile() ? readPemOnly(p) : [];
    }),
  );
  return lists.flat();
}


function make(id: StoreId, consumers: string, sources: string[], certs: X509Certificate[], available: boolean, note?: string): TrustStore {
  return { id, label: STORE_LABEL[id], consumers, sources, certs, available, note, index: indexStore(certs) };
}

/** .NET's split: subject == issuer goes to the root store, everything else to the intermediate store. */
function dotnetSplit(certs: X509Certificate[]): { roots: X509Certificate[]; intermediates: X509Certificate[] } {
  const seen = new Set<string>();
  const roots: X509Certificate[] = [];
  const intermediates: X509Certificate[] = [];
  for (const c of certs) {
    if (seen.has(c.fingerprint256)) continue;
    seen.add(c.fingerprint256);
    (c.subject === c.issuer ? roots : intermediates).push(c);
  }
  return { roots, intermediates };
}

/** Default store directories, OpenSSL's OPENSSLDIR/certs per distribution, then /etc/ssl/certs (.NET's fallback). */
const LINUX_DIRS = ['/usr/lib/ssl/certs', '/etc/pki/tls/certs', '/etc/ssl/certs'];

function systemFromNode(): X509Certificate[] | undefined {
  const get = (tls as unknown as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  if (typeof get !== 'function') return undefined;
  try {
    return get('system').flatMap((pem) => parsePemBundle(pem));
  } catch {
    return undefined;
  }
}

function run(cmd: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, signal, maxBuffer: 32 * 1024 * 1024, windowsHide: true }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

export async function loadOsStore(env: Env, platform: NodeJS.Platform, signal?: AbortSignal): Promise<TrustStore> {
  const consumers = 'Azure MCP Server (.NET): token requests and ARM/data-plane calls';
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') {
    const sources: string[] = [];
    // SSL_CERT_FILE replaces the default bundle file; SSL_CERT_DIR replaces the default directory.
    let file = env.SSL_CERT_FILE || undefined;
    if (!file) {
      for (const b of LINUX_BUNDLES) if (await exists(b)) { file = b; break; }
    }
    const lists: X509Certificate[][] = [];
    const notes: string[] = [];
    if (file) {
      const certs = await readPemOnly(file);
      if (certs.length) {
        sources.push(env.SSL_CERT_FILE ? `SSL_CERT_FILE=${file}` : file);
        lists.push(certs);
      } else if (env.SSL_CERT_FILE) notes.push(`SSL_CERT_FILE=${file} could not be read or holds no PEM certificate`);
    }
    if (env.SSL_CERT_DIR) {
      const seen = new Set<string>();
      for (const d of env.SSL_CERT_DIR.split(':').filter(Boolean)) {
        const real = await realpath(d).catch(() => d);
        if (seen.has(real)) continue;
        seen.add(real);
        const certs = await readDotnetDir(d);
        if (certs?.length) {
          sources.push(`SSL_CERT_DIR=${d}`);
          lists.push(certs);
        } else notes.push(`SSL_CERT_DIR entry ${d} holds no PEM certificate`);
      }
    } else {
      // The first default directory that exists and holds certificates (they are usually one directory).
      for (const d of LINUX_DIRS) {
        const certs = await readDotnetDir(d);
        if (certs?.length) {
          sources.push(d);
          lists.push(certs);
          break;
        }
      }
    }
    const home = env.HOME ?? homedir();
    const dotnetRoot = join(home, '.dotnet', 'corefx', 'cryptography', 'x509stores', 'root');
    if (await exists(dotnetRoot)) {
      const names = await readdir(dotnetRoot).catch(() => [] as string[]);
      const certs = (await Promise.all(names.map((n) => readPemFile(join(dotnetRoot, n))))).flat();
      if (certs.length) {
        sources.push(dotnetRoot);
        lists.push(certs);
      }
    }
    const { roots, intermediates } = dotnetSplit(lists.flat());
    const store = make(
      'os',
      consumers,
      sources,
      roots,
      roots.length > 0,
      roots.length
        ? notes.join('; ') || undefined
        : ['no root CA certificate found (SSL_CERT_FILE, SSL_CERT_DIR, /etc/ssl/certs)', ...notes].join('; '),
    );
    if (intermediates.length) store.intermediates = intermediates;
    return store;
  }
  const fromNode = systemFromNode();
  if (fromNode && fromNode.length) return make('os', consumers, ['tls.getCACertificates("system")'], fromNode, true);
  if (platform === 'darwin') {
    const out = await run(
      '/usr/bin/security',
      ['find-certificate', '-a', '-p', '/System/Library/Keychains/SystemRootCertificates.keychain', '/Library/Keychains/System.keychain'],
      4000,
      signal,
    );
    if (out) {
      const certs = parsePemBundle(out);
      return make('os', consumers, ['macOS System and SystemRoots keychains'], certs, certs.length > 0, 'certificates from the login keychain and their trust settings are not evaluated');
    }
  }
  return make('os', consumers, [], [], false, `this Node.js (${process.version}) cannot read the ${platform === 'win32' ? 'Windows certificate store' : 'system store'}; Node 22.15+ can`);
}

export async function loadNodeStore(env: Env): Promise<TrustStore> {
  const sources = [`bundled Mozilla roots (${tls.rootCertificates.length})`];
  const lists: X509Certificate[][] = [tls.rootCertificates.flatMap((pem) => parsePemBundle(pem))];
  let note: string | undefined;
  const extra = env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    const certs = await readPemFile(extra);
    if (certs.length) {
      sources.push(`NODE_EXTRA_CA_CERTS=${extra}`);
      lists.push(certs);
    } else note = `NODE_EXTRA_CA_CERTS=${extra} could not be read or holds no certificate (Node ignores it with a warning)`;
  }
  if (env.NODE_USE_SYSTEM_CA === '1') {
    const sys = systemFromNode();
    if (sys) {
      sources.push('system store (NODE_USE_SYSTEM_CA=1)');
      lists.push(sys);
    }
  }
  return make('node', 'Node.js tools (and this doctor)', sources, lists.flat(), true, note);
}

/** Finds `az` on PATH. */
export async function findOnPath(env: Env, names: string[], platform: NodeJS.Platform): Promise<string | undefined> {
  const path = env.PATH ?? env.Path ?? '';
  for (const dir of path.split(platform === 'win32' ? ';' : delimiter)) {
    if (!dir) continue;
    for (const n of names) {
      const p = join(dir, n);
      if (await exists(p)) return p;
    }
  }
  return undefined;
}

async function globPython(base: string, rest: string[]): Promise<string[]> {
  const names = await readdir(base).catch(() => [] as string[]);
  return names.filter((n) => /^python3(\.\d+)?$/.test(n)).map((n) => join(base, n, ...rest));
}

/** The certifi bundle the Azure CLI would use (certifi.where()). */
export async function azureCliCertifi(azPath: string | undefined, platform: NodeJS.Platform): Promise<string | undefined> {
  const certifiDirs: string[] = [];
  if (platform === 'win32') {
    for (const pf of ['C:\\Program Files\\Microsoft SDKs\\Azure\\CLI2', 'C:\\Program Files (x86)\\Microsoft SDKs\\Azure\\CLI2']) {
      certifiDirs.push(join(pf, 'Lib', 'site-packages', 'certifi'));
    }
  } else {
    certifiDirs.push(...(await globPython('/opt/az/lib', ['site-packages', 'certifi'])));
    certifiDirs.push(...(await globPython('/usr/lib64/az/lib', ['site-packages', 'certifi'])));
    if (azPath) {
      const real = await realpath(azPath).catch(() => azPath);
      // Homebrew: .../Cellar/azure-cli/<v>/bin/az -> ../libexec/lib/python3.x/site-packages/certifi
      certifiDirs.push(...(await globPython(join(dirname(dirname(real)), 'libexec', 'lib'), ['site-packages', 'certifi'])));
    }
    certifiDirs.push('/usr/lib/python3/dist-packages/certifi');
  }
  for (const d of certifiDirs) {
    const core = await readFile(join(d, 'core.py'), 'utf8').catch(() => undefined);
    if (core === undefined) continue;
    // Distributions patch certifi.where() to return the system bundle (Debian: DEBIAN_CA_CERTS_PATH).
    const patched = /^[A-Z_]*CA[A-Z_]*PATH\s*=\s*['"](\/[^'"]+)['"]/m.exec(core) ?? /return\s+['"](\/[^'"]+\.(?:crt|pem))['"]/.exec(core);
    if (patched?.[1] && (await exists(patched[1]))) return patched[1];
    const pem = join(d, 'cacert.pem');
    if (await exists(pem)) return pem;
  }
  return undefined;
}

export async function loadAzureCliStore(env: Env, platform: NodeJS.Platform): Promise<TrustStore | undefined> {
  const consumers = 'Azure CLI (az login, AzureCliCredential token refresh)';
  const bundleVar = env.REQUESTS_CA_BUNDLE ? 'REQUESTS_CA_BUNDLE' : env.CURL_CA_BUNDLE ? 'CURL_CA_BUNDLE' : undefined;
  if (bundleVar) {
    const file = env[bundleVar]!;
    const certs = await readPemFile(file);
    return make('azure-cli', consumers, [`${bundleVar}=${file}`], certs, certs.length > 0, certs.length ? undefined : `${bundleVar}=${file} could not be read or holds no certificate`);
  }
  const az = await findOnPath(env, platform === 'win32' ? ['az.cmd', 'az.bat', 'az'] : ['az'], platform);
  if (!az) return undefined;
  const bundle = await azureCliCertifi(az, platform);
  if (!bundle) return make('azure-cli', consumers, [], [], false, 'the Azure CLI is installed but its certifi bundle was not found');
  const certs = await readPemFile(bundle);
  return make('azure-cli', consumers, [bundle], certs, certs.length > 0);
}

export async function loadTrustStores(env: Env, platform: NodeJS.Platform = process.platform, signal?: AbortSignal): Promise<TrustStore[]> {
  const [os, node, cli] = await Promise.all([loadOsStore(env, platform, signal), loadNodeStore(env), loadAzureCliStore(env, platform)]);
  return cli ? [os, node, cli] : [os, node];
}

/** PEM strings of an 'os' store: its roots, then the store intermediates. */
export function osStorePems(store: TrustStore): string[] {
  return [...store.certs, ...(store.intermediates ?? [])].map((c) => c.toString());
}

/**
 * The CA certificates the Azure MCP Server trusts (its token requests and its ARM/data-plane calls),
 * as PEM strings for Node's `ca` option; undefined when this platform's store cannot be read.
 */
export async function serverTrustedCaPems(env: Env, platform: NodeJS.Platform = process.platform, signal?: AbortSignal): Promise<string[] | undefined> {
  const store = await loadOsStore(env, platform, signal);
  return store.available ? osStorePems(store) : undefined;
}
