// The endpoint model: the clouds Azure MCP Server accepts (with its aliases) and the hosts the doctor
// probes. Every base endpoint can be overridden, for custom environments and so tests can point the
// doctor at test hosts.

import type { DoctorOptions, ResourceOption } from './options.js';

export type CloudName = 'AzureCloud' | 'AzureChinaCloud' | 'AzureUSGovernment';

export interface CloudDefinition {
  name: CloudName;
  /** Lower-case names the server accepts for this cloud (AzureCloudConfiguration.cs). */
  aliases: string[];
  authorityHost: string;
  /** The login.windows.net equivalent (MSAL alias; the docs list it as required). */
  authorityAliasHost: string;
  armEndpoint: string;
  graphEndpoint: string;
  suffixes: { storage: string; keyvault: string; cosmos: string; servicebus: string; eventhubs: string };
}

export const CLOUDS: readonly CloudDefinition[] = [
  {
    name: 'AzureCloud',
    aliases: ['azurecloud', 'azurepubliccloud', 'public', 'azurepublic'],
    authorityHost: 'https://login.microsoftonline.com',
    authorityAliasHost: 'https://login.windows.net',
    armEndpoint: 'https://management.azure.com',
    graphEndpoint: 'https://graph.microsoft.com',
    suffixes: {
      storage: 'blob.core.windows.net',
      keyvault: 'vault.azure.net',
      cosmos: 'documents.azure.com',
      servicebus: 'servicebus.windows.net',
      eventhubs: 'servicebus.windows.net',
    },
  },
  {
    name: 'AzureChinaCloud',
    aliases: ['azurechinacloud', 'china', 'azurechina'],
    authorityHost: 'https://login.chinacloudapi.cn',
    authorityAliasHost: 'https://login.partner.microsoftonline.cn',
    armEndpoint: 'https://management.chinacloudapi.cn',
    graphEndpoint: 'https://microsoftgraph.chinacloudapi.cn',
    suffixes: {
      storage: 'blob.core.chinacloudapi.cn',
      keyvault: 'vault.azure.cn',
      cosmos: 'documents.azure.cn',
      servicebus: 'servicebus.chinacloudapi.cn',
      eventhubs: 'servicebus.chinacloudapi.cn',
    },
  },
  {
    name: 'AzureUSGovernment',
    aliases: ['azureusgovernment', 'azureusgovernmentcloud', 'usgov', 'usgovernment'],
    authorityHost: 'https://login.microsoftonline.us',
    authorityAliasHost: 'https://login.usgovcloudapi.net',
    armEndpoint: 'https://management.usgovcloudapi.net',
    graphEndpoint: 'https://graph.microsoft.us',
    suffixes: {
      storage: 'blob.core.usgovcloudapi.net',
      keyvault: 'vault.usgovcloudapi.net',
      cosmos: 'documents.azure.us',
      servicebus: 'servicebus.usgovcloudapi.net',
      eventhubs: 'servicebus.usgovcloudapi.net',
    },
  },
];

export const SUPPORTED_CLOUD_NAMES =
  'AzureCloud, AzurePublicCloud, Public, AzurePublic, AzureChinaCloud, China, AzureChina, AzureUSGovernment, AzureUSGovernmentCloud, USGov, USGovernment';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Resolves a cloud name the way the server does: empty means public; an unknown name is an error. */
export function resolveCloud(value: string | undefined): CloudDefinition {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return CLOUDS[0]!;
  const cloud = CLOUDS.find((c) => c.aliases.includes(v));
  if (!cloud) {
    throw new UsageError(`Unrecognized cloud value '${value}'. Supported values are: ${SUPPORTED_CLOUD_NAMES}.`);
  }
  return cloud;
}

export type EndpointRole = 'authority' | 'authority-alias' | 'arm' | 'graph' | 'resource' | 'managed-identity';

export interface Endpoint {
  /** Stable id used in check ids and findings, e.g. "authority", "storage:myacct". */
  id: string;
  role: EndpointRole;
  label: string;
  host: string;
  port: number;
  /** Base URL (scheme://host[:port][/path]). */
  url: string;
  scheme: 'https' | 'http';
  service?: ResourceOption['kind'];
  resourceName?: string;
}

export interface EndpointModel {
  cloud: CloudDefinition;
  authority: Endpoint;
  authorityAlias?: Endpoint;
  arm: Endpoint;
  graph: Endpoint;
  resources: Endpoint[];
  /** The managed-identity endpoint the environment selects; probed only when it matters. */
  managedIdentity: Endpoint;
  /** Token scope for ARM; stays the cloud's audience when the ARM URL is overridden. */
  armScope: string;
  /** Everything the network checks probe, in a stable order. */
  all: Endpoint[];
}

export function parseUrlOption(name: string, value: string, allowHttp = false): URL {
  let u: URL;
  try {
    u = new URL(value.includes('://') ? value : `https://${value}`);
  } catch {
    throw new UsageError(`${name}: '${value}' is not a valid URL.`);
  }
  if (u.protocol !== 'https:' && !(allowHttp && u.protocol === 'http:')) {
    throw new UsageError(`${name}: '${value}' must use https${allowHttp ? ' or http' : ''}.`);
  }
  return u;
}

function endpointFromUrl(id: string, role: EndpointRole, label: string, u: URL): Endpoint {
  const scheme = u.protocol === 'http:' ? 'http' : 'https';
  const port = u.port ? Number(u.port) : scheme === 'https' ? 443 : 80;
  const path = u.pathname.replace(/\/+$/, '');
  return { id, role, label, host: u.hostname.replace(/^\[|\]$/g, ''), port, url: `${u.protocol}//${u.host}${path}`, scheme };
}

const NAME_RULES: Record<Exclude<ResourceOption['kind'], 'endpoint'>, { re: RegExp; hint: string }> = {
  storage: { re: /^[a-z0-9]{3,24}$/, hint: '3-24 lower-case letters and digits' },
  keyvault: { re: /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/, hint: '3-24 letters, digits and hyphens' },
  cosmos: { re: /^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$/, hint: '3-50 lower-case letters, digits and hyphens' },
  servicebus: { re: /^[a-zA-Z][a-zA-Z0-9-]{4,48}[a-zA-Z0-9]$/, hint: '6-50 letters, digits and hyphens' },
  eventhubs: { re: /^[a-zA-Z][a-zA-Z0-9-]{4,48}[a-zA-Z0-9]$/, hint: '6-50 letters, digits and hyphens' },
};

const SERVICE_LABEL: Record<ResourceOption['kind'], string> = {
  storage: 'Storage (blob)',
  keyvault: 'Key Vault',
  cosmos: 'Cosmos DB',
  servicebus: 'Service Bus',
  eventhubs: 'Event Hubs',
  endpoint: 'Endpoint',
};

/** host[:port] with an optional IPv6 literal in brackets. */
export function parseHostPort(value: string, defaultPort = 443): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:/\s[\]]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) throw new UsageError(`--endpoint: '${value}' is not HOST[:PORT].`);
  const port = m[3] ? Number(m[3]) : defaultPort;
  if (port < 1 || port > 65535) throw new UsageError(`--endpoint: port ${port} is out of range.`);
  return { host: (m[1] ?? m[2])!.toLowerCase(), port };
}

export function resourceEndpoint(cloud: CloudDefinition, r: ResourceOption): Endpoint {
  if (r.kind === 'endpoint') {
    const { host, port } = parseHostPort(r.name);
    return {
      id: `endpoint:${host}:${port}`,
      role: 'resource',
      label: `${host}:${port}`,
      host,
      port,
      url: `https://${host.includes(':') ? `[${host}]` : host}${port === 443 ? '' : `:${port}`}`,
      scheme: 'https',
      service: 'endpoint',
    };
  }
  const name = r.name.trim();
  // A full host name is accepted too (custom domains, sovereign suffixes).
  let host: string;
  let port = 443;
  if (name.includes('.')) {
    ({ host, port } = parseHostPort(name));
  } else {
    const rule = NAME_RULES[r.kind];
    if (!rule.re.test(name)) throw new UsageError(`--${r.kind}: '${name}' is not a valid name (${rule.hint}).`);
    host = `${name.toLowerCase()}.${cloud.suffixes[r.kind]}`;
  }
  const resourceName = name.includes('.') ? host.split('.')[0]! : name;
  return {
    id: `${r.kind}:${resourceName}`,
    role: 'resource',
    label: `${SERVICE_LABEL[r.kind]} ${resourceName}`,
    host,
    port,
    url: `https://${host}${port === 443 ? '' : `:${port}`}`,
    scheme: 'https',
    service: r.kind,
    resourceName,
  };
}

/**
 * The managed-identity endpoint as the server's Azure.Identity (MSAL) would select it from the
 * environment. The doctor's own override wins, so tests never touch 169.254.169.254.
 */
export function managedIdentityUrl(env: Readonly<Record<string, string | undefined>>, override?: string): string {
  if (override) return override;
  if (env.IDENTITY_ENDPOINT) return env.IDENTITY_ENDPOINT;
  if (env.MSI_ENDPOINT) return env.MSI_ENDPOINT;
  return env.AZURE_POD_IDENTITY_AUTHORITY_HOST || 'http://169.254.169.254';
}

export function buildEndpointModel(
  options: Pick<DoctorOptions, 'cloud' | 'resources' | 'authorityHost' | 'armEndpoint' | 'graphEndpoint' | 'imdsEndpoint'>,
  env: Readonly<Record<string, string | undefined>>,
): EndpointModel {
  const cloud = resolveCloud(options.cloud);
  const authority = endpointFromUrl(
    'authority',
    'authority',
    'Entra ID authority',
    parseUrlOption('--authority-host', options.authorityHost ?? cloud.authorityHost),
  );
  // A custom authority has no login.windows.net twin; probing the public one would leave the test net.
  const authorityAlias = options.authorityHost
    ? undefined
    : endpointFromUrl('authority-alias', 'authority-alias', 'Entra ID authority (alias)', new URL(cloud.authorityAliasHost));
  const arm = endpointFromUrl('arm', 'arm', 'Azure Resource Manager', parseUrlOption('--arm-endpoint', options.armEndpoint ?? cloud.armEndpoint));
  const graph = endpointFromUrl('graph', 'graph', 'Microsoft Graph', parseUrlOption('--graph-endpoint', options.graphEndpoint ?? cloud.graphEndpoint));
  const resources = options.resources.map((r) => resourceEndpoint(cloud, r));
  const miRaw = managedIdentityUrl(env, options.imdsEndpoint);
  let miUrl: URL;
  try {
    miUrl = new URL(miRaw);
  } catch {
    // A malformed IDENTITY_ENDPOINT is reported by the credential check; model the default.
    miUrl = new URL('http://169.254.169.254');
  }
  const managedIdentity = endpointFromUrl('managed-identity', 'managed-identity', 'Managed identity endpoint', miUrl);
  const seen = new Set<string>();
  const all = [authority, ...(authorityAlias ? [authorityAlias] : []), arm, graph, ...resources].filter((e) => {
    const key = `${e.host}:${e.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    cloud,
    authority,
    authorityAlias,
    arm,
    graph,
    resources,
    managedIdentity,
    armScope: `${cloud.armEndpoint}/.default`,
    all,
  };
}
