// TLS probe: handshake with SNI over a given socket (direct TCP or a CONNECT tunnel), never
// rejecting, and collect the presented chain (leaf first) for offline evaluation per trust store.

import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { classifyTlsError, type TlsFailureKind } from '../network/errors.js';
import { elapsed, now } from './util.js';

export interface TlsResult {
  ok: boolean;
  ms: number;
  protocol?: string;
  cipher?: string;
  /** Node's own verdict with its default store (bundled roots + NODE_EXTRA_CA_CERTS at start-up). */
  nodeAuthorized?: boolean;
  nodeAuthorizationError?: string;
  /** Leaf first. */
  chain: X509Certificate[];
  error?: string;
  failure?: TlsFailureKind;
  socket?: TLSSocket;
}

export function chainFrom(peer: DetailedPeerCertificate | undefined): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let cur: DetailedPeerCertificate | undefined = peer;
  while (cur && cur.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    try {
      out.push(new X509Certificate(cur.raw));
    } catch {
      break;
    }
    if (!cur.issuerCertificate || cur.issuerCertificate === cur) break;
    cur = cur.issuerCertificate;
  }
  return out;
}

export function tlsHandshake(opts: { socket: Duplex; host: string; timeoutMs: number; signal?: AbortSignal; alpn?: string[] }): Promise<TlsResult> {
  const start = now();
  return new Promise((resolve) => {
    let done = false;
    const h = opts.host.replace(/^\[|\]$/g, '');
    const s = connect({
      socket: opts.socket,
      servername: isIP(h) ? undefined : h,
      rejectUnauthorized: false,
      ALPNProtocols: opts.alpn ?? ['http/1.1'],
    });
    const finish = (r: Omit<TlsResult, 'ms'>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!r.ok) {
        s.destroy();
        opts.socket.destroy();
      }
      resolve({ ms: elapsed(start), ...r });
    };
    s.once('secureConnect', () => {
      const chain = chainFrom(s.getPeerCertificate(true));
      s.on('error', () => undefined);
      const authErr = s.authorizationError as unknown;
      finish({
        ok: true,
        protocol: s.getProtocol() ?? undefined,
        cipher: s.getCipher()?.name,
        nodeAuthorized: s.authorized,
        nodeAuthorizationError: authErr ? String((authErr as { code?: string }).code ?? authErr) : undefined,
        chain,
        socket: s,
      });
    });
    s.once('error', (e) => {
      const c = classifyTlsError(e);
      finish({ ok: false, chain: [], error: c.code, failure: c.kind });
    });
    const onAbort = (): void => finish({ ok: false, chain: [], error: 'ABORTED', failure: 'other' });
    const timer = setTimeout(() => finish({ ok: false, chain: [], error: 'PROBE_TIMEOUT', failure: 'timeout' }), Math.max(1, opts.timeoutMs));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
