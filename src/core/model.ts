// The doctor's data model: checks produce findings; the runner turns them into results; a report
// holds the results. Renderers are pure functions of a Report. Nothing here imports a library.

import type { EndpointModel } from './endpoints.js';
import type { DoctorOptions } from './options.js';

export type Severity = 'error' | 'warning' | 'info';
/** Derived by the runner; a check never sets it. */
export type Status = 'pass' | 'warn' | 'fail' | 'skip' | 'timeout' | 'crash';
export type Actor = 'user' | 'app-owner' | 'tenant-admin' | 'network-admin' | 'resource-admin';
export type Group = 'credentials' | 'network' | 'authorization' | 'environment';

export const GROUPS: readonly Group[] = ['credentials', 'network', 'authorization', 'environment'];

export interface Fix {
  summary: string;
  actor: Actor;
  commands?: string[];
  docs?: string[];
}

export type EvidenceValue = string | number | boolean | null;

export interface Finding {
  /** Dotted, lower-case, never renamed once released (see docs/findings). */
  code: string;
  severity: Severity;
  message: string;
  /** Host[:port], credential name or resource the finding is about. */
  target?: string;
  evidence?: Record<string, EvidenceValue>;
  fix?: Fix;
}

/** A small table a renderer shows under the check (the credential chain, DNS answers per route...). */
export interface DetailTable {
  title?: string;
  columns: string[];
  rows: string[][];
}

/**
 * Structured facts a check wants to show besides its findings. Renderers know `tables` (always shown)
 * and `facts` (shown with --verbose and in the markdown environment section); other keys go to JSON only.
 */
export interface Details {
  tables?: DetailTable[];
  facts?: Record<string, EvidenceValue>;
  [key: string]: unknown;
}

export interface CheckOutcome {
  findings?: Finding[];
  details?: Details;
  /** Set when the check decided it does not apply here; the reason is shown to the user. */
  skipped?: string;
}

export interface CheckContext {
  /** Aborts on the check's own timeout, the global deadline or Ctrl-C. Pass it to every I/O call. */
  readonly signal: AbortSignal;
  readonly options: DoctorOptions;
  /** A snapshot of the environment the doctor models (normally process.env). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly endpoints: EndpointModel;
  /** Memoises one computation per key for the whole run (DNS answers, the winning token...). */
  shared<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** The result of a check named in `needs` (complete by the time this check runs). */
  resultOf(checkId: string): CheckResult | undefined;
  /** A line for --verbose; it is redacted like everything else. */
  log(message: string): void;
}

export interface Check {
  id: string;
  title: string;
  group: Group;
  /** Ids of checks whose results this one reads; they finish before it starts. */
  needs?: string[];
  /** Default 10 s; the global deadline always applies too. */
  timeoutMs?: number;
  run(ctx: CheckContext): Promise<CheckOutcome | Finding[]>;
}

export interface CheckResult {
  id: string;
  title: string;
  group: Group;
  status: Status;
  durationMs: number;
  findings: Finding[];
  details?: Details;
  skipReason?: string;
}

export interface ReportSummary {
  errors: number;
  warnings: number;
  infos: number;
  /** 'fail' when any error (timeouts and crashes included), else 'warn' when any warning, else 'pass'. */
  status: 'pass' | 'warn' | 'fail';
}

export interface Report {
  schemaVersion: 1;
  tool: { name: string; version: string };
  startedAt: string;
  durationMs: number;
  platform: { os: string; node: string; arch?: string };
  cloud: string;
  /** Which Azure MCP Server release's behaviour the doctor modelled. */
  serverModel?: string;
  summary: ReportSummary;
  checks: CheckResult[];
}

export function finding(f: Finding): Finding {
  return f;
}

export function statusOf(findings: Finding[]): Status {
  if (findings.some((f) => f.severity === 'error')) return 'fail';
  if (findings.some((f) => f.severity === 'warning')) return 'warn';
  return 'pass';
}

export function summarise(checks: CheckResult[]): ReportSummary {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const c of checks) {
    for (const f of c.findings) {
      if (f.severity === 'error') errors++;
      else if (f.severity === 'warning') warnings++;
      else infos++;
    }
  }
  return { errors, warnings, infos, status: errors ? 'fail' : warnings ? 'warn' : 'pass' };
}
