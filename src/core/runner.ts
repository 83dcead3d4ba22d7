// The check runner: starts every check at once (respecting `needs`), gives each an AbortSignal that
// joins its own timeout, the global deadline and Ctrl-C, turns a throw into `crash` and an overrun into
// `timeout`, and returns results in registry order so output is deterministic.

import { setMaxListeners } from 'node:events';
import type { Check, CheckContext, CheckOutcome, CheckResult, Finding } from './model.js';
import { statusOf } from './model.js';

export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

export interface RunnerOptions {
  /** Aborted when the whole run must stop (global deadline or Ctrl-C). */
  signal: AbortSignal;
  /** Everything a check sees except the per-check parts. */
  base: Omit<CheckContext, 'signal' | 'resultOf' | 'shared'>;
  onStart?(check: Check): void;
  onDone?(result: CheckResult, done: number, total: number): void;
}

/** Expands a selection with everything it needs, keeping registry order. */
export function withDependencies(all: Check[], selected: Check[]): Check[] {
  const byId = new Map(all.map((c) => [c.id, c]));
  const keep = new Set<string>();
  const visit = (c: Check) => {
    if (keep.has(c.id)) return;
    keep.add(c.id);
    for (const n of c.needs ?? []) {
      const dep = byId.get(n);
      if (dep) visit(dep);
    }
  };
  selected.forEach(visit);
  return all.filter((c) => keep.has(c.id));
}

function abortReason(signal: AbortSignal): string {
  const r = signal.reason as unknown;
  if (r instanceof Error) return r.message;
  return typeof r === 'string' ? r : 'aborted';
}

function normalise(outcome: CheckOutcome | Finding[] | undefined): CheckOutcome {
  if (Array.isArray(outcome)) return { findings: outcome };
  return outcome ?? {};
}

export async function runChecks(checks: Check[], opts: RunnerOptions): Promise<CheckResult[]> {
  const memo = new Map<string, Promise<unknown>>();
  const results = new Map<string, CheckResult>();
  const running = new Map<string, Promise<CheckResult>>();
  let done = 0;
  // Every check, and every probe inside it, listens to these signals: many listeners are by design.
  setMaxListeners(0, opts.signal);
  const stopped = new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });

  const shared = <T>(key: string, task: () => Promise<T>): Promise<T> => {
    let p = memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = task();
      // A rejected memo is still the answer for everyone; avoid an unhandled rejection warning.
      p.catch(() => undefined);
      memo.set(key, p);
    }
    return p;
  };

  const runOne = async (check: Check): Promise<CheckResult> => {
    // Let the loop below register every check first, so `needs` may name a later check too.
    await Promise.resolve();
    const deps = (check.needs ?? []).map((id) => running.get(id)).filter((p): p is Promise<CheckResult> => !!p);
    // Waiting for dependencies counts against the global deadline, not the check's own timeout.
    await Promise.race([Promise.all(deps), stopped]);

    const started = performance.now();
    const timeoutMs = check.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    const own = new AbortController();
    const timer = setTimeout(() => own.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref?.();
    const signal = AbortSignal.any([own.signal, opts.signal]);
    setMaxListeners(0, signal);
    const ctx: CheckContext = {
      ...opts.base,
      signal,
      shared,
      resultOf: (id) => results.get(id),
    };
    const base = { id: check.id, title: check.title, group: check.group };
    opts.onStart?.(check);

    let result: CheckResult;
    try {
      if (signal.aborted) throw signal.reason;
      const outcome = await new Promise<CheckOutcome>((resolve, reject) => {
        const onAbort = () => reject(new AbortedCheck(abortReason(signal)));
        signal.addEventListener('abort', onAbort, { once: true });
        Promise.resolve()
          .then(() => check.run(ctx))
          .then((o) => resolve(normalise(o)), reject)
          .finally(() => signal.removeEventListener('abort', onAbort));
      });
      const durationMs = Math.round(performance.now() - started);
      const findings = outcome.findings ?? [];
      if (outcome.skipped !== undefined) {
        result = { ...base, status: 'skip', durationMs, findings, skipReason: outcome.skipped };
      } else {
        result = { ...base, status: statusOf(findings), durationMs, findings };
      }
      if (outcome.details) result.details = outcome.details;
    } catch (err) {
      const durationMs = Math.round(performance.now() - started);
      if (err instanceof AbortedCheck || signal.aborted) {
        const interrupted = opts.signal.aborted && !own.signal.aborted;
        const why = interrupted ? abortReason(opts.signal) : `no answer within ${timeoutMs} ms`;
        result = {
          ...base,
          status: 'timeout',
          durationMs,
          findings: [
            {
              code: 'doctor.check-timeout',
              severity: 'error',
              message: `The check "${check.title}" did not finish: ${why}. Its result is unknown; this is not a diagnosis of your setup.`,
              target: check.id,
              evidence: { timeoutMs: interrupted ? null : timeoutMs, durationMs },
              fix: {
                summary: 'Re-run with a longer --timeout, or with --only to run this check alone; if it keeps hanging, report it with --verbose output.',
                actor: 'user',
              },
            },
          ],
        };
      } else {
        const e = err instanceof Error ? err : new Error(String(err));
        ctx.log(`check ${check.id} crashed: ${e.stack ?? e.message}`);
        result = {
          ...base,
          status: 'crash',
          durationMs,
          findings: [
            {
              code: 'doctor.check-crashed',
              severity: 'error',
              message: `The check "${check.title}" failed inside the doctor (${e.name}: ${e.message}). This is a doctor bug, not a diagnosis of your setup.`,
              target: check.id,
              evidence: { error: e.name },
              fix: {
                summary: 'Report it to the azmcp-doctor maintainers with the --verbose output; the other checks are unaffected.',
                actor: 'user',
              },
            },
          ],
        };
      }
    } finally {
      clearTimeout(timer);
    }
    results.set(check.id, result);
    done++;
    opts.onDone?.(result, done, checks.length);
    return result;
  };

  for (const check of checks) running.set(check.id, runOne(check));
  await Promise.all(running.values());
  return checks.map((c) => results.get(c.id)!);
}

class AbortedCheck extends Error {
  override name = 'AbortedCheck';
}
