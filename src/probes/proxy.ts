// Proxy probe: a real CONNECT through the proxy (plain or TLS to the proxy), reporting the status,
// the authentication schemes the proxy offers, and the tunnel socket for the TLS probe.
// Credentials come from the proxy URL's user info (Basic) and never appear in the result.

import { request, type IncomingMessage } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { classifyConnectError, errorCode, isPlaintextPeer, type ConnectSymptom } from '../network/errors.js';
import type { ProxyObservation } from '../network/diagnosis.js';
import { limitedLookup } from './dns.js';
import { tcpConnect } from './tcp.js';
import { elapsed, now } from './util.js';

export interface ProxyEndpoint {
  scheme: string;
  host: string;
  port: number;
  /** "Basic ..." header value, or undefined. Never logged. */
  authorization?: string;
}

export type ProxyPhase = 'tcp' | 'tls' | 'connect';

/** What a CONNECT probe observed (the pure model's ProxyObservation), plus the open tunnel. */
export interface ProxyConnectResult extends ProxyObservation {
  phase: ProxyPhase;
  symptom?: ConnectSymptom | 'protocol' | 'no-response';
  socket?: Duplex;
}

function schemesFrom(res: IncomingMessage): string[] {
  const out: string[] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name !== 'proxy-authenticate' && name !== 'www-authenticate') continue;
    for (const part of raw[i + 1]!.split(/,\s*(?=[A-Za-z][A-Za-z0-9-]*(?:\s|$))/)) {
      const scheme = part.trim().split(/\s+/)[0];
      if (scheme && !out.includes(scheme)) out.push(scheme);
    }
  }
  return out;
}

function proxyInfo(res: IncomingMessage): string | undefined {
  const parts: string[] = [];
  for (const h of ['x-squid-error', 'server', 'via']) {
    const v = res.headers[h];
    if (v) parts.push(`${h}: ${Array.isArray(v) ? v.join(', ') : v}`);
  }
  return parts.length ? parts.join('; ').slice(0, 200) : undefined;
}

export async function proxyConnect(
  proxy: ProxyEndpoint,
  target: { host: string; port: number },
  opts: { timeoutMs: number; connectTimeoutMs?: number; signal?: AbortSignal },
): Promise<ProxyConnectResult> {
  const proxyAddress = `${proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host}:${proxy.port}`;
  const base = { proxyAddress, authSchemes: [] as string[], credentialsOffered: !!proxy.authorization };
  if (proxy.scheme !== 'http' && proxy.scheme !== 'https') {
    return { ...base, ok: false, phase: 'tcp', skipped: `${proxy.scheme} proxies are not probed` };
  }
  const tcp = await tcpConnect(proxy.host, proxy.port, {
    timeoutMs: opts.connectTimeoutMs ?? opts.timeoutMs,
    signal: opts.signal,
    // Leave the connect timer room to see the lookup's own verdict (a dead resolver is not a dead proxy).
    lookup: limitedLookup(Math.max(200, Math.floor((opts.connectTimeoutMs ?? opts.timeoutMs) * 0.6))),
  });
  if (!tcp.ok || !tcp.socket) {
    return { ...base, ok: false, phase: 'tcp', tcpMs: tcp.ms, error: tcp.error, symptom: tcp.symptom };
  }
  let sock: Socket | TLSSocket = tcp.socket;
  if (proxy.scheme === 'https') {
    try {
      sock = await new Promise<TLSSocket>((resolve, reject) => {
        const t = tlsConnect({ socket: tcp.socket!, servername: isIP(proxy.host) ? undefined : proxy.host, rejectUnauthorized: false });
        const timer = setTimeout(() => {
          t.destroy();
          reject(Object.assign(new Error('TLS to proxy timed out'), { code: 'PROBE_TIMEOUT' }));
        }, opts.timeoutMs);
        t.once('secureConnect', () => {
          clearTimeout(timer);
          resolve(t);
        });
        t.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
    } catch (e) {
      tcp.socket.destroy();
      // Some plain proxies answer a ClientHello with "HTTP/1.1 400"; others wait for a request line.
      // Ask the second kind in plain HTTP on a fresh connection.
      const plaintext = isPlaintextPeer(e) || (await speaksPlainHttp(proxy.host, proxy.port, target, Math.min(1500, opts.timeoutMs)));
      return { ...base, ok: false, phase: 'tls', tcpMs: tcp.ms, error: errorCode(e) ?? 'TLS_ERROR', symptom: 'protocol', plaintextProxy: plaintext };
    }
  }
  const start = now();
  const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const result = await new Promise<ProxyConnectResult>((resolve) => {
    let done = false;
    const headers: Record<string, string> = { host: authority, 'user-agent': 'azmcp-doctor' };
    if (proxy.authorization) headers['proxy-authorization'] = proxy.authorization;
    const req = request({ method: 'CONNECT', path: authority, headers, createConnection: () => sock });
    const finish = (r: Omit<ProxyConnectResult, 'proxyAddress' | 'authSchemes' | 'credentialsOffered' | 'tcpMs' | 'connectMs'> & { authSchemes?: string[] }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!r.ok) {
        req.destroy();
        sock.destroy();
      }
      resolve({ ...base, ...r, authSchemes: r.authSchemes ?? [], tcpMs: tcp.ms, connectMs: elapsed(start) });
    };
    const onResponse = (res: IncomingMessage, socket?: Duplex, head?: Buffer): void => {
      const status = res.statusCode ?? 0;
      const common = { status, statusText: res.statusMessage, authSchemes: schemesFrom(res), proxyInfo: proxyInfo(res) };
      if (status >= 200 && status < 300 && socket) {
        if (head && head.length) socket.unshift(head);
        socket.on('error', () => undefined);
        finish({ ok: true, phase: 'connect', ...common, socket });
      } else {
        res.resume();
        socket?.destroy();
        finish({ ok: false, phase: 'connect', ...common });
      }
    };
    req.once('connect', onResponse);
    req.once('response', (res) => onResponse(res));
    req.once('error', (e) => {
      const code = errorCode(e) ?? 'ERROR';
      const symptom = code === 'ECONNRESET' && /socket hang up/i.test(e.message) ? 'no-response' : code.startsWith('HPE_') ? 'protocol' : classifyConnectError(code);
      finish({ ok: false, phase: 'connect', error: code === 'ECONNRESET' && /socket hang up/i.test(e.message) ? 'CLOSED_WITHOUT_RESPONSE' : code, symptom });
    });
    const onAbort = (): void => finish({ ok: false, phase: 'connect', error: 'ABORTED', symptom: 'other' });
    const timer = setTimeout(() => finish({ ok: false, phase: 'connect', error: 'ETIMEDOUT', symptom: 'no-response' }), Math.max(1, opts.timeoutMs));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
  // An http:// proxy URL whose port closed on (or garbled) the plain CONNECT: does it speak TLS?
  if (!result.ok && proxy.scheme === 'http' && result.phase === 'connect' && !result.status && (result.error === 'CLOSED_WITHOUT_RESPONSE' || result.symptom === 'protocol' || result.symptom === 'reset')) {
    if (await speaksTls(proxy.host, proxy.port, Math.min(1500, opts.timeoutMs))) result.tlsPort = true;
  }
  return result;
}

/** Does host:port complete a TLS handshake? (an http:// proxy URL aimed at a TLS port) */
export async function speaksTls(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const tcp = await tcpConnect(host, port, { timeoutMs, lookup: limitedLookup(Math.max(200, Math.floor(timeoutMs * 0.6))) });
  if (!tcp.ok || !tcp.socket) return false;
  const sock = tcp.socket;
  return new Promise<boolean>((resolve) => {
    let settled = false;
    const t = tlsConnect({ socket: sock, servername: isIP(host) ? undefined : host, rejectUnauthorized: false });
    const done = (v: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      t.destroy();
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), Math.max(1, timeoutMs));
    t.once('secureConnect', () => done(true));
    t.once('error', () => done(false));
  });
}

/** Does host:port answer a plain-HTTP CONNECT with an HTTP status line? (https:// aimed at a plain proxy) */
export async function speaksPlainHttp(host: string, port: number, target: { host: string; port: number }, timeoutMs: number): Promise<boolean> {
  const tcp = await tcpConnect(host, port, { timeoutMs, lookup: limitedLookup(Math.max(200, Math.floor(timeoutMs * 0.6))) });
  if (!tcp.ok || !tcp.socket) return false;
  const sock = tcp.socket;
  return new Promise<boolean>((resolve) => {
    let buf = '';
    const done = (v: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.length >= 8) done(/^HTTP\/1\.[01] \d{3}/.test(buf));
    });
    sock.on('end', () => done(/^HTTP\/1\.[01] \d{3}/.test(buf)));
    sock.on('error', () => done(false));
    const authority = `${target.host}:${target.port}`;
    sock.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\nUser-Agent: azmcp-doctor\r\n\r\n`);
  });
}
