// The human report: grouped by area, one line per check with a status mark, findings with their fix
// underneath. Colour comes from the caller's chalk instance (level 0 = plain, stable output).

import type { ChalkInstance } from 'chalk';
import type { Finding, Report, Status } from '../core/model.js';
import { ACTOR_TITLES, byGroup, formatTextTable, GROUP_TITLES, STATUS_MARK, STATUS_WORD, summaryLine } from './common.js';

export interface TextOptions {
  chalk: ChalkInstance;
  verbose: boolean;
}

export function renderText(report: Report, { chalk, verbose }: TextOptions): string {
  const paint: Record<Status, (s: string) => string> = {
    pass: chalk.green,
    warn: chalk.yellow,
    fail: chalk.red,
    skip: chalk.gray,
    timeout: chalk.magenta,
    crash: chalk.magenta,
  };
  const sev = (f: Finding) =>
    f.severity === 'error' ? chalk.red('error') : f.severity === 'warning' ? chalk.yellow('warning') : chalk.cyan('note');

  const out: string[] = [];
  out.push(chalk.bold(`azmcp-doctor ${report.tool.version}`) + chalk.gray(` · cloud ${report.cloud} · ${report.platform.os} · Node ${report.platform.node}`));
  if (report.serverModel) out.push(chalk.gray(`Models Azure MCP Server ${report.serverModel}.`));
  out.push('');

  for (const { group, checks } of byGroup(report)) {
    out.push(chalk.bold.underline(GROUP_TITLES[group]));
    for (const c of checks) {
      const mark = paint[c.status](STATUS_MARK[c.status]);
      const status = c.status === 'pass' ? '' : ` ${paint[c.status](STATUS_WORD[c.status])}`;
      const time = verbose ? chalk.gray(` (${c.durationMs} ms)`) : '';
      out.push(`  ${mark} ${c.title}${status}${time}`);
      if (c.skipReason) out.push(chalk.gray(`      ${c.skipReason}`));
      for (const t of c.details?.tables ?? []) out.push(...formatTextTable(t, '      ').map((l) => chalk.gray(l)));
      for (const f of c.findings) {
        out.push(`      ${sev(f)} ${f.message}${chalk.gray(` [${f.code}]`)}`);
        if (verbose && f.evidence) {
          const ev = Object.entries(f.evidence)
            .filter(([, v]) => v !== null && v !== '')
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(', ');
          if (ev) out.push(chalk.gray(`        evidence: ${ev}`));
        }
        if (f.fix) {
          out.push(`        ${chalk.bold('fix')} (${ACTOR_TITLES[f.fix.actor]}): ${f.fix.summary}`);
          for (const cmd of f.fix.commands ?? []) out.push(`          ${chalk.cyan(`$ ${cmd}`)}`);
          for (const d of f.fix.docs ?? []) out.push(chalk.gray(`          see ${d}`));
        }
      }
      if (verbose && c.details?.facts) {
        for (const [k, v] of Object.entries(c.details.facts)) out.push(chalk.gray(`      ${k}: ${v === null ? '-' : String(v)}`));
      }
    }
    out.push('');
  }

  const line = summaryLine(report);
  out.push(report.summary.status === 'pass' ? chalk.green(line) : report.summary.status === 'warn' ? chalk.yellow(line) : chalk.red(line));
  return out.join('\n') + '\n';
}
