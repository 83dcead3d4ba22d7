// The unchanged, built CLI with the environment group only (no network traffic at all).
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { assertValidReport } from '../helpers/schema.js';

describe('CLI (environment group only)', () => {
  it('prints a schema-valid JSON report and nothing else on stdout, exit 0 when clean', async () => {
    const r = await runCli(['--format', 'json', '--only', 'environment'], cleanEnv());
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    assertValidReport(report);
    expect(report.checks.map((c: { id: string }) => c.id)).toEqual(['environment.platform', 'environment.variables']);
    expect(report.summary).toEqual({ errors: 0, warnings: 0, infos: 0, status: 'pass' });
  });

  it('exits 1 on an error finding and reports the server\'s misreadings of variables', async () => {
    const r = await runCli(['--format', 'json', '--only', 'environment'], cleanEnv({
      AZURE_TOKEN_CREDENTIALS: '"AzureCliCredential"',
      AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL: 'TRUE',
      AZURE_CLIENT_ID: 'not-a-guid',
      AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS: 'true',
      AZURE_CLOUD: 'AzureGermany',
    }));
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    assertValidReport(report);
    const codes = report.checks.flatMap((c: { findings: { code: string; target?: string }[] }) => c.findings.map((f) => `${f.code}@${f.target}`));
    expect(codes).toEqual(expect.arrayContaining([
      'chain.invalid-token-credentials@AZURE_TOKEN_CREDENTIALS',
      'environment.broker-flag-ignored@AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL',
      'credential.env-invalid@AZURE_CLIENT_ID',
      'chain.deprecated-variable@AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS',
      'environment.invalid-cloud@AZURE_CLOUD',
    ]));
    const tc = report.checks[1].findings.find((f: { code: string }) => f.code === 'chain.invalid-token-credentials');
    expect(tc.message).toContain('quotes or spaces around it');
  });

  it('--fail-on warning turns warnings into exit 1', async () => {
    const env = cleanEnv({ AZURE_MCP_INCLUDE_PRODUCTION_CREDENTIALS: 'true' });
    expect((await runCli(['--only', 'environment'], env)).code).toBe(0);
    expect((await runCli(['--only', 'environment', '--fail-on', 'warning'], env)).code).toBe(1);
  });

  it('bad input gives a clear message and exit 2, never a stack trace', async () => {
    for (const args of [['--bogus'], ['--format', 'xml'], ['--cloud', 'mars'], ['--only', 'nothing-like-this'], ['--timeout', '-1'], ['--storage', 'Bad_Name'], ['--authority-host', 'http://x'], ['stray']]) {
      const r = await runCli(args, cleanEnv());
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^azmcp-doctor: /m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });

  it('--version, --help and --list-checks', async () => {
    const v = await runCli(['--version'], cleanEnv());
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const h = await runCli(['--help'], cleanEnv());
    expect(h.code).toBe(0);
    for (const opt of ['--format', '--output', '--only', '--skip', '--list-checks', '--fail-on', '--verbose', '--redact', '--timeout', '--cloud', '--launched-by', '--export-ca', '--storage', '--endpoint', '--authority-host', '--arm-endpoint', '--imds-endpoint', '--no-color']) {
      expect(h.stdout).toContain(opt);
    }
    const l = await runCli(['--list-checks'], cleanEnv());
    expect(l.stdout).toMatch(/^environment\.platform\s+environment\s+Platform and session$/m);
  });

  it('text output is plain without a TTY and coloured with FORCE_COLOR, never with NO_COLOR', async () => {
    const plain = await runCli(['--only', 'environment'], cleanEnv());
    expect(plain.stdout).not.toContain('\u001b[');
    expect(plain.stdout).toContain('[ok] Platform and session');
    const forced = await runCli(['--only', 'environment'], cleanEnv({ FORCE_COLOR: '1' }));
    expect(forced.stdout).toContain('\u001b[');
    const off = await runCli(['--only', 'environment'], cleanEnv({ FORCE_COLOR: '1', NO_COLOR: '1' }));
    expect(off.stdout).not.toContain('\u001b[');
    const flag = await runCli(['--only', 'environment', '--no-color'], cleanEnv({ FORCE_COLOR: '1' }));
    expect(flag.stdout).not.toContain('\u001b[');
  });

  it('--output writes the report to the file and a summary line to stderr', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'azd-out-'));
    const file = path.join(dir, 'r.md');
    const r = await runCli(['--only', 'environment', '--format', 'markdown', '--output', file], cleanEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/No problems found.*Report written to/);
    expect(readFileSync(file, 'utf8')).toMatch(/^# azmcp-doctor report/);
  });
});
