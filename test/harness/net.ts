// The simulated internet: a client network namespace (where the doctor, az and azmcp run) linked
// by a veth pair to a server namespace ("the internet": DNS, test hosts, proxies).
//
//   client ns  <name>c                      server ns  <name>s
//   198.51.100.1/24  ── veth ──  198.51.100.2/24  dnsmasq :53
//   no default route                198.51.100.3/32  proxies (:3128, :3129, :8080)
//   10.0.0.0/8 via .2 (optional)    198.51.100.10.. test hosts (one /32 alias each)
//                                   10.x.y.z/32     "private endpoints"
//
// Nothing can leave: the client has routes to 198.51.100.0/24 (and optionally 10/8) only, and the
// server namespace has no route off its veth either.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync, symlinkSync, unlinkSync, lstatSync, readlinkSync, chmodSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { LongProc, run, runOk, runSyncQuiet, sleep, type RunResult, type StartOptions } from './proc.js';
import { makeInspectionCa, makeLeaf, makeRootCa, type CaInfo, type LeafFaults, type LeafInfo } from './pki.js';

export const CLIENT_IP = '198.51.100.1';
export const SERVER_IP = '198.51.100.2';
export const DNS_IP = SERVER_IP;
export const PROXY_IP = '198.51.100.3';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DOCTOR_BIN = join(PROJECT_ROOT, 'bin', 'azmcp-doctor.js');
export const NETPROBE = fileURLToPath(new URL('./servers/netprobe.mjs', import.meta.url));

const DEFAULT_PREFIX = 'azh';
const NAME_RE = /^([a-z]{1,5})(\d+)x(\d+)[cs]$/;

export interface SimNetOptions {
  /** Namespace/veth name prefix, 1-3 lower-case letters (default "azh"). */
  prefix?: string;
  /** Route 10.0.0.0/8 from the client to the server side, so private endpoints are reachable (default true). */
  privateRoute?: boolean;
  /** Put the test CA into the client namespace's OS bundle (default true). */
  osTrustsTestCa?: boolean;
  /** Extra `options` line for the client's resolv.conf, e.g. "timeout:1 attempts:1". */
  resolvOptions?: string;
}

export interface HostSpec {
  /** DNS names (wildcards like "*.blob.core.windows.net" allowed; they also go into the certificate). */
  names: string[];
  /** Fixed address; otherwise the next free 198.51.100.x (or 10.99.0.x with private:true). */
  ip?: string;
  private?: boolean;
  /** Certificate faults; false = no certificate. */
  cert?: LeafFaults | false;
  /** Add DNS records for the names (default true). */
  dns?: boolean;
}

export interface SimHost {
  names: string[];
  ip: string;
  certPath: string;
  keyPath: string;
  chainPath: string;
  sha256: string;
}

export type FirewallAction =
  | 'drop' // silently dropped: the client sees a timeout
  | 'refuse' // REJECT --reject-with tcp-reset: ECONNREFUSED
  | 'icmp-port-unreachable' // ECONNREFUSED
  | 'icmp-host-unreachable' // EHOSTUNREACH
  | 'icmp-net-unreachable' // ENETUNREACH
  | 'icmp-admin-prohibited' // EHOSTUNREACH
  | 'reset-after-connect' // TCP connects, then RST: ECONNRESET during TLS
  | 'drop-after-connect'; // TCP connects, then silence: TLS handshake timeout

export interface FirewallRule {
  action: FirewallAction;
  /** 'server' (default): INPUT of the server namespace, traffic arriving over the veth only (the
   *  proxies in the server namespace are not affected). 'client': OUTPUT of the client namespace. */
  where?: 'server' | 'client';
  ip?: string;
  port?: number;
  proto?: 'tcp' | 'udp';
  /** Match a string in the packet (e.g. a TLS SNI host name): an SNI-filtering firewall. */
  sni?: string;
}

export interface FirewallHandle {
  remove(): Promise<void>;
}

export interface ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  input?: string;
  /** Run under faketime with this spec, e.g. "+40d", "-2d", "@2020-01-01 00:00:00". */
  faketime?: string;
}

export interface DoctorResult extends RunResult {
  json?: any;
}

export interface E2eAvailability {
  ok: boolean;
  reason?: string;
  missing: string[];
}

const REQUIRED_BINARIES = ['ip', 'dnsmasq', 'openssl', 'iptables', 'faketime', 'ss', 'nsenter'];

function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8', env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
  const p = r.stdout?.trim();
  return r.status === 0 && p ? p : undefined;
}

const binCache = new Map<string, boolean>();
export function hasBinary(bin: string): boolean {
  let v = binCache.get(bin);
  if (v === undefined) binCache.set(bin, (v = which(bin) !== undefined));
  return v;
}

let availabilityCache: E2eAvailability | undefined;

/** Can the e2e tier run here? (root, working `ip netns`, required binaries.) Synchronous, cached. */
export function e2eAvailability(): E2eAvailability {
  if (availabilityCache) return availabilityCache;
  const missing = REQUIRED_BINARIES.filter((b) => !hasBinary(b));
  let reason: string | undefined;
  if (process.platform !== 'linux') reason = `network namespaces need Linux (this is ${process.platform})`;
  else if (typeof process.getuid === 'function' && process.getuid() !== 0) reason = 'the e2e tier needs root (network namespaces, iptables)';
  else if (missing.length) reason = `missing binaries: ${missing.join(', ')}`;
  else {
    const probe = `${DEFAULT_PREFIX}${process.pid}x0c`; // swept like a fixture if this process dies mid-check
    const add = runSyncQuiet(['ip', 'netns', 'add', probe]);
    if (add.code !== 0) reason = '`ip netns add` failed (no CAP_SYS_ADMIN, or no netns support)';
    else {
      const ex = runSyncQuiet(['ip', 'netns', 'exec', probe, 'ip', 'link', 'set', 'lo', 'up']);
      if (ex.code !== 0) reason = '`ip netns exec` failed';
      runSyncQuiet(['ip', 'netns', 'del', probe]);
    }
  }
  availabilityCache = { ok: !reason, ...(reason ? { reason } : {}), missing };
  return availabilityCache;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function listNetns(): string[] {
  const r = runSyncQuiet(['ip', 'netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

function destroyNetnsSync(ns: string): void {
  const pids = runSyncQuiet(['ip', 'netns', 'pids', ns]).stdout.split(/\s+/).filter(Boolean).map(Number);
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  runSyncQuiet(['ip', 'netns', 'del', ns]);
  rmSync(join('/etc/netns', ns), { recursive: true, force: true });
}

/** Remove namespaces, /etc/netns dirs and temp dirs left by crashed earlier runs (owner pid dead). */
export function sweepLeftovers(prefix = DEFAULT_PREFIX): string[] {
  const removed: string[] = [];
  for (const ns of listNetns()) {
    const m = NAME_RE.exec(ns);
    if (!m || m[1] !== prefix) continue;
    if (pidAlive(Number(m[2]))) continue;
    destroyNetnsSync(ns);
    removed.push(ns);
  }
  if (existsSync('/etc/netns')) {
    for (const d of readdirSync('/etc/netns')) {
      const m = NAME_RE.exec(d);
      if (m && m[1] === prefix && !pidAlive(Number(m[2]))) {
        rmSync(join('/etc/netns', d), { recursive: true, force: true });
        removed.push(`/etc/netns/${d}`);
      }
    }
  }
  const tdir = tmpdir();
  for (const d of readdirSync(tdir)) {
    const m = new RegExp(`^${prefix}-(\\d+)-\\d+-`).exec(d);
    if (m && !pidAlive(Number(m[1]))) {
      rmSync(join(tdir, d), { recursive: true, force: true });
      removed.push(join(tdir, d));
    }
  }
  return removed;
}

/**
 * Watchdog prefix for long-running processes. If the test process dies without cleaning up
 * (SIGKILL, crash), the kernel sends the shell SIGTERM (setpriv --pdeathsig; the daemons cannot
 * hold that setting themselves, since dnsmasq and squid change credentials, which clears it) and
 * the shell kills its whole process group. SIGHUP is forwarded (azure-sim reloads on it). The next
 * run's sweepLeftovers() then removes the namespaces.
 */
const GUARD_SCRIPT = [
  "trap 'kill -KILL 0' TERM INT",
  'trap \'kill -HUP $c 2>/dev/null\' HUP',
  '"$@" &',
  'c=$!',
  'while :; do wait $c; r=$?; kill -0 $c 2>/dev/null || exit $r; done',
].join('\n');
const GUARD = hasBinary('setpriv') ? ['setpriv', '--pdeathsig', 'TERM', '--', 'sh', '-c', GUARD_SCRIPT, 'azh-guard'] : [];

const liveNets = new Set<SimNet>();
let exitHook = false;
let counter = 0;

/** Build a simulated internet. Call cleanup() when done (useSimNet() in ./vitest.ts does it for you). */
export async function createSimNet(opts: SimNetOptions = {}): Promise<SimNet> {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  if (!/^[a-z]{1,3}$/.test(prefix)) throw new Error('prefix must be 1-3 lower-case letters');
  const avail = e2eAvailability();
  if (!avail.ok) throw new Error(`e2e tier unavailable: ${avail.reason}`);
  sweepLeftovers(prefix);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const n of liveNets) n.cleanupSync();
    });
  }
  const net = new SimNet(prefix, ++counter, opts);
  liveNets.add(net);
  try {
    await net.init();
  } catch (e) {
    await net.cleanup();
    throw e;
  }
  return net;
}

interface DnsState {
  a: Map<string, string[]>;
  cname: Map<string, string>;
  wildcard: Map<string, string[]>;
  nxdomain: Set<string>;
}

/** DNS records served to both namespaces by a real dnsmasq on 198.51.100.2:53. */
export class SimDns {
  private state: DnsState = { a: new Map(), cname: new Map(), wildcard: new Map(), nxdomain: new Set() };
  private proc?: LongProc;
  private dirty = true;
  private dropHandle?: FirewallHandle;
  readonly logPath: string;

  constructor(private readonly net: SimNet) {
    this.logPath = join(net.dir, 'dnsmasq.log');
  }

  /** A records (replaces earlier A records for the name). */
  setA(name: string, ips: string | string[]): this {
    this.state.a.set(name.toLowerCase(), Array.isArray(ips) ? ips : [ips]);
    this.state.nxdomain.delete(name.toLowerCase());
    this.dirty = true;
    return this;
  }

  /** CNAME name -> target. The chain must end in a name with an A record (dnsmasq serves local data only). */
  setCname(name: string, target: string): this {
    this.state.cname.set(name.toLowerCase(), target.toLowerCase());
    this.dirty = true;
    return this;
  }

  /** Every name under (and including) domain resolves to ips. */
  setWildcard(domain: string, ips: string | string[]): this {
    this.state.wildcard.set(domain.replace(/^\*\./, '').toLowerCase(), Array.isArray(ips) ? ips : [ips]);
    this.dirty = true;
    return this;
  }

  /** Force NXDOMAIN for a name (and its subdomains), even under a wildcard. Unknown names are NXDOMAIN anyway. */
  setNxdomain(name: string): this {
    const n = name.toLowerCase();
    this.state.a.delete(n);
    this.state.cname.delete(n);
    this.state.nxdomain.add(n);
    this.dirty = true;
    return this;
  }

  remove(name: string): this {
    const n = name.toLowerCase();
    this.state.a.delete(n);
    this.state.cname.delete(n);
    this.state.wildcard.delete(n.replace(/^\*\./, ''));
    this.state.nxdomain.delete(n);
    this.dirty = true;
    return this;
  }

  /** Set several records at once: `dns.set({ a: {name: ip}, cname: {name: target}, wildcard: {domain: ip}, nxdomain: [name] })`. */
  set(records: { a?: Record<string, string | string[]>; cname?: Record<string, string>; wildcard?: Record<string, string | string[]>; nxdomain?: string[] }): this {
    for (const [n, ip] of Object.entries(records.a ?? {})) this.setA(n, ip);
    for (const [n, t] of Object.entries(records.cname ?? {})) this.setCname(n, t);
    for (const [d, ip] of Object.entries(records.wildcard ?? {})) this.setWildcard(d, ip);
    for (const n of records.nxdomain ?? []) this.setNxdomain(n);
    return this;
  }

  /** Snapshot/restore, for tests that change records and put them back. */
  snapshot(): DnsState {
    return {
      a: new Map(this.state.a),
      cname: new Map(this.state.cname),
      wildcard: new Map(this.state.wildcard),
      nxdomain: new Set(this.state.nxdomain),
    };
  }

  restore(s: DnsState): this {
    this.state = { a: new Map(s.a), cname: new Map(s.cname), wildcard: new Map(s.wildcard), nxdomain: new Set(s.nxdomain) };
    this.dirty = true;
    return this;
  }

  get pending(): boolean {
    return this.dirty;
  }

  private config(): string {
    const lines = [
      'port=53',
      `listen-address=${DNS_IP}`,
      'bind-interfaces',
      'no-resolv',
      'no-hosts',
      'no-poll',
      'user=root',
      'log-queries',
      'local-ttl=30',
      'cache-size=0',
    ];
    for (const n of this.state.nxdomain) lines.push(`address=/${n}/`);
    for (const [n, ips] of this.state.a) for (const ip of ips) lines.push(`host-record=${n},${ip}`);
    for (const [n, t] of this.state.cname) lines.push(`cname=${n},${t}`);
    for (const [d, ips] of this.state.wildcard) for (const ip of ips) lines.push(`address=/${d}/${ip}`);
    lines.push('local=/#/');
    return lines.join('\n') + '\n';
  }

  /** (Re)start dnsmasq with the current records (~50 ms). Called automatically before exec(). */
  async apply(): Promise<void> {
    const conf = join(this.net.dir, 'dnsmasq.conf');
    writeFileSync(conf, this.config());
    if (this.proc) await this.proc.stop(500);
    const p = this.net.startInServer(['dnsmasq', '-k', `--conf-file=${conf}`, '--pid-file=', '--log-facility=-'], {
      name: 'dnsmasq',
      logFile: this.logPath,
      readyLine: /started, version/,
      readyTimeoutMs: 5000,
      stopGraceMs: 500,
    });
    this.proc = await p;
    this.dirty = false;
  }

  /** Make the DNS server silently drop queries from the client (resolution times out), or stop doing so. */
  async setDropped(dropped: boolean): Promise<void> {
    if (dropped && !this.dropHandle) {
      const h1 = await this.net.firewall({ action: 'drop', ip: DNS_IP, port: 53, proto: 'udp' });
      const h2 = await this.net.firewall({ action: 'drop', ip: DNS_IP, port: 53, proto: 'tcp' });
      this.dropHandle = { remove: async () => { await h1.remove(); await h2.remove(); } };
    } else if (!dropped && this.dropHandle) {
      await this.dropHandle.remove();
      this.dropHandle = undefined;
    }
  }

  /** Names queried so far, in order: [{type:'A', name, from}]. */
  queries(): { type: string; name: string; from: string }[] {
    if (!existsSync(this.logPath)) return [];
    const out: { type: string; name: string; from: string }[] = [];
    for (const l of readFileSync(this.logPath, 'utf8').split('\n')) {
      const m = /query\[(\w+)\] (\S+) from (\S+)/.exec(l);
      if (m) out.push({ type: m[1]!, name: m[2]!, from: m[3]! });
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.proc?.stop(300);
    this.proc = undefined;
  }
}

export class SimNet {
  readonly id: string;
  readonly clientNs: string;
  readonly serverNs: string;
  readonly clientVeth: string;
  readonly serverVeth: string;
  readonly dir: string;
  readonly homeDir: string;
  readonly clientIp = CLIENT_IP;
  readonly dnsIp = DNS_IP;
  readonly proxyIp = PROXY_IP;
  readonly dns: SimDns;
  /** The test root CA (trusted in the client's OS bundle unless osTrustsTestCa:false). */
  ca!: CaInfo;
  /** system bundle + test CA: use as REQUESTS_CA_BUNDLE / SSL_CERT_FILE / NODE_EXTRA_CA_CERTS (CA only: caPath). */
  bundlePath!: string;
  readonly hosts: SimHost[] = [];
  private procs = new Set<LongProc>();
  private nextHost = 10;
  private nextPrivate = 10;
  private fwRules: { where: 'server' | 'client'; spec: string[] }[] = [];
  private cleaned = false;
  private osTrust: { testCa: boolean; extra: string[] } = { testCa: true, extra: [] };

  constructor(readonly prefix: string, n: number, readonly opts: SimNetOptions) {
    this.id = `${prefix}${process.pid}x${n}`;
    if (this.id.length > 14) throw new Error(`namespace name too long: ${this.id}`);
    this.clientNs = `${this.id}c`;
    this.serverNs = `${this.id}s`;
    this.clientVeth = this.clientNs;
    this.serverVeth = this.serverNs;
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-${process.pid}-${n}-`));
    // Daemons that drop privileges (squid runs as `proxy`) must be able to enter it.
    chmodSync(this.dir, 0o755);
    this.homeDir = join(this.dir, 'home');
    mkdirSync(this.homeDir);
    this.dns = new SimDns(this);
    this.osTrust.testCa = opts.osTrustsTestCa ?? true;
  }

  /** The test CA certificate path (for NODE_EXTRA_CA_CERTS). */
  get caPath(): string {
    return this.ca.certPath;
  }

  async init(): Promise<void> {
    const caP = makeRootCa(this.dir, 'test-ca', 'azmcp-doctor Test Root CA');
    const c = this.clientNs;
    const s = this.serverNs;
    const batch = [
      `netns add ${c}`,
      `netns add ${s}`,
      `link add ${this.clientVeth} type veth peer name ${this.serverVeth}`,
      `link set ${this.clientVeth} netns ${c}`,
      `link set ${this.serverVeth} netns ${s}`,
    ].join('\n');
    await runOk(['ip', '-batch', '-'], { input: batch + '\n' });
    const clientBatch = [
      'link set lo up',
      `addr add ${CLIENT_IP}/24 dev ${this.clientVeth}`,
      `link set ${this.clientVeth} up`,
      ...(this.opts.privateRoute === false ? [] : [`route add 10.0.0.0/8 via ${SERVER_IP} dev ${this.clientVeth}`]),
    ];
    const serverBatch = [
      'link set lo up',
      `addr add ${SERVER_IP}/24 dev ${this.serverVeth}`,
      `addr add ${PROXY_IP}/32 dev ${this.serverVeth}`,
      `link set ${this.serverVeth} up`,
    ];
    // The client route to 10/8 needs the veth up first, so run the batches after the links exist.
    await Promise.all([
      runOk(['ip', '-n', c, '-batch', '-'], { input: clientBatch.join('\n') + '\n' }),
      runOk(['ip', '-n', s, '-batch', '-'], { input: serverBatch.join('\n') + '\n' }),
    ]);
    // Firewall chains: server side only sees traffic arriving over the veth; client side all output.
    await Promise.all([
      this.iptablesRestore(s, ['*filter', ':AZT - [0:0]', `-A INPUT -i ${this.serverVeth} -j AZT`, 'COMMIT']),
      this.iptablesRestore(c, ['*filter', ':AZT - [0:0]', '-A OUTPUT -j AZT', 'COMMIT']),
    ]);
    // /etc/netns/<ns>/X is bind-mounted over /etc/X by `ip netns exec`.
    const resolv = `nameserver ${DNS_IP}\n${this.opts.resolvOptions ? `options ${this.opts.resolvOptions}\n` : ''}`;
    const hosts = '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n';
    for (const ns of [c, s]) {
      mkdirSync(join('/etc/netns', ns), { recursive: true });
      writeFileSync(join('/etc/netns', ns, 'resolv.conf'), ns === c ? resolv : `nameserver ${DNS_IP}\n`);
      writeFileSync(join('/etc/netns', ns, 'hosts'), hosts);
    }
    this.ca = await caP;
    this.bundlePath = join(this.dir, 'bundle-with-test-ca.pem');
    writeFileSync(this.bundlePath, readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8') + readFileSync(this.ca.certPath, 'utf8'));
    // The client's /etc/ssl: a copy of the host's (symlinks kept) with our bundle.
    cpSync('/etc/ssl', join('/etc/netns', c, 'ssl'), { recursive: true, verbatimSymlinks: true });
    this.writeOsTrust();
    await this.dns.apply();
  }

  private async iptablesRestore(ns: string, lines: string[]): Promise<void> {
    await runOk(['ip', 'netns', 'exec', ns, 'iptables-restore', '--noflush', '-w'], { input: lines.join('\n') + '\n' });
  }

  // ---- OS trust store of the client namespace ----

  /**
   * What the client namespace's OS bundle (/etc/ssl/certs/ca-certificates.crt, also used by
   * Python requests/certifi on Debian, curl, openssl and .NET) contains: the system roots, plus the
   * test CA unless testCa is false, plus extra CA files (e.g. an inspection root).
   */
  setOsTrust(opts: { testCa?: boolean; extra?: string[] }): void {
    if (opts.testCa !== undefined) this.osTrust.testCa = opts.testCa;
    if (opts.extra !== undefined) this.osTrust.extra = opts.extra;
    this.writeOsTrust();
  }

  get osBundlePath(): string {
    return join('/etc/netns', this.clientNs, 'ssl', 'certs', 'ca-certificates.crt');
  }

  private writeOsTrust(): void {
    const certsDir = join('/etc/netns', this.clientNs, 'ssl', 'certs');
    const bundle = join(certsDir, 'ca-certificates.crt');
    const files = [...(this.osTrust.testCa ? [this.ca.certPath] : []), ...this.osTrust.extra];
    rmSync(bundle, { force: true });
    writeFileSync(bundle, readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8') + files.map((f) => readFileSync(f, 'utf8')).join(''));
    // Hashed links (for CApath users such as .NET and `openssl -CApath`): drop ours, re-add.
    for (const f of readdirSync(certsDir)) {
      const p = join(certsDir, f);
      if (f.startsWith('azh-')) unlinkSync(p);
      else if (/^[0-9a-f]{8}\.\d+$/.test(f) && lstatSync(p).isSymbolicLink() && readlinkSync(p).startsWith('azh-')) unlinkSync(p);
    }
    for (const [i, f] of files.entries()) {
      const name = `azh-${i}.pem`;
      writeFileSync(join(certsDir, name), readFileSync(f));
      const hash = runSyncQuiet(['openssl', 'x509', '-noout', '-subject_hash', '-in', join(certsDir, name)]).stdout.trim();
      if (!hash) continue;
      let k = 0;
      while (existsSync(join(certsDir, `${hash}.${k}`))) k++;
      symlinkSync(name, join(certsDir, `${hash}.${k}`));
    }
  }

  /** Replace the client's /etc/hosts (extra lines after localhost), e.g. to make getaddrinfo and DNS disagree. */
  setClientHostsFile(entries: Record<string, string> = {}): void {
    const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback', ...Object.entries(entries).map(([n, ip]) => `${ip} ${n}`)];
    writeFileSync(join('/etc/netns', this.clientNs, 'hosts'), lines.join('\n') + '\n');
  }

  // ---- hosts ----

  allocIp(privateAddr = false): string {
    if (privateAddr) return `10.99.0.${this.nextPrivate++}`;
    if (this.nextHost > 250) throw new Error('out of test host addresses');
    return `198.51.100.${this.nextHost++}`;
  }

  /** Test CA / inspection CA / faulty certificates for arbitrary names (not tied to a host). */
  issueCert(names: string[], faults: LeafFaults = {}, base?: string): Promise<LeafInfo> {
    return makeLeaf(this.dir, base ?? `leaf-${this.hosts.length}-${Math.random().toString(36).slice(2, 8)}`, this.ca, names, faults);
  }

  /** A vendor-named TLS-inspection CA (root + intermediate), e.g. for mitmproxy. */
  makeInspectionCa(opts: Parameters<typeof makeInspectionCa>[1] = {}): Promise<CaInfo> {
    return makeInspectionCa(this.dir, { base: `insp-${Math.random().toString(36).slice(2, 8)}`, ...opts });
  }

  /** A CA that nobody trusts (for "untrusted root" tests). */
  makeUntrustedCa(name = 'Untrusted Test Root CA'): Promise<CaInfo> {
    return makeRootCa(this.dir, `untrusted-${Math.random().toString(36).slice(2, 8)}`, name, 'Nobody');
  }

  /**
   * Add a test host: an address on the server side, DNS records for its names, and a certificate
   * for them. Start a server on it (azure-sim, see ./azure-sim.ts) to make it answer.
   */
  async addHost(spec: HostSpec): Promise<SimHost> {
    const ip = spec.ip ?? this.allocIp(spec.private);
    if (!this.hosts.some((h) => h.ip === ip) && ip !== SERVER_IP && ip !== PROXY_IP) {
      await runOk(['ip', '-n', this.serverNs, 'addr', 'add', `${ip}/32`, 'dev', this.serverVeth]);
    }
    let leaf: LeafInfo = { certPath: '', keyPath: '', chainPath: '', sha256: '' };
    if (spec.cert !== false) {
      const base = `host-${ip.replace(/\./g, '-')}-${this.hosts.length}`;
      leaf = await makeLeaf(this.dir, base, this.ca, spec.names, spec.cert ?? {});
    }
    if (spec.dns !== false) {
      for (const n of spec.names) {
        if (n.startsWith('*.')) this.dns.setWildcard(n, ip);
        else this.dns.setA(n, ip);
      }
    }
    const host: SimHost = { names: spec.names, ip, ...leaf };
    this.hosts.push(host);
    return host;
  }

  /** Replace a host's certificate (e.g. make it expired); restart/reload its server afterwards. */
  async reissueHostCert(host: SimHost, faults: LeafFaults): Promise<SimHost> {
    const leaf = await makeLeaf(this.dir, `host-${host.ip.replace(/\./g, '-')}-re${Math.random().toString(36).slice(2, 8)}`, this.ca, host.names, faults);
    Object.assign(host, leaf);
    return host;
  }

  // ---- firewall ----

  private ruleSpec(rule: FirewallRule): string[] {
    const proto = rule.proto ?? 'tcp';
    const spec = ['-p', proto];
    if (rule.ip) spec.push('-d', rule.ip);
    if (rule.port !== undefined) spec.push('--dport', String(rule.port));
    if (rule.sni) spec.push('-m', 'string', '--string', rule.sni, '--algo', 'bm');
    switch (rule.action) {
      case 'drop':
        spec.push('-j', 'DROP');
        break;
      case 'refuse':
        spec.push('-j', 'REJECT', '--reject-with', proto === 'tcp' ? 'tcp-reset' : 'icmp-port-unreachable');
        break;
      case 'icmp-port-unreachable':
      case 'icmp-host-unreachable':
      case 'icmp-net-unreachable':
      case 'icmp-admin-prohibited':
        spec.push('-j', 'REJECT', '--reject-with', rule.action);
        break;
      case 'reset-after-connect':
        spec.push('-m', 'conntrack', '--ctstate', 'ESTABLISHED', '-j', 'REJECT', '--reject-with', 'tcp-reset');
        break;
      case 'drop-after-connect':
        spec.push('-m', 'conntrack', '--ctstate', 'ESTABLISHED', '-j', 'DROP');
        break;
      default:
        throw new Error(`unknown firewall action ${(rule as FirewallRule).action}`);
    }
    return spec;
  }

  /** Add an iptables rule (see FirewallAction). Returns a handle to remove it. */
  async firewall(rule: FirewallRule): Promise<FirewallHandle> {
    const where = rule.where ?? 'server';
    const ns = where === 'server' ? this.serverNs : this.clientNs;
    const spec = this.ruleSpec(rule);
    await runOk(['ip', 'netns', 'exec', ns, 'iptables', '-w', '-A', 'AZT', ...spec]);
    const entry = { where, spec };
    this.fwRules.push(entry);
    return {
      remove: async () => {
        const i = this.fwRules.indexOf(entry);
        if (i < 0) return;
        this.fwRules.splice(i, 1);
        await runOk(['ip', 'netns', 'exec', ns, 'iptables', '-w', '-D', 'AZT', ...spec]);
      },
    };
  }

  /** Remove every firewall rule (both sides). */
  async clearFirewall(): Promise<void> {
    this.fwRules = [];
    await Promise.all([
      runOk(['ip', 'netns', 'exec', this.serverNs, 'iptables', '-w', '-F', 'AZT']),
      runOk(['ip', 'netns', 'exec', this.clientNs, 'iptables', '-w', '-F', 'AZT']),
    ]);
  }

  /** Packet counters of the AZT chain (to assert a rule was hit). */
  async firewallCounters(where: 'server' | 'client' = 'server'): Promise<string> {
    const ns = where === 'server' ? this.serverNs : this.clientNs;
    return (await runOk(['ip', 'netns', 'exec', ns, 'iptables', '-w', '-L', 'AZT', '-v', '-n', '-x'])).stdout;
  }

  // ---- running things ----

  /** The default environment of a client process: nothing from the host. */
  baseEnv(): Record<string, string> {
    return {
      PATH: `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      HOME: this.homeDir,
      LANG: 'C.UTF-8',
      TMPDIR: '/tmp',
      NO_COLOR: '1',
    };
  }

  /** Bring DNS up to date (records added since the last apply). */
  async sync(): Promise<void> {
    if (this.dns.pending) await this.dns.apply();
  }

  /**
   * Run a command in the client namespace with a clean env (baseEnv() + opts.env; never the host's
   * proxy or AZURE_* variables) and a kill timeout (default 60 s).
   */
  async exec(argv: string[], opts: ExecOptions = {}): Promise<RunResult> {
    await this.sync();
    const pre = opts.faketime ? ['faketime', '-f', opts.faketime] : [];
    // --pdeathsig: a one-shot command dies with the test process (its kill timer would die too).
    const guard = hasBinary('setpriv') ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
    return run(['ip', 'netns', 'exec', this.clientNs, ...guard, ...pre, ...argv], {
      env: { ...this.baseEnv(), ...opts.env },
      cwd: opts.cwd ?? this.homeDir,
      timeoutMs: opts.timeoutMs ?? 60_000,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
    });
  }

  /** Run a command in the server namespace (one-shot). */
  async execInServer(argv: string[], opts: ExecOptions = {}): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', this.serverNs, ...argv], {
      env: { ...this.baseEnv(), ...opts.env },
      cwd: opts.cwd ?? this.dir,
      timeoutMs: opts.timeoutMs ?? 30_000,
    });
  }

  /** Run `node bin/azmcp-doctor.js ...args` in the client namespace; parses stdout when --format json. */
  async runDoctor(args: string[], opts: ExecOptions = {}): Promise<DoctorResult> {
    const r: DoctorResult = await this.exec([process.execPath, DOCTOR_BIN, ...args], { timeoutMs: 120_000, ...opts });
    const fi = args.indexOf('--format');
    const isJson = (fi >= 0 && args[fi + 1] === 'json') || args.includes('--format=json') || args.includes('--json');
    if (isJson && r.stdout.trim()) {
      try {
        r.json = JSON.parse(r.stdout);
      } catch {
        /* leave undefined: the test will see stdout */
      }
    }
    return r;
  }

  /**
   * Run servers/netprobe.mjs in the client namespace (lookup, resolve, tcp, tls, https, connect,
   * proxytls) and return its JSON ({ok, code?, ...}).
   */
  async probe(args: string[], opts: ExecOptions = {}): Promise<any> {
    const r = await this.exec([process.execPath, NETPROBE, ...args], { timeoutMs: 30_000, ...opts });
    try {
      return JSON.parse(r.stdout);
    } catch {
      throw new Error(`netprobe ${args.join(' ')} failed: code ${r.code}${r.timedOut ? ' (timeout)' : ''}\n${r.stderr}${r.stdout}`);
    }
  }

  private startIn(ns: string, argv: string[], opts: StartOptions & { readyPort?: number; readyIp?: string; readyProto?: 'tcp' | 'udp' }): Promise<LongProc> {
    const p = new LongProc(['ip', 'netns', 'exec', ns, ...GUARD, ...argv], {
      ...opts,
      env: { ...this.baseEnv(), ...opts.env },
      cwd: opts.cwd ?? this.dir,
    });
    this.procs.add(p);
    void p.exited.then(() => this.procs.delete(p));
    const ready: StartOptions = { ...opts };
    if (opts.readyPort !== undefined) {
      const port = opts.readyPort;
      ready.readyCheck = () => this.isListening(ns, port, opts.readyIp, opts.readyProto);
    }
    return p.waitReady(ready).then(
      () => p,
      async (e) => {
        await p.stop(200);
        throw e;
      },
    );
  }

  /** Start a long-running process in the server namespace; tracked and killed by cleanup(). */
  startInServer(argv: string[], opts: StartOptions & { readyPort?: number; readyIp?: string; readyProto?: 'tcp' | 'udp' } = {}): Promise<LongProc> {
    return this.startIn(this.serverNs, argv, opts);
  }

  /** Start a long-running process in the client namespace (clean env); tracked and killed by cleanup(). */
  async startInClient(argv: string[], opts: StartOptions & { readyPort?: number; readyIp?: string } = {}): Promise<LongProc> {
    await this.sync();
    return this.startIn(this.clientNs, argv, { cwd: this.homeDir, ...opts });
  }

  /** Is something listening on port (optionally on ip) in the namespace? */
  async isListening(ns: string, port: number, ip?: string, proto: 'tcp' | 'udp' = 'tcp'): Promise<boolean> {
    const r = await run(['nsenter', `--net=/run/netns/${ns}`, 'ss', '-Hln', proto === 'tcp' ? '-t' : '-u'], { timeoutMs: 5000 });
    return r.stdout.split('\n').some((l) => {
      const local = l.trim().split(/\s+/)[3] ?? '';
      if (!local.endsWith(`:${port}`)) return false;
      if (!ip) return true;
      const addr = local.slice(0, local.lastIndexOf(':'));
      return addr === ip || addr === '0.0.0.0' || addr === '*' || addr === '[::]';
    });
  }

  // ---- cleanup ----

  /** Kill every process started here, delete both namespaces, /etc/netns dirs and the temp dir. */
  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    await Promise.all([...this.procs].map((p) => p.stop(300).catch(() => undefined)));
    await this.dns.stop().catch(() => undefined);
    this.cleanupSync();
  }

  cleanupSync(): void {
    this.cleaned = true;
    for (const p of this.procs) {
      if (p.pid !== undefined) {
        try {
          process.kill(-p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    for (const ns of [this.clientNs, this.serverNs]) {
      if (listNetns().includes(ns)) destroyNetnsSync(ns);
      rmSync(join('/etc/netns', ns), { recursive: true, force: true });
    }
    try {
      // rmdir fails if another run created its entry meanwhile: that is what we want.
      if (existsSync('/etc/netns') && readdirSync('/etc/netns').length === 0) rmdirSync('/etc/netns');
    } catch {
      /* another run may be using it */
    }
    rmSync(this.dir, { recursive: true, force: true });
    liveNets.delete(this);
  }
}

export { sleep };
