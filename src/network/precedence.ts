// Which proxy variable each consumer actually reads, and the findings when they disagree:
//  - proxy.env-conflict: the upper- and lower-case forms of one variable differ; says which consumers
//    use which form (derived from the route model, so it follows the measured rules of
//    docs/server-behaviour-2.0.5.md §1.1: the server's token stack prefers lower case, its
//    ARM/data-plane client reads only upper case when an upper-case proxy variable is set).
//  - proxy.precedence-differs: the server's token requests and its ARM/data-plane calls go through
//    different proxies (or one direct, one proxied) for a reason other than such a case conflict
//    (ALL_PROXY first vs HTTPS_PROXY first; HTTP_PROXY used for https by one stack only).
// Pure functions of an env snapshot.

import type { Finding } from '../core/model.js';
import { redactProxyValue, type Env } from './proxy-env.js';
import { CONSUMERS, CONSUMER_SHORT, routeFor, serverUsesWebProxy, type Consumer, type Route, type RouteOptions } from './routes.js';

/** A URL no NO_PROXY entry is about: the route ignoring the bypass list. */
const SAMPLE = 'https://management.azure.com';

function withoutBypass(env: Env): Env {
  return { ...env, NO_PROXY: undefined, no_proxy: undefined };
}

function norm(v: string): string {
  const raw = v.trim();
  const hasScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(raw);
  try {
    const u = new URL(hasScheme ? raw : `http://${raw}`);
    return u.href.replace(/\/$/, '').toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

function normList(v: string): string {
  return v
    .split(/[,\s]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .sort()
    .join(',');
}

/** The https route of every consumer, ignoring NO_PROXY. */
export function httpsRoutes(env: Env, opts: RouteOptions = {}): Record<Consumer, Route> {
  const e = withoutBypass(env);
  return Object.fromEntries(CONSUMERS.map((c) => [c, routeFor(c, SAMPLE, e, opts)])) as Record<Consumer, Route>;
}

const PAIRS = [
  { upper: 'HTTPS_PROXY', lower: 'https_proxy' },
  { upper: 'HTTP_PROXY', lower: 'http_proxy' },
  { upper: 'ALL_PROXY', lower: 'all_proxy' },
  { upper: 'NO_PROXY', lower: 'no_proxy' },
] as const;

/** For one upper/lower pair: which consumers read which form (for https requests to Azure). */
export function pairUsage(env: Env, upper: string, lower: string, opts: RouteOptions = {}): { upper: Consumer[]; lower: Consumer[] } {
  const routes = httpsRoutes(env, opts);
  const out = { upper: [] as Consumer[], lower: [] as Consumer[] };
  for (const c of CONSUMERS) {
    const r = routes[c];
    if (upper === 'NO_PROXY') {
      if (r.via !== 'proxy') continue; // no proxy: the bypass list does not matter
      const reads = routeFor(c, SAMPLE, env, opts).noProxyVariable;
      if (reads === 'NO_PROXY') out.upper.push(c);
      else out.lower.push(c);
    } else if (r.variable === upper) out.upper.push(c);
    else if (r.variable === lower) out.lower.push(c);
  }
  return out;
}

function names(cs: readonly Consumer[]): string {
  return cs.map((c) => CONSUMER_SHORT[c]).join(', ');
}

export function envConflictFindings(env: Env, opts: RouteOptions = {}): Finding[] {
  const out: Finding[] = [];
  for (const pair of PAIRS) {
    const u = env[pair.upper];
    const l = env[pair.lower];
    if (u === undefined || l === undefined) continue;
    const isList = pair.upper === 'NO_PROXY';
    if (isList ? normList(u) === normList(l) : norm(u) === norm(l)) continue;
    const show = (v: string): string => (isList ? v : redactProxyValue(v));
    const use = pairUsage(env, pair.upper, pair.lower, opts);
    const split =
      use.upper.includes('server-http') && use.lower.includes('azure-core')
        ? ` So the server's token requests follow ${pair.lower} and its ARM/data-plane calls ${pair.upper}.`
        : '';
    const usersText =
      (use.lower.length ? `${names(use.lower)} use ${pair.lower}` : `nothing uses ${pair.lower} for https`) +
      '; ' +
      (use.upper.length ? `${names(use.upper)} use${use.upper.length === 1 ? 's' : ''} ${pair.upper}` : `nothing uses ${pair.upper} for https`);
    out.push({
      code: 'proxy.env-conflict',
      severity: use.upper.length && use.lower.length ? 'warning' : 'info',
      message: `${pair.upper} ('${show(u)}') and ${pair.lower} ('${show(l)}') disagree: ${usersText}.${split}`,
      target: pair.upper,
      evidence: {
        upper: pair.upper,
        upperValue: show(u),
        lower: pair.lower,
        lowerValue: show(l),
        lowerCaseWinsFor: use.lower.join(',') || null,
        upperCaseWinsFor: use.upper.join(',') || null,
      },
      fix: {
        summary: `Give ${pair.upper} and ${pair.lower} the same value, or unset one of them.`,
        actor: 'user',
        commands: [`unset ${pair.lower}`, `export ${pair.lower}="$${pair.upper}"`],
      },
    });
  }
  return out;
}

function routeText(r: Route): string {
  return r.via === 'direct' ? 'direct' : `${r.proxy} (${r.variable})`;
}

/**
 * proxy.precedence-differs: the token stack and the ARM/data-plane client pick different proxies
 * for https (ignoring NO_PROXY), other than through an upper/lower case conflict of one variable
 * (proxy.env-conflict explains those).
 */
export function precedenceFindings(env: Env, opts: RouteOptions = {}): Finding[] {
  const routes = httpsRoutes(env, opts);
  const token = routes['azure-core'];
  const server = routes['server-http'];
  if (server.broken) return [];
  const key = (r: Route): string => (r.via === 'direct' ? 'direct' : norm(env[r.variable ?? ''] ?? ''));
  if (key(token) === key(server)) return [];
  const tv = token.variable;
  const sv = server.variable;
  if (tv && sv && tv.toLowerCase() === sv.toLowerCase() && tv !== sv) return []; // a case conflict: proxy.env-conflict
  let why: string;
  if (sv === 'HTTP_PROXY' && (token.via === 'direct' || token.variable?.toLowerCase() === 'all_proxy')) {
    why = ".NET token requests never use HTTP_PROXY for https URLs, but the server's ARM/data-plane client does (it reads ALL_PROXY, then HTTPS_PROXY, then HTTP_PROXY)";
  } else if (sv === 'ALL_PROXY') {
    why = "the server's ARM/data-plane client takes ALL_PROXY before HTTPS_PROXY; token requests take https_proxy/HTTPS_PROXY first and ALL_PROXY only as a fallback";
  } else if (serverUsesWebProxy(env)) {
    why = "the server's ARM/data-plane client reads only the upper-case variables (ALL_PROXY, HTTPS_PROXY, HTTP_PROXY); token requests read https_proxy/HTTPS_PROXY, then all_proxy/ALL_PROXY, lower case first";
  } else {
    why = 'the two stacks read the proxy variables differently';
  }
  const others = (['node-undici', 'azure-cli'] as const).map((c) => `${CONSUMER_SHORT[c]}: ${routeText(routes[c])}`).join('; ');
  const serverVar = sv ?? 'HTTPS_PROXY';
  return [
    {
      code: 'proxy.precedence-differs',
      severity: 'warning',
      message:
        `The server's token requests go ${token.via === 'direct' ? 'direct' : `through ${routeText(token)}`}, its ARM/data-plane calls ` +
        `${server.via === 'direct' ? 'direct' : `through ${routeText(server)}`}: ${why}. (${others}.)`,
      target: serverVar,
      evidence: {
        tokenRoute: token.via === 'direct' ? 'direct' : `proxy ${token.proxy}`,
        tokenVariable: tv ?? null,
        serverRoute: server.via === 'direct' ? 'direct' : `proxy ${server.proxy}`,
        serverVariable: sv ?? null,
        nodeRoute: routes['node-undici'].via === 'direct' ? 'direct' : `proxy ${routes['node-undici'].proxy}`,
        azureCliRoute: routes['azure-cli'].via === 'direct' ? 'direct' : `proxy ${routes['azure-cli'].proxy}`,
      },
      fix:
        sv === 'HTTP_PROXY'
          ? { summary: 'Set HTTPS_PROXY to the proxy too (https requests to Azure should use it), or unset HTTP_PROXY.', actor: 'user', commands: ['export HTTPS_PROXY="$HTTP_PROXY"'] }
          : sv === 'ALL_PROXY'
            ? { summary: `Unset ALL_PROXY or set it to the same proxy as ${tv ?? 'HTTPS_PROXY'}.`, actor: 'user', commands: ['unset ALL_PROXY all_proxy'] }
            : { summary: 'Set the upper- and lower-case proxy variables to the same proxy.', actor: 'user' },
    },
  ];
}

/** Both: case conflicts first, then stack precedence differences. */
export function proxyPrecedenceFindings(env: Env, opts: RouteOptions = {}): Finding[] {
  return [...envConflictFindings(env, opts), ...precedenceFindings(env, opts)];
}
