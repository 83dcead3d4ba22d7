#!/usr/bin/env node
// azure-sim: one configurable HTTPS (and optionally HTTP) server that plays the Azure endpoints the
// doctor and the Azure MCP Server talk to. It runs inside the server namespace of the simulated
// internet (plain .mjs: no build step), listens on <ip>:443 for every host in its config and picks
// the certificate by SNI.
//
//   node azure-sim.mjs <config.json>
//
// Roles (dispatched by path; a host may restrict itself with "roles"):
//   authority  Entra-compatible: /{tenant}/v2.0/.well-known/openid-configuration, /common/discovery/instance,
//              POST /{tenant}/oauth2/v2.0/token (client_credentials: secret, certificate assertion,
//              workload-identity/federated assertion), real AADSTS error bodies.
//   arm        GET /subscriptions, /subscriptions/{id}, /tenants, /metadata/endpoints.
//   mi         IMDS /metadata/identity/oauth2/token (needs "Metadata: true"), App Service /msi/token
//              (needs X-IDENTITY-HEADER), /metadata/instance.
//   dataplane  anything else: configurable status/body (default 401 without a bearer, 200 with).
//
// Config (JSON file; SIGHUP re-reads it, adds/removes listeners and prints {"event":"reloaded"}):
// {
//   "logFile": "/path/requests.jsonl",
//   "hosts": [{ "names": ["login.microsoftonline.com"], "ip": "198.51.100.10", "cert": "...pem",
//               "key": "...key", "httpsPort": 443, "httpPort": null, "roles": ["authority"],
//               "dateOffsetSec": 0, "delayMs": 0, "hang": false,
//               "routes": [{ "method": "GET", "path": "/x" | "pathPrefix": "/x" | "pathRegex": "^/x",
//                            "status": 403, "body": {...}|"text", "headers": {...}, "delayMs": 0 }],
//               "dataplane": { "status": 403, "body": {...}, "headers": {...}, "requireBearer": true } }],
//   "tenants": { "<tenant-guid>": { "domains": ["contoso.onmicrosoft.com"], "displayName": "Contoso",
//       "clients": { "<client-id>": { "secret": "s" | ["s1","s2"], "secretExpired": false,
//           "certThumbprints": ["<x5t#S256 or x5t base64url or SHA-1 hex>"],
//           "federated": [{ "issuer": "...", "subject": "...", "audience": "api://AzureADTokenExchange" }],
//           "objectId": "<guid>", "error": { "status": 400, "code": 7000222, "error": "invalid_client",
//           "description": "optional" } } } } },
//   "arm": { "subscriptions": [{ "subscriptionId", "displayName", "tenantId", "state", "principals": [oid|appid] }],
//            "error": { "status": 403, "code": "AuthorizationFailed", "message": "..." },
//            "audiences": ["https://management.azure.com/", ...], "metadata": {...override} },
//   "managedIdentity": { "tenantId", "system": { "clientId", "objectId" } | null,
//                        "user": [{ "clientId", "objectId", "resourceId" }], "identityHeader": "secret-header",
//                        "error": { "status", "body" } }
// }
//
// Every request is appended to logFile as one JSON line: time, host, sni, method, path, status,
// clientId/tenant/grantType/credentialType of a token request, AADSTS code, whether an
// Authorization / Metadata / X-IDENTITY-HEADER header was present, token claims (ids only). Never
// secrets, assertions or tokens.
import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { createHash, randomBytes, randomUUID } from 'node:crypto';

const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: azure-sim.mjs <config.json>');
  process.exit(2);
}

let config;
let generation = 0;
/** key "ip:port:proto" -> server */
const servers = new Map();
/** names (lower-case, maybe "*.x") -> host; each host also has .ctx (SecureContext) */
let nameIndex = [];

function loadConfig() {
  config = JSON.parse(readFileSync(configPath, 'utf8'));
  config.hosts ??= [];
  config.tenants ??= {};
  config.arm ??= {};
  config.managedIdentity ??= {};
  for (const h of config.hosts) {
    h.names = (h.names ?? []).map((n) => n.toLowerCase());
    h.httpsPort = h.httpsPort === undefined ? 443 : h.httpsPort;
    if (h.cert && h.key) {
      h.ctx = tls.createSecureContext({ cert: readFileSync(h.cert), key: readFileSync(h.key) });
    }
  }
  nameIndex = config.hosts.flatMap((h) => h.names.map((n) => [n, h]));
}

function nameMatches(pattern, name) {
  if (pattern === name) return true;
  if (pattern.startsWith('*.')) {
    const base = pattern.slice(2);
    return name.endsWith(`.${base}`) && !name.slice(0, -base.length - 1).includes('.');
  }
  return false;
}

function hostByName(name) {
  if (!name) return undefined;
  const n = name.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  return nameIndex.find(([p]) => p === n)?.[1] ?? nameIndex.find(([p]) => nameMatches(p, n))?.[1];
}

function hostsOn(ip, port, proto) {
  return config.hosts.filter((h) => h.ip === ip && (proto === 'https' ? h.httpsPort === port : h.httpPort === port));
}

function log(entry) {
  if (!config.logFile) return;
  try {
    appendFileSync(config.logFile, JSON.stringify(entry) + '\n');
  } catch (e) {
    console.error(`log write failed: ${e.message}`);
  }
}

// ---------- helpers ----------

const b64url = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');

function decodeJwt(t) {
  if (typeof t !== 'string') return undefined;
  const parts = t.split('.');
  if (parts.length < 2) return undefined;
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
      payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
    };
  } catch {
    return undefined;
  }
}

/** An unsigned-but-well-formed JWT (MSAL and the SDKs do not verify access-token signatures). */
function makeJwt(claims) {
  return `${b64url({ typ: 'JWT', alg: 'RS256', kid: 'azure-sim', x5t: 'azure-sim' })}.${b64url(claims)}.${randomBytes(64).toString('base64url')}`;
}

function nowSec(host) {
  return Math.floor(Date.now() / 1000) + (host?.dateOffsetSec ?? 0);
}

function entraTimestamp(host) {
  return new Date(nowSec(host) * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;

function findTenant(t) {
  if (!t) return undefined;
  const lower = t.toLowerCase();
  for (const [id, ten] of Object.entries(config.tenants)) {
    if (id.toLowerCase() === lower || (ten.domains ?? []).some((d) => d.toLowerCase() === lower)) return { id, ...ten };
  }
  return undefined;
}

const AADSTS_DEFAULTS = {
  90002: [400, 'invalid_tenant', (c) => `AADSTS90002: Tenant '${c.tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`],
  900023: [400, 'invalid_request', (c) => `AADSTS900023: Specified tenant identifier '${c.tenant}' is neither a valid DNS name, nor a valid external domain.`],
  700016: [400, 'unauthorized_client', (c) => `AADSTS700016: Application with identifier '${c.clientId}' was not found in the directory '${c.tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`],
  7000215: [401, 'invalid_client', (c) => `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${c.clientId}'.`],
  7000222: [401, 'invalid_client', (c) => `AADSTS7000222: The provided client secret keys for app '${c.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`],
  7000218: [401, 'invalid_client', () => `AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.`],
  700027: [401, 'invalid_client', (c) => `AADSTS700027: Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${c.thumbprint ?? ''}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${c.clientId}'.]`],
  700024: [400, 'invalid_client', (c) => `AADSTS700024: Client assertion is not within its valid time range. Current time: ${c.now}, assertion valid from ${c.nbf}, expiry time of assertion ${c.exp}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`],
  70021: [400, 'invalid_request', (c) => `AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '${c.iss}'. Assertion Subject: '${c.sub}'. Assertion Audience: '${c.aud}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`],
  50027: [400, 'invalid_request', () => 'AADSTS50027: JWT token is invalid or is malformed.'],
  70003: [400, 'unsupported_grant_type', (c) => `AADSTS70003: The app requested an unsupported grant type '${c.grantType}'.`],
  900144: [400, 'invalid_request', (c) => `AADSTS900144: The request body must contain the following parameter: '${c.param}'.`],
  500011: [400, 'invalid_resource', (c) => `AADSTS500011: The resource principal named ${c.resource} was not found in the tenant named ${c.tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`],
  53003: [400, 'invalid_grant', () => 'AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.'],
  50076: [400, 'invalid_grant', () => "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '797f4846-ba00-4fd7-ba43-dac1f8f63013'."],
  65001: [400, 'invalid_grant', (c) => `AADSTS65001: The user or administrator has not consented to use the application with ID '${c.clientId}'. Send an interactive authorization request for this user and resource.`],
};

/** A real-format Entra error body. */
function aadError(ctx, code, c = {}, override = {}) {
  const def = AADSTS_DEFAULTS[code] ?? [400, 'invalid_request', () => `AADSTS${code}: Simulated error.`];
  const status = override.status ?? def[0];
  const error = override.error ?? def[1];
  const traceId = randomUUID();
  const correlationId = ctx.correlationId ?? randomUUID();
  const ts = entraTimestamp(ctx.host);
  let desc = override.description ?? def[2]({ tenantName: c.tenant, ...c });
  if (!/^AADSTS\d+/.test(desc)) desc = `AADSTS${code}: ${desc}`;
  const body = {
    error,
    error_description: `${desc}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${ts}`,
    error_codes: [code],
    timestamp: ts,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://${ctx.hostName}/error?code=${code}`,
  };
  ctx.entry.aadsts = code;
  return send(ctx, status, body, { 'x-ms-request-id': traceId, 'client-request-id': correlationId, 'x-ms-ests-server': '2.1.00000.0 - SIM ProdSlices' });
}

function send(ctx, status, body, headers = {}) {
  const { res, entry, host } = ctx;
  const isText = typeof body === 'string';
  const payload = body === undefined || body === null ? '' : isText ? body : JSON.stringify(body);
  entry.status = status;
  entry.ms = Date.now() - ctx.start;
  log(entry);
  const h = {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    date: new Date(nowSec(host) * 1000).toUTCString(),
    ...headers,
  };
  const delay = ctx.delayMs ?? 0;
  const write = () => {
    if (res.destroyed) return;
    res.writeHead(status, h);
    res.end(payload);
  };
  if (delay > 0) setTimeout(write, delay);
  else write();
}

// ---------- authority ----------

function authorityBase(ctx) {
  return `https://${ctx.hostHeader}`;
}

function oidcDocument(ctx, tenantSeg, tenantId) {
  const base = authorityBase(ctx);
  const t = tenantSeg;
  const issuerTenant = tenantId ?? '{tenantid}';
  return {
    token_endpoint: `${base}/${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/${t}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${base}/${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/${t}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'oid'],
    kerberos_endpoint: `${base}/${t}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

function handleDiscoveryInstance(ctx) {
  const ae = ctx.url.searchParams.get('authorization_endpoint') ?? '';
  let tenant = 'common';
  try {
    tenant = new URL(ae).pathname.split('/').filter(Boolean)[0] ?? 'common';
  } catch {
    /* keep common */
  }
  const host = ctx.hostName;
  return send(ctx, 200, {
    tenant_discovery_endpoint: `https://${ctx.hostHeader}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [
      {
        preferred_network: 'login.microsoftonline.com',
        preferred_cache: 'login.windows.net',
        aliases: ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'],
      },
      ...(['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'].includes(host)
        ? []
        : [{ preferred_network: host, preferred_cache: host, aliases: [host] }]),
    ],
  });
}

function handleOidc(ctx, tenantSeg) {
  ctx.entry.tenant = tenantSeg;
  if (['common', 'organizations', 'consumers'].includes(tenantSeg.toLowerCase())) {
    return send(ctx, 200, oidcDocument(ctx, tenantSeg, undefined));
  }
  const ten = findTenant(tenantSeg);
  if (!ten) {
    if (!GUID_RE.test(tenantSeg) && !DOMAIN_RE.test(tenantSeg)) return aadError(ctx, 900023, { tenant: tenantSeg });
    return aadError(ctx, 90002, { tenant: tenantSeg });
  }
  return send(ctx, 200, oidcDocument(ctx, tenantSeg, ten.id));
}

function parseForm(body) {
  const p = new URLSearchParams(body);
  const o = {};
  for (const [k, v] of p) o[k] = v;
  return o;
}

function resourceFromScope(scope) {
  const first = (scope ?? '').split(/\s+/).find((s) => s.endsWith('/.default')) ?? (scope ?? '').split(/\s+/)[0] ?? '';
  // Entra strips "/.default": "https://management.core.windows.net//.default" -> "https://management.core.windows.net/".
  return first.replace(/\/\.default$/, '');
}

function thumbprintMatches(list, header) {
  if (!list || list.length === 0) return true;
  const cand = [header['x5t#S256'], header.x5t].filter(Boolean);
  const hexOf = (b64u) => Buffer.from(b64u, 'base64url').toString('hex').toUpperCase();
  return list.some((t) => cand.some((c) => c === t || hexOf(c) === String(t).toUpperCase().replace(/:/g, '')));
}

function handleToken(ctx, tenantSeg, v1) {
  const form = parseForm(ctx.body);
  const clientId = form.client_id;
  const grantType = form.grant_type;
  const e = ctx.entry;
  e.tenant = tenantSeg;
  e.clientId = clientId;
  e.grantType = grantType;
  e.scope = v1 ? form.resource : form.scope;
  e.credentialType = form.client_secret !== undefined ? 'secret' : form.client_assertion !== undefined ? 'assertion' : 'none';
  ctx.correlationId = ctx.url.searchParams.get('client-request-id') ?? ctx.req.headers['client-request-id'] ?? form['client-request-id'];
  const ten = findTenant(tenantSeg);
  if (!ten) {
    if (!GUID_RE.test(tenantSeg) && !DOMAIN_RE.test(tenantSeg) && !['common', 'organizations'].includes(tenantSeg)) {
      return aadError(ctx, 900023, { tenant: tenantSeg });
    }
    return aadError(ctx, 90002, { tenant: tenantSeg });
  }
  const tenantName = ten.displayName ?? ten.id;
  if (grantType !== 'client_credentials') return aadError(ctx, 70003, { grantType });
  if (!clientId) return aadError(ctx, 900144, { param: 'client_id' });
  const client = ten.clients?.[clientId];
  if (!client) return aadError(ctx, 700016, { clientId, tenant: tenantName });
  if (client.error) {
    return aadError(ctx, client.error.code, { clientId, tenant: tenantName }, client.error);
  }
  let appidacr = '1';
  if (form.client_secret !== undefined) {
    const secrets = client.secret === undefined ? [] : Array.isArray(client.secret) ? client.secret : [client.secret];
    if (!secrets.includes(form.client_secret)) return aadError(ctx, 7000215, { clientId });
    if (client.secretExpired) return aadError(ctx, 7000222, { clientId });
  } else if (form.client_assertion !== undefined) {
    appidacr = '2';
    const jwt = decodeJwt(form.client_assertion);
    if (!jwt) return aadError(ctx, 50027, {});
    const p = jwt.payload;
    const now = nowSec(ctx.host);
    const timeBad = (typeof p.exp === 'number' && p.exp < now - 300) || (typeof p.nbf === 'number' && p.nbf > now + 300);
    const fmt = (s) => (typeof s === 'number' ? new Date(s * 1000).toISOString() : String(s));
    if (p.iss === clientId && p.sub === clientId) {
      e.credentialType = 'certificate';
      e.assertionThumbprint = jwt.header['x5t#S256'] ?? jwt.header.x5t;
      if (timeBad) return aadError(ctx, 700024, { now: fmt(now), nbf: fmt(p.nbf), exp: fmt(p.exp) });
      if (!client.certThumbprints && !client.federated) return aadError(ctx, 700027, { clientId, thumbprint: e.assertionThumbprint });
      if (!thumbprintMatches(client.certThumbprints, jwt.header)) return aadError(ctx, 700027, { clientId, thumbprint: e.assertionThumbprint });
    } else {
      e.credentialType = 'federated';
      e.assertionIssuer = p.iss;
      e.assertionSubject = p.sub;
      const aud = Array.isArray(p.aud) ? p.aud[0] : p.aud;
      const fed = client.federated ?? [];
      const match = fed.find(
        (f) => f.issuer === p.iss && f.subject === p.sub && (f.audience ?? 'api://AzureADTokenExchange') === aud,
      );
      if (!match) return aadError(ctx, 70021, { iss: p.iss, sub: p.sub, aud });
      if (timeBad) return aadError(ctx, 700024, { now: fmt(now), nbf: fmt(p.nbf), exp: fmt(p.exp) });
    }
  } else {
    return aadError(ctx, 7000218, { clientId });
  }
  const resource = v1 ? form.resource ?? '' : resourceFromScope(form.scope);
  if (!resource) return aadError(ctx, 900144, { param: 'scope' });
  if (ten.resources && !ten.resources.some((r) => r.replace(/\/$/, '') === resource.replace(/\/$/, ''))) {
    return aadError(ctx, 500011, { resource, tenantName });
  }
  const now = nowSec(ctx.host);
  const lifetime = client.tokenLifetimeSec ?? 3599;
  const oid = client.objectId ?? randomUUID();
  const claims = {
    aud: resource,
    iss: `https://sts.windows.net/${ten.id}/`,
    iat: now - 5,
    nbf: now - 5,
    exp: now + lifetime,
    aio: 'sim',
    appid: clientId,
    appidacr,
    idp: `https://sts.windows.net/${ten.id}/`,
    idtyp: 'app',
    oid,
    rh: 'sim',
    sub: oid,
    tid: ten.id,
    uti: randomBytes(16).toString('base64url'),
    ver: '1.0',
  };
  e.tokenOid = oid;
  e.resource = resource;
  return send(
    ctx,
    200,
    { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, ...(v1 ? { expires_on: String(now + lifetime), resource } : {}), access_token: makeJwt(claims) },
    { 'client-request-id': ctx.correlationId ?? randomUUID(), 'x-ms-request-id': randomUUID() },
  );
}

function tryAuthority(ctx) {
  const segs = ctx.url.pathname.split('/').filter(Boolean);
  const m = ctx.req.method;
  if (m === 'GET' && segs.length === 3 && segs[1] === 'discovery' && segs[2] === 'instance') return handleDiscoveryInstance(ctx), true;
  if (m === 'GET' && segs.length === 4 && segs[1] === 'v2.0' && segs[2] === '.well-known' && segs[3] === 'openid-configuration') return handleOidc(ctx, segs[0]), true;
  if (m === 'GET' && segs.length === 3 && segs[1] === '.well-known' && segs[2] === 'openid-configuration') return handleOidc(ctx, segs[0]), true;
  if (m === 'POST' && segs.length === 4 && segs[1] === 'oauth2' && segs[2] === 'v2.0' && segs[3] === 'token') return handleToken(ctx, segs[0], false), true;
  if (m === 'POST' && segs.length === 3 && segs[1] === 'oauth2' && segs[2] === 'token') return handleToken(ctx, segs[0], true), true;
  if (m === 'GET' && segs.length === 4 && segs[1] === 'discovery' && segs[2] === 'v2.0' && segs[3] === 'keys') return send(ctx, 200, { keys: [] }), true;
  return false;
}

// ---------- ARM ----------

const DEFAULT_ARM_AUDIENCES = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net',
  'https://management.core.windows.net/',
];

function armError(ctx, status, code, message, headers = {}) {
  ctx.entry.armError = code;
  return send(ctx, status, { error: { code, message } }, { 'x-ms-request-id': randomUUID(), 'x-ms-correlation-request-id': randomUUID(), ...headers });
}

/** Validates the bearer token like ARM; returns claims or undefined after sending 401. */
function armAuth(ctx) {
  const auth = ctx.req.headers.authorization;
  const wwwAuth = `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`;
  if (!auth) {
    armError(ctx, 401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", { 'www-authenticate': wwwAuth });
    return undefined;
  }
  const m = /^Bearer\s+(.+)$/i.exec(auth);
  const jwt = m ? decodeJwt(m[1]) : undefined;
  if (!jwt) {
    armError(ctx, 401, 'InvalidAuthenticationToken', 'The access token is invalid.', {
      'www-authenticate': 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The access token is invalid."',
    });
    return undefined;
  }
  const c = jwt.payload;
  ctx.entry.tokenTid = c.tid;
  ctx.entry.tokenOid = c.oid;
  ctx.entry.tokenAppid = c.appid;
  ctx.entry.tokenAud = c.aud;
  if (typeof c.exp === 'number' && c.exp < nowSec(ctx.host)) {
    armError(ctx, 401, 'ExpiredAuthenticationToken', "The access token expiry UTC time is earlier than current UTC time.", {
      'www-authenticate': 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The access token has expired."',
    });
    return undefined;
  }
  const audiences = config.arm.audiences ?? DEFAULT_ARM_AUDIENCES;
  if (!audiences.includes(c.aud)) {
    armError(ctx, 401, 'InvalidAuthenticationTokenAudience', `The access token has been obtained for wrong audience or resource '${c.aud}'. It should exactly match with one of the allowed audiences '${audiences.join("','")}'.`, {
      'www-authenticate': 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The access token has been obtained for wrong audience or resource."',
    });
    return undefined;
  }
  return c;
}

function subscriptionView(s) {
  return {
    id: `/subscriptions/${s.subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: s.subscriptionId,
    tenantId: s.tenantId,
    displayName: s.displayName ?? `Subscription ${s.subscriptionId.slice(0, 8)}`,
    state: s.state ?? 'Enabled',
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
  };
}

function visibleSubscriptions(claims) {
  return (config.arm.subscriptions ?? []).filter(
    (s) => s.tenantId === claims.tid && (!s.principals || s.principals.includes(claims.oid) || s.principals.includes(claims.appid)),
  );
}

function metadataEndpoints(ctx) {
  const apiVersion = ctx.url.searchParams.get('api-version') ?? '';
  const armHost = `https://${ctx.hostHeader}/`;
  const cloud = {
    portal: 'https://portal.azure.com',
    authentication: { loginEndpoint: 'https://login.microsoftonline.com', audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'], tenant: 'common', identityProvider: 'AAD' },
    media: 'https://rest.media.azure.net',
    graphAudience: 'https://graph.windows.net/',
    graph: 'https://graph.windows.net/',
    name: 'AzureCloud',
    suffixes: { azureDataLakeStoreFileSystem: 'azuredatalakestore.net', acrLoginServer: 'azurecr.io', sqlServerHostname: 'database.windows.net', azureDataLakeAnalyticsCatalogAndJob: 'azuredatalakeanalytics.net', keyVaultDns: 'vault.azure.net', storage: 'core.windows.net', azureFrontDoorEndpointSuffix: 'azurefd.net', storageSyncEndpointSuffix: 'afs.azure.net', mhsmDns: 'managedhsm.azure.net', mysqlServerEndpoint: 'mysql.database.azure.com', postgresqlServerEndpoint: 'postgres.database.azure.com', mariadbServerEndpoint: 'mariadb.database.azure.com', synapseAnalytics: 'dev.azuresynapse.net', attestationEndpoint: 'attest.azure.net' },
    batch: 'https://batch.core.windows.net/',
    resourceManager: armHost,
    vmImageAliasDoc: 'https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json',
    activeDirectoryDataLake: 'https://datalake.azure.net/',
    sqlManagement: 'https://management.core.windows.net:8443/',
    microsoftGraphResourceId: 'https://graph.microsoft.com/',
    appInsightsResourceId: 'https://api.applicationinsights.io',
    appInsightsTelemetryChannelResourceId: 'https://dc.applicationinsights.azure.com/v2/track',
    attestationResourceId: 'https://attest.azure.net',
    synapseAnalyticsResourceId: 'https://dev.azuresynapse.net',
    logAnalyticsResourceId: 'https://api.loganalytics.io',
    ossrDbmsResourceId: 'https://ossrdbms-aad.database.windows.net',
    ...(config.arm.metadata ?? {}),
  };
  if (apiVersion === '2015-01-01') {
    return send(ctx, 200, {
      galleryEndpoint: 'https://gallery.azure.com/',
      graphEndpoint: cloud.graph,
      portalEndpoint: 'https://portal.azure.com/',
      authentication: { loginEndpoint: `${cloud.authentication.loginEndpoint}/`, audiences: cloud.authentication.audiences },
    });
  }
  return send(ctx, 200, [cloud]);
}

function tryArm(ctx) {
  const p = ctx.url.pathname.replace(/\/+$/, '').toLowerCase();
  if (ctx.req.method !== 'GET') return false;
  if (p === '/metadata/endpoints') return metadataEndpoints(ctx), true;
  const segs = p.split('/').filter(Boolean);
  if (segs[0] === 'subscriptions' && segs.length <= 2) {
    const claims = armAuth(ctx);
    if (!claims) return true;
    const err = config.arm.error;
    if (err) {
      armError(ctx, err.status ?? 403, err.code ?? 'AuthorizationFailed', err.message ?? `The client '${claims.oid}' with object id '${claims.oid}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/read' over scope '/subscriptions' or the scope is invalid. If access was recently granted, please refresh your credentials.`);
      return true;
    }
    const subs = visibleSubscriptions(claims);
    if (segs.length === 1) {
      ctx.entry.subscriptions = subs.length;
      send(ctx, 200, { value: subs.map(subscriptionView), count: { type: 'Total', value: subs.length } });
      return true;
    }
    const s = subs.find((x) => x.subscriptionId.toLowerCase() === segs[1]);
    if (!s) armError(ctx, 404, 'SubscriptionNotFound', `The subscription '${segs[1]}' could not be found.`);
    else send(ctx, 200, subscriptionView(s));
    return true;
  }
  if (segs[0] === 'tenants' && segs.length === 1) {
    const claims = armAuth(ctx);
    if (!claims) return true;
    const t = findTenant(claims.tid);
    const value = t
      ? [{ id: `/tenants/${t.id}`, tenantId: t.id, countryCode: 'US', displayName: t.displayName ?? 'Simulated tenant', domains: t.domains ?? [], tenantCategory: 'Home', defaultDomain: t.domains?.[0] ?? `${t.id.slice(0, 8)}.onmicrosoft.com`, tenantType: 'AAD' }]
      : [];
    send(ctx, 200, { value, count: { type: 'Total', value: value.length } });
    return true;
  }
  return false;
}

// ---------- managed identity ----------

function miToken(ctx, identity, resource, shape) {
  const mi = config.managedIdentity;
  const now = nowSec(ctx.host);
  const tenantId = mi.tenantId ?? Object.keys(config.tenants)[0] ?? randomUUID();
  const claims = {
    aud: resource,
    iss: `https://sts.windows.net/${tenantId}/`,
    iat: now - 5,
    nbf: now - 5,
    exp: now + 86399,
    appid: identity.clientId,
    appidacr: '2',
    idp: `https://sts.windows.net/${tenantId}/`,
    idtyp: 'app',
    oid: identity.objectId,
    sub: identity.objectId,
    tid: tenantId,
    ver: '1.0',
    xms_mirid: identity.resourceId ?? `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/sim/providers/Microsoft.Compute/virtualMachines/sim-vm`,
  };
  ctx.entry.clientId = identity.clientId;
  ctx.entry.tokenOid = identity.objectId;
  ctx.entry.resource = resource;
  const token = makeJwt(claims);
  if (shape === 'imds') {
    return send(ctx, 200, {
      access_token: token,
      client_id: identity.clientId,
      expires_in: '86399',
      expires_on: String(now + 86399),
      ext_expires_in: '86399',
      not_before: String(now - 5),
      resource,
      token_type: 'Bearer',
    });
  }
  return send(ctx, 200, { access_token: token, expires_on: String(now + 86399), resource, token_type: 'Bearer', client_id: identity.clientId });
}

function pickIdentity(q) {
  const mi = config.managedIdentity;
  const clientId = q.get('client_id');
  const objectId = q.get('object_id') ?? q.get('principal_id');
  const resId = q.get('msi_res_id') ?? q.get('mi_res_id');
  const users = mi.user ?? [];
  if (clientId) return users.find((u) => u.clientId === clientId) ?? (mi.system?.clientId === clientId ? mi.system : undefined);
  if (objectId) return users.find((u) => u.objectId === objectId);
  if (resId) return users.find((u) => (u.resourceId ?? '').toLowerCase() === resId.toLowerCase());
  return mi.system ?? (users.length === 1 ? users[0] : undefined);
}

function tryMi(ctx) {
  const p = ctx.url.pathname;
  const q = ctx.url.searchParams;
  const mi = config.managedIdentity;
  if (p === '/metadata/identity/oauth2/token' || p === '/metadata/identity/oauth2/token/') {
    ctx.entry.miShape = 'imds';
    ctx.entry.clientId = q.get('client_id') ?? undefined;
    if ((ctx.req.headers.metadata ?? '').toLowerCase() !== 'true') {
      return send(ctx, 400, { error: 'invalid_request', error_description: 'Required metadata header not specified' }), true;
    }
    if (mi.error) return send(ctx, mi.error.status ?? 500, mi.error.body ?? { error: 'unknown', error_description: 'Simulated failure' }), true;
    const resource = q.get('resource');
    if (!resource) return send(ctx, 400, { error: 'invalid_request', error_description: 'Required query variable "resource" is missing' }), true;
    const id = pickIdentity(q);
    if (!id) return send(ctx, 400, { error: 'invalid_request', error_description: 'Identity not found' }), true;
    return miToken(ctx, id, resource, 'imds'), true;
  }
  if (p === '/metadata/instance' || p === '/metadata/instance/') {
    if ((ctx.req.headers.metadata ?? '').toLowerCase() !== 'true') {
      return send(ctx, 400, { error: 'Bad request. Required metadata header not specified' }), true;
    }
    return send(ctx, 200, { compute: { azEnvironment: 'AzurePublicCloud', location: 'westeurope', name: 'sim-vm', vmId: '00000000-0000-0000-0000-0000000000ff' } }), true;
  }
  if (p === '/msi/token' || p === '/msi/token/') {
    ctx.entry.miShape = 'appservice';
    const hdr = ctx.req.headers['x-identity-header'];
    if (!hdr || (mi.identityHeader !== undefined && hdr !== mi.identityHeader)) {
      return send(ctx, 400, { statusCode: 400, message: 'Unable to load the proper Managed Identity.', correlationId: randomUUID() }), true;
    }
    if (mi.error) return send(ctx, mi.error.status ?? 500, mi.error.body ?? { statusCode: 500, message: 'Simulated failure' }), true;
    const resource = q.get('resource');
    const id = pickIdentity(q);
    if (!resource || !id) return send(ctx, 400, { statusCode: 400, message: 'Unable to load the proper Managed Identity.', correlationId: randomUUID() }), true;
    return miToken(ctx, id, resource, 'appservice'), true;
  }
  return false;
}

// ---------- data plane / routes ----------

function routeMatches(r, ctx) {
  if (r.method && r.method.toUpperCase() !== ctx.req.method) return false;
  const p = ctx.url.pathname;
  if (r.path !== undefined && r.path !== p) return false;
  if (r.pathPrefix !== undefined && !p.startsWith(r.pathPrefix)) return false;
  if (r.pathRegex !== undefined && !new RegExp(r.pathRegex).test(p)) return false;
  return true;
}

function sendConfigured(ctx, r) {
  if (r.delayMs) ctx.delayMs = r.delayMs;
  if (r.hang) {
    ctx.entry.status = 'hang';
    log(ctx.entry);
    return;
  }
  return send(ctx, r.status ?? 200, r.body ?? '', r.headers ?? {});
}

function handleDataplane(ctx) {
  const dp = ctx.host?.dataplane ?? {};
  const hasBearer = /^Bearer\s+\S+/i.test(ctx.req.headers.authorization ?? '');
  if (ctx.req.headers.authorization) {
    const jwt = decodeJwt((ctx.req.headers.authorization ?? '').replace(/^Bearer\s+/i, ''));
    if (jwt) {
      ctx.entry.tokenTid = jwt.payload.tid;
      ctx.entry.tokenOid = jwt.payload.oid;
      ctx.entry.tokenAud = jwt.payload.aud;
    }
  }
  if ((dp.requireBearer ?? true) && !hasBearer) {
    const tenant = config.managedIdentity.tenantId ?? Object.keys(config.tenants)[0] ?? 'common';
    return send(
      ctx,
      401,
      dp.unauthenticatedBody ?? { error: { code: 'NoAuthenticationInformation', message: 'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.' } },
      { 'www-authenticate': `Bearer authorization_uri=https://login.microsoftonline.com/${tenant}/oauth2/authorize resource_id=${dp.resourceId ?? 'https://storage.azure.com'}` },
    );
  }
  return send(ctx, dp.status ?? 200, dp.body ?? { value: [] }, dp.headers ?? {});
}

// ---------- request dispatch ----------

const REDACT_RE = /secret|token|assert|sig|password|code|key/i;

function handler(proto, localIp, localPort) {
  return (req, res) => {
    const start = Date.now();
    const hostHeader = req.headers.host ?? localIp;
    const sni = req.socket.servername || undefined;
    const host = hostByName(hostHeader) ?? hostByName(sni) ?? hostsOn(localIp, localPort, proto)[0];
    const url = new URL(req.url ?? '/', `${proto}://${hostHeader}`);
    const query = {};
    for (const [k, v] of url.searchParams) query[k] = REDACT_RE.test(k) ? '[redacted]' : v;
    const entry = {
      time: new Date().toISOString(),
      proto,
      host: hostHeader.toLowerCase(),
      sni,
      ip: localIp,
      port: localPort,
      remote: req.socket.remoteAddress,
      method: req.method,
      path: url.pathname,
      query,
      authorization: req.headers.authorization !== undefined,
      authScheme: req.headers.authorization ? req.headers.authorization.split(' ')[0] : undefined,
      metadataHeader: req.headers.metadata !== undefined,
      identityHeader: req.headers['x-identity-header'] !== undefined,
      userAgent: req.headers['user-agent'],
    };
    const ctx = { req, res, start, host, hostHeader, hostName: hostHeader.toLowerCase().replace(/:\d+$/, ''), url, entry, body: '', delayMs: host?.delayMs ?? 0 };
    const chunks = [];
    let size = 0;
    req.on('data', (d) => {
      size += d.length;
      if (size < 1_000_000) chunks.push(d);
    });
    req.on('end', () => {
      ctx.body = Buffer.concat(chunks).toString('utf8');
      try {
        if (host?.hang) {
          entry.status = 'hang';
          log(entry);
          return;
        }
        const route = (host?.routes ?? []).find((r) => routeMatches(r, ctx));
        if (route) return sendConfigured(ctx, route);
        const roles = host?.roles ?? ['authority', 'arm', 'mi', 'dataplane'];
        if (roles.includes('authority') && tryAuthority(ctx)) return;
        if (roles.includes('arm') && tryArm(ctx)) return;
        if (roles.includes('mi') && tryMi(ctx)) return;
        if (roles.includes('dataplane')) return handleDataplane(ctx);
        return send(ctx, 404, { error: { code: 'NotFound', message: `azure-sim: no route for ${req.method} ${url.pathname}` } });
      } catch (e) {
        entry.simError = String(e?.message ?? e);
        console.error(e);
        if (!res.headersSent) send(ctx, 500, { error: { code: 'SimulatorError', message: entry.simError } });
      }
    });
  };
}

function sniCallback(defaultIp, defaultPort) {
  return (servername, cb) => {
    const h = hostByName(servername) ?? hostsOn(defaultIp, defaultPort, 'https').find((x) => x.ctx);
    cb(null, h?.ctx ?? undefined);
  };
}

async function syncListeners() {
  const wanted = new Map();
  for (const h of config.hosts) {
    if (h.httpsPort) wanted.set(`${h.ip}:${h.httpsPort}:https`, h);
    if (h.httpPort) wanted.set(`${h.ip}:${h.httpPort}:http`, h);
  }
  const closing = [];
  for (const [key, srv] of servers) {
    if (!wanted.has(key)) {
      servers.delete(key);
      closing.push(new Promise((r) => { srv.close(() => r()); srv.closeAllConnections?.(); }));
    }
  }
  await Promise.all(closing);
  const opening = [];
  for (const [key, h] of wanted) {
    const [ip, portStr, proto] = key.split(':');
    const port = Number(portStr);
    const existing = servers.get(key);
    if (existing) {
      if (proto === 'https') {
        const first = hostsOn(ip, port, 'https').find((x) => x.ctx);
        if (first) existing.setSecureContext({ cert: readFileSync(first.cert), key: readFileSync(first.key) });
      }
      continue;
    }
    let srv;
    if (proto === 'https') {
      const first = hostsOn(ip, port, 'https').find((x) => x.ctx) ?? h;
      if (!first.cert || !first.key) throw new Error(`host ${h.names.join(',')} has no certificate for https`);
      srv = https.createServer({ cert: readFileSync(first.cert), key: readFileSync(first.key), SNICallback: sniCallback(ip, port) }, handler('https', ip, port));
    } else {
      srv = http.createServer(handler('http', ip, port));
    }
    srv.keepAliveTimeout = 5000;
    servers.set(key, srv);
    opening.push(
      new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, ip, () => {
          srv.off('error', reject);
          resolve();
        });
      }),
    );
  }
  await Promise.all(opening);
}

async function reload(event) {
  try {
    loadConfig();
    await syncListeners();
    generation++;
    process.stdout.write(JSON.stringify({ event, generation, listeners: [...servers.keys()] }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ event: 'error', message: String(e?.message ?? e) }) + '\n');
    if (event === 'ready') process.exit(1);
  }
}

process.on('SIGHUP', () => void reload('reloaded'));
const shutdown = () => {
  for (const s of servers.values()) {
    s.closeAllConnections?.();
    s.close();
  }
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

void reload('ready');
