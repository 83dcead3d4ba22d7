#!/usr/bin/env node
// `npm run bench`: measures, side by side in one run,
//   1. cold start: `node -e 0` vs `azmcp-doctor --version` vs `azmcp-doctor --help` (median of N runs);
//   2. a full run's wall time and peak memory (max RSS) inside the simulated internet, when this
//      machine can build it (root + network namespaces; see test/README.md), via test/bench/.
// Figures are printed and written to bench-results/bench.json. Nothing here is asserted in tests.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 15);
const bin = path.join(root, 'bin/azmcp-doctor.js');
const rssHook = path.join(root, 'scripts/bench-rss.mjs');

if (!existsSync(path.join(root, 'dist/src/cli.js'))) {
  spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(argv) {
  const samples = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, argv, { stdio: 'ignore', env: { PATH: process.env.PATH, HOME: os.tmpdir() } });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
    if (i >= 2) samples.push(ms); // two warm-up runs fill the page cache
  }
  return { medianMs: +median(samples).toFixed(1), minMs: +Math.min(...samples).toFixed(1), runs };
}

function peakRss(argv, env) {
  const file = path.join(os.tmpdir(), `azd-bench-rss-${process.pid}`);
  rmSync(file, { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', rssHook, ...argv], { encoding: 'utf8', env: { ...env, BENCH_RSS_FILE: file } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const kb = existsSync(file) ? Number(readFileSync(file, 'utf8')) : NaN;
  return { wallMs: +ms.toFixed(0), peakRssMiB: +(kb / 1024).toFixed(1), exit: r.status };
}

const results = { node: process.version, machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`, coldStart: {}, fullRun: null };
results.coldStart.bareNode = time(['-e', '0']);
results.coldStart.version = time([bin, '--version']);
results.coldStart.help = time([bin, '--help']);
results.coldStart.ratioVersion = +(results.coldStart.version.medianMs / results.coldStart.bareNode.medianMs).toFixed(2);
results.coldStart.ratioHelp = +(results.coldStart.help.medianMs / results.coldStart.bareNode.medianMs).toFixed(2);
// The environment-only run sends no traffic, so it can be measured anywhere.
results.environmentOnly = peakRss([bin, '--only', 'environment', '--format', 'json'], { PATH: process.env.PATH, HOME: os.tmpdir() });

const canNetns = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0;
if (canNetns && existsSync(path.join(root, 'test/bench/full-run.bench.test.ts'))) {
  const out = path.join(root, 'bench-results/full-run.json');
  rmSync(out, { force: true });
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/bench/vitest.bench.config.ts'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, BENCH_OUT: out, BENCH_RSS_HOOK: rssHook },
  });
  results.fullRun = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { error: `full-run bench exited ${r.status}` };
} else {
  results.fullRun = { skipped: 'needs root and network namespaces (the simulated internet)' };
}

mkdirSync(path.join(root, 'bench-results'), { recursive: true });
writeFileSync(path.join(root, 'bench-results/bench.json'), JSON.stringify(results, null, 2));
const c = results.coldStart;
console.log(`Node ${results.node} on ${results.machine}, ${runs} runs each (median):`);
console.log(`  node -e 0                 ${c.bareNode.medianMs} ms`);
console.log(`  azmcp-doctor --version    ${c.version.medianMs} ms  (${c.ratioVersion}x bare Node; target <= 1.5x)`);
console.log(`  azmcp-doctor --help       ${c.help.medianMs} ms  (${c.ratioHelp}x bare Node)`);
console.log(`  --only environment        ${results.environmentOnly.wallMs} ms wall, ${results.environmentOnly.peakRssMiB} MiB peak RSS`);
console.log(`  full run (simulated net)  ${JSON.stringify(results.fullRun)}`);
console.log('Written to bench-results/bench.json');
