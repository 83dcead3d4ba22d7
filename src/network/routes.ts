// Route decision per consumer: would this consumer send a request for `url` directly or through a
// proxy, given the env? Four consumers matter for Azure MCP Server users:
//  - 'azure-core'  : .NET Azure.Core default transport = .NET HttpClient.DefaultProxy -> HttpEnvironmentProxy
//                    (the server's token requests to Entra, and managed identity). dotnet/runtime
//                    HttpEnvironmentProxy(.Unix).cs: lower case first; http_proxy ignores HTTP_PROXY when
//                    GATEWAY_INTERFACE is set; ALL_PROXY fills whichever protocol has no proxy; https
//                    requests never fall back to the HTTP proxy; NO_PROXY: exact host, or ".x" = x and *.x.
//  - 'server-http' : the server's own HttpClient for ARM and data-plane calls (HttpClientFactoryConfigurator):
//                    upper case only, ALL_PROXY ?? HTTPS_PROXY ?? HTTP_PROXY into a WebProxy whose BypassList
//                    is NO_PROXY entries turned into ^glob$ regexes matched against scheme://host[:port],
//                    so only '*'-globs ever match. No usable upper-case proxy -> .NET default proxy (as above).
//  - 'node-undici' : undici EnvHttpProxyAgent (lib/dispatcher/env-http-proxy-agent.js).
//  - 'azure-cli'   : Python requests (urllib getproxies_environment + requests.utils.should_bypass_proxies).

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
  /** Env variable the proxy came from (the probe re-reads it to build Proxy-Authorization). */
  variable?: string;
  /** NO_PROXY entry that caused a bypass. */
  bypassEntry?: string;
  /** Why this route, in one line. */
  reason: string;
  /** The consumer cannot use the configured proxy at all: every request fails. */
  broken?: string;
  /** The route may differ from the env model (system proxy on Windows/macOS). */
  uncertain?: string;
}

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

function serverHttpRoute(t: Target, env: Env, platform: NodeJS.Platform): Route {
  const consumer: Consumer = 'server-http';
  const name = env.ALL_PROXY !== undefined ? 'ALL_PROXY' : env.HTTPS_PROXY !== undefined ? 'HTTPS_PROXY' : env.HTTP_PROXY !== undefined ? 'HTTP_PROXY' : undefined;
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
  return proxyRoute(
    consumer,
    p,
    `${name}${env.NO_PROXY ? ' (no NO_PROXY entry matches: the server only honours *-globs such as *.example.com)' : ''}`,
  );
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

export function routeFor(consumer: Consumer, url: string | URL, env: Env, opts: RouteOptions = {}): Route {
  const t = target(url);
  const platform = opts.platform ?? process.platform;
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
  consumers: Consumer[];
}

/** Groups consumers by the path their route takes (broken routes are not probed). */
export function distinctPaths(routes: Record<Consumer, Route>, consumers: readonly Consumer[] = CONSUMERS): NetworkPath[] {
  const paths = new Map<string, NetworkPath>();
  for (const c of consumers) {
    const r = routes[c];
    if (r.broken) continue;
    // Different credentials for the same proxy are different paths (one may get 407, the other not).
    const key =
      r.via === 'direct'
        ? 'direct'
        : `proxy:${r.proxyScheme}://${r.proxyHost}:${r.proxyPort}${r.proxyHasCredentials ? `#${r.variable}` : ''}`;
    let p = paths.get(key);
    if (!p) {
      p = { key, via: r.via, consumers: [] };
      if (r.via === 'proxy') {
        p.proxy = r.proxy;
        p.proxyScheme = r.proxyScheme;
        p.proxyHost = r.proxyHost;
        p.proxyPort = r.proxyPort;
        p.variable = r.variable;
      }
      paths.set(key, p);
    }
    p.consumers.push(c);
  }
  return [...paths.values()];
}
