// NO_PROXY analysis across consumers: entries the server's ARM/data-plane client ignores, and the
// managed-identity endpoint going through a proxy. Pure.

import type { Endpoint } from '../core/endpoints.js';
import type { Finding } from '../core/model.js';
import { isCidr } from './addresses.js';
import { redactProxyValue, type Env } from './proxy-env.js';
import { CONSUMER_SHORT, routeFor, serverGlobToRegex, type Consumer, type RouteOptions } from './routes.js';

export const IMDS_URL = 'http://169.254.169.254/metadata/identity/oauth2/token';

/** Is the server's client in WebProxy mode (a usable upper-case proxy variable)? */
export function serverUsesWebProxy(env: Env): boolean {
  const name = env.ALL_PROXY !== undefined ? 'ALL_PROXY' : env.HTTPS_PROXY !== undefined ? 'HTTPS_PROXY' : env.HTTP_PROXY !== undefined ? 'HTTP_PROXY' : undefined;
  return !!name && !!env[name] && /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(env[name]!.trim());
}

/** The glob the server would honour for a suffix-style entry (".x.y" or "x.y" -> "*.x.y"). */
export function serverGlobFor(entry: string): string | undefined {
  const e = entry.trim();
  if (!e || e.includes('*') || isCidr(e)) return undefined;
  return `*.${e.replace(/^\.+/, '')}`;
}

const AZURE_HINT = /(windows\.net|azure\.(com|net|cn|us)|microsoftonline|microsoft\.(com|us)|chinacloudapi\.cn|usgovcloudapi\.net|privatelink|azurecr\.io|azconfig\.io)$/i;

/**
 * proxy.bypass-ignored-by-server: an endpoint the other consumers bypass but the server proxies
 * (per endpoint), and Azure-looking suffix entries the server can never match (per entry).
 */
export function bypassFindings(env: Env, endpoints: readonly Endpoint[], opts: RouteOptions = {}): Finding[] {
  const out: Finding[] = [];
  if (!serverUsesWebProxy(env) || !env.NO_PROXY) return out;
  const reported = new Set<string>();
  for (const ep of endpoints) {
    if (ep.role === 'authority' || ep.role === 'authority-alias' || ep.role === 'managed-identity') continue; // token calls use Azure.Core
    const server = routeFor('server-http', ep.url, env, opts);
    if (server.via !== 'proxy') continue;
    const others = (['azure-core', 'node-undici', 'azure-cli'] as Consumer[])
      .map((c) => routeFor(c, ep.url, env, opts))
      .filter((r) => r.via === 'direct' && r.bypassEntry !== undefined);
    if (!others.length) continue;
    const entry = others[0]!.bypassEntry!;
    reported.add(entry.toLowerCase());
    const glob = serverGlobFor(entry);
    const target = `${ep.host}:${ep.port}`;
    out.push({
      code: 'proxy.bypass-ignored-by-server',
      severity: 'warning',
      message:
        `NO_PROXY entry '${entry}' makes ${others.map((r) => CONSUMER_SHORT[r.consumer]).join(', ')} go direct to ${ep.host}, but the server's ARM/data-plane client ` +
        `only honours '*' globs and sends it through ${server.proxy}. With a private endpoint or a proxy that blocks ${ep.host}, the server fails where the other tools work.`,
      target,
      evidence: {
        target,
        entry,
        bypassedBy: others.map((r) => r.consumer).join(','),
        serverRoute: `proxy ${server.proxy}`,
        suggestedEntry: glob ?? null,
      },
      fix: {
        summary: glob ? `Add '${glob}' to NO_PROXY (keep '${entry}' for the other tools).` : `Add a '*' glob covering ${ep.host} to NO_PROXY.`,
        actor: 'user',
        commands: glob ? [`export NO_PROXY="$NO_PROXY,${glob}"`] : undefined,
      },
    });
  }
  for (const raw of env.NO_PROXY.split(',')) {
    const entry = raw.trim();
    if (!entry || reported.has(entry.toLowerCase())) continue;
    if (serverGlobToRegex(entry) && entry.includes('*')) continue; // a glob: the server honours it
    if (!AZURE_HINT.test(entry.replace(/^\.+/, ''))) continue;
    const glob = serverGlobFor(entry)!;
    const alreadyGlobbed = env.NO_PROXY.split(',').some((e) => e.trim().toLowerCase() === glob.toLowerCase());
    if (alreadyGlobbed) continue;
    out.push({
      code: 'proxy.bypass-ignored-by-server',
      severity: 'info',
      message: `NO_PROXY entry '${entry}' is ignored by the server's ARM/data-plane client, which only honours '*' globs such as '${glob}'.`,
      target: 'NO_PROXY',
      evidence: { entry, suggestedEntry: glob },
      fix: { summary: `Add '${glob}' to NO_PROXY.`, actor: 'user', commands: [`export NO_PROXY="$NO_PROXY,${glob}"`] },
    });
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
