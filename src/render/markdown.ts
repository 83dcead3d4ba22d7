// The report to paste into a GitHub issue or a support ticket: a summary, a table of checks, each
// finding with its evidence and fix, then "What to ask your admin" grouped by who must act, then the
// environment facts.

import type { Actor, CheckResult, Finding, Report } from '../core/model.js';
import { ACTOR_TITLES, ADMIN_ORDER, byGroup, escapeMarkdownCell as cell, GROUP_TITLES, STATUS_WORD, summaryLine } from './common.js';

const SEVERITY_ICON = { error: '❌', warning: '⚠️', info: 'ℹ️' } as const;
const STATUS_ICON = { pass: '✅', warn: '⚠️', fail: '❌', skip: '⏭️', timeout: '⏱️', crash: '💥' } as const;

function evidenceLines(f: Finding): string[] {
  const entries = Object.entries(f.evidence ?? {}).filter(([, v]) => v !== null && v !== '');
  if (!entries.length) return [];
  return ['', '  | evidence | value |', '  |---|---|', ...entries.map(([k, v]) => `  | ${cell(k)} | \`${cell(String(v))}\` |`)];
}

function fixLines(f: Finding): string[] {
  if (!f.fix) return [];
  const out = ['', `  **Fix** (${ACTOR_TITLES[f.fix.actor]}): ${f.fix.summary}`];
  if (f.fix.commands?.length) out.push('', '  ```sh', ...f.fix.commands.map((c) => `  ${c}`), '  ```');
  for (const d of f.fix.docs ?? []) out.push(`  See ${d}`);
  return out;
}

function findingBlock(c: CheckResult, f: Finding): string[] {
  const target = f.target ? ` — \`${f.target}\`` : '';
  return [`- ${SEVERITY_ICON[f.severity]} **${f.code}**${target}: ${f.message}`, ...evidenceLines(f), ...fixLines(f), ''];
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d+$/;

/** A short human symptom for the network admin's table (the evidence slug, plus what identifies it). */
function symptomOf(f: Finding): string {
  const e = f.evidence ?? {};
  const raw = typeof e.symptom === 'string' && e.symptom ? e.symptom : f.code;
  const words = /\s/.test(raw) ? raw : raw.replace(/[-_.]/g, ' ');
  const extra = [
    typeof e.issuer === 'string' ? `issuer ${e.issuer}` : '',
    typeof e.proxy === 'string' ? `via ${e.proxy}` : '',
    typeof e.zone === 'string' ? `zone ${e.zone}` : '',
    typeof e.durationMs === 'number' && /timeout/.test(f.code) ? `after ${e.durationMs} ms` : '',
  ].filter(Boolean);
  return extra.length ? `${words} (${extra.join(', ')})` : words;
}

/** "What to ask your admin": every finding whose fix belongs to someone other than the user. */
function adminSection(report: Report): string[] {
  const all = report.checks.flatMap((c) => c.findings);
  const byActor = new Map<Actor, Finding[]>();
  for (const f of all)
    if (f.fix && f.fix.actor !== 'user' && f.severity !== 'info') {
      const list = byActor.get(f.fix.actor) ?? [];
      list.push(f);
      byActor.set(f.fix.actor, list);
    }
  // Trust steps are the user's to run, but the network admin must supply (or stop presenting) the CA.
  const trust = all.filter((f) => (f.code === 'tls.untrusted-root' || f.code === 'tls.trust-store-differs') && f.severity !== 'info' && f.fix?.commands?.length);
  const out = ['## What to ask your admin', ''];
  if (!byActor.size && !trust.length) return [...out, 'Nothing: every fix found is yours to make (see above).', ''];
  for (const actor of ADMIN_ORDER) {
    const items = byActor.get(actor) ?? [];
    const caSteps = actor === 'network-admin' ? trust : [];
    if (!items.length && !caSteps.length) continue;
    out.push(`### ${ACTOR_TITLES[actor]}`, '');
    if (actor === 'network-admin') {
      // Exactly the failing host:port pairs, ready for a firewall or proxy request.
      const rows = new Map<string, string>();
      for (const f of [...items, ...caSteps]) {
        if (!f.target || !HOST_PORT.test(f.target)) continue;
        const key = `${f.target}|${f.code}`;
        if (!rows.has(key)) rows.set(key, `| \`${cell(f.target)}\` | ${cell(symptomOf(f))} | ${f.code} |`);
      }
      if (rows.size) out.push('| host:port | symptom | finding |', '|---|---|---|', ...rows.values(), '');
    }
    // One line per diagnosis, with every target it concerns.
    const byCode = new Map<string, Finding[]>();
    for (const f of items) byCode.set(f.code, [...(byCode.get(f.code) ?? []), f]);
    for (const [code, fs] of byCode) {
      const first = fs[0]!;
      const targets = [...new Set(fs.map((f) => f.target).filter((t): t is string => !!t))];
      out.push(`- ${first.fix!.summary} (${code}${targets.length ? `: ${targets.map((t) => `\`${t}\``).join(', ')}` : ''})`);
      if (first.fix!.commands?.length) out.push('', '  ```sh', ...first.fix!.commands.map((c) => `  ${c}`), '  ```', '');
    }
    if (caSteps.length) {
      const f = caSteps[0]!;
      const issuer = typeof f.evidence?.issuer === 'string' ? ` (${f.evidence.issuer})` : '';
      out.push('', `**CA trust steps**: provide the root CA the TLS inspection presents${issuer}, or stop inspecting these hosts; each machine then trusts it:`, '', '```sh', ...f.fix!.commands!, '```');
    }
    out.push('');
  }
  return out;
}

export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`# azmcp-doctor report`, '');
  out.push(`**${summaryLine(report)}**`, '');
  out.push(
    `azmcp-doctor ${report.tool.version} · cloud \`${report.cloud}\` · ${report.platform.os} · Node ${report.platform.node}` +
      (report.serverModel ? ` · models Azure MCP Server ${report.serverModel}` : '') +
      ` · ${report.startedAt}`,
    '',
  );

  out.push('## Checks', '', '| | check | area | status | time |', '|---|---|---|---|---|');
  for (const c of report.checks) {
    out.push(`| ${STATUS_ICON[c.status]} | ${cell(c.title)} | ${c.group} | ${STATUS_WORD[c.status]} | ${c.durationMs} ms |`);
  }
  out.push('');

  for (const { group, checks } of byGroup(report)) {
    const withContent = checks.filter((c) => c.findings.length || c.details?.tables?.length || c.skipReason);
    if (!withContent.length) continue;
    out.push(`## ${GROUP_TITLES[group]}`, '');
    for (const c of withContent) {
      out.push(`### ${STATUS_ICON[c.status]} ${c.title}`, '');
      if (c.skipReason) out.push(`_Skipped: ${c.skipReason}_`, '');
      for (const t of c.details?.tables ?? []) {
        if (t.title) out.push(`**${t.title}**`, '');
        out.push(`| ${t.columns.map(cell).join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`);
        for (const r of t.rows) out.push(`| ${r.map((x) => cell(x ?? '')).join(' | ')} |`);
        out.push('');
      }
      for (const f of c.findings) out.push(...findingBlock(c, f));
    }
  }

  out.push(...adminSection(report));

  const facts = report.checks.filter((c) => c.group === 'environment' && c.details?.facts);
  if (facts.length) {
    out.push('## Environment', '', '| fact | value |', '|---|---|');
    for (const c of facts)
      for (const [k, v] of Object.entries(c.details!.facts!)) out.push(`| ${cell(k)} | ${cell(v === null ? '-' : String(v))} |`);
    out.push('');
  }
  out.push('<sub>Secrets are always removed from this report; identities too when run with `--redact`.</sub>', '');
  return out.join('\n');
}
