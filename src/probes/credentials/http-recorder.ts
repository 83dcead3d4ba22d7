// An httpClient for @azure/identity that records each exchange (URL, status, error body, network error
// code) so that AADSTS codes, trace ids and socket errors are not lost behind "unavailable", bounds every
// request with its own timeout (MSAL ignores abort signals), and trusts what the server would trust.

import { Agent as HttpsAgent } from 'node:https';
import type { HttpClient, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import { serverTokenRoute } from '../../network/routes.js';
import { serverTrustedCaPems } from '../trust-stores.js';
import { scrub } from './exec.js';
import type { Env, HttpExchange } from './types.js';

const MAX_BODY = 2000;

// Every credential attempt builds a recorder; the server's trust store is read once per run.
let trustCache: { key: string; pems: Promise<string[] | undefined> } | undefined;
function serverCa(env: Env): Promise<string[] | undefined> {
  const key = `${env.SSL_CERT_FILE ?? ''}|${env.SSL_CERT_DIR ?? ''}`;
  if (trustCache?.key !== key) trustCache = { key, pems: serverTrustedCaPems(env) };
  return trustCache.pems;
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
async function proxyAgentWithCa(proxy: string, ca: string[] | undefined): Promise<AgentLike> {
  const { HttpsProxyAgent } = await import('https-proxy-agent');
  type ConnectArgs = Parameters<InstanceType<typeof HttpsProxyAgent<string>>['connect']>;
  class CaProxyAgent extends HttpsProxyAgent<string> {
    override connect(req: ConnectArgs[0], o: ConnectArgs[1]) {
      return super.connect(req, (ca ? { ...o, ca } : o) as ConnectArgs[1]);
    }
  }
  return new CaProxyAgent(proxy, { keepAlive: false }) as unknown as AgentLike;
}

/** Builds a recording httpClient around @azure/core-rest-pipeline's default client. */
export async function createRecorder(opts: RecorderOptions): Promise<Recorder> {
  const { createDefaultHttpClient } = await import('@azure/core-rest-pipeline');
  const inner = createDefaultHttpClient();
  const exchanges: HttpExchange[] = [];
  // Trust what the server trusts (the OS store, SSL_CERT_FILE/SSL_CERT_DIR), not Node's bundle.
  const ca = opts.ca ? [opts.ca] : opts.serverTrust === false ? undefined : await serverCa(opts.env);
  const proxyAgents = new Map<string, AgentLike>();
  let directAgent: AgentLike | undefined;
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
      // Route as the server's token stack does (Azure.Core on .NET: https_proxy before HTTPS_PROXY, never
      // HTTP_PROXY for https, its own NO_PROXY dialect), not as the JavaScript SDK would.
      const route = url ? serverTokenRoute(url, opts.env) : undefined;
      const proxy = route?.via === 'proxy' ? route.displayUrl : undefined;
      // MSAL ignores abort signals; a per-request timeout is the only bound on a hung authority.
      if (!request.timeout || request.timeout > opts.requestTimeoutMs) request.timeout = opts.requestTimeoutMs;
      request.abortSignal = request.abortSignal ? AbortSignal.any([request.abortSignal as AbortSignal, opts.signal]) : opts.signal;
      if (url?.protocol === 'https:' && route) {
        // Setting the agent also switches off the SDK's own proxy policy for this request.
        if (route.via === 'proxy') {
          let agent = proxyAgents.get(route.proxyUrl);
          if (!agent) {
            agent = await proxyAgentWithCa(/^[a-z][a-z0-9+.-]*:\/\//i.test(route.proxyUrl) ? route.proxyUrl : `http://${route.proxyUrl}`, ca);
            proxyAgents.set(route.proxyUrl, agent);
          }
          request.agent = agent;
        } else {
          directAgent ??= new HttpsAgent({ keepAlive: false, ...(ca ? { ca } : {}) }) as unknown as AgentLike;
          request.agent = directAgent;
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
