// ManagedIdentityCredential: which source the environment selects (MSAL's order), and one token request
// to that source's endpoint with a short time limit, made directly with node:http so that no MSAL
// retry loop (about 25 s) and no process-wide MSAL state is involved. 169.254.169.254 is contacted only
// when the environment really selects IMDS (and never when --imds-endpoint points elsewhere).

import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { EvidenceValue, Finding } from '../../core/model.js';
import { identityFromToken } from '../../chain/token-claims.js';
import { networkCause } from '../../entra/network-cause.js';
import { parseEntraBody } from '../../entra/parse.js';
import { scrub } from './exec.js';
import { armAudience } from './sdk-attempt.js';
import type { CredentialAttempt, Env, HttpExchange, ProbeContext } from './types.js';
import { serverTokenRoute } from '../../network/routes.js';

export type ManagedIdentitySource = 'ServiceFabric' | 'AppService' | 'MachineLearning' | 'CloudShell' | 'AzureArc' | 'IMDS';

export interface SourceSelection {
  source: ManagedIdentitySource;
  /** Variables that selected it. */
  selectedBy: string;
  endpoint: string;
}

const ARC_HIMDS = process.platform === 'win32' ? `${process.env.ProgramFiles ?? 'C:\\Program Files'}\\AzureConnectedMachineAgent\\himds.exe` : '/opt/azcmagent/bin/himds';

/** MSAL's ManagedIdentityClient.GetManagedIdentitySource, in order. */
export function selectManagedIdentitySource(env: Env, arcAgentInstalled = existsSync(ARC_HIMDS)): SourceSelection {
  if (env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER) {
    if (env.IDENTITY_SERVER_THUMBPRINT) return { source: 'ServiceFabric', selectedBy: 'IDENTITY_ENDPOINT, IDENTITY_HEADER, IDENTITY_SERVER_THUMBPRINT', endpoint: env.IDENTITY_ENDPOINT };
    return { source: 'AppService', selectedBy: 'IDENTITY_ENDPOINT, IDENTITY_HEADER', endpoint: env.IDENTITY_ENDPOINT };
  }
  if (env.MSI_ENDPOINT) {
    if (env.MSI_SECRET) return { source: 'MachineLearning', selectedBy: 'MSI_ENDPOINT, MSI_SECRET', endpoint: env.MSI_ENDPOINT };
    return { source: 'CloudShell', selectedBy: 'MSI_ENDPOINT', endpoint: env.MSI_ENDPOINT };
  }
  if ((env.IDENTITY_ENDPOINT && env.IMDS_ENDPOINT) || arcAgentInstalled) {
    return {
      source: 'AzureArc',
      selectedBy: env.IDENTITY_ENDPOINT && env.IMDS_ENDPOINT ? 'IDENTITY_ENDPOINT, IMDS_ENDPOINT' : `the Azure Arc agent (${ARC_HIMDS})`,
      endpoint: env.IDENTITY_ENDPOINT ?? 'http://127.0.0.1:40342/metadata/identity/oauth2/token',
    };
  }
  const host = env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
  return {
    source: 'IMDS',
    selectedBy: host ? 'AZURE_POD_IDENTITY_AUTHORITY_HOST' : 'no managed identity variables (default: the VM metadata endpoint)',
    endpoint: `${(host || 'http://169.254.169.254').replace(/\/+$/, '')}/metadata/identity/oauth2/token`,
  };
}

/**
 * The proxy the server's Azure.Core would send this managed-identity request through (for plain-http
 * endpoints: http_proxy/HTTP_PROXY, then all_proxy/ALL_PROXY; its NO_PROXY dialect), with credentials
 * for use (never print it: see `shownProxy`). Undefined when the request goes direct.
 */
export function dotnetProxyFor(url: string, env: Env): string | undefined {
  const route = serverTokenRoute(url, env);
  if (route.via === 'direct') return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(route.proxyUrl) ? route.proxyUrl : `http://${route.proxyUrl}`;
}

function shownProxy(proxy: string): string {
  return proxy.replace(/\/\/[^@/]*@/, '//');
}

interface RawResponse {
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body?: string;
  errorCode?: string;
  errorMessage?: string;
  durationMs: number;
}

function request(
  url: URL,
  opts: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number; signal: AbortSignal; proxy?: string },
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const started = performance.now();
    const lib = url.protocol === 'https:' ? https : http;
    // A plain-http request through a proxy, as the server would send it: absolute URL to the proxy,
    // with the proxy URL's credentials. (https endpoints are probed direct.)
    let target: URL | string = url;
    let options: http.RequestOptions = { method: opts.method, headers: opts.headers, agent: false, signal: opts.signal };
    if (opts.proxy && url.protocol === 'http:') {
      const p = new URL(opts.proxy);
      const auth = p.username ? { 'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}` } : {};
      target = url.href;
      options = { ...options, host: p.hostname.replace(/^\[|\]$/g, ''), port: Number(p.port || 80), path: url.href, headers: { ...opts.headers, Host: url.host, ...auth } };
    }
    let done = false;
    const finish = (r: Omit<RawResponse, 'durationMs'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...r, durationMs: Math.round(performance.now() - started) });
    };
    const req = (typeof target === 'string' ? http.request(options, onResponse) : lib.request(target, options, onResponse));
    function onResponse(res: http.IncomingMessage) {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 64 * 1024) body += d;
      });
      res.on('end', () => finish({ status: res.statusCode, headers: res.headers, body }));
      res.on('error', (e: NodeJS.ErrnoException) => finish({ errorCode: e.code ?? 'ERROR', errorMessage: e.message }));
    }
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, opts.timeoutMs);
    timer.unref?.();
    req.on('error', (e: NodeJS.ErrnoException) => finish({ errorCode: e.name === 'AbortError' ? 'ABORTED' : (e.code ?? 'ERROR'), errorMessage: e.message }));
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

export function unreachableFinding(endpoint: string, sel: SourceSelection, code: string, viaProxy: string | undefined): Finding {
  const onVm = sel.source === 'IMDS' && !sel.selectedBy.startsWith('AZURE_POD');
  return {
    code: 'credential.managed-identity-unreachable',
    severity: 'error',
    message:
      `The managed identity endpoint ${endpoint} (${sel.source}, selected by ${sel.selectedBy}) did not answer (${code}).` +
      (onVm ? ' This machine is probably not an Azure VM, or IMDS is blocked; the server\'s ManagedIdentityCredential then retries for about 25 s before giving up.' : '') +
      (viaProxy ? ` The server would send this request through the proxy ${viaProxy}; the proxy must not carry it (see proxy.imds-not-bypassed).` : ''),
    target: 'ManagedIdentityCredential',
    evidence: { endpoint, source: sel.source, errorCode: code, viaProxy: viaProxy ?? null },
    fix: {
      summary: onVm
        ? 'Run the server on an Azure resource with a managed identity, or use another credential (AZURE_TOKEN_CREDENTIALS=dev or a service principal) off Azure.'
        : `Check that ${sel.source} managed identity is enabled for this resource and that ${endpoint} is reachable from where the server runs${viaProxy ? ', and add its host to NO_PROXY' : ''}.`,
      actor: onVm ? 'user' : 'resource-admin',
    },
  };
}

export async function probeManagedIdentity(ctx: ProbeContext, imdsOverride?: string): Promise<CredentialAttempt> {
  const started = performance.now();
  const env = ctx.env;
  const sel = selectManagedIdentitySource(env);
  const clientId = env.AZURE_CLIENT_ID || undefined;
  const facts: Record<string, EvidenceValue> = {
    source: sel.source,
    selectedBy: sel.selectedBy,
    assignment: clientId ? `user-assigned (AZURE_CLIENT_ID=${clientId})` : 'system-assigned',
  };
  const findings: Finding[] = [];
  const elapsed = () => Math.round(performance.now() - started);
  const configured = sel.source !== 'IMDS' || !!env.AZURE_POD_IDENTITY_AUTHORITY_HOST || !!imdsOverride;
  const base = { name: 'ManagedIdentityCredential' as const, kind: 'managed-identity' as const, configured, findings, facts };

  // The doctor's override (tests, or a user pointing at a local emulator) replaces the endpoint's origin.
  let endpoint = sel.endpoint;
  if (imdsOverride) {
    const o = new URL(imdsOverride);
    const e = new URL(sel.endpoint);
    endpoint = sel.source === 'IMDS' ? `${o.origin}${o.pathname.replace(/\/+$/, '')}/metadata/identity/oauth2/token` : `${o.origin}${e.pathname}`;
    facts.endpointOverride = o.origin;
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    findings.push({
      code: 'credential.env-invalid',
      severity: 'error',
      message: `The managed identity endpoint "${endpoint}" (from ${sel.selectedBy}) is not a URL.`,
      target: 'ManagedIdentityCredential',
      evidence: { source: sel.source },
      fix: { summary: 'Unset or correct the variable; the platform sets it.', actor: 'user' },
    });
    return { ...base, state: 'failed', reason: 'endpoint is not a URL', durationMs: elapsed() };
  }
  facts.endpoint = `${url.origin}${url.pathname}`;
  const resource = armAudience(ctx);
  const headers: Record<string, string> = {};
  let method = 'GET';
  let body: string | undefined;
  switch (sel.source) {
    case 'AppService':
      url.searchParams.set('api-version', '2019-08-01');
      url.searchParams.set('resource', resource);
      if (clientId) url.searchParams.set('client_id', clientId);
      headers['X-IDENTITY-HEADER'] = env.IDENTITY_HEADER!;
      break;
    case 'ServiceFabric':
      url.searchParams.set('api-version', '2019-07-01-preview');
      url.searchParams.set('resource', resource);
      if (clientId) url.searchParams.set('client_id', clientId);
      headers.secret = env.IDENTITY_HEADER!;
      break;
    case 'MachineLearning':
      url.searchParams.set('api-version', '2017-09-01');
      url.searchParams.set('resource', resource);
      if (clientId) url.searchParams.set('clientid', clientId);
      headers.Metadata = 'true';
      headers.secret = env.MSI_SECRET!;
      break;
    case 'CloudShell':
      method = 'POST';
      headers.Metadata = 'true';
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ resource, ...(clientId ? { client_id: clientId } : {}) }).toString();
      break;
    case 'AzureArc':
      url.searchParams.set('api-version', '2020-06-01');
      url.searchParams.set('resource', resource);
      headers.Metadata = 'true';
      break;
    case 'IMDS':
      url.searchParams.set('api-version', '2018-02-01');
      url.searchParams.set('resource', resource);
      if (clientId) url.searchParams.set('client_id', clientId);
      headers.Metadata = 'true';
      break;
  }
  const proxyForUse = dotnetProxyFor(url.toString(), env);
  const viaProxy = proxyForUse ? shownProxy(proxyForUse) : undefined;
  if (viaProxy) facts.serverProxy = viaProxy;
  const shown = `${url.origin}${url.pathname}`;
  const exchanges: HttpExchange[] = [];
  const res = await request(url, { method, headers, ...(body ? { body } : {}), timeoutMs: ctx.managedIdentityTimeoutMs, signal: ctx.signal, ...(proxyForUse ? { proxy: proxyForUse } : {}) });
  exchanges.push({
    method,
    url: shown,
    host: url.hostname,
    durationMs: res.durationMs,
    ...(res.status !== undefined ? { status: res.status } : {}),
    ...(res.errorCode ? { errorCode: res.errorCode, errorMessage: scrub(res.errorMessage ?? '') } : {}),
    ...(res.status !== undefined && res.status >= 400 && res.body ? { body: scrub(res.body).slice(0, 2000) } : {}),
  });
  if (res.errorCode) {
    findings.push(unreachableFinding(shown, sel, res.errorCode, viaProxy));
    const cause = networkCause({ errorCode: res.errorCode, host: url.host, message: res.errorMessage });
    return {
      ...base,
      state: sel.source === 'IMDS' && !configured ? 'unavailable' : 'failed',
      reason: `no managed identity endpoint answered at ${shown} (${res.errorCode})`,
      durationMs: elapsed(),
      exchanges,
      ...(cause ? { network: cause } : {}),
      ...(res.errorCode === 'ETIMEDOUT' ? { timedOut: true } : {}),
    };
  }
  if (sel.source === 'AzureArc' && res.status === 401) {
    const realm = /Basic realm=([^\s,]+)/i.exec(String(res.headers?.['www-authenticate'] ?? ''))?.[1];
    let key: string | undefined;
    try {
      if (realm) key = readFileSync(realm, 'utf8').trim();
    } catch (err) {
      findings.push({
        code: 'credential.failed',
        severity: 'error',
        message: `The Azure Arc agent answered, but its challenge key file ${realm} cannot be read (${(err as NodeJS.ErrnoException).code}). Only members of the "himds" group (or administrators) may read it.`,
        target: 'ManagedIdentityCredential',
        evidence: { source: 'AzureArc', keyFile: realm ?? null },
        fix: { summary: 'Add the user that runs the MCP client to the himds group (Linux: sudo usermod -aG himds <user>), then start a new session.', actor: 'resource-admin' },
      });
      return { ...base, state: 'failed', reason: 'Arc key file unreadable', durationMs: elapsed(), exchanges };
    }
    if (key) {
      const again = await request(url, { method, headers: { ...headers, Authorization: `Basic ${key}` }, timeoutMs: ctx.managedIdentityTimeoutMs, signal: ctx.signal });
      exchanges.push({ method, url: shown, host: url.hostname, durationMs: again.durationMs, ...(again.status !== undefined ? { status: again.status } : {}) });
      Object.assign(res, again);
    }
  }
  if (res.status === 200) {
    let token: string | undefined;
    try {
      token = (JSON.parse(res.body ?? '') as { access_token?: string }).access_token;
    } catch {
      // handled below
    }
    const identity = identityFromToken(token);
    if (!token) return { ...base, state: 'failed', reason: `${shown} answered 200 without an access_token`, durationMs: elapsed(), exchanges };
    return { ...base, state: 'succeeded', reason: `got a token from ${sel.source}`, durationMs: elapsed(), exchanges, ...(identity ? { identity } : {}) };
  }
  // The proxy, not the identity endpoint, answered: managed-identity endpoints do not work through proxies.
  if (viaProxy && res.status !== undefined && [407, 403, 502, 503, 504].includes(res.status)) {
    findings.push({
      code: 'credential.managed-identity-unreachable',
      severity: 'error',
      message:
        `The server would send its managed-identity request for ${shown} through the proxy ${viaProxy}, which answered HTTP ${res.status}` +
        `${res.status === 407 ? ' (proxy authentication required)' : ''}; the identity endpoint never sees it, so ManagedIdentityCredential fails. See proxy.imds-not-bypassed.`,
      target: 'ManagedIdentityCredential',
      evidence: { endpoint: shown, source: sel.source, status: res.status, viaProxy, symptom: `proxy answered ${res.status}` },
      fix: {
        summary: `Add ${url.hostname} to NO_PROXY (and no_proxy) where the MCP client starts the server, so the managed-identity request goes direct.`,
        actor: 'user',
        commands: [`export NO_PROXY="$NO_PROXY,${url.hostname}" no_proxy="$no_proxy,${url.hostname}"`],
      },
    });
    const cause = networkCause({ status: res.status, host: url.host, proxy: viaProxy });
    return { ...base, state: 'failed', reason: `the proxy ${viaProxy} answered HTTP ${res.status} instead of the identity endpoint`, durationMs: elapsed(), exchanges, ...(cause ? { network: cause } : {}) };
  }
  const entra = parseEntraBody(res.body);
  const desc = entra?.description ?? scrub(res.body ?? '').slice(0, 200);
  const notFound = /identity not found|not found|no managed identity|unable to find|Unable to load the proper Managed Identity/i.test(desc);
  const reason = `HTTP ${res.status} from ${sel.source}${entra?.error ? ` (${entra.error})` : ''}${desc ? `: ${desc}` : ''}`;
  findings.push({
    code: 'credential.failed',
    severity: 'error',
    message:
      notFound && clientId
        ? `The managed identity endpoint does not know a user-assigned identity with client id ${clientId} (AZURE_CLIENT_ID) on this resource.`
        : notFound
          ? 'The managed identity endpoint answered, but this resource has no system-assigned managed identity.'
          : `The managed identity endpoint refused the token request: ${reason}.`,
    target: 'ManagedIdentityCredential',
    evidence: { source: sel.source, status: res.status ?? null, ...(entra?.error ? { error: entra.error } : {}), endpoint: shown },
    fix: {
      summary: notFound
        ? clientId
          ? 'Attach the user-assigned identity to this resource, or set AZURE_CLIENT_ID to the client id of an identity that is attached (not its object or resource id).'
          : 'Enable the system-assigned identity on this resource, or attach a user-assigned one and set AZURE_CLIENT_ID to its client id.'
        : 'Check the managed identity configuration of the resource; the endpoint\'s answer is in the evidence.',
      actor: 'resource-admin',
    },
  });
  return { ...base, state: 'failed', reason, durationMs: elapsed(), exchanges, ...(entra ? { entra } : {}) };
}
