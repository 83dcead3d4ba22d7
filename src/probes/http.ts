// HTTP probe: one GET over an already established (TLS) socket, so the request travels exactly the
// route that was probed. One timeout for the whole exchange; honours the signal.

import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorCode } from '../network/errors.js';
import { elapsed, now } from './util.js';

export interface HttpResult {
  ok: boolean;
  status?: number;
  ms: number;
  /** Local clock (epoch ms) when the request was sent and the response headers arrived. */
  sentAt: number;
  receivedAt?: number;
  date?: string;
  contentType?: string;
  server?: string;
  wwwAuthenticate?: string;
  requestId?: string;
  location?: string;
  body?: string;
  error?: string;
}

export function httpGet(opts: {
  socket: Duplex;
  host: string;
  port: number;
  path: string;
  timeoutMs: number;
  signal?: AbortSignal;
  maxBody?: number;
}): Promise<HttpResult> {
  const start = now();
  const sentAt = Date.now();
  const defaultPort = opts.port === 443;
  const hostHeader = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}${defaultPort ? '' : `:${opts.port}`}`;
  return new Promise((resolve) => {
    let done = false;
    const req = request({
      method: 'GET',
      path: opts.path,
      headers: { host: hostHeader, accept: 'application/json', 'user-agent': 'azmcp-doctor', connection: 'close' },
      createConnection: () => opts.socket,
    });
    const finish = (r: Omit<HttpResult, 'ms' | 'sentAt'>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      opts.socket.destroy();
      resolve({ ms: elapsed(start), sentAt, ...r });
    };
    req.once('response', (res) => {
      const receivedAt = Date.now();
      const h = (n: string): string | undefined => {
        const v = res.headers[n];
        return Array.isArray(v) ? v.join(', ') : v;
      };
      const head = {
        ok: true,
        status: res.statusCode,
        receivedAt,
        date: h('date'),
        contentType: h('content-type'),
        server: h('server'),
        wwwAuthenticate: h('www-authenticate')?.slice(0, 300),
        requestId: h('x-ms-request-id') ?? h('x-ms-correlation-request-id'),
        location: h('location')?.slice(0, 200),
      };
      const max = opts.maxBody ?? 0;
      if (max <= 0) {
        res.resume();
        finish(head);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < max) chunks.push(c.subarray(0, max - size));
        size += c.length;
        if (size >= max) finish({ ...head, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.once('end', () => finish({ ...head, body: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', () => finish({ ...head, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.once('error', (e) => finish({ ok: false, error: errorCode(e) ?? 'ERROR' }));
    const onAbort = (): void => finish({ ok: false, error: 'ABORTED' });
    const timer = setTimeout(() => finish({ ok: false, error: 'PROBE_TIMEOUT' }), Math.max(1, opts.timeoutMs));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}
