// An httpClient for @azure/identity that records each exchange (URL, status, error body, network error
// code) so that AADSTS codes, trace ids and socket errors are not lost behind "unavailable", bounds every
// request with its own timeout (MSAL ignores abort signals), and trusts what the server would trust.

import { readFileSync } from 'node:fs';
import type { HttpClient, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import { sdkProxyFor } from '../../entra/network-cause.js';
import { scrub } from './exec.js';
import type { Env, HttpExchange } from './types.js';

const MAX_BODY = 2000;

/** Strips user:password from a proxy URL. */
export function proxyLabel(proxy: string | undefined): string | undefined {
  if (!proxy) return undefined;
  try {
    const u = new URL(proxy.includes('://') ? proxy : `http://${proxy}`);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(unparsable proxy URL)';
  }
}

const LINUX_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

let cachedTrust: { key: string; settings: { ca: string } | undefined; source: string } | undefined;

/**
 * The CA bundle the server (.NET on Linux: OpenSSL) trusts, as TLS settings for the SDK. On other
 * platforms the OS store is not readable from Node 20; Node's default store is used and that is said.
 */
export function serverTrust(env: Env, platform: NodeJS.Platform = process.platform): { settings: { ca: string } | undefined; source: string } {
  const key = `${platform}|${env.SSL_CERT_FILE ?? ''}`;
  if (cachedTrust?.key === key) return cachedTrust;
  let result: { settings: { ca: string } | undefined; source: string } = { settings: undefined, source: "Node's bundled CA store" };
  if (platform === 'linux') {
    for (const file of [env.SSL_CERT_FILE, ...LINUX_BUNDLES]) {
      if (!file) continue;
      try {
        const pem = readFileSync(file, 'utf8');
        if (pem.includes('BEGIN CERTIFICATE')) {
          result = { settings: { ca: pem }, source: `OS store ${file}` };
          break;
        }
      } catch {
        // try the next
      }
    }
  }
  cachedTrust = { key, ...result };
  return result;
}

export interface Recorder {
  httpClient: HttpClient;
  exchanges: HttpExchange[];
}

export interface RecorderOptions {
  requestTimeoutMs: number;
  signal: AbortSignal;
  env: Env;
  /** Use the server's trust store (Linux OS bundle) instead of Node's. */
  serverTrust?: boolean;
  /** A CA bundle to trust instead (tests, custom trust). */
  ca?: string;
}

type AgentLike = NonNullable<PipelineRequest['agent']>;

/**
 * Through a proxy, the SDK ignores TLS settings (https-proxy-agent uses Node's own store for the
 * tunnelled connection). Behind a TLS-inspecting proxy whose CA the OS (and so the server) trusts, that
 * would be a false failure; this agent passes the server-like CA bundle to the tunnelled TLS instead.
 */
async function proxyAgentWithCa(proxy: string, ca: string): Promise<AgentLike> {
  const { HttpsProxyAgent } = await import('https-proxy-agent');
  type ConnectArgs = Parameters<InstanceType<typeof HttpsProxyAgent<string>>['connect']>;
  class CaProxyAgent extends HttpsProxyAgent<string> {
    override connect(req: ConnectArgs[0], o: ConnectArgs[1]) {
      return super.connect(req, { ...o, ca } as ConnectArgs[1]);
    }
  }
  return new CaProxyAgent(proxy, { keepAlive: false }) as unknown as AgentLike;
}

/** Builds a recording httpClient around @azure/core-rest-pipeline's default client. */
export async function createRecorder(opts: RecorderOptions): Promise<Recorder> {
  const { createDefaultHttpClient } = await import('@azure/core-rest-pipeline');
  const inner = createDefaultHttpClient();
  const exchanges: HttpExchange[] = [];
  const trust = opts.ca ? { ca: opts.ca } : opts.serverTrust === false ? undefined : serverTrust(opts.env).settings;
  const proxyAgents = new Map<string, AgentLike>();
  const httpClient: HttpClient = {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const started = performance.now();
      let url: URL | undefined;
      try {
        url = new URL(request.url);
      } catch {
        // recorded as is
      }
      const shownUrl = url ? `${url.protocol}//${url.host}${url.pathname}` : request.url.split('?')[0]!;
      const host = url?.hostname ?? '';
      const proxyUrl = sdkProxyFor(request.url, process.env);
      const proxy = proxyLabel(proxyUrl);
      // MSAL ignores abort signals; a per-request timeout is the only bound on a hung authority.
      if (!request.timeout || request.timeout > opts.requestTimeoutMs) request.timeout = opts.requestTimeoutMs;
      request.abortSignal = request.abortSignal ? AbortSignal.any([request.abortSignal as AbortSignal, opts.signal]) : opts.signal;
      if (trust && url?.protocol === 'https:') {
        if (request.agent && proxyUrl) {
          let agent = proxyAgents.get(proxyUrl);
          if (!agent) {
            try {
              agent = await proxyAgentWithCa(proxyUrl.includes('://') ? proxyUrl : `http://${proxyUrl}`, trust.ca);
              proxyAgents.set(proxyUrl, agent);
            } catch {
              // keep the SDK's agent (Node's store)
            }
          }
          if (agent) request.agent = agent;
        } else if (!request.tlsSettings) {
          request.tlsSettings = trust;
        }
      }
      try {
        const res = await inner.sendRequest(request);
        const ex: HttpExchange = {
          method: request.method,
          url: shownUrl,
          host,
          status: res.status,
          durationMs: Math.round(performance.now() - started),
          ...(proxy ? { proxy } : {}),
        };
        if (res.status >= 400 && typeof res.bodyAsText === 'string') {
          const b = scrub(res.bodyAsText);
          ex.body = b.length > MAX_BODY ? `${b.slice(0, MAX_BODY)}...` : b;
        }
        exchanges.push(ex);
        return res;
      } catch (err) {
        const e = err as { code?: string; name?: string; message?: string };
        const aborted = e.name === 'AbortError' && !opts.signal.aborted;
        exchanges.push({
          method: request.method,
          url: shownUrl,
          host,
          errorCode: aborted ? 'ETIMEDOUT' : (e.code ?? e.name ?? 'ERROR'),
          errorMessage: scrub(String(e.message ?? err)).slice(0, 300),
          durationMs: Math.round(performance.now() - started),
          ...(proxy ? { proxy } : {}),
        });
        throw err;
      }
    },
  };
  return { httpClient, exchanges };
}
