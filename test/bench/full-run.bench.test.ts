// Full-run benchmark (not part of `npm test`): wall time and peak RSS of the unchanged CLI inside the
// simulated internet, for a healthy network and for a fully blackholed one (every connect dropped).
// Run through `npm run bench`, which passes BENCH_OUT (where to write figures) and BENCH_RSS_HOOK.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import { startAzure, TENANT_ID, CLIENT_ID, CLIENT_SECRET } from '../harness/azure-sim.js';
import { DOCTOR_BIN } from '../harness/net.js';

const runs = Number(process.env.BENCH_FULL_RUNS ?? 3);

describeE2e('full-run benchmark', () => {
  const { net } = useSimNet({}, (n) => startAzure(n, {}));

  async function measure(label: string, env: Record<string, string>, extraArgs: string[] = []) {
    const samples: { wallMs: number; peakRssMiB: number; exit: number | null; checks: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const rssFile = path.join(net().dir, `rss-${label}-${i}`);
      rmSync(rssFile, { force: true });
      const hook = process.env.BENCH_RSS_HOOK ? ['--import', process.env.BENCH_RSS_HOOK] : [];
      const r = await net().exec([process.execPath, ...hook, DOCTOR_BIN, '--format', 'json', ...extraArgs], {
        env: { ...env, BENCH_RSS_FILE: rssFile },
        timeoutMs: 120_000,
      });
      let kb = NaN;
      try { kb = Number(readFileSync(rssFile, 'utf8')); } catch { /* no hook */ }
      samples.push({ wallMs: r.durationMs, peakRssMiB: +(kb / 1024).toFixed(1), exit: r.code, checks: JSON.parse(r.stdout).checks.length });
    }
    const wall = samples.map((s) => s.wallMs).sort((a, b) => a - b);
    return { runs, medianWallMs: wall[Math.floor(wall.length / 2)], maxPeakRssMiB: Math.max(...samples.map((s) => s.peakRssMiB)), samples };
  }

  it('measures a healthy run and a blackholed run', async () => {
    const env = { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET, NODE_EXTRA_CA_CERTS: net().caPath };
    const healthy = await measure('healthy', env);
    const fw = await net().firewall({ action: 'drop', where: 'client' });
    let blackholed;
    try {
      blackholed = await measure('blackholed', env);
    } finally {
      await fw.remove();
    }
    const out = { node: process.version, healthy, blackholed, deadlineMs: 20_000 };
    if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(out, null, 2));
    expect(healthy.samples.length).toBe(runs);
  });
});
