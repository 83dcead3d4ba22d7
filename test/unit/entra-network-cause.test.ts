import { describe, expect, it } from 'vitest';
import { isMicrosoftHost, networkCause } from '../../src/entra/network-cause.js';
import { classifyToolError, networkCauseInText } from '../../src/probes/credentials/tool-errors.js';

describe('networkCause', () => {
  const cases: [string, string][] = [
    ['ENOTFOUND', 'dns.not-found'],
    ['EAI_AGAIN', 'dns.timeout'],
    ['ECONNREFUSED', 'tcp.refused'],
    ['ETIMEDOUT', 'tcp.timeout'],
    ['AbortError', 'tcp.timeout'],
    ['ECONNRESET', 'tcp.reset'],
    ['EHOSTUNREACH', 'tcp.unreachable'],
    ['ENETUNREACH', 'tcp.unreachable'],
    ['CERT_HAS_EXPIRED', 'tls.expired'],
    ['CERT_NOT_YET_VALID', 'tls.not-yet-valid'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls.hostname-mismatch'],
    ['EPROTO', 'tls.handshake-failed'],
  ];
  for (const [code, expected] of cases) {
    it(`${code} -> ${expected}`, () => {
      const c = networkCause({ errorCode: code, host: 'test.example' })!;
      expect(c.code).toBe(expected);
      expect(c.errorCode).toBe(code.toUpperCase() === 'ABORTERROR' ? 'ABORTERROR' : code);
      expect(c.host).toBe('test.example');
    });
  }

  it('an untrusted root on a Microsoft host means interception; elsewhere an untrusted CA', () => {
    expect(networkCause({ errorCode: 'SELF_SIGNED_CERT_IN_CHAIN', host: 'login.microsoftonline.com' })!.code).toBe('tls.intercepted');
    expect(networkCause({ errorCode: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', host: 'login.microsoftonline.com' })!.code).toBe('tls.intercepted');
    expect(networkCause({ errorCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', host: '127.0.0.1' })!.code).toBe('tls.untrusted-root');
    expect(networkCause({ errorCode: 'SELF_SIGNED_CERT_IN_CHAIN', host: '127.0.0.1' })!.code).toBe('tls.untrusted-root');
    expect(networkCause({ errorCode: 'SELF_SIGNED_CERT_IN_CHAIN', host: '127.0.0.1', proxy: 'http://proxy:3128' })!.code).toBe('tls.intercepted');
  });

  it('proxy answers: 407 is auth-required, 403 without an Entra body is blocked', () => {
    const a = networkCause({ status: 407, host: 'login.microsoftonline.com', proxy: 'http://user:pw@proxy.corp:3128' })!;
    expect(a.code).toBe('proxy.auth-required');
    expect(a.host).toBe('proxy.corp:3128');
    expect(JSON.stringify(a)).not.toContain('pw');
    expect(networkCause({ status: 403, host: 'x', proxy: 'http://p:1' })!.code).toBe('proxy.blocked');
    expect(networkCause({ status: 403, host: 'x', proxy: 'http://p:1', entraBody: true })).toBeUndefined();
    expect(networkCause({ status: 403, host: 'x' })).toBeUndefined();
  });

  it('failures that concern the proxy itself are proxy.unreachable', () => {
    const c = networkCause({ errorCode: 'ECONNREFUSED', host: 'login.microsoftonline.com', proxy: 'http://10.0.0.5:3128', message: 'connect ECONNREFUSED 10.0.0.5:3128' })!;
    expect(c.code).toBe('proxy.unreachable');
    expect(networkCause({ errorCode: 'ENOTFOUND', host: 'login.microsoftonline.com', proxy: 'http://proxy.corp:8080', message: 'getaddrinfo ENOTFOUND proxy.corp' })!.code).toBe(
      'proxy.unreachable',
    );
    expect(networkCause({ errorCode: 'ERR_SSL_WRONG_VERSION_NUMBER', host: 'x', proxy: 'https://proxy.corp:8080' })!.code).toBe('proxy.scheme-mismatch');
  });

  it('an HTTP error without a network cause is not a network problem', () => {
    expect(networkCause({ status: 400, host: 'x' })).toBeUndefined();
    expect(networkCause({ errorCode: 'SOMETHING_ELSE', host: 'x' })).toBeUndefined();
  });
});



describe('tool stderr', () => {
  it('az: not signed in', () => {
    expect(classifyToolError("ERROR: Please run 'az login' to setup account.\n", 'az', {}).kind).toBe('not-logged-in');
  });
  it('az: an AADSTS code wins over the "az login" hint next to it', () => {
    const e = classifyToolError('ERROR: AADSTS700082: The refresh token has expired due to inactivity.\nTo re-authenticate, please run:\naz login', 'az', {});
    expect(e.kind).toBe('entra');
    expect(e.entra?.codes).toEqual([700082]);
  });
  it('az: Python connection errors become Node error codes with the host', () => {
    const refused = networkCauseInText(
      "ERROR: HTTPSConnectionPool(host='login.microsoftonline.com', port=443): Max retries exceeded with url: /x (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object>: Failed to establish a new connection: [Errno 111] Connection refused'))",
      {},
    )!;
    expect(refused.code).toBe('tcp.refused');
    expect(refused.host).toBe('login.microsoftonline.com');
    const dns = networkCauseInText("HTTPSConnectionPool(host='login.microsoftonline.com', port=443): Failed to resolve 'login.microsoftonline.com' ([Errno -2] Name or service not known)", {})!;
    expect(dns.code).toBe('dns.not-found');
    const tls = networkCauseInText("SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:992)')) host='login.microsoftonline.com'", {})!;
    expect(tls.code).toBe('tls.intercepted');
    const proxy = networkCauseInText("ProxyError('Cannot connect to proxy.', OSError('Tunnel connection failed: 407 Proxy Authentication Required'))", { HTTPS_PROXY: 'http://proxy:3128' })!;
    expect(proxy.code).toBe('proxy.auth-required');
  });
  it('azd (Go) errors', () => {
    expect(networkCauseInText('dial tcp: lookup login.microsoftonline.com: no such host', {})!.code).toBe('dns.not-found');
    expect(networkCauseInText('x509: certificate signed by unknown authority', {})!.code).toBe('tls.untrusted-root');
    expect(classifyToolError('ERROR: not logged in, run `azd auth login` to login', 'azd', {}).kind).toBe('not-logged-in');
  });
  it('pwsh: module missing and not signed in', () => {
    expect(
      classifyToolError("Import-Module: The specified module 'Az.Accounts' with version '2.2.0' was not loaded because no valid module file was found in any module directory.", 'pwsh', {}).kind,
    ).toBe('not-installed');
    expect(classifyToolError('Run Connect-AzAccount to login.', 'pwsh', {}).kind).toBe('not-logged-in');
  });
});
