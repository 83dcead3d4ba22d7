// Real forward proxies in the server namespace (listening on 198.51.100.3), so the client has to go
// through the veth to reach them: tinyproxy and squid (basic auth, deny lists) and mitmdump as a
// TLS-intercepting proxy that re-signs with a vendor-named "corporate inspection" CA.
//
// Gotcha (tinyproxy 1.11): *wrong* credentials get `401 Unauthorized` + WWW-Authenticate, not 407;
// only missing credentials get 407. squid answers 407 for both.
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOk, type LongProc } from './proc.js';
import { PROXY_IP, type SimNet } from './net.js';
import type { CaInfo } from './pki.js';

export const MITM_ADDON = fileURLToPath(new URL('./servers/mitm-addon.py', import.meta.url));

export interface ProxyAuth {
  user: string;
  password: string;
}

export const DEFAULT_PROXY_AUTH: ProxyAuth = { user: 'proxyuser', password: 'proxy-pass-not-real' };

export interface ProxyLogEntry {
  /** CONNECT, GET, ... */
  method: string;
  /** Target host (CONNECT host or request host). */
  host: string;
  port?: number;
  /** Status the proxy answered (407, 403, 200, ...), when the log says. */
  status?: number;
  /** User name the client sent (squid logs it for rejected attempts too: check status). */
  user?: string;
  /** tinyproxy: the request never got past authentication (no log line for that; inferred). */
  authRejected?: boolean;
  /** Whether Proxy-Authorization was sent (mitmproxy). */
  authSent?: boolean;
  /** mitmproxy events: connect, request, tls-client-ok, tls-client-failed, error. */
  event?: string;
  error?: string;
  raw: string;
}

export interface ProxyHandle {
  kind: 'tinyproxy' | 'squid' | 'mitmproxy';
  ip: string;
  port: number;
  /** http://198.51.100.3:PORT (no credentials) */
  url: string;
  auth?: ProxyAuth;
  proc: LongProc;
  /** http://user:pass@ip:port with the configured (or given) credentials. */
  urlWithAuth(user?: string, password?: string): string;
  log(): ProxyLogEntry[];
  /** host:port of every CONNECT seen, in order. */
  connects(): string[];
  clearLog(): void;
  stop(): Promise<void>;
}

function urlWithAuth(ip: string, port: number, auth: ProxyAuth | undefined, user?: string, password?: string): string {
  const u = user ?? auth?.user;
  const p = password ?? auth?.password;
  if (!u) return `http://${ip}:${port}`;
  return `http://${encodeURIComponent(u)}:${encodeURIComponent(p ?? '')}@${ip}:${port}`;
}

/** The handle every launcher returns: address, credentials, its log (parsed) and how to stop it. */
function proxyHandle(h: {
  kind: ProxyHandle['kind'];
  ip: string;
  port: number;
  auth: ProxyAuth | undefined;
  proc: LongProc;
  logPath: string;
  log: () => ProxyLogEntry[];
  isConnect: (e: ProxyLogEntry) => boolean;
  stopGraceMs: number;
}): ProxyHandle {
  return {
    kind: h.kind,
    ip: h.ip,
    port: h.port,
    url: `http://${h.ip}:${h.port}`,
    ...(h.auth ? { auth: h.auth } : {}),
    proc: h.proc,
    urlWithAuth: (u, p) => urlWithAuth(h.ip, h.port, h.auth, u, p),
    log: h.log,
    connects: () => h.log().filter(h.isConnect).map((e) => `${e.host}:${e.port}`),
    clearLog: () => writeFileSync(h.logPath, ''),
    stop: () => h.proc.stop(h.stopGraceMs),
  };
}

const isConnectMethod = (e: ProxyLogEntry) => e.method === 'CONNECT';

function escapeEre(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function readLines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

// ---------------- tinyproxy ----------------

export interface TinyproxyOptions {
  port?: number;
  ip?: string;
  /** Basic auth (default DEFAULT_PROXY_AUTH); false = open proxy. */
  auth?: ProxyAuth | false;
  /** Domains (and their subdomains) answered with 403 Filtered. */
  deny?: string[];
}

export async function startTinyproxy(net: SimNet, opts: TinyproxyOptions = {}): Promise<ProxyHandle> {
  const port = opts.port ?? 3128;
  const ip = opts.ip ?? PROXY_IP;
  const auth = opts.auth === false ? undefined : (opts.auth ?? DEFAULT_PROXY_AUTH);
  const dir = join(net.dir, `tinyproxy-${port}`);
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, 'tinyproxy.log');
  writeFileSync(logPath, '');
  const filter = join(dir, 'filter');
  writeFileSync(filter, (opts.deny ?? []).map((d) => `(^|\\.)${escapeEre(d.replace(/^\*?\./, ''))}$`).join('\n') + '\n');
  const conf = [
    `Port ${port}`,
    `Listen ${ip}`,
    'Timeout 30',
    'MaxClients 50',
    'LogLevel Info',
    `LogFile "${logPath}"`,
    'Allow 198.51.100.0/24',
    ...(auth ? [`BasicAuth ${auth.user} ${auth.password}`] : []),
    ...((opts.deny ?? []).length ? [`Filter "${filter}"`, 'FilterType ere', 'FilterURLs Off'] : []),
  ];
  const confPath = join(dir, 'tinyproxy.conf');
  writeFileSync(confPath, conf.join('\n') + '\n');
  const proc = await net.startInServer(['tinyproxy', '-d', '-c', confPath], {
    name: 'tinyproxy',
    readyPort: port,
    readyIp: ip,
    readyTimeoutMs: 5000,
    stopGraceMs: 300,
  });
  const log = (): ProxyLogEntry[] => parseTinyproxyLog(readLines(logPath), auth !== undefined);
  return proxyHandle({ kind: 'tinyproxy', ip, port, auth, proc, logPath, log, isConnect: isConnectMethod, stopGraceMs: 300 });
}

/**
 * tinyproxy (LogLevel Info) logs `Request (file descriptor N): CONNECT host:443 HTTP/1.1`, then, once
 * authentication passed, `No upstream proxy for host`, and then either `Proxying refused on filtered
 * domain "host"` (403) or `Established connection to host "host" ...` (200). It logs nothing for a
 * failed authentication, so a request with none of those follow-ups is marked authRejected
 * (the client got 407 without credentials, 401 with wrong ones).
 */
export function parseTinyproxyLog(lines: string[], authConfigured = true): ProxyLogEntry[] {
  const out: (ProxyLogEntry & { passedAuth?: boolean })[] = [];
  const open = (host: string) => [...out].reverse().find((x) => x.host === host && x.status === undefined);
  for (const l of lines) {
    let m = /Request \(file descriptor \d+\): (\S+) (\S+) HTTP/.exec(l);
    if (m) {
      const [, method, target] = m;
      let host = target!;
      let port: number | undefined;
      if (method === 'CONNECT') {
        const i = host.lastIndexOf(':');
        port = Number(host.slice(i + 1));
        host = host.slice(0, i);
      } else {
        try {
          const u = new URL(target!);
          host = u.hostname;
          port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
        } catch {
          /* keep raw */
        }
      }
      out.push({ method: method!, host, ...(port !== undefined ? { port } : {}), raw: l });
      continue;
    }
    m = /No upstream proxy for (\S+)/.exec(l);
    if (m) {
      const e = open(m[1]!);
      if (e) e.passedAuth = true;
      continue;
    }
    m = /filtered (?:domain|url) "([^"]+)"/i.exec(l);
    if (m) {
      const e = open(m[1]!);
      if (e) {
        e.status = 403;
        e.passedAuth = true;
      }
      continue;
    }
    m = /Established connection to host "([^"]+)"/.exec(l);
    if (m) {
      const e = open(m[1]!);
      if (e) {
        e.status = 200;
        e.passedAuth = true;
      }
    }
  }
  return out.map(({ passedAuth, ...e }) => (authConfigured && !passedAuth && e.status === undefined ? { ...e, authRejected: true } : e));
}

// ---------------- squid ----------------

export interface SquidOptions {
  port?: number;
  ip?: string;
  auth?: ProxyAuth | false;
  deny?: string[];
}

let proxyUid: { uid: number; gid: number } | undefined;
function proxyUser(): { uid: number; gid: number } {
  if (!proxyUid) {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('proxy:'));
    if (!line) throw new Error('no `proxy` user (is squid installed?)');
    const f = line.split(':');
    proxyUid = { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return proxyUid;
}

function chownR(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const f of readdirSync(path)) chownR(join(path, f), uid, gid);
}

export async function startSquid(net: SimNet, opts: SquidOptions = {}): Promise<ProxyHandle> {
  const port = opts.port ?? 3129;
  const ip = opts.ip ?? PROXY_IP;
  const auth = opts.auth === false ? undefined : (opts.auth ?? DEFAULT_PROXY_AUTH);
  const dir = join(net.dir, `squid-${port}`);
  mkdirSync(dir, { recursive: true });
  const accessLog = join(dir, 'access.log');
  const passwd = join(dir, 'passwd');
  if (auth) {
    const hash = (await runOk(['openssl', 'passwd', '-apr1', '-stdin'], { input: auth.password + '\n' })).stdout.trim();
    writeFileSync(passwd, `${auth.user}:${hash}\n`);
  }
  const deny = (opts.deny ?? []).map((d) => `.${d.replace(/^\*?\./, '')}`);
  const conf = [
    `http_port ${ip}:${port}`,
    'visible_hostname azmcp-test-proxy',
    `pid_filename ${join(dir, 'squid.pid')}`,
    `cache_log stdio:${join(dir, 'cache.log')}`,
    'logformat azt %ts.%03tu %>a %rm %ru %>Hs %Ss %un',
    `access_log stdio:${accessLog} azt`,
    'logfile_rotate 0',
    'netdb_filename none',
    'pinger_enable off',
    `dns_nameservers ${net.dnsIp}`,
    'shutdown_lifetime 0 seconds',
    `coredump_dir ${dir}`,
    'cache deny all',
    'acl SSL_ports port 443',
    'acl CONNECT method CONNECT',
    ...(auth
      ? [
          `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${passwd}`,
          'auth_param basic realm azmcp-test',
          'auth_param basic children 2',
          'acl authed proxy_auth REQUIRED',
          'http_access deny !authed',
        ]
      : []),
    ...(deny.length ? [`acl blocked dstdomain -n ${deny.join(' ')}`, 'http_access deny blocked'] : []),
    'http_access allow all',
  ];
  const confPath = join(dir, 'squid.conf');
  writeFileSync(confPath, conf.join('\n') + '\n');
  writeFileSync(accessLog, '');
  const { uid, gid } = proxyUser();
  chownR(dir, uid, gid);
  const proc = await net.startInServer(['squid', '-N', '-f', confPath], {
    name: 'squid',
    readyPort: port,
    readyIp: ip,
    readyTimeoutMs: 10_000,
    stopGraceMs: 300,
  });
  const log = (): ProxyLogEntry[] => parseSquidLog(readLines(accessLog));
  return proxyHandle({ kind: 'squid', ip, port, auth, proc, logPath: accessLog, log, isConnect: isConnectMethod, stopGraceMs: 300 });
}

/** `logformat azt %ts.%03tu %>a %rm %ru %>Hs %Ss %un` */
export function parseSquidLog(lines: string[]): ProxyLogEntry[] {
  const out: ProxyLogEntry[] = [];
  for (const l of lines) {
    const f = l.trim().split(/\s+/);
    if (f.length < 7) continue;
    const [, , method, target, status, , user] = f;
    let host = target!;
    let port: number | undefined;
    if (method === 'CONNECT') {
      const i = host.lastIndexOf(':');
      port = Number(host.slice(i + 1));
      host = host.slice(0, i);
    } else {
      try {
        const u = new URL(target!);
        host = u.hostname;
        port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
      } catch {
        /* keep */
      }
    }
    out.push({
      method: method!,
      host,
      ...(port !== undefined ? { port } : {}),
      status: Number(status),
      ...(user && user !== '-' ? { user } : {}),
      raw: l,
    });
  }
  return out;
}

// ---------------- mitmproxy (TLS interception) ----------------

export interface MitmOptions {
  port?: number;
  ip?: string;
  /**
   * The inspection CA that re-signs (an intermediate from net.makeInspectionCa(): its root is
   * sent in the chain too, like many corporate proxies, so untrusting clients see
   * SELF_SIGNED_CERT_IN_CHAIN). Default: a new Zscaler-named CA.
   */
  ca?: CaInfo;
  /** Proxy basic auth (default none). */
  auth?: ProxyAuth;
  /** Answer every request inside the proxy (200 {}), never connecting upstream (default false:
   *  forward to the simulated hosts, verifying them against the test CA). */
  respond?: boolean;
}

export interface MitmHandle extends ProxyHandle {
  ca: CaInfo;
  /** PEM of the inspection root (what a client would have to trust). */
  rootCaPath: string;
}

export async function startMitmproxy(net: SimNet, opts: MitmOptions = {}): Promise<MitmHandle> {
  const port = opts.port ?? 8080;
  const ip = opts.ip ?? PROXY_IP;
  const ca = opts.ca ?? (await net.makeInspectionCa());
  const dir = join(net.dir, `mitm-${port}`);
  mkdirSync(dir, { recursive: true });
  // mitmproxy signs with the key in confdir/mitmproxy-ca.pem and, when that file holds more than
  // one certificate, sends them as the chain (leaf + intermediate + root).
  const chain = readFileSync(ca.keyPath, 'utf8') + readFileSync(ca.certPath, 'utf8') + (ca.root ? readFileSync(ca.root.certPath, 'utf8') : '');
  writeFileSync(join(dir, 'mitmproxy-ca.pem'), chain);
  writeFileSync(join(dir, 'mitmproxy-ca-cert.pem'), readFileSync(ca.certPath, 'utf8'));
  const logPath = join(dir, 'flows.jsonl');
  writeFileSync(logPath, '');
  const argv = [
    'mitmdump', '--listen-host', ip, '--listen-port', String(port),
    '--set', `confdir=${dir}`,
    '--set', `ssl_verify_upstream_trusted_ca=${net.ca.certPath}`,
    '--set', 'termlog_verbosity=warn', '--set', 'flow_detail=0',
    '-s', MITM_ADDON,
  ];
  if (opts.auth) argv.push('--set', `proxyauth=${opts.auth.user}:${opts.auth.password}`);
  if (opts.respond) argv.push('--set', 'connection_strategy=lazy', '--set', 'upstream_cert=false');
  const proc = await net.startInServer(argv, {
    name: 'mitmdump',
    env: { AZH_MITM_LOG: logPath, AZH_MITM_RESPOND: opts.respond ? '1' : '0', HOME: dir, PYTHONDONTWRITEBYTECODE: '1' },
    readyPort: port,
    readyIp: ip,
    readyTimeoutMs: 15_000,
    stopGraceMs: 500,
  });
  const log = (): ProxyLogEntry[] =>
    readLines(logPath).map((l) => {
      const d = JSON.parse(l) as Record<string, unknown>;
      return {
        method: d.event === 'connect' ? 'CONNECT' : String(d.method ?? ''),
        host: String(d.host ?? d.sni ?? ''),
        ...(typeof d.port === 'number' ? { port: d.port } : {}),
        ...(typeof d.status === 'number' ? { status: d.status } : {}),
        ...(typeof d.authSent === 'boolean' ? { authSent: d.authSent } : {}),
        event: String(d.event),
        ...(d.error || d.message ? { error: String(d.error ?? d.message) } : {}),
        raw: l,
      };
    });
  return {
    ...proxyHandle({ kind: 'mitmproxy', ip, port, auth: opts.auth, proc, logPath, log, isConnect: (e) => e.event === 'connect', stopGraceMs: 500 }),
    ca,
    rootCaPath: (ca.root ?? ca).certPath,
  };
}
