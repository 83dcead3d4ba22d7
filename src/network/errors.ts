// Error-code classification for connect, TLS and DNS failures. Pure.

export type ConnectSymptom = 'timeout' | 'refused' | 'reset' | 'unreachable' | 'other';

export interface ErrorLike {
  code?: string;
  message?: string;
  errors?: unknown[];
  cause?: unknown;
}

/** First error code found on an error, its cause, or an AggregateError's members. */
export function errorCode(err: unknown): string | undefined {
  const e = err as ErrorLike | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if (typeof e.code === 'string') return e.code;
  if (Array.isArray(e.errors)) {
    for (const x of e.errors) {
      const c = errorCode(x);
      if (c) return c;
    }
  }
  if (e.cause) return errorCode(e.cause);
  return undefined;
}

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENETDOWN', 'EHOSTDOWN', 'EACCES', 'EPERM']);

export function classifyConnectError(code: string | undefined): ConnectSymptom {
  switch (code) {
    case 'ETIMEDOUT':
    case 'ETIMEOUT':
    case 'PROBE_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timeout';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'reset';
    default:
      return code && UNREACHABLE.has(code) ? 'unreachable' : 'other';
  }
}

export type TlsFailureKind = 'reset' | 'closed' | 'timeout' | 'protocol' | 'alert' | 'other';

/** How a TLS handshake failed. A RST is a TCP symptom; a clean close or an alert is a TLS one. */
export function classifyTlsError(err: unknown): { kind: TlsFailureKind; code: string } {
  const code = errorCode(err) ?? 'UNKNOWN';
  const msg = String((err as ErrorLike | undefined)?.message ?? '');
  if (code === 'PROBE_TIMEOUT') return { kind: 'timeout', code };
  if (/disconnected before secure TLS connection was established/i.test(msg)) return { kind: 'closed', code: 'CLOSED_DURING_HANDSHAKE' };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { kind: 'reset', code };
  if (/alert/i.test(msg) || /^ERR_SSL_(SSLV3|TLSV1)_ALERT/.test(code)) return { kind: 'alert', code };
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) return { kind: 'protocol', code };
  return { kind: 'other', code };
}

/** A TLS error that means "the other side speaks plain HTTP, not TLS" (https:// aimed at a plain proxy). */
export function isPlaintextPeer(err: unknown): boolean {
  const code = errorCode(err) ?? '';
  const msg = String((err as ErrorLike | undefined)?.message ?? '');
  return (
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    code === 'ERR_SSL_HTTP_REQUEST' ||
    code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' ||
    /wrong version number|http request|packet length too long|unknown protocol/i.test(msg)
  );
}

export type DnsSymptom = 'not-found' | 'timeout' | 'no-data' | 'refused' | 'error';

export function classifyDnsError(code: string | undefined): DnsSymptom {
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'NXDOMAIN':
      return 'not-found';
    case 'ENODATA':
    case 'EAI_NODATA':
      return 'no-data';
    case 'EAI_AGAIN':
    case 'ETIMEOUT':
    case 'ETIMEDOUT':
    case 'PROBE_TIMEOUT':
    case 'ECANCELLED':
      return 'timeout';
    case 'ECONNREFUSED':
    case 'EREFUSED':
      return 'refused';
    default:
      return 'error';
  }
}
