// TCP probe: connect to an address with a real connect timeout (net's `timeout` option is an idle
// timeout, not a connect timeout), classify the failure, and hand the socket on for TLS.

import { Socket, connect, type LookupFunction } from 'node:net';
import { classifyConnectError, errorCode, type ConnectSymptom } from '../network/errors.js';
import { elapsed, now } from './util.js';

export interface TcpResult {
  ok: boolean;
  address: string;
  port: number;
  ms: number;
  socket?: Socket;
  error?: string;
  symptom?: ConnectSymptom;
}

export function tcpConnect(address: string, port: number, opts: { timeoutMs: number; signal?: AbortSignal; lookup?: LookupFunction }): Promise<TcpResult> {
  const start = now();
  return new Promise((resolve) => {
    let done = false;
    const socket: Socket = connect({ host: address, port, lookup: opts.lookup });
    const finish = (r: Omit<TcpResult, 'address' | 'port' | 'ms'>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      socket.removeListener('connect', onConnect);
      if (!r.ok) socket.destroy();
      else socket.on('error', () => undefined); // later errors surface in the TLS/HTTP phase
      resolve({ address, port, ms: elapsed(start), ...r });
    };
    const onError = (e: Error): void => {
      const code = errorCode(e) ?? 'ERROR';
      finish({ ok: false, error: code, symptom: classifyConnectError(code) });
    };
    const onConnect = (): void => finish({ ok: true, socket });
    const onAbort = (): void => finish({ ok: false, error: 'ABORTED', symptom: 'other' });
    const timer = setTimeout(() => finish({ ok: false, error: 'ETIMEDOUT', symptom: 'timeout' }), Math.max(1, opts.timeoutMs));
    socket.once('error', onError);
    socket.once('connect', onConnect);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Connects to the first address that answers, trying up to `max` addresses at once (so several
 * blackholed addresses cost one timeout, not one each). Returns the first address's failure when none connects.
 */
export async function tcpConnectAny(addresses: string[], port: number, opts: { timeoutMs: number; signal?: AbortSignal; max?: number }): Promise<TcpResult> {
  const list = addresses.slice(0, opts.max ?? 3);
  if (list.length === 0) return { ok: false, address: '', port, ms: 0, error: 'NO_ADDRESS', symptom: 'other' };
  if (list.length === 1) return tcpConnect(list[0]!, port, opts);
  return new Promise((resolve) => {
    const results: Array<TcpResult | undefined> = new Array(list.length);
    let won = false;
    let pending = list.length;
    list.forEach((a, i) => {
      void tcpConnect(a, port, opts).then((r) => {
        pending--;
        results[i] = r;
        if (r.ok) {
          if (won) r.socket?.destroy();
          else {
            won = true;
            resolve(r);
          }
        }
        if (pending === 0 && !won) resolve(results[0]!);
      });
    });
  });
}
