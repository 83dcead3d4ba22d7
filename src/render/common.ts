// Shared vocabulary of the renderers: titles, marks and ordering. No colour here.

import type { Actor, CheckResult, DetailTable, Group, Report, Severity, Status } from '../core/model.js';
import { GROUPS } from '../core/model.js';

export const GROUP_TITLES: Record<Group, string> = {
  credentials: 'Credentials: which identity the server will use',
  network: 'Network: DNS, proxy, TCP/443, TLS and clock',
  authorization: 'Authorization: what the identity may see',
  environment: 'Environment',
};

export const STATUS_WORD: Record<Status, string> = {
  pass: 'ok',
  warn: 'warning',
  fail: 'error',
  skip: 'skipped',
  timeout: 'timed out',
  crash: 'crashed',
};

/** Plain marks that survive copy-paste into tickets and terminals without Unicode support. */
export const STATUS_MARK: Record<Status, string> = {
  pass: '[ok]',
  warn: '[!!]',
  fail: '[XX]',
  skip: '[--]',
  timeout: '[TO]',
  crash: '[??]',
};

export const SEVERITY_WORD: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'info' };

export const ACTOR_TITLES: Record<Actor, string> = {
  user: 'You',
  'app-owner': 'App owner (the app registration / service principal)',
  'tenant-admin': 'Tenant admin (Entra ID)',
  'network-admin': 'Network admin (firewall, proxy, DNS)',
  'resource-admin': 'Resource admin (RBAC and resource settings)',
};

/** Admins first, in the order a ticket would route them. */
export const ADMIN_ORDER: Actor[] = ['network-admin', 'tenant-admin', 'resource-admin', 'app-owner'];

export function byGroup(report: Report): Array<{ group: Group; checks: CheckResult[] }> {
  return GROUPS.map((group) => ({ group, checks: report.checks.filter((c) => c.group === group) })).filter(
    (g) => g.checks.length > 0,
  );
}

export function summaryLine(report: Report): string {
  const s = report.summary;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const verdict = s.status === 'pass' ? 'No problems found' : s.status === 'warn' ? 'Warnings only' : 'Problems found';
  return `${verdict}: ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${plural(s.infos, 'note')} from ${plural(report.checks.length, 'check')} in ${(report.durationMs / 1000).toFixed(1)} s.`;
}

/** Pads a table to column widths for plain-text output. */
export function formatTextTable(t: DetailTable, indent = '    '): string[] {
  const widths = t.columns.map((c, i) => Math.min(48, Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length))));
  const line = (cells: string[]) =>
    indent + cells.map((c, i) => (i === cells.length - 1 ? c : (c ?? '').padEnd(widths[i]!))).join('  ').trimEnd();
  const out: string[] = [];
  if (t.title) out.push(`${indent}${t.title}`);
  out.push(line(t.columns));
  out.push(line(widths.map((w) => '-'.repeat(w))));
  for (const r of t.rows) out.push(line(r));
  return out;
}

export function escapeMarkdownCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
