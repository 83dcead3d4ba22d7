// Proxy environment variables: reading, parsing, validating and redacting them. Pure functions of an
// env snapshot. A proxy URL can carry a password: only `display` (redacted) may leave this module's
// callers; `credentialsOf` is for the probe's Proxy-Authorization header and nothing else.

import type { Finding } from '../core/model.js';

export type Env = Readonly<Record<string, string | undefined>>;

export const PROXY_VARIABLES = [
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'ALL_PROXY',
  'all_proxy',
  'NO_PROXY',
  'no_proxy',
] as const;
export type ProxyVariable = (typeof PROXY_VARIABLES)[number];

export type ProxyProblem = 'unparsable' | 'missing-scheme' | 'unsupported-scheme';

export interface ParsedProxy {
  /** Env variable the value came from. */
  variable: string;
  /** Redacted form, safe to print: user info replaced by "***". */
  display: string;
  /** Lower-case scheme without ':' ('http', 'https', 'socks5'...); undefined when missing. */
  scheme?: string;
  host?: string;
  port?: number;
  hasCredentials: boolean;
  /** Set when the value cannot be used as written (consumers differ on what they then do). */
  problem?: ProxyProblem;
}

const SUPPORTED_SCHEMES = new Set(['http', 'https', 'socks4', 'socks4a', 'socks5', 'socks5h']);

/** Redacts user info from anything that looks like a URL, even an unparsable one. */
export function redactProxyValue(value: string): string {
  const v = value.trim();
  // scheme:// optional, then userinfo up to the LAST '@' before the first '/' after the authority.
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)?(.*)$/s.exec(v)!;
  const prefix = m[1] ?? '';
  let rest = m[2]!;
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash) : '';
  const at = authority.lastIndexOf('@');
  if (at >= 0) rest = `***@${authority.slice(at + 1)}${path}`;
  return prefix + rest;
}

function defaultPort(scheme: string): number {
  if (scheme === 'https') return 443;
  if (scheme.startsWith('socks')) return 1080;
  return 80;
}

/** Parses a proxy value the way most consumers would (WHATWG URL, http:// assumed when missing). */
export function parseProxyValue(variable: string, value: string): ParsedProxy {
  const raw = value.trim();
  const display = redactProxyValue(raw);
  const hasScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(raw);
  let url: URL;
  try {
    url = new URL(hasScheme ? raw : `http://${raw}`);
  } catch {
    return { variable, display, hasCredentials: /@/.test(raw), problem: 'unparsable' };
  }
  if (!url.hostname) return { variable, display, hasCredentials: false, problem: 'unparsable' };
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const hasCredentials = url.username !== '' || url.password !== '';
  const parsed: ParsedProxy = {
    variable,
    display,
    scheme: hasScheme ? scheme : undefined,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : defaultPort(scheme),
    hasCredentials,
  };
  if (!hasScheme) parsed.problem = 'missing-scheme';
  else if (!SUPPORTED_SCHEMES.has(scheme)) parsed.problem = 'unsupported-scheme';
  return parsed;
}

/** Basic credentials from a proxy URL's user info, for the CONNECT probe. Never log the result. */
export function credentialsOf(value: string): { username: string; password: string } | undefined {
  const raw = value.trim();
  const hasScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(raw);
  try {
    const u = new URL(hasScheme ? raw : `http://${raw}`);
    if (!u.username && !u.password) return undefined;
    const dec = (s: string): string => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    return { username: dec(u.username), password: dec(u.password) };
  } catch {
    return undefined;
  }
}

export function basicAuthorization(value: string): string | undefined {
  const c = credentialsOf(value);
  if (!c) return undefined;
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** A value is "set" when it is a non-empty string after trimming. */
export function isSet(v: string | undefined): v is string {
  return v !== undefined && v.trim() !== '';
}

/** The proxy-related variables present in the env, redacted, for details. */
export function proxyEnvSummary(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROXY_VARIABLES) {
    const v = env[name];
    if (v === undefined) continue;
    out[name] = name.toLowerCase() === 'no_proxy' ? v : redactProxyValue(v);
  }
  return out;
}




/**
 * Static validation of the proxy variables: unparsable URLs, missing or unsupported schemes.
 * (Upper/lower case conflicts and stack precedence: src/network/precedence.ts.)
 * (An https:// scheme aimed at a plain proxy is found by the CONNECT probe: proxy.scheme-mismatch.)
 */
export function validateProxyEnv(env: Env): Finding[] {
  const findings: Finding[] = [];
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'] as const) {
    const v = env[name];
    if (!isSet(v)) continue;
    const p = parseProxyValue(name, v);
    if (p.problem === 'unparsable' || p.problem === 'unsupported-scheme') {
      findings.push({
        code: 'proxy.invalid-url',
        severity: 'error',
        message:
          p.problem === 'unparsable'
            ? `${name} is not a valid proxy URL ('${p.display}'). Consumers ignore it or fail every request.`
            : `${name} uses the scheme '${p.scheme}', which no consumer supports as a proxy ('${p.display}').`,
        target: name,
        evidence: { variable: name, value: p.display, problem: p.problem },
        fix: {
          summary: `Set ${name} to http://HOST:PORT (add user:password@ only if the proxy needs Basic authentication).`,
          actor: 'user',
          commands: [`export ${name}=http://proxy.example.com:8080`],
        },
      });
    } else if (p.problem === 'missing-scheme') {
      findings.push({
        code: 'proxy.missing-scheme',
        severity: 'warning',
        message:
          `${name} has no scheme ('${p.display}'). Azure.Core (.NET) and the Azure CLI assume http://, but the ` +
          `server's ARM/data-plane client parses '${p.display}' as an absolute URI with the wrong scheme or ignores it, and Node/undici rejects it.`,
        target: name,
        evidence: { variable: name, value: p.display },
        fix: {
          summary: `Write the scheme explicitly: http://${p.display}`,
          actor: 'user',
          commands: [`export ${name}=http://${p.display}`],
        },
      });
    }
  }
  return findings;
}
