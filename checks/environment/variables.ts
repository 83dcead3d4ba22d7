// Every Azure-related variable the server or Azure.Identity reads: names, whether set, values where they
// are not secret; and the values the server would misread or ignore.

import { existsSync } from 'node:fs';
import type { Check, Finding } from '../../src/core/model.js';
import { isSecretVariable, maskUrlPassword } from '../../src/core/redact.js';
import { CLOUDS, SUPPORTED_CLOUD_NAMES } from '../../src/core/endpoints.js';
import { DEPRECATED_VARIABLES, effectiveChain, serverTruthy } from '../../src/chain/effective-chain.js';
import { chainWarningFindings } from '../../src/chain/warnings.js';

interface VariableInfo {
  name: string;
  readBy: string;
}

/** What reads each variable: the server itself, or Azure.Identity inside it, or a neighbouring tool. */
export const AZURE_VARIABLES: VariableInfo[] = [
  { name: 'AZURE_TOKEN_CREDENTIALS', readBy: 'server: chain selection' },
  { name: 'AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL', readBy: 'server: broker-only mode' },
  { name: 'AZURE_MCP_CLIENT_ID', readBy: 'server: client id of browser/device-code sign-in' },
  { name: 'AZURE_MCP_AUTHENTICATION_RECORD', readBy: 'server: silent reuse of a browser sign-in' },
  { name: 'AZURE_MCP_BROWSER_AUTH_TIMEOUT_SECONDS', readBy: 'server: browser sign-in timeout' },
  { name: 'AZURE_CLOUD', readBy: 'server: sovereign cloud' },
  { name: 'AZURE_SUBSCRIPTION_ID', readBy: 'server: default subscription (after ~/.azure/azureProfile.json)' },
  { name: 'VSCODE_PID', readBy: 'server: puts the VS Code credential first' },
  { name: 'AZURE_MCP_COLLECT_TELEMETRY', readBy: 'server: telemetry' },
  { name: 'AZURE_TENANT_ID', readBy: 'Azure.Identity: Environment, WorkloadIdentity' },
  { name: 'AZURE_CLIENT_ID', readBy: 'Azure.Identity: Environment, WorkloadIdentity; server: user-assigned managed identity' },
  { name: 'AZURE_CLIENT_SECRET', readBy: 'Azure.Identity: EnvironmentCredential' },
  { name: 'AZURE_CLIENT_CERTIFICATE_PATH', readBy: 'Azure.Identity: EnvironmentCredential' },
  { name: 'AZURE_CLIENT_CERTIFICATE_PASSWORD', readBy: 'Azure.Identity: EnvironmentCredential' },
  { name: 'AZURE_CLIENT_SEND_CERTIFICATE_CHAIN', readBy: 'Azure.Identity: EnvironmentCredential' },
  { name: 'AZURE_USERNAME', readBy: 'Azure.Identity: EnvironmentCredential (deprecated user/password)' },
  { name: 'AZURE_PASSWORD', readBy: 'Azure.Identity: EnvironmentCredential (deprecated user/password)' },
  { name: 'AZURE_FEDERATED_TOKEN_FILE', readBy: 'Azure.Identity: WorkloadIdentityCredential' },
  { name: 'AZURE_AUTHORITY_HOST', readBy: 'Azure.Identity: EnvironmentCredential only (the server sets the others)' },
  { name: 'AZURE_ADDITIONALLY_ALLOWED_TENANTS', readBy: 'Azure.Identity' },
  { name: 'AZURE_REGIONAL_AUTHORITY_NAME', readBy: 'Azure.Identity: regional token endpoint' },
  { name: 'AZURE_POD_IDENTITY_AUTHORITY_HOST', readBy: 'Azure.Identity: IMDS host override' },
  { name: 'IDENTITY_ENDPOINT', readBy: 'Azure.Identity: managed identity (App Service, Arc, Service Fabric)' },
  { name: 'IDENTITY_HEADER', readBy: 'Azure.Identity: managed identity (App Service)' },
  { name: 'IDENTITY_SERVER_THUMBPRINT', readBy: 'Azure.Identity: managed identity (Service Fabric)' },
  { name: 'IMDS_ENDPOINT', readBy: 'Azure.Identity: managed identity (Arc)' },
  { name: 'MSI_ENDPOINT', readBy: 'Azure.Identity: managed identity (Cloud Shell, ML)' },
  { name: 'MSI_SECRET', readBy: 'Azure.Identity: managed identity (ML)' },
  { name: 'HTTPS_PROXY', readBy: 'server and Azure.Core: proxy' },
  { name: 'HTTP_PROXY', readBy: 'server and Azure.Core: proxy' },
  { name: 'ALL_PROXY', readBy: 'server and Azure.Core: proxy' },
  { name: 'NO_PROXY', readBy: 'server and Azure.Core: proxy bypass' },
  { name: 'https_proxy', readBy: 'Azure.Core, Node, Azure CLI (not the server\'s ARM client)' },
  { name: 'http_proxy', readBy: 'Azure.Core, Node, Azure CLI (not the server\'s ARM client)' },
  { name: 'all_proxy', readBy: 'Azure.Core (not the server\'s ARM client)' },
  { name: 'no_proxy', readBy: 'Azure.Core, Node, Azure CLI (not the server\'s ARM client)' },
  { name: 'SSL_CERT_FILE', readBy: 'OpenSSL trust for the server (.NET on Linux)' },
  { name: 'SSL_CERT_DIR', readBy: 'OpenSSL trust for the server (.NET on Linux)' },
  { name: 'REQUESTS_CA_BUNDLE', readBy: 'Azure CLI trust' },
  { name: 'NODE_EXTRA_CA_CERTS', readBy: 'Node trust (npx wrapper, this doctor), not the server' },
  { name: 'NODE_TLS_REJECT_UNAUTHORIZED', readBy: 'Node only' },
  { name: 'AZURE_CONFIG_DIR', readBy: 'Azure CLI (the server reads ~/.azure/azureProfile.json regardless)' },
];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT_DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

function displayValue(name: string, value: string): string {
  if (isSecretVariable(name)) return `set (${value.length} characters, hidden)`;
  if (/proxy$/i.test(name)) return maskUrlPassword(value);
  return value.length > 120 ? `${value.slice(0, 117)}...` : value;
}

function hasStrayQuotesOrSpace(value: string): boolean {
  return value !== value.trim() || /^["']|["']$/.test(value);
}

export function validateVariables(env: Readonly<Record<string, string | undefined>>): Finding[] {
  const findings: Finding[] = [];

  // AZURE_TOKEN_CREDENTIALS values and variables the server no longer reads: the chain model decides.
  findings.push(...chainWarningFindings(effectiveChain(env)));

  const broker = env.AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL;
  if (broker !== undefined && broker !== '' && !serverTruthy(broker) && !/^(false|f|0|no|n)$/i.test(broker.trim())) {
    findings.push({
      code: 'environment.broker-flag-ignored',
      severity: 'warning',
      message: `AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL="${broker}" counts as false: the server treats only true, True, T and 1 as true, so broker-only mode is off.`,
      target: 'AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL',
      evidence: { value: broker },
      fix: { summary: 'Use AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL=true to turn broker-only mode on, or unset it.', actor: 'user' },
    });
  }

  const cloud = env.AZURE_CLOUD;
  if (cloud !== undefined && cloud.trim() !== '' && !CLOUDS.some((c) => c.aliases.includes(cloud.trim().toLowerCase()))) {
    findings.push({
      code: 'environment.invalid-cloud',
      severity: 'error',
      message: `AZURE_CLOUD="${cloud}" is not a cloud the server knows; it stops with "Unrecognized cloud value" instead of starting. This report models the public cloud.`,
      target: 'AZURE_CLOUD',
      evidence: { value: cloud },
      fix: { summary: `Set AZURE_CLOUD to one of: ${SUPPORTED_CLOUD_NAMES}; or unset it for the public cloud.`, actor: 'user' },
    });
  }

  for (const name of ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_SUBSCRIPTION_ID'] as const) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const ok = name === 'AZURE_TENANT_ID' ? GUID.test(value) || TENANT_DOMAIN.test(value) : GUID.test(value);
    if (ok) continue;
    const stray = hasStrayQuotesOrSpace(value);
    findings.push({
      code: 'credential.env-invalid',
      severity: name === 'AZURE_SUBSCRIPTION_ID' ? 'warning' : 'error',
      message:
        `${name}="${value}" is not ${name === 'AZURE_TENANT_ID' ? 'a tenant id (a GUID) or a tenant domain' : 'a GUID'}` +
        (stray ? ': it has quotes or spaces around it, which are passed through as part of the value.' : '.'),
      target: name,
      evidence: { variable: name, length: value.length, strayQuotesOrSpaces: stray },
      fix: {
        summary:
          name === 'AZURE_SUBSCRIPTION_ID'
            ? 'Set it to the subscription id (a GUID) shown by "az account list -o table".'
            : `Set ${name} to the ${name === 'AZURE_TENANT_ID' ? 'Directory (tenant) ID' : 'Application (client) ID'} shown on the app registration's overview page, without quotes.`,
        actor: 'user',
      },
    });
  }

  const authority = env.AZURE_AUTHORITY_HOST;
  if (authority) {
    const http = /^http:\/\//i.test(authority);
    findings.push({
      code: 'environment.authority-host-partial',
      severity: http ? 'error' : 'warning',
      message: http
        ? `AZURE_AUTHORITY_HOST="${authority}" uses http; Azure.Identity refuses it and EnvironmentCredential fails.`
        : `AZURE_AUTHORITY_HOST is set, but the server passes its own cloud authority to every credential except EnvironmentCredential, so only that one uses ${authority}.`,
      target: 'AZURE_AUTHORITY_HOST',
      evidence: { value: authority },
      fix: {
        summary: 'For a sovereign cloud set AZURE_CLOUD (AzureChinaCloud, AzureUSGovernment) instead; custom authority hosts are not supported by the server.',
        actor: 'user',
      },
    });
  }

  if (env.NODE_TLS_REJECT_UNAUTHORIZED === '0') {
    findings.push({
      code: 'environment.tls-verification-disabled',
      severity: 'warning',
      message:
        'NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks for Node programs (the npx wrapper, this doctor\'s own SDK calls). The server is .NET and ignores it, so it can hide a trust problem the server still has.',
      target: 'NODE_TLS_REJECT_UNAUTHORIZED',
      evidence: { value: '0' },
      fix: { summary: 'Unset it and trust the proxy\'s CA properly (see the tls.* findings).', actor: 'user', commands: ['unset NODE_TLS_REJECT_UNAUTHORIZED'] },
    });
  }

  for (const name of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_FEDERATED_TOKEN_FILE'] as const) {
    const file = env[name];
    if (!file || existsSync(file)) continue;
    findings.push({
      code: name.startsWith('AZURE_') ? 'credential.env-invalid' : 'environment.ca-file-missing',
      severity: name.startsWith('AZURE_') ? 'error' : 'warning',
      message: `${name} points at ${file}, which does not exist.`,
      target: name,
      evidence: { variable: name, path: file },
      fix: { summary: `Point ${name} at an existing file, or unset it.`, actor: 'user' },
    });
  }

  return findings;
}

export const variablesCheck: Check = {
  id: 'environment.variables',
  title: 'Azure-related environment variables',
  group: 'environment',
  async run(ctx) {
    const rows: string[][] = [];
    const facts: Record<string, string> = {};
    for (const v of AZURE_VARIABLES) {
      const value = ctx.env[v.name];
      if (value === undefined) continue;
      const shown = displayValue(v.name, value);
      rows.push([v.name, shown, v.readBy]);
      facts[v.name] = shown;
    }
    for (const name of Object.keys(DEPRECATED_VARIABLES)) if (ctx.env[name] !== undefined) rows.push([name, displayValue(name, ctx.env[name]!), 'nothing (ignored)']);
    const tables = rows.length ? [{ title: 'Set variables (unset ones are omitted)', columns: ['variable', 'value', 'read by'], rows }] : [];
    return { findings: validateVariables(ctx.env), details: { tables, facts } };
  },
};
