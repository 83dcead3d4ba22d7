// Turns an EndpointDiagnosis into findings: one place for the network codes' messages, severities,
// evidence and fixes. Pure (platform is a parameter), so every code is unit-testable.

import type { Endpoint } from '../core/endpoints.js';
import type { Actor, Finding, Fix, Severity } from '../core/model.js';
import { CONSUMER_LABEL, type Consumer } from './routes.js';
import { STORE_OF, type EndpointDiagnosis, type PathObservation, type StoreId, type StoreVerdict, type TlsObservation } from './diagnosis.js';
import { nameToString } from './tls.js';

export const NETWORK_CODES = [
  'dns.not-found',
  'dns.timeout',
  'dns.private-endpoint',
  'dns.private-zone-missing',
  'dns.inconsistent',
  'tcp.timeout',
  'tcp.refused',
  'tcp.reset',
  'tcp.unreachable',
  'tls.intercepted',
  'tls.untrusted-root',
  'tls.expired',
  'tls.not-yet-valid',
  'tls.hostname-mismatch',
  'tls.handshake-failed',
  'tls.trust-store-differs',
  'tls.ca-exported',
  'tls.ca-export-failed',
  'proxy.unreachable',
  'proxy.auth-required',
  'proxy.blocked',
  'proxy.upstream-failed',
  'proxy.invalid-url',
  'proxy.missing-scheme',
  'proxy.scheme-mismatch',
  'proxy.env-conflict',
  'proxy.precedence-differs',
  'proxy.imds-not-bypassed',
  'proxy.bypass-ignored-by-server',
  'http.unexpected-response',
  'http.no-response',
  'clock.skew',
] as const;

export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function consumersText(cs: readonly Consumer[]): string {
  return cs.map((c) => CONSUMER_LABEL[c]).join('; ');
}

/** Error when the server itself is affected, warning when the Azure CLI is, info when only Node tools are. */
export function severityFor(consumers: readonly Consumer[], serverConsumer: Consumer): Severity {
  if (consumers.includes(serverConsumer)) return 'error';
  if (consumers.includes('azure-cli')) return 'warning';
  if (consumers.length === 0) return 'info';
  return consumers.every((c) => c === 'node-undici') ? 'info' : 'warning';
}

function who(consumers: readonly Consumer[], serverConsumer: Consumer): string {
  if (consumers.includes(serverConsumer)) return 'Azure MCP Server';
  return consumersText(consumers);
}

// ---------------------------------------------------------------------------------------------
// Fix recipes

export function trustCommands(stores: readonly StoreId[], platform: NodeJS.Platform, caFile = 'corp-root.pem'): string[] {
  const cmds: string[] = [`azmcp-doctor --export-ca ${caFile}   # writes the presented root CA as PEM`];
  if (stores.includes('os')) {
    if (platform === 'win32') cmds.push(`certutil -addstore -f Root ${caFile}   # elevated prompt`);
    else if (platform === 'darwin') cmds.push(`sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${caFile}`);
    else {
      cmds.push(`sudo cp ${caFile} /usr/local/share/ca-certificates/corp-root.crt && sudo update-ca-certificates   # Debian/Ubuntu`);
      cmds.push(`sudo cp ${caFile} /etc/pki/ca-trust/source/anchors/ && sudo update-ca-trust   # Fedora/RHEL`);
    }
  }
  if (stores.includes('node')) cmds.push(`export NODE_EXTRA_CA_CERTS=$PWD/${caFile}   # Node.js tools`);
  if (stores.includes('azure-cli')) {
    cmds.push(
      platform === 'win32'
        ? `type "C:\\Program Files\\Microsoft SDKs\\Azure\\CLI2\\Lib\\site-packages\\certifi\\cacert.pem" ${caFile} > az-bundle.pem & setx REQUESTS_CA_BUNDLE %CD%\\az-bundle.pem`
        : `cat "$(python3 -c 'import certifi; print(certifi.where())')" ${caFile} > az-bundle.pem && export REQUESTS_CA_BUNDLE=$PWD/az-bundle.pem   # Azure CLI`,
    );
  }
  return cmds;
}

export function clockCommands(platform: NodeJS.Platform): string[] {
  if (platform === 'win32') return ['w32tm /resync /force   # elevated prompt'];
  if (platform === 'darwin') return ['sudo sntp -sS time.apple.com'];
  return ['timedatectl status', 'sudo timedatectl set-ntp true   # or: sudo chronyc makestep'];
}

function fix(summary: string, actor: Actor, commands?: string[], docs?: string[]): Fix {
  const f: Fix = { summary, actor };
  if (commands?.length) f.commands = commands;
  if (docs?.length) f.docs = docs;
  return f;
}

// ---------------------------------------------------------------------------------------------

export interface FindingOptions {
  platform?: NodeJS.Platform;
}

function directConsumers(d: EndpointDiagnosis): Consumer[] {
  return d.consumers.filter((c) => d.routes[c]?.via === 'direct' && !d.routes[c]?.broken);
}

/**
 * The name servers did answer, but with an error (not NXDOMAIN, not silence): SERVFAIL, REFUSED, or
 * nothing listening on port 53. "Did not answer in time" would send the reader after the wrong fault.
 */
export function dnsServerAnswer(directError: string | undefined): { symptom: string; text: (servers: string) => string; fix: (host: string, servers: string) => string } | undefined {
  switch (directError) {
    case 'ESERVFAIL':
      return {
        symptom: 'servfail',
        text: (servers) =>
          `the DNS servers (${servers}) answered SERVFAIL (server failure): they are reachable but could not resolve the name themselves (their upstream or a conditional forwarder is unreachable or broken, or DNSSEC validation failed).`,
        fix: (host, servers) => `The DNS servers ${servers} answer but fail for ${host}: their administrators must fix the forwarding (upstream or conditional forwarder) for this name.`,
      };
    case 'EREFUSED':
      return {
        symptom: 'refused',
        text: (servers) =>
          `the DNS servers (${servers}) refused the query (REFUSED): they do not resolve names for this machine (a resolver left over from a VPN, or one that serves only another network).`,
        fix: (_host, servers) => `Use DNS servers that serve this machine: ${servers} refuse its queries (check the VPN client and the network settings that set them).`,
      };
    case 'ECONNREFUSED':
      return {
        symptom: 'dns-server-down',
        text: (servers) => `nothing answers DNS on the configured servers (${servers}): the connection to port 53 was refused.`,
        fix: (_host, servers) => `The DNS servers ${servers} are not running a DNS service (a stale resolver address from a VPN or DHCP): use working DNS servers.`,
      };
    default:
      return undefined;
  }
}

export function dnsFindings(d: EndpointDiagnosis): Finding[] {
  const out: Finding[] = [];
  const ep = d.endpoint;
  const target = hostPort(ep.host, ep.port);
  const f = d.dns;
  const direct = directConsumers(d);
  const proxied = d.consumers.filter((c) => !direct.includes(c));
  const sev = direct.length ? severityFor(direct, d.serverConsumer) : 'info';
  const proxyNote = proxied.length
    ? direct.length
      ? ` (${consumersText(proxied)} go through a proxy, which resolves names itself)`
      : ' All consumers reach it through a proxy, which resolves names itself, so this is information, not the cause of a failure.'
    : '';
  const evidenceBase = {
    target,
    host: ep.host,
    resolver: f.servers.join(' ') || null,
    osError: f.osError ?? null,
    osMs: f.osMs,
    osNote: f.osNote ?? null,
    directAnswer: f.directError ?? null,
    directMs: f.directMs ?? null,
    resolvesLocallyFor: direct.join(',') || null,
  };
  if (f.status === 'not-found' || f.status === 'no-data') {
    const resource = ep.role === 'resource';
    out.push({
      code: 'dns.not-found',
      severity: sev,
      message: `${ep.host} does not resolve (${f.status === 'no-data' ? 'no address records' : 'NXDOMAIN'}).${proxyNote}`,
      target,
      evidence: { ...evidenceBase, symptom: f.status === 'no-data' ? 'NODATA' : 'NXDOMAIN' },
      fix: resource
        ? fix(
            `Check the resource name (${ep.resourceName ?? ep.host}) and cloud; if it uses a private endpoint, the DNS servers must be able to resolve its privatelink zone.`,
            'user',
            [`nslookup ${ep.host}`],
          )
        : fix(`Make ${ep.host} resolvable from this machine (DNS servers: ${f.servers.join(', ') || 'system default'}).`, 'network-admin', [`nslookup ${ep.host}`]),
    });
  } else if (f.status === 'timeout' || f.status === 'refused' || f.status === 'error') {
    const servers = f.servers.join(', ') || 'system default';
    const answered = dnsServerAnswer(f.directError);
    out.push({
      code: 'dns.timeout',
      severity: sev,
      message: answered
        ? `Resolving ${ep.host} failed: ${answered.text(servers)}${proxyNote}`
        : `Resolving ${ep.host} failed: the DNS servers (${servers}) did not answer in time (${f.osError ?? f.status}).${proxyNote}`,
      target,
      evidence: { ...evidenceBase, symptom: answered ? answered.symptom : f.status === 'timeout' ? 'timeout' : (f.osError ?? f.status) },
      fix: answered
        ? fix(answered.fix(ep.host, servers), 'network-admin', [`nslookup ${ep.host}`, 'cat /etc/resolv.conf'])
        : fix('Check the DNS servers this machine uses (VPN, /etc/resolv.conf, network settings) and that they are reachable.', 'network-admin', [
            `nslookup ${ep.host}`,
            'cat /etc/resolv.conf',
          ]),
    });
  }
  if (f.status !== 'ok') return out;
  if (f.privateZoneMissing) {
    out.push({
      code: 'dns.private-zone-missing',
      severity: direct.length ? 'warning' : 'info',
      message:
        `${ep.host} has a private endpoint (CNAME ${f.privatelink}) but resolves to the public address ${f.publicAddresses.join(', ')}: ` +
        `the private DNS zone ${f.zone ?? '(privatelink zone)'} is not linked to the DNS servers this machine uses. Requests go to the public endpoint and fail with 403 if public network access is disabled.${proxyNote}`,
      target,
      evidence: { ...evidenceBase, cname: f.cname.join(' -> '), addresses: f.addresses.join(' '), zone: f.zone ?? null, symptom: 'privatelink-cname-public-answer' },
      fix: fix(
        `Link the private DNS zone ${f.zone ?? ''} to the virtual network whose DNS this machine uses, or forward ${f.zone ?? 'the privatelink zone'} from the corporate DNS to Azure DNS (168.63.129.16) or a DNS Private Resolver.`,
        'network-admin',
        [`az network private-dns link vnet create -g <resource-group> -z ${f.zone ?? '<zone>'} -n <link-name> -v <vnet-id> -e false`],
        ['https://learn.microsoft.com/azure/private-link/private-endpoint-dns'],
      ),
    });
  } else if (f.privateEndpoint) {
    out.push({
      code: 'dns.private-endpoint',
      severity: 'info',
      message: `${ep.host} resolves to the private address ${f.privateAddresses.join(', ')}${f.privatelink ? ` via ${f.privatelink}` : ''}: a private endpoint, reachable only from its virtual network, peered networks or the VPN.`,
      target,
      evidence: { ...evidenceBase, cname: f.cname.join(' -> ') || null, addresses: f.addresses.join(' '), zone: f.zone ?? null },
    });
  }
  if (f.inconsistent) {
    out.push({
      code: 'dns.inconsistent',
      severity: direct.length ? 'warning' : 'info',
      message:
        `The OS resolver and a direct query of the DNS servers disagree for ${ep.host}: OS ${f.inconsistent.os}, direct ${f.inconsistent.direct}. ` +
        `A hosts-file entry, split DNS (VPN) or a different resolver is in play; HTTP clients use the OS answer.${proxyNote}`,
      target,
      evidence: { ...evidenceBase, os: f.inconsistent.os, direct: f.inconsistent.direct, symptom: 'os-vs-direct' },
      fix: fix('Check /etc/hosts (C:\\Windows\\System32\\drivers\\etc\\hosts) and the VPN DNS settings for an entry for this host.', 'user', [
        `getent hosts ${ep.host}`,
        `nslookup ${ep.host}`,
      ]),
    });
  }
  return out;
}

function privateHint(d: EndpointDiagnosis, address: string): { text: string; evidence: Record<string, string | boolean | null> } {
  const isPrivate = d.dns.privateAddresses.includes(address);
  if (!isPrivate) return { text: '', evidence: {} };
  return {
    text: ` ${address} is a private${d.dns.privatelink ? ' endpoint' : ''} address: this machine must be on its virtual network, a peered network or the VPN.`,
    evidence: { privateAddress: true, zone: d.dns.zone ?? null },
  };
}

const TCP_TEXT: Record<string, { code: string; text: string; fix: string }> = {
  timeout: {
    code: 'tcp.timeout',
    text: 'timed out: packets are silently dropped (a firewall)',
    fix: 'Allow outbound TCP/443 from this machine to the host (and its addresses) on the firewall, or route it through the corporate proxy.',
  },
  refused: {
    code: 'tcp.refused',
    text: 'was refused: something at that address actively rejects the connection (a firewall reject rule, or the wrong address)',
    fix: 'Check that the address is the service (not a stale hosts/DNS entry) and that no firewall rejects TCP/443 to it.',
  },
  reset: {
    code: 'tcp.reset',
    text: 'was reset: a firewall or IDS tears the connection down (often filtering by TLS server name)',
    fix: 'Allow the host on the firewall/IDS that resets the connection (TLS SNI filtering).',
  },
  unreachable: {
    code: 'tcp.unreachable',
    text: 'failed: no route to the address (network or host unreachable)',
    fix: 'Check the network connection, VPN and routes to the address.',
  },
};

function tcpFinding(d: EndpointDiagnosis, p: PathObservation): Finding | undefined {
  const t = p.tcp;
  if (!t || t.ok || t.error === 'ABORTED' || t.error === 'NO_ADDRESS') return undefined;
  const info = TCP_TEXT[t.symptom === 'other' || !t.symptom ? 'unreachable' : t.symptom]!;
  const ep = d.endpoint;
  const target = hostPort(ep.host, ep.port);
  const ph = privateHint(d, t.address);
  // Only AAAA answers and no IPv6 route: the usual IPv4 network is fine, the name is the odd one out.
  const ipv6Only = d.dns.addresses.length > 0 && d.dns.addresses.every((a) => a.includes(':'));
  const v6 = ipv6Only && t.symptom === 'unreachable'
    ? ` ${ep.host} resolves only to IPv6 (AAAA) addresses and this machine has no route to them: no IPv6 connectivity here, or the name's IPv4 (A) record is missing from the DNS answer.`
    : '';
  // The OS answer (hosts file, another resolver) differs from the DNS servers' and is what failed:
  // a stale override, not a firewall in front of the service.
  const inc = d.dns.inconsistent;
  const override =
    inc && !inc.direct.split(' ').includes(t.address) && inc.direct !== 'NXDOMAIN'
      ? ` ${t.address} comes from the OS resolver (a hosts-file entry or another resolver), while the DNS servers answer ${inc.direct}: a stale override is the likely cause.`
      : '';
  return {
    code: info.code,
    severity: severityFor(p.consumers, d.serverConsumer),
    message: `TCP connection to ${ep.host} (${hostPort(t.address, t.port)}) ${info.text} after ${t.ms} ms. Affects: ${who(p.consumers, d.serverConsumer)}.${ph.text}${v6}${override}`,
    target,
    evidence: { target, address: t.address, port: t.port, symptom: t.symptom ?? 'other', error: t.error ?? null, ms: t.ms, route: 'direct', consumers: p.consumers.join(','), ...ph.evidence, ...(ipv6Only ? { ipv6Only: true } : {}), ...(override ? { dnsAnswer: inc!.direct, osOverride: true } : {}) },
    fix: override
      ? fix(`Remove or correct the entry for ${ep.host} in the hosts file (/etc/hosts, C:\\Windows\\System32\\drivers\\etc\\hosts), or find the resolver that gives ${t.address}.`, 'user', [`getent hosts ${ep.host}`, `nslookup ${ep.host}`])
      : fix(v6 ? `Enable IPv6 on this network or VPN, or have the DNS servers return ${ep.host}'s IPv4 (A) record (check with nslookup -type=A).` : ph.text ? 'Connect to the VPN or network that can reach the private endpoint; ' + info.fix : info.fix, 'network-admin', [
      `curl -sv --connect-timeout 5 -o /dev/null https://${ep.host}${ep.port === 443 ? '' : `:${ep.port}`}/`,
    ]),
  };
}

function proxyFinding(d: EndpointDiagnosis, p: PathObservation, opts: FindingOptions = {}): Finding | undefined {
  const pc = p.proxyConnect;
  if (!pc || pc.ok || pc.skipped || pc.error === 'ABORTED') return undefined;
  const ep = d.endpoint;
  const target = hostPort(ep.host, ep.port);
  const sev = severityFor(p.consumers, d.serverConsumer);
  const base = {
    target,
    proxy: p.proxy ?? null,
    proxyVariable: p.proxyVariable ?? null,
    proxyAddress: pc.proxyAddress,
    consumers: p.consumers.join(','),
    route: 'proxy',
  };
  const affects = `Affects: ${who(p.consumers, d.serverConsumer)}.`;
  if (pc.phase === 'tls' && pc.plaintextProxy) {
    return {
      code: 'proxy.scheme-mismatch',
      severity: sev,
      message: `${p.proxyVariable} is ${p.proxy}, but the proxy at ${pc.proxyAddress} speaks plain HTTP, not TLS (${pc.error}). ${affects}`,
      target: pc.proxyAddress,
      evidence: { ...base, symptom: 'plain-http-proxy-with-https-scheme', error: pc.error ?? null },
      fix: fix(`Use http:// in ${p.proxyVariable}: the connection to the proxy is plain HTTP, and HTTPS to Azure is tunnelled through it with CONNECT.`, 'user', [
        `export ${p.proxyVariable}=${(p.proxy ?? '').replace(/^https:/i, 'http:')}`,
      ]),
    };
  }
  if (pc.phase === 'connect' && !pc.status && pc.tlsPort) {
    return {
      code: 'proxy.scheme-mismatch',
      severity: sev,
      message: `${p.proxyVariable} is ${p.proxy}, but ${pc.proxyAddress} speaks TLS, not plain HTTP: it closed the plain CONNECT for ${target} and completes a TLS handshake. It is not the proxy's plain-HTTP port (or not a proxy at all). ${affects}`,
      target: pc.proxyAddress,
      evidence: { ...base, phase: pc.phase, symptom: 'tls-port-with-http-scheme', error: pc.error ?? null },
      fix: fix(
        `Point ${p.proxyVariable} at the proxy's plain-HTTP port (http://HOST:PORT, often 8080 or 3128; see the PAC file). An https:// proxy URL works only if that port is a TLS proxy and every client supports TLS to the proxy.`,
        'user',
        [`curl -sv -x '${p.proxy}' -o /dev/null https://${ep.host}/`],
      ),
    };
  }
  if (pc.phase === 'connect' && !pc.status) {
    // TCP (and TLS) to the proxy worked; the CONNECT got no HTTP answer: closed, silence or not HTTP at all.
    const notHttp = pc.symptom === 'protocol';
    const closed = pc.error === 'CLOSED_WITHOUT_RESPONSE' || pc.symptom === 'reset';
    const what = notHttp
      ? `answered the CONNECT for ${target} with something that is not HTTP (${pc.error}): what listens at that port is not an HTTP proxy, or it expects TLS (an https:// proxy URL)`
      : closed
        ? `accepted the TCP connection but closed it without answering the CONNECT for ${target} (${pc.error}): the proxy drops this request (a filtering policy), or what listens at that port is not an HTTP proxy`
        : `accepted the TCP connection but did not answer the CONNECT for ${target} (${pc.error}${pc.connectMs !== undefined ? ` after ${pc.connectMs} ms` : ''}): the proxy is stalled, or what listens at that port is not an HTTP proxy`;
    return {
      code: 'proxy.unreachable',
      severity: sev,
      message: `The proxy ${p.proxy} (${pc.proxyAddress}) ${what}. ${affects}`,
      target: pc.proxyAddress,
      evidence: { ...base, phase: pc.phase, symptom: notHttp ? 'not-http' : closed ? 'closed-without-response' : 'no-response', error: pc.error ?? null, ms: pc.connectMs ?? null },
      fix: notHttp
        ? fix(`Check the proxy URL in ${p.proxyVariable}: the port must be the proxy's HTTP port (scheme http://, or https:// if the proxy itself speaks TLS).`, 'user', [
            `curl -sv -x '${p.proxy}' -o /dev/null https://${ep.host}/`,
          ])
        : fix(
            `Check that ${p.proxyVariable} points at the proxy's port; if it does, the proxy administrators must allow CONNECT to ${ep.host}:${ep.port} (the proxy log shows why it closed the request).`,
            'network-admin',
            [`curl -sv -x '${p.proxy}' -o /dev/null https://${ep.host}/`],
          ),
    };
  }
  if (pc.phase === 'tcp' && /^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_NODATA|ENODATA|EAI_FAIL)$/.test(pc.error ?? '')) {
    const temporary = pc.error === 'EAI_AGAIN';
    return {
      code: 'proxy.unreachable',
      severity: sev,
      message:
        `The proxy ${p.proxy} cannot be reached: its host name does not resolve (${pc.error}${temporary ? ': the DNS servers did not answer' : ': no such name'}${pc.tcpMs !== undefined ? ` after ${pc.tcpMs} ms` : ''}). ` +
        `Every request for ${target} on this route fails before it leaves the machine. ${affects}`,
      target: pc.proxyAddress,
      evidence: { ...base, phase: pc.phase, symptom: 'proxy-name-unresolved', error: pc.error ?? null, ms: pc.tcpMs ?? null },
      fix: temporary
        ? fix('The DNS servers do not answer, so the proxy name cannot be resolved: check the network connection and VPN (the proxy is often only resolvable inside the corporate network).', 'network-admin', [
            `nslookup ${pc.proxyAddress.replace(/:\d+$/, '')}`,
          ])
        : fix(`Check the proxy host name in ${p.proxyVariable} (compare with the PAC file or system proxy settings); it may only resolve on the VPN.`, 'user', [
            `nslookup ${pc.proxyAddress.replace(/:\d+$/, '')}`,
          ]),
    };
  }
  if (pc.phase === 'tcp' || pc.phase === 'tls' || pc.symptom === 'no-response') {
    return {
      code: 'proxy.unreachable',
      severity: sev,
      message: `The proxy ${p.proxy} (${pc.proxyAddress}) ${pc.phase === 'tcp' ? `cannot be reached (${pc.error}${pc.tcpMs !== undefined ? ` after ${pc.tcpMs} ms` : ''})` : pc.phase === 'tls' ? `failed the TLS handshake (${pc.error})` : `did not answer the CONNECT for ${target} (${pc.error})`}. ${affects}`,
      target: pc.proxyAddress,
      evidence: { ...base, phase: pc.phase, symptom: pc.symptom ?? null, error: pc.error ?? null, ms: pc.tcpMs ?? null },
      fix: fix(`Check the proxy address in ${p.proxyVariable} and that the proxy is reachable from here (VPN, PAC file value).`, 'user', [
        `curl -sv -x '${p.proxy}' -o /dev/null https://${ep.host}/`,
      ]),
    };
  }
  const status = pc.status ?? 0;
  const dropped = p.credentialsDroppedBy ?? [];
  if ((status === 407 || status === 401) && !pc.credentialsOffered && dropped.length) {
    // The proxy URL has credentials, but the server's WebProxy (built from an upper-case variable) never
    // sends them: token requests work (Azure.Core sends them), every ARM/data-plane request gets 407.
    const vars = [...new Set(dropped.map((x) => x.variable))];
    const variable = vars[0]!;
    const platform = opts.platform ?? process.platform;
    const upperSet = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY'];
    const commands =
      platform === 'win32'
        ? undefined
        : [`export https_proxy="$${variable}"   # the same URL, credentials included, in lower case`, `unset ${upperSet.join(' ')}`];
    return {
      code: 'proxy.auth-required',
      severity: sev,
      message:
        `The proxy ${p.proxy} requires authentication (${status}) for CONNECT ${target}. ${variable} contains user:password, but ` +
        `${who(p.consumers, d.serverConsumer) === 'Azure MCP Server' ? "the Azure MCP Server's ARM/data-plane client" : consumersText(p.consumers)} never sends it: ` +
        `the server builds a .NET WebProxy from the upper-case variable, which drops the URL's user info. Token requests (which do send the credentials) can work ` +
        `while every request to ${ep.host} fails with 407. ${affects}`,
      target,
      evidence: {
        ...base,
        status,
        authSchemes: pc.authSchemes.join(', ') || 'none advertised',
        credentialsOffered: false,
        credentialsInUrl: true,
        credentialsDroppedBy: dropped.map((x) => x.consumer).join(','),
        symptom: 'credentials-dropped-by-server',
      },
      fix:
        platform === 'win32'
          ? fix(
              'Windows environment variables are case-insensitive, so the server always reads the proxy from the upper-case name and never sends its credentials: ask for a proxy exemption for the Azure endpoints, or run a local authenticating proxy (Px, Cntlm) and point the variables at it.',
              'network-admin',
            )
          : fix(
              `Put the proxy URL (with credentials) in lower-case https_proxy and unset the upper-case HTTPS_PROXY/HTTP_PROXY/ALL_PROXY: with lower-case variables only, both the server's token requests and its ARM/data-plane calls send the credentials. (NO_PROXY is then read with .NET rules: exact hosts and .suffix entries, no *-globs.)`,
              'user',
              commands,
            ),
    };
  }
  if (status === 407 || (status === 401 && pc.credentialsOffered)) {
    const schemes = pc.authSchemes.join(', ') || 'none advertised';
    const basic = pc.authSchemes.some((s) => /^basic$/i.test(s));
    const integrated = pc.authSchemes.filter((s) => /^(negotiate|ntlm|kerberos)$/i.test(s));
    const detail = pc.credentialsOffered
      ? `it rejected the credentials in ${p.proxyVariable}`
      : `no credentials were offered (${p.proxyVariable} has no user:password@)`;
    return {
      code: 'proxy.auth-required',
      severity: sev,
      message:
        `The proxy ${p.proxy} requires authentication (${status}) for CONNECT ${target}: ${detail}. Offered schemes: ${schemes}.` +
        (integrated.length && !basic ? ' Only integrated Windows authentication is offered, which the .NET env proxy, the Azure CLI and Node cannot do with URL credentials.' : '') +
        ` ${affects}`,
      target,
      evidence: { ...base, status, authSchemes: schemes, credentialsOffered: pc.credentialsOffered, symptom: pc.credentialsOffered ? 'credentials-rejected' : 'no-credentials' },
      fix:
        integrated.length && !basic
          ? fix('Ask for a proxy exemption for the Azure endpoints, or run a local authenticating proxy (e.g. Px or Cntlm) and point the proxy variables at it.', 'network-admin')
          : fix(`Put the proxy credentials in the URL: ${p.proxyVariable}=http://USER:PASSWORD@${pc.proxyAddress} (URL-encode special characters), or ask for an exemption.`, 'user'),
    };
  }
  if (status >= 500) {
    return {
      code: 'proxy.upstream-failed',
      severity: sev,
      message: `The proxy ${p.proxy} could not reach ${target} itself (${status} ${pc.statusText ?? ''}). ${affects}`.replace(/\s+\./, '.'),
      target,
      evidence: { ...base, status, statusText: pc.statusText ?? null, proxyInfo: pc.proxyInfo ?? null, symptom: 'proxy-upstream-error' },
      fix: fix(`The proxy at ${pc.proxyAddress} must be able to resolve and reach ${ep.host} on TCP/${ep.port}.`, 'network-admin'),
    };
  }
  return {
    code: 'proxy.blocked',
    severity: sev,
    message: `The proxy ${p.proxy} refused CONNECT ${target} (${status} ${pc.statusText ?? ''}). ${affects}`.replace(/\s+\./, '.'),
    target,
    evidence: { ...base, status, statusText: pc.statusText ?? null, proxyInfo: pc.proxyInfo ?? null, symptom: 'connect-refused-by-proxy' },
    fix: fix(`Allow CONNECT to ${ep.host}:${ep.port} on the proxy at ${pc.proxyAddress}.`, 'network-admin'),
  };
}

function tlsFailureFinding(d: EndpointDiagnosis, p: PathObservation): Finding | undefined {
  const t = p.tls;
  if (!t || t.ok || t.error === 'ABORTED') return undefined;
  const ep = d.endpoint;
  const target = hostPort(ep.host, ep.port);
  const sev = severityFor(p.consumers, d.serverConsumer);
  const evidence = { target, route: p.via, proxy: p.proxy ?? null, consumers: p.consumers.join(','), error: t.error ?? null, ms: t.ms };
  const affects = `Affects: ${who(p.consumers, d.serverConsumer)}.`;
  if (t.failure === 'reset') {
    return {
      code: 'tcp.reset',
      severity: sev,
      message: `The connection to ${target}${p.via === 'proxy' ? ` through ${p.proxy}` : ''} was reset during the TLS handshake (after the ClientHello named ${ep.host}): a firewall or proxy filtering by server name. ${affects}`,
      target,
      evidence: { ...evidence, symptom: 'reset-during-tls-handshake', phase: 'tls' },
      fix: fix(`Allow ${ep.host} on the firewall/proxy that resets the connection (TLS SNI filtering).`, 'network-admin'),
    };
  }
  const viaProxy = p.via === 'proxy';
  const what =
    t.failure === 'timeout'
      ? `got no answer to the ClientHello within ${t.ms} ms${viaProxy ? ' (the proxy accepted the CONNECT)' : ''}`
      : t.failure === 'closed'
        ? viaProxy
          ? 'was closed during the handshake: the proxy accepted the CONNECT, then closed the tunnel (it could not keep a connection to the host, or its policy ends tunnels to this server name)'
          : 'was closed by the other side during the handshake'
        : `failed (${t.error})`;
  return {
    code: 'tls.handshake-failed',
    severity: sev,
    message: `The TLS handshake with ${target}${p.via === 'proxy' ? ` through ${p.proxy}` : ''} ${what}. ${affects}`,
    target,
    evidence: { ...evidence, symptom: t.failure ?? 'other', phase: 'tls' },
    fix: fix(
      viaProxy
        ? `The proxy ${p.proxy} (or a device behind it) interferes with TLS to this host: its administrators should check the proxy log and TLS policy for CONNECT ${target}.`
        : 'Something on the path (firewall, TLS inspection, proxy) interferes with TLS to this host; check its TLS policy and logs for this server name.',
      'network-admin',
      viaProxy
        ? [`curl -sv -x '${p.proxy}' -o /dev/null https://${ep.host}/`]
        : [`openssl s_client -connect ${ep.host}:${ep.port} -servername ${ep.host} </dev/null`],
    ),
  };
}

function storeList(vs: StoreVerdict[]): string {
  return vs.map((v) => v.label).join(', ');
}

/**
 * TLS findings for one presented chain seen by `consumers` (possibly on several paths).
 * `relevant` stores are those of the consumers; all stores are evaluated so a CA trusted only
 * elsewhere shows up as tls.trust-store-differs rather than tls.untrusted-root.
 */
function chainFindings(d: EndpointDiagnosis, p: PathObservation, t: TlsObservation, consumers: Consumer[], opts: FindingOptions): Finding[] {
  const out: Finding[] = [];
  const ep = d.endpoint;
  const target = hostPort(ep.host, ep.port);
  const platform = opts.platform ?? process.platform;
  const leaf = t.chain[0];
  const top = t.chain[t.chain.length - 1];
  const issuer = t.interception?.issuer || (top ? nameToString(top.selfSigned ? top.subject : top.issuer) : '');
  const routeText = p.via === 'proxy' ? ` through ${p.proxy}` : '';
  const base = { target, route: p.via, proxy: p.proxy ?? null, consumers: consumers.join(','), issuer, leafFingerprint: leaf?.fingerprint256 ?? null };
  const sev = severityFor(consumers, d.serverConsumer);
  const relevantIds = [...new Set(consumers.map((c) => STORE_OF[c]))];
  const available = t.stores.filter((s) => s.available);
  const relevant = available.filter((s) => relevantIds.includes(s.store));
  const trustedRel = relevant.filter((s) => s.trusted);
  const rejectedRel = relevant.filter((s) => !s.trusted);
  const trustedAny = available.filter((s) => s.trusted);
  const intercepted = t.interception?.intercepted === true;
  const product = t.interception?.product;
  // Stores that matter here but could not be read (e.g. the Windows store from Node 20): never claim
  // the server fails on their behalf.
  const unchecked = t.stores.filter((s) => !s.available && relevantIds.includes(s.store));
  const uncheckedText = unchecked.length ? ` (${storeList(unchecked)} could not be checked: ${unchecked.map((s) => s.note).filter(Boolean).join('; ')})` : '';
  const osUnchecked = unchecked.some((s) => s.store === 'os');

  // A certificate for another name is not TLS inspection (inspection devices mint one for the host):
  // a captive portal or the wrong server. tls.hostname-mismatch says so; "connections work" would be wrong.
  if (intercepted && t.hostMatches !== false) {
    const allTrust = rejectedRel.length === 0;
    out.push({
      code: 'tls.intercepted',
      severity: allTrust ? 'info' : 'warning',
      message:
        `TLS to ${target}${routeText} is intercepted: the certificate chain leads to '${issuer}'${product ? ` (${product})` : ''}, not to the CAs Azure uses (${t.interception?.reason}).` +
        (allTrust ? ' Every consumer trusts it, so connections work; tokens and data pass through the inspection device.' : ''),
      target,
      evidence: { ...base, product: product ?? null, reason: t.interception?.reason ?? null, symptom: 'tls-inspection' },
      fix: fix(
        `Ask the network team to exclude the Azure endpoints (${ep.host}) from TLS inspection${product ? ` in ${product}` : ''}, or to deploy its root CA to every consumer's trust store.`,
        'network-admin',
        undefined,
        ['https://learn.microsoft.com/azure/security/fundamentals/azure-ca-details'],
      ),
    });
  }
  if (t.validity) {
    const v = t.validity;
    const expired = v.kind === 'expired';
    out.push({
      code: expired ? 'tls.expired' : 'tls.not-yet-valid',
      severity: sev,
      message: expired
        ? `The certificate '${v.subject}' presented for ${target}${routeText} expired on ${v.validTo}.${intercepted ? ' It comes from the TLS inspection device.' : ''} If that date is in the future, the local clock is wrong.`
        : `The certificate '${v.subject}' presented for ${target}${routeText} is not valid before ${v.validFrom}. The local clock is probably behind (or the inspection device's is ahead).`,
      target,
      evidence: { ...base, certificate: v.subject, depth: v.depth, validFrom: v.validFrom, validTo: v.validTo, localTime: new Date().toISOString(), symptom: v.kind },
      fix: expired && !intercepted
        ? fix('Check the local clock first; if it is right, whoever serves this certificate must renew it.', 'network-admin', clockCommands(platform))
        : expired
          ? fix('The TLS inspection device presents an expired certificate: its administrators must renew its CA/issuing certificate.', 'network-admin')
          : fix('Set the local clock right (enable time synchronisation).', 'user', clockCommands(platform)),
    });
  }
  if (t.hostMatches === false) {
    out.push({
      code: 'tls.hostname-mismatch',
      severity: sev,
      message: `The certificate presented for ${target}${routeText} is for '${t.leafNames ?? ''}', not ${ep.host}: a captive portal (hotel/guest Wi-Fi sign-in), a DNS or hosts entry pointing elsewhere, or a misconfigured proxy.`,
      target,
      evidence: { ...base, certificateNames: t.leafNames ?? null, symptom: 'hostname-mismatch' },
      fix: fix('Sign in to the captive portal if there is one; otherwise check the DNS answer and hosts file for this host.', 'user', [`getent hosts ${ep.host}`]),
    });
  }
  // Trust: only meaningful for failures of the path to an anchor (not validity/hostname).
  if (relevant.length && rejectedRel.length) {
    const rejectedIds = rejectedRel.map((s) => s.store);
    const codes = [...new Set(rejectedRel.map((s) => s.code).filter(Boolean))].join(',');
    if (trustedRel.length || trustedAny.length) {
      const trustedBy = trustedRel.length ? trustedRel : trustedAny;
      const serverRejects = rejectedIds.includes('os') && consumers.includes(d.serverConsumer);
      out.push({
        code: 'tls.trust-store-differs',
        severity: serverRejects ? 'error' : rejectedIds.includes('azure-cli') ? 'warning' : 'info',
        message:
          `The certificate chain for ${target}${routeText} (issuer '${issuer}') is trusted by ${storeList(trustedBy)} but not by ${storeList(rejectedRel)}` +
          `${serverRejects ? ', which the Azure MCP Server uses: its requests fail with a certificate error' : ''}.`,
        target,
        evidence: {
          ...base,
          trustedBy: trustedBy.map((s) => s.store).join(','),
          rejectedBy: rejectedIds.join(','),
          verifyError: codes || null,
          product: product ?? null,
          symptom: 'trust-store-differs',
        },
        fix: fix(`Add the issuing root CA ('${issuer}') to: ${storeList(rejectedRel)}.`, 'user', trustCommands(rejectedIds, platform)),
      });
    } else {
      out.push({
        code: 'tls.untrusted-root',
        severity: osUnchecked && sev === 'error' ? 'warning' : sev,
        message:
          `The certificate chain for ${target}${routeText} does not lead to a trusted root in any store checked (${storeList(relevant)}): issuer '${issuer}'` +
          `${product ? ` (${product})` : ''}, ${codes || 'untrusted'}. Affects: ${who(consumers, d.serverConsumer)}.${uncheckedText}`,
        target,
        evidence: { ...base, rejectedBy: rejectedIds.join(','), verifyError: codes || null, product: product ?? null, unchecked: unchecked.map((s) => s.store).join(',') || null, symptom: 'untrusted-root' },
        fix: fix(
          intercepted
            ? `Get the root CA of the TLS inspection device ('${issuer}') from the network team (or export it) and add it to the trust stores.`
            : `Add the root CA that issued this chain ('${issuer}') to the trust stores, if your organisation trusts it.`,
          'user',
          trustCommands(rejectedIds, platform),
        ),
      });
    }
  }
  return out;
}

/** Lower-case host of a Location header (absolute URLs only; relative ones stay on the host). */
export function locationHost(location: string | undefined): string | undefined {
  if (!location || !/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return undefined;
  try {
    return new URL(location).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

function httpFinding(d: EndpointDiagnosis, p: PathObservation): Finding | undefined {
  const h = p.http;
  if (!h || h.error === 'ABORTED') return undefined;
  const ep = d.endpoint;
  const target = hostPort(ep.host, ep.port);
  const base = { target, route: p.via, proxy: p.proxy ?? null, consumers: p.consumers.join(','), path: h.path };
  if (!h.ok) {
    return {
      code: 'http.no-response',
      severity: severityFor(p.consumers, d.serverConsumer) === 'error' ? 'warning' : 'info',
      message: `TLS to ${target} succeeded but the HTTPS request GET ${h.path} got no response (${h.error}) within ${h.ms} ms.`,
      target,
      evidence: { ...base, error: h.error ?? null, ms: h.ms, symptom: 'no-http-response' },
      fix: fix('Something on the path accepts TLS but does not forward requests (a stalled proxy or inspection device).', 'network-admin'),
    };
  }
  const s = h.status ?? 0;
  const html = /html/i.test(h.contentType ?? '');
  const intercepted = p.tls?.interception?.intercepted === true;
  if ((s === 403 || s === 451) && html && intercepted && (ep.role === 'authority' || ep.role === 'authority-alias' || ep.role === 'arm')) {
    return {
      code: 'proxy.blocked',
      severity: severityFor(p.consumers, d.serverConsumer),
      message: `The TLS inspection device answered GET ${h.path} on ${target} with a ${s} HTML block page instead of forwarding it.`,
      target,
      evidence: { ...base, status: s, contentType: h.contentType ?? null, server: h.server ?? null, symptom: 'block-page-after-tls-inspection' },
      fix: fix(`Allow ${ep.host} in the web filter of the TLS inspection device.`, 'network-admin'),
    };
  }
  let unexpected: string | undefined;
  if ((ep.role === 'authority' || ep.role === 'authority-alias') && (s !== 200 || h.discoveryOk === false)) {
    unexpected = s === 200 ? 'a 200 that is not an OpenID configuration document' : `HTTP ${s}`;
  } else if (ep.role === 'arm' && ![200, 401, 403].includes(s)) {
    unexpected = `HTTP ${s} (an unauthenticated call should get 401)`;
  } else if (s >= 500) {
    unexpected = `HTTP ${s}`;
  }
  if (!unexpected) return undefined;
  const redirectHost = s >= 300 && s < 400 ? locationHost(h.location) : undefined;
  if (redirectHost && redirectHost !== ep.host.toLowerCase()) {
    // Every request redirected to another host: a captive portal or a web filter's sign-in page.
    return {
      code: 'http.unexpected-response',
      severity: 'warning',
      message:
        `${target} answered GET ${h.path} with HTTP ${s}, a redirect to ${h.location}: a captive portal (guest/hotel Wi-Fi sign-in) or a web filter's login page answers instead of ${ep.label}. ` +
        `Requests from ${who(p.consumers, d.serverConsumer)} get this redirect, not the service.`,
      target,
      evidence: { ...base, status: s, contentType: h.contentType ?? null, server: h.server ?? null, location: h.location ?? null, redirectHost, symptom: 'redirect-to-other-host' },
      fix: fix(`Open a browser, sign in on ${redirectHost} (or accept its terms), then run the doctor again; on a corporate network, ask for ${ep.host} to be exempted from the web filter's sign-in.`, 'user', [
        `curl -sv -o /dev/null https://${ep.host}${h.path}`,
      ]),
    };
  }
  if (s >= 500 && (ep.role === 'authority' || ep.role === 'arm')) {
    // The server needs these: a 5xx there fails its token requests / every ARM call while it lasts.
    const sevServer = severityFor(p.consumers, d.serverConsumer);
    return {
      code: 'http.unexpected-response',
      severity: sevServer === 'error' ? 'error' : 'warning',
      message:
        `${target} answered GET ${h.path} with HTTP ${s}${h.contentType ? ` (${h.contentType})` : ''}${h.server ? ` from '${h.server}'` : ''}: a server error, not ${ep.label}'s answer. ` +
        `A gateway, load balancer or proxy in front of it has no working backend, or the service has an outage. While this lasts, ` +
        (ep.role === 'authority' ? `token requests from ${who(p.consumers, d.serverConsumer)} fail.` : `every ARM call from ${who(p.consumers, d.serverConsumer)} fails.`) +
        ' Run the doctor again to rule out a passing fault.',
      target,
      evidence: { ...base, status: s, contentType: h.contentType ?? null, server: h.server ?? null, location: h.location ?? null, requestId: h.requestId ?? null, symptom: 'server-error' },
      fix: fix(
        `If it persists: check the Azure status page, and whether a device on the path answers for ${ep.host} (the Server header${h.server ? `, here '${h.server}'` : ''}; Azure's own errors carry x-ms-request-id${h.requestId ? `, here ${h.requestId}` : ', absent here'}).`,
        'network-admin',
        [`curl -sv -o /dev/null https://${ep.host}${h.path}`],
        ['https://azure.status.microsoft/status'],
      ),
    };
  }
  return {
    code: 'http.unexpected-response',
    severity: 'warning',
    message: `${target} answered GET ${h.path} with ${unexpected}${h.contentType ? ` (${h.contentType})` : ''}; the service did not answer as ${ep.label} would.${h.location ? ` Redirect to ${h.location}.` : ''}`,
    target,
    evidence: { ...base, status: s, contentType: h.contentType ?? null, server: h.server ?? null, location: h.location ?? null, requestId: h.requestId ?? null, symptom: 'unexpected-http-response' },
    fix: fix('Check what answers for this host (a captive portal, proxy or a wrong endpoint override).', 'network-admin', [`curl -sv https://${ep.host}${h.path}`]),
  };
}

/** A consumer that cannot use the configured proxy at all (e.g. no scheme for the server's WebProxy). */
function brokenRouteFinding(d: EndpointDiagnosis, p: PathObservation): Finding {
  const ep = d.endpoint;
  const target = hostPort(ep.host, ep.port);
  return {
    code: 'proxy.invalid-url',
    severity: severityFor(p.consumers, d.serverConsumer),
    message: `${who(p.consumers, d.serverConsumer)} cannot reach ${target}: ${p.skipped}.`,
    target,
    evidence: { target, variable: p.proxyVariable ?? null, value: p.proxy ?? null, consumers: p.consumers.join(','), symptom: 'unusable-proxy-url' },
    fix: fix(`Write ${p.proxyVariable ?? 'the proxy variable'} as http://HOST:PORT.`, 'user', p.proxyVariable && p.proxy ? [`export ${p.proxyVariable}=http://${p.proxy.replace(/^[a-z]+:\/\//i, '')}`] : undefined),
  };
}

/** All findings for one endpoint, DNS first, then per path (proxy, TCP, TLS, HTTP). */
export function endpointFindings(d: EndpointDiagnosis, opts: FindingOptions = {}): Finding[] {
  const out: Finding[] = [...dnsFindings(d)];
  // Paths that saw the same chain share one set of TLS findings (consumers merged).
  const byLeaf = new Map<string, { path: PathObservation; consumers: Consumer[] }>();
  for (const p of d.paths) {
    if (p.key.startsWith('broken:')) {
      out.push(brokenRouteFinding(d, p));
      continue;
    }
    if (p.skipped) continue;
    const pf = proxyFinding(d, p, opts);
    if (pf) out.push(pf);
    const tf = tcpFinding(d, p);
    if (tf) out.push(tf);
    const hf = tlsFailureFinding(d, p);
    if (hf) out.push(hf);
    if (p.tls?.ok && p.tls.chain.length) {
      const key = p.tls.chain[0]!.fingerprint256;
      const g = byLeaf.get(key);
      if (g) g.consumers.push(...p.consumers);
      else byLeaf.set(key, { path: p, consumers: [...p.consumers] });
    }
  }
  for (const { path, consumers } of byLeaf.values()) out.push(...chainFindings(d, path, path.tls!, consumers, opts));
  for (const p of d.paths) {
    const h = httpFinding(d, p);
    if (h) out.push(h);
  }
  return notUsedByServer(d.endpoint) ? out.map((f) => downgradeUnused(f, d.endpoint)) : out;
}

/**
 * Hosts the documentation lists as required but the Azure MCP Server 2.0.5 was never seen to contact
 * (docs/server-behaviour-2.0.5.md §5): the authority alias (login.windows.net) and Microsoft Graph.
 */
export function notUsedByServer(ep: Pick<Endpoint, 'role'>): boolean {
  return ep.role === 'authority-alias' || ep.role === 'graph';
}

/** An error on a host the server does not use is a warning, with the reason in the message. */
function downgradeUnused(f: Finding, ep: Endpoint): Finding {
  if (f.severity !== 'error') return f;
  const what = ep.role === 'graph' ? 'Microsoft Graph' : 'the authority alias';
  return {
    ...f,
    severity: 'warning',
    message:
      f.message.replace(/ Affects: Azure MCP Server\./, '').replace(/, which the Azure MCP Server uses: its requests fail with a certificate error/, '') +
      ` ${ep.host} (${what}) is listed as required in the Azure MCP Server documentation, but the server's commands seen so far (token requests, ARM, data plane) do not use it, ` +
      'so this does not make them fail; other tools do use it (the Azure CLI, the Azure portal).',
    evidence: { ...(f.evidence ?? {}), downgradedFrom: 'error', serverUsesHost: false },
  };
}

/** Codes that mean "this endpoint cannot be reached by this consumer". */
export const BLOCKING_CODES = new Set([
  'dns.not-found',
  'dns.timeout',
  'tcp.timeout',
  'tcp.refused',
  'tcp.reset',
  'tcp.unreachable',
  'tls.untrusted-root',
  'tls.expired',
  'tls.not-yet-valid',
  'tls.hostname-mismatch',
  'tls.handshake-failed',
  'tls.trust-store-differs',
  'proxy.unreachable',
  'proxy.auth-required',
  'proxy.blocked',
  'proxy.upstream-failed',
  'proxy.scheme-mismatch',
]);
