// TypeScript side of servers/azure-sim.mjs: start it in the server namespace, reconfigure it
// (SIGHUP), read its request log. Plus startAzure(): the usual Azure public-cloud hosts
// (login.microsoftonline.com, management.azure.com, an IMDS-like host, a storage wildcard) in one call.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LongProc } from './proc.js';
import type { SimHost, SimNet } from './net.js';

export const AZURE_SIM_SCRIPT = fileURLToPath(new URL('./servers/azure-sim.mjs', import.meta.url));

export type SimRole = 'authority' | 'arm' | 'mi' | 'dataplane';

export interface SimRoute {
  method?: string;
  path?: string;
  pathPrefix?: string;
  pathRegex?: string;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Accept the request and never answer. */
  hang?: boolean;
}

export interface SimHostConfig {
  host: SimHost;
  roles?: SimRole[];
  /** default 443; null = no HTTPS listener */
  httpsPort?: number | null;
  /** plain-HTTP listener (e.g. 80 for an IMDS-like endpoint) */
  httpPort?: number | null;
  /** Skew of this host's clock (Date header, token iat/exp), seconds. */
  dateOffsetSec?: number;
  delayMs?: number;
  hang?: boolean;
  routes?: SimRoute[];
  dataplane?: { status?: number; body?: unknown; headers?: Record<string, string>; requireBearer?: boolean; resourceId?: string; unauthenticatedBody?: unknown };
}

export interface SimClientConfig {
  secret?: string | string[];
  secretExpired?: boolean;
  /** x5t#S256 / x5t (base64url) or SHA-1 hex thumbprints of registered certificates. */
  certThumbprints?: string[];
  federated?: { issuer: string; subject: string; audience?: string }[];
  objectId?: string;
  tokenLifetimeSec?: number;
  /** Force an AADSTS error for every token request of this client. */
  error?: { status?: number; code: number; error?: string; description?: string };
}

export interface SimTenantConfig {
  displayName?: string;
  domains?: string[];
  clients?: Record<string, SimClientConfig>;
  /** When set, other resources get AADSTS500011. */
  resources?: string[];
}

export interface SimSubscription {
  subscriptionId: string;
  tenantId: string;
  displayName?: string;
  state?: string;
  /** Only these object ids / app ids see it (default: everyone in the tenant). */
  principals?: string[];
}

export interface SimIdentity {
  clientId: string;
  objectId: string;
  resourceId?: string;
}

export interface AzureSimConfig {
  hosts: SimHostConfig[];
  tenants?: Record<string, SimTenantConfig>;
  arm?: {
    subscriptions?: SimSubscription[];
    error?: { status?: number; code?: string; message?: string };
    audiences?: string[];
    metadata?: Record<string, unknown>;
  };
  managedIdentity?: {
    tenantId?: string;
    system?: SimIdentity | null;
    user?: SimIdentity[];
    identityHeader?: string;
    error?: { status?: number; body?: unknown };
  };
}

export interface SimLogEntry {
  time: string;
  proto: 'http' | 'https';
  host: string;
  sni?: string;
  ip: string;
  port: number;
  remote?: string;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number | 'hang';
  ms?: number;
  authorization: boolean;
  authScheme?: string;
  metadataHeader: boolean;
  identityHeader: boolean;
  userAgent?: string;
  tenant?: string;
  clientId?: string;
  grantType?: string;
  credentialType?: 'secret' | 'certificate' | 'federated' | 'assertion' | 'none';
  scope?: string;
  resource?: string;
  aadsts?: number;
  armError?: string;
  tokenTid?: string;
  tokenOid?: string;
  tokenAppid?: string;
  tokenAud?: string;
  subscriptions?: number;
  miShape?: 'imds' | 'appservice';
  [k: string]: unknown;
}

export class AzureSim {
  private constructor(
    readonly net: SimNet,
    readonly proc: LongProc,
    readonly configPath: string,
    readonly logPath: string,
    private cfg: AzureSimConfig,
  ) {}

  static async start(net: SimNet, cfg: AzureSimConfig, name = 'azure-sim'): Promise<AzureSim> {
    const configPath = join(net.dir, `${name}-${Math.random().toString(36).slice(2, 8)}.json`);
    const logPath = configPath.replace(/\.json$/, '.requests.jsonl');
    writeFileSync(logPath, '');
    writeFileSync(configPath, JSON.stringify(toWire(cfg, logPath), null, 1));
    const proc = await net.startInServer([process.execPath, AZURE_SIM_SCRIPT, configPath], {
      name,
      readyLine: /"event":"(ready|error)"/,
      readyTimeoutMs: 10_000,
      stopGraceMs: 500,
    });
    if (/"event":"error"/.test(proc.output())) throw new Error(`azure-sim failed: ${proc.output()}`);
    await net.sync();
    return new AzureSim(net, proc, configPath, logPath, cfg);
  }

  get config(): AzureSimConfig {
    return this.cfg;
  }

  /** Replace the configuration (hosts can be added/removed too) and wait for the reload. */
  async update(cfg: AzureSimConfig): Promise<void> {
    this.cfg = cfg;
    writeFileSync(this.configPath, JSON.stringify(toWire(cfg, this.logPath), null, 1));
    const from = this.proc.lineCount();
    this.proc.signal('SIGHUP');
    const line = await this.proc.waitForLine(/"event":"(reloaded|error)"/, 10_000, from);
    if (/"event":"error"/.test(line)) throw new Error(`azure-sim reload failed: ${line}`);
    await this.net.sync();
  }

  /** Change part of the configuration: `sim.modify(c => { c.arm!.error = {...} })`. */
  async modify(fn: (cfg: AzureSimConfig) => void): Promise<void> {
    const copy = structuredCloneConfig(this.cfg);
    fn(copy);
    await this.update(copy);
  }

  /** Every request so far (JSON lines). */
  readLog(): SimLogEntry[] {
    if (!existsSync(this.logPath)) return [];
    return readFileSync(this.logPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SimLogEntry);
  }

  clearLog(): void {
    writeFileSync(this.logPath, '');
  }

  /** Token requests (POST .../token) so far. */
  tokenRequests(): SimLogEntry[] {
    return this.readLog().filter((e) => e.method === 'POST' && /\/oauth2\/(v2\.0\/)?token$/.test(e.path));
  }

  async stop(): Promise<void> {
    await this.proc.stop(500);
  }
}

function structuredCloneConfig(c: AzureSimConfig): AzureSimConfig {
  // SimHost objects are plain data; a JSON round trip would lose nothing but we keep the host
  // references (tests compare them), so copy one level deep by hand.
  return {
    ...c,
    hosts: c.hosts.map((h) => ({ ...h })),
    tenants: c.tenants ? JSON.parse(JSON.stringify(c.tenants)) : undefined,
    arm: c.arm ? JSON.parse(JSON.stringify(c.arm)) : undefined,
    managedIdentity: c.managedIdentity ? JSON.parse(JSON.stringify(c.managedIdentity)) : undefined,
  };
}

function toWire(cfg: AzureSimConfig, logFile: string): unknown {
  return {
    logFile,
    hosts: cfg.hosts.map((h) => ({
      names: h.host.names,
      ip: h.host.ip,
      cert: h.host.certPath || undefined,
      key: h.host.keyPath || undefined,
      httpsPort: h.httpsPort === undefined ? 443 : h.httpsPort,
      httpPort: h.httpPort ?? null,
      roles: h.roles,
      dateOffsetSec: h.dateOffsetSec ?? 0,
      delayMs: h.delayMs ?? 0,
      hang: h.hang ?? false,
      routes: h.routes ?? [],
      dataplane: h.dataplane,
    })),
    tenants: cfg.tenants ?? {},
    arm: cfg.arm ?? {},
    managedIdentity: cfg.managedIdentity ?? {},
  };
}

// ---------- the usual world ----------

export const TENANT_ID = '72f988bf-0000-4000-8000-00000000aaaa';
export const CLIENT_ID = '11111111-2222-4333-8444-555555555555';
export const CLIENT_SECRET = 'sim-secret-value-not-real';
export const CLIENT_OBJECT_ID = '99999999-8888-4777-8666-555555555555';
export const SUBSCRIPTION_ID = '00000000-1111-4222-8333-444444444444';
export const MI_CLIENT_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
export const MI_OBJECT_ID = 'ffffffff-eeee-4ddd-8ccc-bbbbbbbbbbbb';
export const IMDS_HOST_NAME = 'imds.sim.test';

export const AUTHORITY_NAMES = ['login.microsoftonline.com', 'login.microsoft.com', 'login.windows.net', 'sts.windows.net'];
export const ARM_NAMES = ['management.azure.com', 'management.core.windows.net'];

export interface AzureWorldOptions {
  /** Tenants (default: TENANT_ID with one client CLIENT_ID/CLIENT_SECRET). */
  tenants?: Record<string, SimTenantConfig>;
  subscriptions?: SimSubscription[];
  managedIdentity?: AzureSimConfig['managedIdentity'];
  /** Storage data-plane host for "*.blob.core.windows.net" (default true). */
  storage?: boolean;
  /** Extra host configs to serve in the same process. */
  extraHosts?: SimHostConfig[];
}

export interface AzureWorld {
  sim: AzureSim;
  authority: SimHost;
  arm: SimHost;
  /** IMDS / App Service identity endpoint: http://imds.sim.test (port 80) and https on 443. */
  imds: SimHost;
  storage?: SimHost;
  /** Environment that points the Azure SDKs' managed-identity probes at the IMDS-like host. */
  imdsEnv: Record<string, string>;
}

/** The default configuration startAzure() serves; handy for tests that modify and restore. */
export function defaultTenants(): Record<string, SimTenantConfig> {
  return {
    [TENANT_ID]: {
      displayName: 'Contoso (simulated)',
      domains: ['contoso.onmicrosoft.com'],
      clients: { [CLIENT_ID]: { secret: CLIENT_SECRET, objectId: CLIENT_OBJECT_ID } },
    },
  };
}

/**
 * Add the Azure public-cloud hosts to the net and start one azure-sim serving them. The names
 * are the real ones (dnsmasq answers them inside the simulated internet only).
 */
export async function startAzure(net: SimNet, opts: AzureWorldOptions = {}): Promise<AzureWorld> {
  const [authority, arm, imds, storage] = await Promise.all([
    net.addHost({ names: AUTHORITY_NAMES }),
    net.addHost({ names: ARM_NAMES }),
    net.addHost({ names: [IMDS_HOST_NAME] }),
    opts.storage === false ? Promise.resolve(undefined) : net.addHost({ names: ['*.blob.core.windows.net'] }),
  ]);
  const hosts: SimHostConfig[] = [
    { host: authority!, roles: ['authority'] },
    { host: arm!, roles: ['arm'] },
    { host: imds!, roles: ['mi'], httpPort: 80 },
    ...(storage ? [{ host: storage, roles: ['dataplane'] as SimRole[] }] : []),
    ...(opts.extraHosts ?? []),
  ];
  const cfg: AzureSimConfig = {
    hosts,
    tenants: opts.tenants ?? defaultTenants(),
    arm: { subscriptions: opts.subscriptions ?? [{ subscriptionId: SUBSCRIPTION_ID, tenantId: TENANT_ID, displayName: 'Simulated subscription' }] },
    managedIdentity: opts.managedIdentity ?? { tenantId: TENANT_ID, system: { clientId: MI_CLIENT_ID, objectId: MI_OBJECT_ID }, user: [] },
  };
  const sim = await AzureSim.start(net, cfg);
  return {
    sim,
    authority: authority!,
    arm: arm!,
    imds: imds!,
    ...(storage ? { storage } : {}),
    imdsEnv: { AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://${IMDS_HOST_NAME}` },
  };
}
