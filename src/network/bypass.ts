// NO_PROXY analysis across consumers: bypass entries the server's own stacks ignore (the token stack and
// the ARM/data-plane client read NO_PROXY differently, docs/server-behaviour-2.0.5.md §1.2), and the
// managed-identity endpoint going through a proxy. Pure.

import type { Endpoint } from '../core/endpoints.js';
import type { Finding } from '../core/model.js';
import { isCidr } from './addresses.js';
import { redactProxyValue, type Env } from './proxy-env.js';
import { CONSUMERS, CONSUMER_SHORT, routeFor, serverUsesWebProxy, type RouteOptions } from './routes.js';

export { serverUsesWebProxy };

export const IMDS_URL = 'http://169.254.169.254/metadata/identity/oauth2/token';

/** The glob the server would honour for a suffix-style entry (".x.y" or "x.y" -> "*.x.y"). */
export function serverGlobFor(entry: string): string | undefined {
  const e = entry.trim();
  if (!e || e.includes('*') || isCidr(e)) return undefined;
  return `*.${e.replace(/^\.+/, '')}`;
}

/** An entry for `host` in the given dialect, derived from an entry another consumer honours. */
export function suggestedEntry(dialect: 'dotnet-env' | 'server-glob', host: string, entry: string): string {
  const h = host.toLowerCase();
  const base = entry.trim().toLowerCase().replace(/:\d+$/, '').replace(/^\*/, '').replace(/^\.+/, '');
  const parent = base && base !== h && h.endsWith(`.${base}`) ? base : undefined;
  if (dialect === 'server-glob') {
    if (entry.trim() === '*') return '*';
    return parent ? `*.${parent}` : `*${h}`;
  }
  return parent ? `.${parent}` : h;
}

const AZURE_HINT = /(windows\.net|azure\.(com|net|cn|us)|microsoftonline|microsoft\.(com|us)|chinacloudapi\.cn|usgovcloudapi\.net|privatelink|azurecr\.io|azconfig\.io)$/i;
/** Entries aimed at the authority: only token requests (Azure.Core) go there. */
const AUTHORITY_HINT = /(^|\.)(microsoftonline\.(com|us|cn)|login\.[a-z.]+)$/i;

const DIALECT_TEXT: Record<'dotnet-env' | 'server-glob', string> = {
  'dotnet-env': "with .NET rules (exact host names and '.suffix' entries only; '*', '*.suffix', bare parent domains, host:port and CIDRs match nothing)",
  'server-glob': "as anchored '*'-globs (only entries with '*' such as '*.blob.core.windows.net' match; plain names, '.suffix' entries and CIDRs never do)",
};

const SERVER_PART: Record<'azure-core' | 'server-http', string> = {
  'azure-core': "the server's token requests (Azure.Core)",
  'server-http': "the server's ARM/data-plane client",
};

/**
 * proxy.bypass-ignored-by-server (docs/server-behaviour-2.0.5.md §1.2): per endpoint the server uses
 * (authority: token stack; ARM and resources: ARM/data-plane client), a bypass that another consumer
 * (or the server's other stack) honours but the server's own stack does not, so the server sends that
 * host through the proxy (warning); then Azure-looking entries the server can never match (info).
 */
export function bypassFindings(env: Env, endpoints: readonly Endpoint[], opts: RouteOptions = {}): Finding[] {
  const out: Finding[] = [];
  const reported = new Set<string>();
  for (const ep of endpoints) {
    // Only hosts the server contacts (§5): not the authority alias, not Graph; managed identity: imdsFindings.
    if (ep.role !== 'authority' && ep.role !== 'arm' && ep.role !== 'resource') continue;
    const sc: 'azure-core' | 'server-http' = ep.role === 'authority' ? 'azure-core' : 'server-http';
    const server = routeFor(sc, ep.url, env, opts);
    if (server.via !== 'proxy' || server.broken) continue;
    const others = CONSUMERS.filter((c) => c !== sc)
      .map((c) => routeFor(c, ep.url, env, opts))
      .filter((r) => r.via === 'direct' && r.bypassEntry !== undefined);
    if (!others.length) continue;
    const entry = others[0]!.bypassEntry!;
    reported.add(entry.toLowerCase());
    const dialect = server.bypassDialect === 'server-glob' ? 'server-glob' : 'dotnet-env';
    const variable = server.noProxyVariable ?? 'NO_PROXY';
    const suggestion = suggestedEntry(dialect, ep.host, entry);
    const target = `${ep.host}:${ep.port}`;
    const fromLower = dialect === 'server-glob' && env.NO_PROXY === undefined && env.no_proxy !== undefined;
    const verb = sc === 'azure-core' ? 'read' : 'reads';
    const reads = fromLower
      ? `${verb} only upper-case NO_PROXY while an upper-case proxy variable is set (lower-case no_proxy is ignored), ${DIALECT_TEXT[dialect]}`
      : `${verb} ${variable} ${DIALECT_TEXT[dialect]}`;
    const entryVar = others[0]!.noProxyVariable ?? 'NO_PROXY';
    out.push({
      code: 'proxy.bypass-ignored-by-server',
      severity: 'warning',
      message:
        `${entryVar} entry '${entry}' makes ${others.map((r) => CONSUMER_SHORT[r.consumer]).join(', ')} go direct to ${ep.host}, but ${SERVER_PART[sc]} ` +
        `${reads}, so ${ep.host} goes through ${server.proxy}. With a private endpoint or a proxy that blocks ${ep.host}, the server fails where the other tools work.`,
      target,
      evidence: {
        target,
        entry,
        bypassedBy: others.map((r) => r.consumer).join(','),
        serverConsumer: sc,
        serverRoute: `proxy ${server.proxy}`,
        serverDialect: dialect,
        serverReads: variable,
        suggestedEntry: suggestion,
      },
      fix: {
        summary: `Add '${suggestion}' to ${variable} (keep '${entry}' for the other tools).`,
        actor: 'user',
        commands: [`export ${variable}="$${variable},${suggestion}"`],
      },
    });
  }
  // Entries the server's ARM/data-plane WebProxy can never match (it never contacts the authority, so
  // entries aimed at login hosts are left out).
  if (serverUsesWebProxy(env)) {
    const upper = env.NO_PROXY;
    const list = upper ?? env.no_proxy ?? '';
    const fromLower = upper === undefined;
    for (const raw of list.split(',')) {
      const entry = raw.trim();
      if (!entry || reported.has(entry.toLowerCase())) continue;
      if (!fromLower && entry.includes('*')) continue; // a glob: the server honours it
      const bare = entry.replace(/^\.+/, '').replace(/^\*\.?/, '');
      if (!AZURE_HINT.test(bare) || AUTHORITY_HINT.test(bare)) continue;
      const glob = entry.includes('*') ? entry : serverGlobFor(entry)!;
      if (!fromLower && list.split(',').some((e) => e.trim().toLowerCase() === glob.toLowerCase())) continue;
      reported.add(entry.toLowerCase());
      out.push({
        code: 'proxy.bypass-ignored-by-server',
        severity: 'info',
        message: fromLower
          ? `no_proxy entry '${entry}' is ignored by the server's ARM/data-plane client: with an upper-case proxy variable set it reads only upper-case NO_PROXY, and only '*' globs such as '${glob}'.`
          : `NO_PROXY entry '${entry}' is ignored by the server's ARM/data-plane client, which only honours '*' globs such as '${glob}'.`,
        target: fromLower ? 'no_proxy' : 'NO_PROXY',
        evidence: { entry, suggestedEntry: glob, serverConsumer: 'server-http', serverDialect: 'server-glob', serverReads: 'NO_PROXY' },
        fix: { summary: `Add '${glob}' to NO_PROXY.`, actor: 'user', commands: [`export NO_PROXY="$NO_PROXY,${glob}"`] },
      });
    }
  }
  // Entries aimed at the authority that the token stack (.NET rules) can never match.
  const token = routeFor('azure-core', 'https://login.microsoftonline.com', { ...env, NO_PROXY: undefined, no_proxy: undefined }, opts);
  if (token.via === 'proxy') {
    const variable = env.no_proxy !== undefined ? 'no_proxy' : 'NO_PROXY';
    for (const raw of (env[variable] ?? '').split(',')) {
      const entry = raw.trim();
      if (!entry || reported.has(entry.toLowerCase()) || !entry.includes('*')) continue;
      const bare = entry.replace(/^\*\.?/, '');
      if (!bare || !AUTHORITY_HINT.test(bare)) continue;
      const suggestion = `.${bare.replace(/^\.+/, '')}`;
      reported.add(entry.toLowerCase());
      out.push({
        code: 'proxy.bypass-ignored-by-server',
        severity: 'info',
        message: `${variable} entry '${entry}' is ignored by the server's token requests (Azure.Core), which read ${variable} ${DIALECT_TEXT['dotnet-env']}; '${suggestion}' would match.`,
        target: variable,
        evidence: { entry, suggestedEntry: suggestion, serverConsumer: 'azure-core', serverDialect: 'dotnet-env', serverReads: variable },
        fix: { summary: `Add '${suggestion}' to ${variable}.`, actor: 'user', commands: [`export ${variable}="$${variable},${suggestion}"`] },
      });
    }
  }
  return out;
}

/**
 * proxy.imds-not-bypassed: the server's token client (Azure.Core) would send managed-identity
 * requests to a proxy. IMDS and App Service/Arc identity endpoints do not work through proxies.
 * A warning when managed identity is plausibly in use, else info.
 */
export function imdsFindings(env: Env, managedIdentity: Endpoint | undefined, opts: RouteOptions & { miLikely?: boolean } = {}): Finding[] {
  const out: Finding[] = [];
  const urls = [{ url: IMDS_URL, host: '169.254.169.254' }];
  if (managedIdentity && managedIdentity.host !== '169.254.169.254') urls.push({ url: managedIdentity.url, host: managedIdentity.host });
  for (const u of urls) {
    const r = routeFor('azure-core', u.url, env, opts);
    if (r.via !== 'proxy') continue;
    const cli = routeFor('azure-cli', u.url, env, opts);
    const target = `${u.host}:${new URL(u.url).port || 80}`;
    out.push({
      code: 'proxy.imds-not-bypassed',
      severity: opts.miLikely ? 'warning' : 'info',
      message:
        `Managed-identity requests to ${u.host} would go through the proxy ${r.proxy} (${r.variable}); the identity endpoint only answers direct requests, ` +
        `so ManagedIdentityCredential fails or the proxy answers instead (407/403/502).${opts.miLikely ? '' : ' This matters only where managed identity is used (Azure VMs, App Service, AKS, Arc).'}`,
      target,
      evidence: {
        target,
        proxy: r.proxy ?? null,
        variable: r.variable ?? null,
        consumer: 'azure-core',
        azureCliRoute: cli.via === 'proxy' ? `proxy ${cli.proxy}` : 'direct',
        noProxy: env.no_proxy ?? env.NO_PROXY ?? null,
      },
      fix: {
        summary: `Add ${u.host} to NO_PROXY and no_proxy.`,
        actor: 'user',
        commands: [`export NO_PROXY="$NO_PROXY,${u.host}" no_proxy="$no_proxy,${u.host}"`],
      },
    });
  }
  return out;
}

/** Does the env point the server at managed identity? (AZURE_TOKEN_CREDENTIALS, identity endpoint variables) */
export function managedIdentityLikely(env: Env, imdsOverride?: string): boolean {
  const atc = (env.AZURE_TOKEN_CREDENTIALS ?? '').trim().toLowerCase();
  if (atc === 'prod' || atc === 'managedidentitycredential') return true;
  return !!(imdsOverride || env.IDENTITY_ENDPOINT || env.MSI_ENDPOINT || env.IMDS_ENDPOINT);
}

export { redactProxyValue };
