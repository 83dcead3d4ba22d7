// Reading the stderr of az (Python), azd (Go) and PowerShell (.NET): not installed, not signed in, an
// Entra error (checked first: tools also print "run az login" next to AADSTS codes), or a network error
// translated to the Node error code the network findings use.

import { networkCause, type NetworkCause } from '../../entra/network-cause.js';
import { parseEntraText, type EntraError } from '../../entra/parse.js';
import { firstErrorLine } from './exec.js';
import type { Env } from './types.js';

export type Tool = 'az' | 'azd' | 'pwsh';

export interface ToolError {
  kind: 'not-installed' | 'not-logged-in' | 'entra' | 'network' | 'other';
  entra?: EntraError;
  network?: NetworkCause;
  /** First meaningful line, scrubbed. */
  message: string;
}

const NETWORK_PATTERNS: [RegExp, string][] = [
  [/Tunnel connection failed: 407|407 Proxy Authentication Required|Proxy Authentication Required/i, '407'],
  [/Tunnel connection failed: 403/i, '403'],
  [/Temporary failure in name resolution|EAI_AGAIN|server misbehaving/i, 'EAI_AGAIN'],
  [/Failed to resolve|Name or service not known|nodename nor servname|getaddrinfo failed|NameResolutionError|no such host|ENOTFOUND/i, 'ENOTFOUND'],
  [/Connection refused|\[Errno 111\]|ECONNREFUSED|actively refused/i, 'ECONNREFUSED'],
  [/No route to host|Network is unreachable|EHOSTUNREACH|ENETUNREACH/i, 'EHOSTUNREACH'],
  [/Connection reset|\[Errno 104\]|ECONNRESET|forcibly closed/i, 'ECONNRESET'],
  [/self[- ]signed certificate in certificate chain/i, 'SELF_SIGNED_CERT_IN_CHAIN'],
  [/certificate has expired|certificate is expired|x509: certificate has expired/i, 'CERT_HAS_EXPIRED'],
  [/hostname mismatch|doesn't match|not valid for|x509: certificate is valid for/i, 'ERR_TLS_CERT_ALTNAME_INVALID'],
  [/unable to get local issuer certificate|certificate signed by unknown authority|CERTIFICATE_VERIFY_FAILED|UntrustedRoot|remote certificate is invalid/i, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  [/timed out|ConnectTimeout|i\/o timeout|ETIMEDOUT|deadline exceeded/i, 'ETIMEDOUT'],
];

function hostIn(text: string): string | undefined {
  return (
    /host='([^']+)'/.exec(text)?.[1] ??
    /lookup ([a-z0-9.-]+\.[a-z]{2,})/i.exec(text)?.[1] ??
    /https?:\/\/([a-z0-9.-]+\.[a-z]{2,}|\d+\.\d+\.\d+\.\d+)(?::\d+)?\//i.exec(text)?.[1]
  );
}

/** The proxy a tool would use (all three honour the usual variables, lower case first for az). */
function toolProxy(env: Env): string | undefined {
  return env.https_proxy || env.HTTPS_PROXY || env.all_proxy || env.ALL_PROXY || undefined;
}

export function networkCauseInText(text: string, env: Env): NetworkCause | undefined {
  for (const [re, code] of NETWORK_PATTERNS) {
    if (!re.test(text)) continue;
    const host = hostIn(text);
    const proxy = toolProxy(env);
    if (code === '407' || code === '403') return networkCause({ status: Number(code), host, proxy, entraBody: false });
    return networkCause({ errorCode: code, host, proxy, message: text });
  }
  return undefined;
}

export function classifyToolError(stderr: string, tool: Tool, env: Env): ToolError {
  const message = firstErrorLine(stderr) || '(no error output)';
  const entra = parseEntraText(stderr);
  if (entra) return { kind: 'entra', entra, message: entra.description ?? message };
  const notInstalled: Record<Tool, RegExp> = {
    az: /az:(.*)not found|'az' is not recognized/i,
    azd: /azd:(.*)not found|'azd' is not recognized/i,
    pwsh: /The specified module 'Az.Accounts'.*was not loaded|Az\.Accounts.*not (installed|found)|not recognized as the name of a cmdlet/i,
  };
  if (notInstalled[tool].test(stderr)) return { kind: 'not-installed', message };
  const notLoggedIn: Record<Tool, RegExp> = {
    az: /Please run '?az login'?|az login(?! --scope)|No subscription found|az account set/i,
    azd: /not logged in|azd auth login|azd login/i,
    pwsh: /Run Connect-AzAccount to login|Connect-AzAccount/i,
  };
  const network = networkCauseInText(stderr, env);
  if (network) return { kind: 'network', network, message };
  if (notLoggedIn[tool].test(stderr)) return { kind: 'not-logged-in', message };
  return { kind: 'other', message };
}
