// When a token request fails below HTTP, name the network finding that explains it (dns.*, tcp.*, tls.*,
// proxy.*). The network checks report those findings themselves; a credential finding only points at
// the code and carries the evidence (error code, host).

type Env = Readonly<Record<string, string | undefined>>;

export interface NetworkCause {
  /** The network finding code this failure points at, e.g. dns.not-found. */
  code: string;
  /** Node/OpenSSL error code, or HTTP status for proxy answers. */
  errorCode: string;
  host?: string;
  viaProxy: boolean;
  /** One plain sentence. */
  explanation: string;
}

function envValue(env: Env, name: string): string | undefined {
  return env[name] || env[name.toLowerCase()] || undefined;
}

/** Hosts whose certificates always chain to a public root: an untrusted root there means interception. */
export function isMicrosoftHost(host: string): boolean {
  return /(^|\.)(microsoftonline\.com|microsoftonline\.us|microsoftonline\.cn|windows\.net|microsoft\.com|azure\.com|azure\.net|azure\.us|chinacloudapi\.cn|usgovcloudapi\.net|microsoft\.us|azure\.cn)$/i.test(
    host,
  );
}

function proxyHostPort(proxy: string | undefined): { host: string; port: string; scheme: string } | undefined {
  if (!proxy) return undefined;
  try {
    const u = new URL(proxy.includes('://') ? proxy : `http://${proxy}`);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || (u.protocol === 'https:' ? '443' : '80'), scheme: u.protocol.replace(':', '') };
  } catch {
    return undefined;
  }
}

export interface CauseInput {
  errorCode?: string;
  /** HTTP status when the failure was an HTTP answer. */
  status?: number;
  /** The body looked like an Entra JSON error (then a 403/407 is not the proxy's). */
  entraBody?: boolean;
  /** The target host of the request. */
  host?: string;
  /** The proxy the request went through, if any. */
  proxy?: string;
  /** The error message (for the address it names). */
  message?: string;
}

const TLS_UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
]);

/** The network finding that explains a failed token request, or undefined when it was not the network. */
export function networkCause(input: CauseInput): NetworkCause | undefined {
  const { errorCode, status, host, proxy } = input;
  const viaProxy = !!proxy;
  const p = proxyHostPort(proxy);
  const mk = (code: string, err: string, explanation: string, onProxy = false): NetworkCause => ({
    code,
    errorCode: err,
    ...(onProxy && p ? { host: `${p.host}:${p.port}` } : host ? { host } : {}),
    viaProxy,
    explanation,
  });

  if (status === 407) {
    return mk('proxy.auth-required', '407', 'The proxy demands authentication (HTTP 407) before it forwards the request.', true);
  }
  if (status === 403 && viaProxy && !input.entraBody) {
    return mk('proxy.blocked', '403', `The proxy refused to connect to ${host ?? 'the host'} (HTTP 403).`, true);
  }
  if (!errorCode) return undefined;
  const e = errorCode.toUpperCase();
  // Did the failure concern the proxy itself (its name or address is in the message)?
  const aboutProxy = !!p && !!input.message && (input.message.includes(`${p.host}:${p.port}`) || new RegExp(`ENOTFOUND ${p.host.replace(/\./g, '\\.')}\\b`).test(input.message));

  switch (e) {
    case 'ENOTFOUND':
      return aboutProxy
        ? mk('proxy.unreachable', e, `The proxy's host name ${p!.host} does not resolve.`, true)
        : mk('dns.not-found', e, `The name ${host ?? ''} does not resolve (NXDOMAIN or no address).`.replace('  ', ' '));
    case 'EAI_AGAIN':
      return mk('dns.timeout', e, `No DNS server answered for ${host ?? 'the host'} in time.`);
    case 'ECONNREFUSED':
      return aboutProxy
        ? mk('proxy.unreachable', e, `Nothing listens on the proxy address ${p!.host}:${p!.port}.`, true)
        : mk('tcp.refused', e, `The connection to ${host ?? 'the host'} was refused (RST): nothing listens there, or a firewall rejects it.`);
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
    case 'ABORTERROR':
    case 'TIMEOUTERROR':
    case 'REQUEST_SEND_ERROR_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return aboutProxy
        ? mk('proxy.unreachable', e, `The proxy ${p!.host}:${p!.port} did not answer in time.`, true)
        : mk('tcp.timeout', e, `No answer from ${host ?? 'the host'} in time: packets are probably dropped by a firewall.`);
    case 'ECONNRESET':
    case 'EPIPE':
      return mk('tcp.reset', e, `The connection to ${host ?? 'the host'} was reset: typically a firewall or proxy cutting it.`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return mk('tcp.unreachable', e, `There is no route to ${host ?? 'the host'}.`);
    case 'CERT_HAS_EXPIRED':
      return mk('tls.expired', e, `The certificate presented for ${host ?? 'the host'} has expired.`);
    case 'CERT_NOT_YET_VALID':
      return mk('tls.not-yet-valid', e, `The certificate presented for ${host ?? 'the host'} is not valid yet (or this clock is behind).`);
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'HOSTNAME_MISMATCH':
      return mk('tls.hostname-mismatch', e, `The certificate presented does not name ${host ?? 'the host'}.`);
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'EPROTO':
      if (p && p.scheme === 'https' && e === 'ERR_SSL_WRONG_VERSION_NUMBER') {
        return mk('proxy.scheme-mismatch', e, 'The proxy URL says https://, but the proxy speaks plain HTTP.', true);
      }
      return mk('tls.handshake-failed', e, `The TLS handshake with ${host ?? 'the host'} failed.`);
    default:
      break;
  }
  if (TLS_UNTRUSTED.has(e)) {
    const intercepted = (host && isMicrosoftHost(host)) || e === 'SELF_SIGNED_CERT_IN_CHAIN' && viaProxy;
    return intercepted
      ? mk('tls.intercepted', e, `The certificate presented for ${host ?? 'the host'} does not chain to a trusted public root: something (a TLS-inspecting proxy or firewall) is intercepting the connection.`)
      : mk('tls.untrusted-root', e, `The certificate presented for ${host ?? 'the host'} is not issued by a CA this machine trusts.`);
  }
  if (/^ERR_SSL_|^ERR_TLS_|SSL/.test(e)) return mk('tls.handshake-failed', e, `The TLS handshake with ${host ?? 'the host'} failed (${e}).`);
  return undefined;
}
