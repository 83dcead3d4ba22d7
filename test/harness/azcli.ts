// The real Azure CLI (Debian's /usr/bin/az, Python) inside the client namespace, with a seeded
// config dir so that it never runs its version check or telemetry upload.
//
// Trust: az uses `requests`, which trusts REQUESTS_CA_BUNDLE if set, else certifi.where(). On
// Debian, python3-certifi's where() is /etc/ssl/certs/ca-certificates.crt (patched), i.e. the OS
// bundle, which inside the client namespace is the namespace's own /etc/ssl (test CA included unless
// net.setOsTrust({testCa:false})). So the public cloud names (login.microsoftonline.com,
// management.azure.com), answered by dnsmasq with the simulated hosts, just work: no `az cloud
// register` needed. registerCloud() is there for tests that want a custom cloud anyway.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from './proc.js';
import { hasBinary, type ExecOptions, type SimNet } from './net.js';

export const AZ_BIN = '/usr/bin/az';

export function azAvailable(): boolean {
  return existsSync(AZ_BIN) && hasBinary('python3');
}

export interface AzCli {
  /** The AZURE_CONFIG_DIR (default: <net home>/.azure, so the doctor and azmcp find it via HOME too). */
  configDir: string;
  /** Env that selects this config dir (AZURE_CONFIG_DIR). */
  env: Record<string, string>;
  /** Run `az ...args` in the client namespace. */
  run(args: string[], opts?: ExecOptions): Promise<RunResult>;
  /** Reset to "not signed in" (fresh seeded config dir). */
  reset(): void;
  /** `az login --service-principal` against the simulated cloud; throws unless it exits 0. */
  loginServicePrincipal(p: { tenant: string; clientId: string; secret: string; allowNoSubscriptions?: boolean }, opts?: ExecOptions): Promise<RunResult>;
  /** `az account get-access-token --resource <resource>` (parsed JSON on success). */
  getAccessToken(resource?: string, opts?: ExecOptions): Promise<RunResult & { json?: { accessToken: string; tenant: string; subscription?: string; expiresOn: string } }>;
  /** `az cloud register` + `az cloud set` with every endpoint given explicitly (no metadata fetch). */
  registerCloud(name: string, endpoints: { arm: string; authority: string }, opts?: ExecOptions): Promise<void>;
}

function seed(dir: string): void {
  mkdirSync(dir, { recursive: true });
  // A recent versionCheck.json stops `handle_version_update()` from probing azure.microsoft.com.
  writeFileSync(
    join(dir, 'versionCheck.json'),
    JSON.stringify({
      versions: { 'azure-cli': { local: '2.45.0' }, core: { local: '2.45.0' }, telemetry: { local: '1.0.8' } },
      update_time: '2099-01-01 00:00:00.000000',
    }),
  );
  writeFileSync(join(dir, 'config'), '[core]\ncollect_telemetry = no\nno_color = true\nsurvey_message = no\n\n[logging]\nenable_log_file = no\n');
}

export function createAzCli(net: SimNet, opts: { configDir?: string } = {}): AzCli {
  const configDir = opts.configDir ?? join(net.homeDir, '.azure');
  seed(configDir);
  const env = { AZURE_CONFIG_DIR: configDir, AZURE_CORE_COLLECT_TELEMETRY: 'false' };
  const run = (args: string[], o: ExecOptions = {}) =>
    net.exec([AZ_BIN, ...args], { timeoutMs: 60_000, ...o, env: { ...env, ...o.env } });
  const cli: AzCli = {
    configDir,
    env,
    run,
    reset() {
      // Keep the directory (tests may have its path in env), drop everything in it.
      for (const f of readdirSync(configDir)) rmSync(join(configDir, f), { recursive: true, force: true });
      seed(configDir);
    },
    async loginServicePrincipal(p, o = {}) {
      const args = ['login', '--service-principal', '-u', p.clientId, '-p', p.secret, '--tenant', p.tenant, '--output', 'json'];
      if (p.allowNoSubscriptions) args.push('--allow-no-subscriptions');
      const r = await run(args, o);
      if (r.code !== 0) throw new Error(`az login failed (${r.code}${r.timedOut ? ', timeout' : ''}): ${r.stderr.slice(0, 2000)}`);
      return r;
    },
    async getAccessToken(resource = 'https://management.azure.com', o = {}) {
      const r: RunResult & { json?: any } = await run(['account', 'get-access-token', '--output', 'json', '--resource', resource], o);
      if (r.code === 0) {
        try {
          r.json = JSON.parse(r.stdout);
        } catch {
          /* leave */
        }
      }
      return r;
    },
    async registerCloud(name, ep, o = {}) {
      const r1 = await run(
        [
          'cloud', 'register', '-n', name,
          '--endpoint-resource-manager', ep.arm,
          '--endpoint-active-directory', ep.authority,
          '--endpoint-active-directory-resource-id', 'https://management.core.windows.net/',
          '--endpoint-active-directory-graph-resource-id', 'https://graph.windows.net/',
          '--endpoint-management', 'https://management.core.windows.net/',
        ],
        o,
      );
      if (r1.code !== 0) throw new Error(`az cloud register failed: ${r1.stderr}`);
      const r2 = await run(['cloud', 'set', '-n', name], o);
      if (r2.code !== 0) throw new Error(`az cloud set failed: ${r2.stderr}`);
    },
  };
  return cli;
}
