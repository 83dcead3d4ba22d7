// Test PKI and loopback servers for the network unit tests. Certificates are generated with the
// openssl CLI (EC keys, fast) into a temp dir; servers listen on 127.0.0.1 only.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { indexStore } from '../../src/network/tls.js';
import type { StoreId, TrustStore } from '../../src/probes/trust-stores.js';

export interface Pair {
  cert: string; // PEM
  key: string; // PEM
  x509: X509Certificate;
  certFile: string;
}

export interface Pki {
  dir: string;
  testRoot: Pair;
  testInter: Pair;
  leaf: Pair; // login.microsoftonline.com, localhost, 127.0.0.1 via testInter
  zscalerRoot: Pair;
  zscalerLeaf: Pair; // same names, issued by "Zscaler Root CA"
  expiredLeaf: Pair;
  futureLeaf: Pair;
  wrongHostLeaf: Pair; // portal.example only
  selfSignedLeaf: Pair;
  cleanup(): void;
}

function sh(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

const SAN = 'subjectAltName=DNS:login.microsoftonline.com,DNS:management.azure.com,DNS:localhost,IP:127.0.0.1';

function key(dir: string, name: string): void {
  sh(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
}

function selfSigned(dir: string, name: string, subj: string, ca: boolean, ext?: string): void {
  key(dir, name);
  const args = ['req', '-x509', '-new', '-key', `${name}.key`, '-out', `${name}.pem`, '-days', '30', '-subj', subj];
  if (ca) args.push('-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  if (ext) args.push('-addext', ext);
  sh(dir, args);
}

function caConf(dir: string): string {
  const conf = join(dir, 'ca.cnf');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    conf,
    `[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}\nserial = ${dir}/serial\ndefault_md = sha256\npolicy = policy_any\nunique_subject = no\ncopy_extensions = none\n[ policy_any ]\ncommonName = supplied\norganizationName = optional\n`,
  );
  return conf;
}

function signed(dir: string, name: string, subj: string, issuer: string, extLines: string[], dates?: { start: string; end: string }): void {
  key(dir, name);
  sh(dir, ['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
  writeFileSync(join(dir, `${name}.ext`), extLines.join('\n') + '\n');
  if (dates) {
    const conf = caConf(dir);
    sh(dir, [
      'ca', '-batch', '-config', conf, '-cert', `${issuer}.pem`, '-keyfile', `${issuer}.key`, '-in', `${name}.csr`, '-out', `${name}.pem`,
      '-startdate', dates.start, '-enddate', dates.end, '-extfile', `${name}.ext`, '-notext',
    ]);
  } else {
    sh(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '30', '-extfile', `${name}.ext`]);
  }
}

function pair(dir: string, name: string): Pair {
  const cert = readFileSync(join(dir, `${name}.pem`), 'utf8');
  return { cert, key: readFileSync(join(dir, `${name}.key`), 'utf8'), x509: new X509Certificate(cert), certFile: join(dir, `${name}.pem`) };
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'azmcp-net-pki-'));
  const leafExt = ['basicConstraints=CA:FALSE', 'extendedKeyUsage=serverAuth', SAN];
  selfSigned(dir, 'testRoot', '/CN=Test Root CA/O=azmcp-doctor tests', true);
  signed(dir, 'testInter', '/CN=Test Issuing CA 01/O=azmcp-doctor tests', 'testRoot', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']);
  signed(dir, 'leaf', '/CN=login.microsoftonline.com', 'testInter', leafExt);
  selfSigned(dir, 'zscalerRoot', '/CN=Zscaler Root CA/O=Zscaler Inc./OU=Zscaler Inc.', true);
  signed(dir, 'zscalerLeaf', '/CN=login.microsoftonline.com', 'zscalerRoot', leafExt);
  signed(dir, 'expiredLeaf', '/CN=login.microsoftonline.com', 'testRoot', leafExt, { start: '20200101000000Z', end: '20200201000000Z' });
  signed(dir, 'futureLeaf', '/CN=login.microsoftonline.com', 'testRoot', leafExt, { start: '20990101000000Z', end: '20990201000000Z' });
  signed(dir, 'wrongHostLeaf', '/CN=portal.example', 'testRoot', ['basicConstraints=CA:FALSE', 'subjectAltName=DNS:portal.example']);
  selfSigned(dir, 'selfSignedLeaf', '/CN=login.microsoftonline.com', false, SAN);
  return {
    dir,
    testRoot: pair(dir, 'testRoot'),
    testInter: pair(dir, 'testInter'),
    leaf: pair(dir, 'leaf'),
    zscalerRoot: pair(dir, 'zscalerRoot'),
    zscalerLeaf: pair(dir, 'zscalerLeaf'),
    expiredLeaf: pair(dir, 'expiredLeaf'),
    futureLeaf: pair(dir, 'futureLeaf'),
    wrongHostLeaf: pair(dir, 'wrongHostLeaf'),
    selfSignedLeaf: pair(dir, 'selfSignedLeaf'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function store(id: StoreId, certs: X509Certificate[], available = true): TrustStore {
  return { id, label: id, consumers: id, sources: [], available, certs, index: indexStore(certs) };
}

export interface Running {
  port: number;
  close(): Promise<void>;
}

function track(server: NetServer | TlsServer | HttpServer): { sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return { sockets };
}

async function listen(server: NetServer | TlsServer | HttpServer): Promise<Running> {
  const { sockets } = track(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** HTTPS-ish server: TLS with the given chain, answers every request with `status` and a Date header. */
export function tlsServer(chain: Pair[], opts: { status?: number; body?: string; date?: string; contentType?: string } = {}): Promise<Running> {
  const leaf = chain[0]!;
  const server = createTlsServer({ key: leaf.key, cert: chain.map((c) => c.cert).join('') }, (s) => {
    s.on('error', () => undefined);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      const body = opts.body ?? '{"token_endpoint":"https://login.microsoftonline.com/organizations/oauth2/v2.0/token"}';
      s.end(
        `HTTP/1.1 ${opts.status ?? 200} X\r\nDate: ${opts.date ?? new Date().toUTCString()}\r\nContent-Type: ${opts.contentType ?? 'application/json'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  });
  return listen(server);
}

/** Accepts TCP and never answers (a stalled TLS handshake). */
export function silentServer(): Promise<Running> {
  const server = createNetServer((s) => s.on('error', () => undefined));
  return listen(server);
}

/** Accepts TCP, then resets the connection when the first bytes (a ClientHello) arrive. */
export function resettingServer(): Promise<Running> {
  const server = createNetServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => s.resetAndDestroy());
  });
  return listen(server);
}

/** Answers in plain HTTP whatever arrives (a plain proxy reached with https://). */
export function plainHttpServer(): Promise<Running> {
  const server = createNetServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
  });
  return listen(server);
}

/**
 * A forward proxy for CONNECT. `decide(target, authorization)` returns the status to answer; on 200
 * the tunnel goes to `tunnelTo` port on 127.0.0.1 whatever the requested host (so Azure names never resolve).
 */
export function connectProxy(opts: {
  decide: (target: string, authorization: string | undefined) => { status: number; headers?: Record<string, string | string[]> };
  tunnelTo?: number;
  seen?: Array<{ target: string; authorization?: string }>;
}): Promise<Running> {
  const server = createHttpServer((_req, res) => {
    res.statusCode = 405;
    res.end();
  });
  server.on('connect', (req, socket: Socket, head: Buffer) => {
    socket.on('error', () => undefined);
    const auth = req.headers['proxy-authorization'];
    opts.seen?.push({ target: req.url ?? '', authorization: auth });
    const d = opts.decide(req.url ?? '', auth);
    if (d.status !== 200 || !opts.tunnelTo) {
      const lines = [`HTTP/1.1 ${d.status} Decided`];
      for (const [k, v] of Object.entries(d.headers ?? {})) for (const x of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${x}`);
      socket.end(lines.join('\r\n') + '\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    import('node:net').then(({ connect }) => {
      const up = connect(opts.tunnelTo!, '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
        if (head.length) up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      });
      up.on('error', () => socket.destroy());
      socket.on('close', () => up.destroy());
    });
  });
  return listen(server);
}

/** A port with nothing listening (for ECONNREFUSED). */
export async function closedPort(): Promise<number> {
  const r = await listen(createNetServer());
  await r.close();
  return r.port;
}
