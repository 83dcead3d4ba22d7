import { describe, expect, it } from 'vitest';
import { runChecks, withDependencies } from '../../src/core/runner.js';
import type { Check, CheckContext } from '../../src/core/model.js';
import { buildEndpointModel } from '../../src/core/endpoints.js';
import { DEFAULT_TIMEOUT_MS, type DoctorOptions } from '../../src/core/options.js';

const options: DoctorOptions = {
  format: 'json', only: [], skip: [], failOn: 'error', verbose: false, color: false, redact: false,
  timeoutMs: DEFAULT_TIMEOUT_MS, cloud: 'AzureCloud', interactive: false, resources: [],
};
const base = { options, env: {}, endpoints: buildEndpointModel(options, {}), log: () => undefined };

const check = (id: string, run: Check['run'], extra: Partial<Check> = {}): Check => ({ id, title: id, group: 'environment', run, ...extra });

describe('runner', () => {
  it('turns a throw into crash and an overrun into timeout while the others still report', async () => {
    const checks = [
      check('a.ok', async () => []),
      check('b.throws', async () => { throw new TypeError('boom'); }),
      check('c.hangs', () => new Promise(() => undefined), { timeoutMs: 150 }),
      check('d.warns', async () => [{ code: 'x.y', severity: 'warning', message: 'w' }]),
    ];
    const t0 = Date.now();
    const results = await runChecks(checks, { signal: new AbortController().signal, base });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['a.ok', 'pass'], ['b.throws', 'crash'], ['c.hangs', 'timeout'], ['d.warns', 'warn'],
    ]);
    expect(results[1]!.findings[0]!.code).toBe('doctor.check-crashed');
    expect(results[1]!.findings[0]!.message).toContain('TypeError: boom');
    expect(results[2]!.findings[0]!.code).toBe('doctor.check-timeout');
    expect(results[2]!.findings[0]!.severity).toBe('error');
  });

  it('starts checks concurrently, not in series', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const checks = Array.from({ length: 10 }, (_, i) => check(`c${i}`, async () => { await sleep(200); return []; }));
    const t0 = Date.now();
    await runChecks(checks, { signal: new AbortController().signal, base });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('runs a check after what it needs, even when the dependency is registered later, and lets it read the result', async () => {
    const order: string[] = [];
    const checks = [
      check('consumer', async (ctx: CheckContext) => {
        order.push('consumer');
        const dep = ctx.resultOf('producer');
        return [{ code: 'x.seen', severity: 'info', message: `producer was ${dep?.status}` }];
      }, { needs: ['producer'] }),
      check('producer', async () => { await new Promise((r) => setTimeout(r, 50)); order.push('producer'); return []; }),
    ];
    const results = await runChecks(checks, { signal: new AbortController().signal, base });
    expect(order).toEqual(['producer', 'consumer']);
    expect(results.map((r) => r.id)).toEqual(['consumer', 'producer']);
    expect(results[0]!.findings[0]!.message).toBe('producer was pass');
  });

  it('shares one computation between checks', async () => {
    let calls = 0;
    const task = async () => { calls++; await new Promise((r) => setTimeout(r, 20)); return 42; };
    const checks = ['a', 'b', 'c'].map((id) => check(id, async (ctx) => [{ code: 'x.v', severity: 'info', message: String(await ctx.shared('k', task)) }]));
    const results = await runChecks(checks, { signal: new AbortController().signal, base });
    expect(calls).toBe(1);
    expect(results.every((r) => r.findings[0]!.message === '42')).toBe(true);
  });

  it('the global deadline stops everything still running and says so', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(new Error("the run's 0.2 s deadline passed")), 200);
    const checks = [check('slow', () => new Promise(() => undefined), { timeoutMs: 60_000 }), check('fast', async () => [])];
    const results = await runChecks(checks, { signal: stop.signal, base });
    expect(results[0]!.status).toBe('timeout');
    expect(results[0]!.findings[0]!.message).toContain('deadline passed');
    expect(results[1]!.status).toBe('pass');
  });

  it('derives status from findings and honours skips', async () => {
    const results = await runChecks(
      [
        check('e', async () => [{ code: 'a.b', severity: 'error', message: 'e' }, { code: 'a.c', severity: 'warning', message: 'w' }]),
        check('i', async () => [{ code: 'a.d', severity: 'info', message: 'i' }]),
        check('s', async () => ({ skipped: 'not applicable here' })),
      ],
      { signal: new AbortController().signal, base },
    );
    expect(results.map((r) => r.status)).toEqual(['fail', 'pass', 'skip']);
    expect(results[2]!.skipReason).toBe('not applicable here');
  });

  it('pulls in dependencies of a selection', () => {
    const all = [check('a', async () => []), check('b', async () => [], { needs: ['a'] }), check('c', async () => [])];
    expect(withDependencies(all, [all[1]!]).map((c) => c.id)).toEqual(['a', 'b']);
  });
});
