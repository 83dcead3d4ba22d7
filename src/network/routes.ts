// Route decision per consumer: would this consumer send a request for `url` directly or through a
// proxy, given the env? Rules as MEASURED on Azure MCP Server 2.0.5 (docs/server-behaviour-2.0.5.md §1):
//  - 'azure-core'  : the server's token stack (Azure.Identity -> Azure.Core -> .NET HttpClient default
//                    proxy = HttpEnvironmentProxy). For https URLs: `https_proxy ?? HTTPS_PROXY`, then
//                    `all_proxy ?? ALL_PROXY`; HTTP_PROXY/http_proxy never apply to https. Lower case wins
//                    per variable (an empty or unusable value falls through to the other case). Bypass =
//                    the "dotnet-env" dialect: `no_proxy ?? NO_PROXY`, comma-separated, trimmed,
//                    case-insensitive; an entry matches when it equals the host, or starts with '.' and the
//                    host ends with it (".x" also matches "x" itself, per the .NET source); '*', '*.suffix',
//                    bare parent domains, host:port and CIDRs match nothing. Sends the proxy URL's user info
//                    (after a 407 challenge).
//  - 'server-http' : the server's own HttpClient for ARM and data plane. When any UPPER-CASE ALL_PROXY /
//                    HTTPS_PROXY / HTTP_PROXY is non-empty: proxy = the first non-empty of ALL_PROXY,
//                    HTTPS_PROXY, HTTP_PROXY, in a .NET WebProxy that DROPS the URL's user info (an
//                    authenticating proxy answers 407 to every ARM/data-plane request, §1.3); lower-case
//                    variables, no_proxy included, are then ignored; bypass = the "server-glob" dialect from
//                    upper-case NO_PROXY only: each trimmed entry becomes an anchored, case-insensitive glob
//                    ('*' = any characters) matched against "scheme://host[:port]", so in practice only
//                    entries with '*' match ('*' alone = everything; '*.azure.com' and '*azure.com' match
//                    management.azure.com). Otherwise (no upper-case proxy variable): exactly the
//                    'azure-core' rules, credentials included.
//  - 'node-undici' : undici EnvHttpProxyAgent (lib/dispatcher/env-http-proxy-agent.js).
//  - 'azure-cli'   : Python requests (urllib getproxies_environment + requests.utils.should_bypass_proxies).
//
// Exported for the credential probes (src/probes/credentials/), which must send token requests exactly
// the way the server does:
//   serverTokenRoute(url: string | URL, env: Env, opts?: RouteOptions): ServerRoute
//       the route of the server's TOKEN requests (azure-core rules). {via:'direct', reason} or
//       {via:'proxy', proxyUrl (WITH credentials, for use only, never print), displayUrl (password
//       masked), variable, sendsCredentials, reason}.
//   serverClientRoute(url: string | URL, env: Env, opts?: RouteOptions): ServerRoute
//       the same for the server's ARM/data-plane requests (server-http rules; proxyUrl has NO
//       credentials when the server drops them, plus `broken` when the server cannot use the value).
// The trust store the server uses: serverTrustedCaPems() in src/probes/trust-stores.ts.

import { ipv4InCidr, isCidr, isIpLiteral } from './addresses.js';
import { parseProxyValue, redactProxyValue, type Env, type ParsedProxy } from './proxy-env.js';

export type Consumer = 'azure-core' | 'server-http' | 'node-undici' | 'azure-cli';
export const CONSUMERS: readonly Consumer[] = ['azure-core', 'server-http', 'node-undici', 'azure-cli'];

export const CONSUMER_LABEL: Record<Consumer, string> = {
  'azure-core': 'server token requests (Azure.Core, .NET)',
  'server-http': 'server ARM/data-plane client (.NET HttpClient)',
  'node-undici': 'Node.js (undici EnvHttpProxyAgent)',
  'azure-cli': 'Azure CLI (Python requests)',
};

/** Short names for sentences that list several consumers. */
export const CONSUMER_SHORT: Record<Consumer, string> = {
  'azure-core': 'Azure.Core (.NET default proxy)',
  'server-http': "the server's ARM/data-plane client",
  'node-undici': 'Node/undici',
  'azure-cli': 'the Azure CLI',
};

export interface Route {
  consumer: Consumer;
  via: 'direct' | 'proxy';
  /** Redacted proxy URL (safe to print). */
  proxy?: string;
  proxyScheme?: string;
  proxyHost?: string;
  proxyPort?: number;
  proxyHasCredentials?: boolean;
  /**
   * The consumer sends the URL's credentials to the proxy (Basic). False when the URL has none, and
   * for the server's WebProxy, which drops the user info (then `credentialsDropped` is true).
   */
  sendsCredentials?: boolean;
  /** The proxy URL has user info, but this consumer never sends it (server-http + upper-case variable). */
  credentialsDropped?: boolean;
  /** Env variable the proxy came from (the probe re-reads it to build Proxy-Authorization). */
  variable?: string;
  /** NO_PROXY entry that caused a bypass. */
  bypassEntry?: string;
  /**
   * How this consumer reads the bypass list: 'dotnet-env' (exact host or .suffix), 'server-glob'
   * (anchored *-globs, the server's WebProxy), 'undici', 'python'.
   */
  bypassDialect?: BypassDialect;
  /** The bypass variable this consumer reads ('no_proxy' or 'NO_PROXY'). */
  noProxyVariable?: 'no_proxy' | 'NO_PROXY';
  /** Why this route, in one line. */
  reason: string;
  /** The consumer cannot use the configured proxy at all: every request fails. */
  broken?: string;
  /** The route may differ from the env model (system proxy on Windows/macOS). */
  uncertain?: string;
}

export type BypassDialect = 'dotnet-env' | 'server-glob' | 'undici' | 'python';

export interface RouteOptions {
  platform?: NodeJS.Platform;
}

type Target = { scheme: 'http' | 'https'; host: string; port: number; defaultPort: boolean };

function target(url: string | URL): Target {
  const u = typeof url === 'string' ? new URL(url) : url;
  const scheme = u.protocol === 'http:' ? 'http' : 'https';
  const dp = scheme === 'https' ? 443 : 80;
  const port = u.port ? Number(u.port) : dp;
  return { scheme, host: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port, defaultPort: port === dp };
}

function proxyRoute(consumer: Consumer, p: ParsedProxy, reason: string): Route {
  return {
    consumer,
    via: 'proxy',
    proxy: p.display,
    proxyScheme: p.scheme ?? 'http',
    proxyHost: p.host,
    proxyPort: p.port,
    proxyHasCredentials: p.hasCredentials,
    sendsCredentials: p.hasCredentials,
    variable: p.variable,
    reason,
  };
}

function nonEmpty(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

// ---------------------------------------------------------------------------------------------
// .NET HttpEnvironmentProxy

/** .NET GetUriFromString: http/https/socks schemes or none (http assumed); anything else -> null. */
function dotnetProxyUri(env: Env, name: string): ParsedProxy | undefined {
  const v = nonEmpty(env, name);
  if (v === undefined) return undefined;
  const p = parseProxyValue(name, v);
  if (p.problem === 'unparsable' || p.problem === 'unsupported-scheme') return undefined;
  return p;
}

export function dotnetNoProxyMatch(noProxy: string | undefined, host: string): string | undefined {
  if (noProxy === undefined || noProxy.trim() === '') return undefined;
  const h = host.toLowerCase();
  for (const raw of noProxy.split(',')) {
    const s = raw.trim().toLowerCase();
    if (!s) continue;
    if (s[0] === '.') {
      if (h === s.slice(1) || h.endsWith(s)) return raw.trim();
    } else if (s === h) {
      return raw.trim();
    }
  }
  return undefined;
}

function dotnetEnvProxy(env: Env): { http?: ParsedProxy; https?: ParsedProxy; noProxy?: string; noProxyVar?: string } | undefined {
  let http = dotnetProxyUri(env, 'http_proxy');
  if (!http && env.GATEWAY_INTERFACE === undefined) http = dotnetProxyUri(env, 'HTTP_PROXY');
  let https = dotnetProxyUri(env, 'https_proxy') ?? dotnetProxyUri(env, 'HTTPS_PROXY');
  if (!http || !https) {
    const all = dotnetProxyUri(env, 'all_proxy') ?? dotnetProxyUri(env, 'ALL_PROXY');
    http ??= all;
    https ??= all;
  }
  if (!http && !https) return undefined;
  const noProxyVar = env.no_proxy !== undefined ? 'no_proxy' : env.NO_PROXY !== undefined ? 'NO_PROXY' : undefined;
  return { http, https, noProxy: noProxyVar ? env[noProxyVar] : undefined, noProxyVar };
}

function dotnetDefaultRoute(consumer: Consumer, t: Target, env: Env, platform: NodeJS.Platform, prefix = ''): Route {
  const ep = dotnetEnvProxy(env);
  if (!ep) {
    const r: Route = { consumer, via: 'direct', reason: `${prefix}no proxy variable set` };
    if (platform === 'win32' || platform === 'darwin') {
      r.uncertain = `.NET then uses the ${platform === 'win32' ? 'Windows (WinINet/PAC)' : 'macOS'} system proxy settings, which the doctor does not read`;
    }
    return r;
  }
  const p = t.scheme === 'http' ? ep.http : ep.https;
  if (!p) {
    return {
      consumer,
      via: 'direct',
      reason: `${prefix}no ${t.scheme} proxy variable (.NET never sends ${t.scheme} requests to the ${t.scheme === 'https' ? 'HTTP' : 'HTTPS'} proxy)`,
    };
  }
  const entry = dotnetNoProxyMatch(ep.noProxy, t.host);
  if (entry !== undefined) {
    return { consumer, via: 'direct', bypassEntry: entry, reason: `${prefix}${ep.noProxyVar} entry '${entry}' matches` };
  }
  return proxyRoute(consumer, p, `${prefix}${p.variable}${ep.noProxy ? ` (no ${ep.noProxyVar} entry matches)` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// The server's WebProxy (HttpClientFactoryConfigurator.CreateProxy)

/** The server's ConvertGlobToRegex: escape, then * -> .*, ? -> . ; anchored. */
export function serverGlobToRegex(glob: string): RegExp | undefined {
  const escaped = glob
    .replace(/\\/g, '\\\\')
    .replace(/\./g, '\\.')
    .replace(/\+/g, '\\+')
    .replace(/\$/g, '\\$')
    .replace(/\^/g, '\\^')
    .replace(/\{/g, '\\{')
    .replace(/\}/g, '\\}')
    .replace(/\[/g, '\\[')
    .replace(/\]/g, '\\]')
    .replace(/\(/g, '\\(')
    .replace(/\)/g, '\\)')
    .replace(/\|/g, '\\|');
  const body = escaped.replace(/\*/g, '.*').replace(/\?/g, '.');
  try {
    return new RegExp(`^${body}$`, 'i');
  } catch {
    return undefined; // .NET's UpdateRegexList would drop the whole list; treat as no match.
  }
}

/** WebProxy.IsMatchInBypassList: the regexes see "scheme://host" or "scheme://host:port". */
export function serverNoProxyMatch(noProxy: string | undefined, t: Target): string | undefined {
  if (!noProxy) return undefined;
  const hostPart = t.host.includes(':') ? `[${t.host}]` : t.host;
  const subject = t.defaultPort ? `${t.scheme}://${hostPart}` : `${t.scheme}://${hostPart}:${t.port}`;
  for (const raw of noProxy.split(',')) {
    const s = raw.trim();
    if (!s) continue;
    const re = serverGlobToRegex(s);
    if (re && re.test(subject)) return s;
  }
  return undefined;
}

/** The upper-case variable the server's WebProxy is built from: first non-empty of ALL_PROXY, HTTPS_PROXY, HTTP_PROXY. */
export function serverProxyVariable(env: Env): 'ALL_PROXY' | 'HTTPS_PROXY' | 'HTTP_PROXY' | undefined {
  for (const n of ['ALL_PROXY', 'HTTPS_PROXY', 'HTTP_PROXY'] as const) if (nonEmpty(env, n) !== undefined) return n;
  return undefined;
}

function serverHttpRoute(t: Target, env: Env, platform: NodeJS.Platform): Route {
  const consumer: Consumer = 'server-http';
  const name = serverProxyVariable(env);
  const value = name ? env[name] : undefined;
  if (!name || !value) {
    return dotnetDefaultRoute(consumer, t, env, platform, 'no upper-case proxy variable, so .NET default proxy: ');
  }
  // Uri.TryCreate(value, Absolute): "proxy.corp:8080" parses with scheme "proxy.corp" (then every
  // request fails); "10.0.0.1:3128" does not parse, so the default proxy applies.
  const hasScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value.trim());
  if (!hasScheme) {
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value.trim())) {
      return {
        consumer,
        via: 'proxy',
        proxy: redactProxyValue(value),
        variable: name,
        reason: `${name} has no scheme`,
        broken: `${name}='${redactProxyValue(value)}' has no http:// prefix; .NET reads '${value.trim().split(':')[0]}' as the URI scheme and every ARM/data-plane request fails`,
      };
    }
    return dotnetDefaultRoute(consumer, t, env, platform, `${name} is not an absolute URI, so .NET default proxy: `);
  }
  const p = parseProxyValue(name, value);
  if (p.problem === 'unparsable') {
    return dotnetDefaultRoute(consumer, t, env, platform, `${name} is not a valid URI, so .NET default proxy: `);
  }
  if (p.problem === 'unsupported-scheme') {
    return { ...proxyRoute(consumer, p, `${name}`), broken: `.NET does not support the proxy scheme '${p.scheme}'` };
  }
  const entry = serverNoProxyMatch(env.NO_PROXY, t);
  if (entry !== undefined) {
    return { consumer, via: 'direct', bypassEntry: entry, reason: `NO_PROXY glob '${entry}' matches` };
  }
  const notes: string[] = [];
  if (env.NO_PROXY) notes.push('no NO_PROXY entry matches: the server only honours *-globs such as *.example.com');
  else if (env.no_proxy) notes.push('lower-case no_proxy is ignored while an upper-case proxy variable is set');
  if (p.hasCredentials) notes.push('credentials in the URL are not sent: .NET WebProxy drops user info');
  const r = proxyRoute(consumer, p, `${name}${notes.length ? ` (${notes.join('; ')})` : ''}`);
  if (p.hasCredentials) {
    r.sendsCredentials = false;
    r.credentialsDropped = true;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// undici EnvHttpProxyAgent

export function undiciNoProxyMatch(noProxy: string, t: Target): string | undefined {
  const entries = noProxy.split(/[,\s]/).filter(Boolean);
  if (entries.length === 0) return undefined;
  if (noProxy === '*') return '*';
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  for (const e of entries) {
    const parsed = /^(.+):(\d+)$/.exec(e);
    const hostname = (parsed ? parsed[1]! : e).replace(/^\*?\./, '').toLowerCase();
    const port = parsed ? Number.parseInt(parsed[2]!, 10) : 0;
    if (port && port !== t.port) continue;
    if (host === hostname) return e;
    if (host.slice(-(hostname.length + 1)) === `.${hostname}`) return e;
  }
  return undefined;
}

function undiciRoute(t: Target, env: Env): Route {
  const consumer: Consumer = 'node-undici';
  const httpName = env.http_proxy !== undefined ? 'http_proxy' : env.HTTP_PROXY !== undefined ? 'HTTP_PROXY' : undefined;
  const httpsName = env.https_proxy !== undefined ? 'https_proxy' : env.HTTPS_PROXY !== undefined ? 'HTTPS_PROXY' : undefined;
  const httpVal = httpName ? env[httpName] : undefined;
  const httpsVal = httpsName ? env[httpsName] : undefined;
  // `??` picks the lower-case variable even when it is empty; an empty value means "no proxy".
  let name: string | undefined;
  if (t.scheme === 'https') name = httpsVal ? httpsName : httpVal ? httpName : undefined;
  else name = httpVal ? httpName : undefined;
  if (!name) return { consumer, via: 'direct', reason: `no ${t.scheme === 'https' ? 'https_proxy/HTTPS_PROXY or http_proxy/HTTP_PROXY' : 'http_proxy/HTTP_PROXY'} (undici ignores ALL_PROXY)` };
  const noProxyName = env.no_proxy !== undefined ? 'no_proxy' : env.NO_PROXY !== undefined ? 'NO_PROXY' : undefined;
  const entry = noProxyName ? undiciNoProxyMatch(env[noProxyName]!, t) : undefined;
  if (entry !== undefined) return { consumer, via: 'direct', bypassEntry: entry, reason: `${noProxyName} entry '${entry}' matches` };
  const p = parseProxyValue(name, env[name]!);
  const r = proxyRoute(consumer, p, name);
  if (p.problem) r.broken = `undici cannot use ${name}='${p.display}' (${p.problem})`;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Python requests (Azure CLI)

/** urllib.request.getproxies_environment: any case first, then lower case overrides (empty lower-case removes). */
export function pythonProxies(env: Env): Map<string, { value: string; variable: string }> {
  const proxies = new Map<string, { value: string; variable: string }>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (value && lower.endsWith('_proxy')) proxies.set(lower.slice(0, -6), { value, variable: name });
  }
  if (env.REQUEST_METHOD !== undefined) proxies.delete('http');
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name.endsWith('_proxy') && name === name.toLowerCase()) {
      const key = name.slice(0, -6);
      if (value) proxies.set(key, { value, variable: name });
      else proxies.delete(key);
    }
  }
  return proxies;
}

export function pythonNoProxyMatch(noProxy: string | undefined, t: Target): string | undefined {
  if (!noProxy) return undefined;
  const entries = noProxy.replace(/ /g, '').split(',').filter(Boolean);
  if (isIpLiteral(t.host) && !t.host.includes(':')) {
    for (const e of entries) {
      if (isCidr(e)) {
        if (ipv4InCidr(t.host, e)) return e;
      } else if (t.host === e) return e;
    }
  } else {
    const withPort = t.defaultPort ? t.host : `${t.host}:${t.port}`;
    for (const e of entries) {
      if (t.host.endsWith(e.toLowerCase()) || withPort.endsWith(e.toLowerCase())) return e;
    }
  }
  // urllib proxy_bypass_environment
  if (noProxy.trim() === '*') return '*';
  const hostWithPort = t.defaultPort ? t.host : `${t.host}:${t.port}`;
  for (const raw of noProxy.split(',')) {
    let name = raw.trim();
    if (!name) continue;
    name = name.replace(/^\.+/, '').toLowerCase();
    if (t.host === name || hostWithPort === name) return raw.trim();
    if (t.host.endsWith(`.${name}`) || hostWithPort.endsWith(`.${name}`)) return raw.trim();
  }
  return undefined;
}

function pythonRoute(t: Target, env: Env): Route {
  const consumer: Consumer = 'azure-cli';
  const proxies = pythonProxies(env);
  // requests.utils.select_proxy: scheme://host, scheme, all://host, all
  const sel = proxies.get(t.scheme) ?? proxies.get('all');
  if (!sel) return { consumer, via: 'direct', reason: `no ${t.scheme}_proxy or all_proxy variable (requests never uses the http proxy for https)` };
  const noProxy = env.no_proxy || env.NO_PROXY;
  const noProxyName = env.no_proxy ? 'no_proxy' : 'NO_PROXY';
  const entry = pythonNoProxyMatch(noProxy, t);
  if (entry !== undefined) return { consumer, via: 'direct', bypassEntry: entry, reason: `${noProxyName} entry '${entry}' matches` };
  const p = parseProxyValue(sel.variable, sel.value);
  const r = proxyRoute(consumer, p, sel.variable);
  if (p.problem === 'unparsable' || p.problem === 'unsupported-scheme') r.broken = `requests cannot use ${sel.variable}='${p.display}'`;
  return r;
}

// ---------------------------------------------------------------------------------------------

function routeOf(consumer: Consumer, t: Target, env: Env, platform: NodeJS.Platform): Route {
  switch (consumer) {
    case 'azure-core':
      return dotnetDefaultRoute('azure-core', t, env, platform);
    case 'server-http':
      return serverHttpRoute(t, env, platform);
    case 'node-undici':
      return undiciRoute(t, env);
    case 'azure-cli':
      return pythonRoute(t, env);
  }
}

const lowerFirst = (env: Env): 'no_proxy' | 'NO_PROXY' => (env.no_proxy !== undefined ? 'no_proxy' : 'NO_PROXY');

export function routeFor(consumer: Consumer, url: string | URL, env: Env, opts: RouteOptions = {}): Route {
  const r = routeOf(consumer, target(url), env, opts.platform ?? process.platform);
  if (consumer === 'server-http' && serverUsesWebProxy(env)) {
    r.bypassDialect = 'server-glob';
    r.noProxyVariable = 'NO_PROXY';
  } else if (consumer === 'azure-core' || consumer === 'server-http') {
    r.bypassDialect = 'dotnet-env';
    r.noProxyVariable = lowerFirst(env);
  } else if (consumer === 'node-undici') {
    r.bypassDialect = 'undici';
    r.noProxyVariable = lowerFirst(env);
  } else {
    r.bypassDialect = 'python';
    r.noProxyVariable = env.no_proxy ? 'no_proxy' : 'NO_PROXY';
  }
  return r;
}

/**
 * Is the server's ARM/data-plane client in WebProxy mode (an upper-case proxy variable it accepts)?
 * Then it reads upper-case variables only, drops the URL's credentials and uses the 'server-glob' dialect.
 */
export function serverUsesWebProxy(env: Env): boolean {
  const name = serverProxyVariable(env);
  if (!name) return false;
  const v = env[name]!.trim();
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(v)) return parseProxyValue(name, v).problem !== 'unparsable';
  // "proxy.corp:8080" is an absolute URI with scheme "proxy.corp" (a broken WebProxy); "10.0.0.1:3128" is not one.
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(v);
}

/** A server request's route in a form a probe can use (see the header of this file). */
export type ServerRoute =
  | { via: 'direct'; reason: string; bypassEntry?: string; uncertain?: string }
  | {
      via: 'proxy';
      /** Proxy URL to connect through: scheme://[user:pass@]host:port. Holds the password when sent: never print it. */
      proxyUrl: string;
      /** The same URL with user info masked (safe to print). */
      displayUrl: string;
      variable: string;
      /** The server sends the URL's credentials (after a 407 challenge). */
      sendsCredentials: boolean;
      /** The URL has credentials the server does not send (ARM/data plane with an upper-case variable). */
      credentialsDropped: boolean;
      reason: string;
      /** The server cannot use this proxy value at all (every request fails). */
      broken?: string;
    };

function toServerRoute(r: Route, env: Env): ServerRoute {
  if (r.via === 'direct') {
    const d: ServerRoute = { via: 'direct', reason: r.reason };
    if (r.bypassEntry !== undefined) d.bypassEntry = r.bypassEntry;
    if (r.uncertain) d.uncertain = r.uncertain;
    return d;
  }
  const variable = r.variable ?? '';
  const raw = (env[variable] ?? '').trim();
  let proxyUrl = raw;
  try {
    const u = new URL(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(raw) ? raw : `http://${raw}`);
    const auth = r.sendsCredentials && (u.username || u.password) ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
    proxyUrl = `${u.protocol}//${auth}${u.host}`;
  } catch {
    /* broken route: keep the raw value */
  }
  const out: ServerRoute = {
    via: 'proxy',
    proxyUrl,
    displayUrl: r.proxy ?? redactProxyValue(raw),
    variable,
    sendsCredentials: r.sendsCredentials === true,
    credentialsDropped: r.credentialsDropped === true,
    reason: r.reason,
  };
  if (r.broken) out.broken = r.broken;
  return out;
}

/** The route of the server's token requests (Azure.Identity/Azure.Core: the 'azure-core' rules). Pure. */
export function serverTokenRoute(url: string | URL, env: Env, opts: RouteOptions = {}): ServerRoute {
  return toServerRoute(routeFor('azure-core', url, env, opts), env);
}

/** The route of the server's ARM and data-plane requests (the 'server-http' rules). Pure. */
export function serverClientRoute(url: string | URL, env: Env, opts: RouteOptions = {}): ServerRoute {
  return toServerRoute(routeFor('server-http', url, env, opts), env);
}

export function routesFor(url: string | URL, env: Env, opts: RouteOptions = {}): Record<Consumer, Route> {
  return Object.fromEntries(CONSUMERS.map((c) => [c, routeFor(c, url, env, opts)])) as Record<Consumer, Route>;
}

/** A distinct way to reach a host: direct, or through one proxy. */
export interface NetworkPath {
  key: string;
  via: 'direct' | 'proxy';
  proxy?: string;
  proxyScheme?: string;
  proxyHost?: string;
  proxyPort?: number;
  variable?: string;
  /** The probe sends the credentials of `variable` (Basic) with the CONNECT. */
  sendsCredentials?: boolean;
  /** Consumers on this path whose proxy URL has credentials they do not send (the server's WebProxy). */
  credentialsDroppedBy?: { consumer: Consumer; variable: string }[];
  consumers: Consumer[];
}

/** Groups consumers by the path their route takes (broken routes are not probed). */
export function distinctPaths(routes: Record<Consumer, Route>, consumers: readonly Consumer[] = CONSUMERS): NetworkPath[] {
  const paths = new Map<string, NetworkPath>();
  for (const c of consumers) {
    const r = routes[c];
    if (r.broken) continue;
    // Different credentials for the same proxy are different paths (one may get 407, the other not).
    // A consumer that drops the URL's credentials is a path of its own (it gets 407 where the others do not).
    const key =
      r.via === 'direct'
        ? 'direct'
        : `proxy:${r.proxyScheme}://${r.proxyHost}:${r.proxyPort}${r.sendsCredentials ? `#${r.variable}` : ''}`;
    let p = paths.get(key);
    if (!p) {
      p = { key, via: r.via, consumers: [] };
      if (r.via === 'proxy') {
        p.proxy = r.proxy;
        p.proxyScheme = r.proxyScheme;
        p.proxyHost = r.proxyHost;
        p.proxyPort = r.proxyPort;
        p.variable = r.variable;
        p.sendsCredentials = r.sendsCredentials === true;
      }
      paths.set(key, p);
    }
    if (r.credentialsDropped) {
      p.credentialsDroppedBy ??= [];
      p.credentialsDroppedBy.push({ consumer: c, variable: r.variable ?? '' });
    }
    p.consumers.push(c);
  }
  return [...paths.values()];
}
