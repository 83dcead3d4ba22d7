import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/model.js';
import { summarise } from '../../src/core/model.js';
import { renderJson } from '../../src/render/json.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderText } from '../../src/render/text.js';
import { assertValidReport } from '../helpers/schema.js';

function sample(): Report {
  const checks: Report['checks'] = [
    {
      id: 'credentials.chain', title: 'Credential chain', group: 'credentials', status: 'fail', durationMs: 12,
      details: { tables: [{ columns: ['#', 'credential', 'state'], rows: [['1', 'EnvironmentCredential', 'failed'], ['2', 'AzureCliCredential', 'succeeded']] }] },
      findings: [{ code: 'entra.expired-client-secret', severity: 'error', message: 'The client secret expired.', target: 'EnvironmentCredential',
        evidence: { aadsts: 7000222, traceId: 'abc' }, fix: { summary: 'Create a new client secret.', actor: 'app-owner', commands: ['az ad app credential reset --id <app>'] } }],
    },
    {
      id: 'network.login.microsoftonline.com', title: 'login.microsoftonline.com:443', group: 'network', status: 'fail', durationMs: 4001,
      findings: [{ code: 'tcp.timeout', severity: 'error', message: 'TCP connect timed out.', target: 'login.microsoftonline.com:443',
        evidence: { symptom: 'connect timed out after 4000 ms (silently dropped)' }, fix: { summary: 'Allow outbound TCP/443 to login.microsoftonline.com.', actor: 'network-admin' } }],
    },
    { id: 'environment.platform', title: 'Platform and session', group: 'environment', status: 'pass', durationMs: 1, findings: [], details: { facts: { os: 'linux', headless: true } } },
    { id: 'x.crashed', title: 'A broken check', group: 'environment', status: 'crash', durationMs: 1, findings: [{ code: 'doctor.check-crashed', severity: 'error', message: 'boom' }] },
  ];
  return { schemaVersion: 1, tool: { name: 'azmcp-doctor', version: '0.1.0' }, startedAt: '2026-11-26T10:00:00.000Z', durationMs: 4100,
    platform: { os: 'linux', node: 'v20.20.2' }, cloud: 'AzureCloud', serverModel: '2.0.5', summary: summarise(checks), checks };
}

describe('renderers', () => {
  it('json follows the shipped schema, and the schema rejects a broken report', () => {
    const report = sample();
    assertValidReport(JSON.parse(renderJson(report)));
    const broken = JSON.parse(renderJson(report));
    broken.checks[0].findings[0].code = 'Not A Code';
    expect(() => assertValidReport(broken)).toThrow(/pattern/);
    delete broken.summary;
    expect(() => assertValidReport(broken)).toThrow(/summary/);
  });

  it('markdown has the summary, the checks table, evidence, fixes and the admin section grouped by actor', () => {
    const md = renderMarkdown(sample());
    expect(md).toMatch(/^\*\*Problems found: 3 errors, 0 warnings, 0 notes from 4 checks/m);
    expect(md).toContain('| ❌ | Credential chain | credentials | error | 12 ms |');
    expect(md).toContain('| aadsts | `7000222` |');
    expect(md).toContain('**Fix** (App owner (the app registration / service principal)): Create a new client secret.');
    const admin = md.slice(md.indexOf('## What to ask your admin'));
    expect(admin.indexOf('### Network admin')).toBeLessThan(admin.indexOf('### App owner'));
    expect(admin).toContain('| `login.microsoftonline.com:443` | connect timed out after 4000 ms (silently dropped) | tcp.timeout |');
    expect(md).toContain('| headless | true |');
    expect(md).toContain('| 2 | AzureCliCredential | succeeded |');
  });

  it('text groups by area with marks, shows fixes and tables, colour only when asked', () => {
    const plain = renderText(sample(), { chalk: new Chalk({ level: 0 }), verbose: false });
    expect(plain).not.toContain('\u001b[');
    expect(plain.indexOf('Credentials:')).toBeLessThan(plain.indexOf('Network:'));
    expect(plain).toContain('  [XX] Credential chain error');
    expect(plain).toContain('  [??] A broken check crashed');
    expect(plain).toContain('fix (Network admin (firewall, proxy, DNS)): Allow outbound TCP/443 to login.microsoftonline.com.');
    expect(plain).toContain('$ az ad app credential reset --id <app>');
    expect(plain).not.toContain('evidence:');
    const verbose = renderText(sample(), { chalk: new Chalk({ level: 0 }), verbose: true });
    expect(verbose).toContain('evidence: aadsts=7000222, traceId=abc');
    const coloured = renderText(sample(), { chalk: new Chalk({ level: 1 }), verbose: false });
    expect(coloured).toContain('\u001b[');
  });

  it('the network admin gets host:port rows only, one line per diagnosis with its hosts, and the CA trust steps', () => {
    const report = sample();
    const tls = (host: string) => ({
      code: 'tls.untrusted-root', severity: 'error' as const, message: 'untrusted', target: `${host}:443`,
      evidence: { symptom: 'untrusted-root', issuer: 'CN=Zscaler Root CA' },
      fix: { summary: 'Trust the inspection root.', actor: 'user' as const, commands: ['sudo update-ca-certificates'] },
    });
    const icpt = (host: string) => ({
      code: 'tls.intercepted', severity: 'warning' as const, message: 'intercepted', target: `${host}:443`,
      evidence: { symptom: 'tls-inspection', issuer: 'CN=Zscaler Root CA' }, fix: { summary: 'Exclude Azure endpoints from inspection.', actor: 'network-admin' as const },
    });
    report.checks.push({ id: 'network.x', title: 'x', group: 'network', status: 'fail', durationMs: 1,
      findings: [icpt('login.microsoftonline.com'), tls('login.microsoftonline.com'), icpt('management.azure.com'),
        { code: 'credential.failed', severity: 'error', message: 'network', target: 'EnvironmentCredential', fix: { summary: 'Fix the network.', actor: 'network-admin' } }] });
    const admin = renderMarkdown(report).split('## What to ask your admin')[1]!;
    expect(admin).toContain('| `login.microsoftonline.com:443` | tls inspection (issuer CN=Zscaler Root CA) | tls.intercepted |');
    expect(admin).toContain('| `login.microsoftonline.com:443` | untrusted root (issuer CN=Zscaler Root CA) | tls.untrusted-root |');
    expect(admin).not.toMatch(/\| `EnvironmentCredential` \|/);
    expect(admin).toContain('- Exclude Azure endpoints from inspection. (tls.intercepted: `login.microsoftonline.com:443`, `management.azure.com:443`)');
    expect(admin).toContain('**CA trust steps**');
    expect(admin).toContain('sudo update-ca-certificates');
  });
});
