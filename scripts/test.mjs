#!/usr/bin/env node
// The test command (`npm test`): makes sure the end-to-end tier's system packages are present
// (installing them with apt-get when running as root on Debian), builds, then runs the whole suite on
// this Node and again on Node 22 (the npm registry's `node@22` package). Where the e2e tier cannot run
// (not root, no network namespaces) it says so and runs the unit tier only; under CI=true that is a
// failure, never a silent skip. It ends with one plain line: "tests: N passed, N failed, N skipped".

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ci = process.env.CI === 'true' || process.env.CI === '1';
const args = process.argv.slice(2);
const only22 = args.includes('--node22-only');
const skip22 = args.includes('--no-node22') || process.env.AZMCP_TEST_SKIP_NODE22 === '1';

/** Binaries the e2e tier uses, and the Debian package that brings each. */
const SYSTEM_DEPS = {
  ip: 'iproute2',
  iptables: 'iptables',
  dnsmasq: 'dnsmasq-base',
  tinyproxy: 'tinyproxy',
  squid: 'squid-openssl',
  mitmdump: 'mitmproxy',
  faketime: 'faketime',
  openssl: 'openssl',
  az: 'azure-cli',
  curl: 'curl',
  dig: 'dnsutils',
};

const log = (s) => process.stdout.write(`[test] ${s}\n`);

function which(bin) {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin'])) {
    if (dir && existsSync(path.join(dir, bin))) return true;
  }
  return false;
}

function e2eBlocker() {
  if (process.platform !== 'linux') return `the end-to-end tier needs Linux network namespaces (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the end-to-end tier needs root (network namespaces, iptables)';
  let missing = Object.keys(SYSTEM_DEPS).filter((b) => !which(b));
  if (missing.length) {
    if (!which('apt-get')) return `missing ${missing.join(', ')} and no apt-get to install them`;
    const pkgs = [...new Set(missing.map((b) => SYSTEM_DEPS[b]))];
    log(`installing ${pkgs.join(' ')} with apt-get (missing: ${missing.join(', ')})`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const upd = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    if (upd.status !== 0) return 'apt-get update failed';
    const inst = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
    if (inst.status !== 0) return `apt-get install ${pkgs.join(' ')} failed`;
    missing = Object.keys(SYSTEM_DEPS).filter((b) => !which(b));
    if (missing.length) return `still missing after install: ${missing.join(', ')}`;
  }
  const probe = `azt-probe-${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
  } catch (e) {
    return `cannot create a network namespace here (${String(e.stderr ?? e.message).trim()})`;
  }
  return undefined;
}

function run(cmd, argv, extraEnv = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  return r.status ?? 1;
}

const totals = { passed: 0, failed: 0, skipped: 0 };
function vitest(nodeCmd, nodeArgs, label, projects) {
  const dir = path.join(root, '.tmp');
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `vitest-${label}.json`);
  rmSync(out, { force: true });
  log(`running ${projects.join(' + ')} tests on ${label}`);
  const code = run(nodeCmd, [
    ...nodeArgs,
    path.join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    ...projects.flatMap((p) => ['--project', p]),
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
  ]);
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += r.numPassedTests ?? 0;
    totals.failed += (r.numFailedTests ?? 0) + (code !== 0 && !r.numFailedTests ? 1 : 0);
    totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  } else if (code !== 0) totals.failed += 1;
  return code;
}

let failed = false;
const blocker = e2eBlocker();
const projects = ['unit'];
if (blocker) {
  if (ci) {
    log(`CI=true and the end-to-end tier cannot run: ${blocker}`);
    process.exit(1);
  }
  log(`SKIPPING the end-to-end tier: ${blocker}. Only the unit tier runs.`);
} else {
  projects.push('e2e');
  // The harness skips its suites when it cannot run; here it can, so a skip would hide a problem.
  process.env.AZMCP_E2E_REQUIRED = '1';
}

log('building');
if (run('npm', ['run', 'build']) !== 0) {
  log('build failed');
  process.exit(1);
}
log('type-checking the tests too');
if (run('npm', ['run', 'typecheck']) !== 0) {
  log('type check failed');
  process.exit(1);
}

if (!only22) failed = vitest(process.execPath, [], `node ${process.version}`, projects) !== 0 || failed;
if (!skip22) {
  // `npx -y node@22` fetches Node 22 from the npm registry (cached after the first run).
  const v = spawnSync('npx', ['-y', 'node@22', '--version'], { cwd: root, encoding: 'utf8' });
  if (v.status !== 0) {
    log(`cannot get Node 22 from the npm registry: ${v.stderr}`);
    failed = true;
    totals.failed += 1;
  } else {
    failed = vitest('npx', ['-y', 'node@22'], `node ${v.stdout.trim()}`, projects) !== 0 || failed;
  }
} else if (ci) {
  log('CI=true: the Node 22 run cannot be skipped');
  failed = true;
}

process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(failed ? 1 : 0);
