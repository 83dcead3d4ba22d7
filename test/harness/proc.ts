// Process helpers for the e2e harness: every child gets a kill timeout, runs in its own process
// group (so helpers it forks die with it) and is tracked so that a crash of the test process still
// kills it (best effort, from the 'exit' handler).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  input?: string;
  /** Cap on captured stdout/stderr, per stream (default 16 MiB). */
  maxOutput?: number;
}

export interface RunResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the harness killed it because timeoutMs elapsed. */
  timedOut: boolean;
}

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) killGroup(c, 'SIGKILL');
  });
}

/** Run a command to completion (or until timeoutMs, then SIGKILL its whole process group). */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  installExitHook();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const max = opts.maxOutput ?? 16 * 1024 * 1024;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), {
        env: opts.env ?? minimalEnv(),
        cwd: opts.cwd,
        detached: true,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      reject(err);
      return;
    }
    live.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout!.on('data', (d: Buffer) => {
      if (outLen < max) out.push(d);
      outLen += d.length;
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (errLen < max) err.push(d);
      errLen += d.length;
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      // Anything the command left behind in its group goes too.
      killGroup(child, 'SIGKILL');
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        durationMs: Math.round(performance.now() - started),
        timedOut,
      });
    });
  });
}

/** Like run(), but throws (with stderr) unless the exit code is 0. */
export async function runOk(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    throw new Error(
      `command failed (${r.timedOut ? 'timeout' : `code ${r.code} signal ${r.signal}`}): ${argv.join(' ')}\n${r.stderr}${r.stdout}`,
    );
  }
  return r;
}

/** Synchronous variant for exit handlers and start-up sweeps; never throws. */
export function runSyncQuiet(argv: string[], timeoutMs = 5000): { code: number | null; stdout: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, env: minimalEnv() });
  return { code: r.status, stdout: r.stdout ?? '' };
}

/** PATH/HOME/LANG only: nothing from the host (no proxy variables, no AZURE_*). */
export function minimalEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    ...extra,
  };
}

export interface StartOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Wait until a line of stdout or stderr matches. */
  readyLine?: RegExp;
  /** Custom readiness probe, polled every 25 ms. */
  readyCheck?: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Also append the process output to this file. */
  logFile?: string;
  /** Grace period between SIGTERM and SIGKILL on stop() (default 1000 ms). */
  stopGraceMs?: number;
  name?: string;
}

/** A long-running child (server, proxy, DNS) in its own process group. */
export class LongProc {
  readonly child: ChildProcess;
  readonly name: string;
  private lines: string[] = [];
  private waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitedFlag = false;
  private log?: WriteStream;
  private stopGraceMs: number;

  constructor(argv: string[], opts: StartOptions) {
    installExitHook();
    this.name = opts.name ?? argv[0]!;
    this.stopGraceMs = opts.stopGraceMs ?? 1000;
    this.child = spawn(argv[0]!, argv.slice(1), {
      env: opts.env ?? minimalEnv(),
      cwd: opts.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this.child);
    if (opts.logFile) this.log = createWriteStream(opts.logFile, { flags: 'a' });
    const onData = (buf: { s: string }) => (d: Buffer) => {
      this.log?.write(d);
      buf.s += d.toString('utf8');
      let i: number;
      while ((i = buf.s.indexOf('\n')) >= 0) {
        this.pushLine(buf.s.slice(0, i));
        buf.s = buf.s.slice(i + 1);
      }
    };
    this.child.stdout!.on('data', onData({ s: '' }));
    this.child.stderr!.on('data', onData({ s: '' }));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.pushLine(`spawn error: ${e.message}`);
      });
      this.child.on('close', (code, signal) => {
        this.exitedFlag = true;
        live.delete(this.child);
        this.log?.end();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exitedFlag;
  }

  /** Output lines seen so far (stdout and stderr interleaved). */
  output(): string {
    return this.lines.join('\n');
  }

  private pushLine(l: string): void {
    this.lines.push(l);
    if (this.lines.length > 5000) this.lines.splice(0, 1000);
    for (const w of [...this.waiters]) {
      if (w.re.test(l)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  }

  /** Resolve with the first line (already seen after `fromLine`, or future) matching re. */
  waitForLine(re: RegExp, timeoutMs: number, fromLine = 0): Promise<string> {
    const seen = this.lines.slice(fromLine).find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = {
        re,
        resolve: (l: string) => {
          clearTimeout(t);
          resolve(l);
        },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms. Output:\n${this.output().slice(-3000)}`));
      }, timeoutMs);
      this.waiters.push(w);
      void this.exited.then(() => {
        if (this.waiters.includes(w)) {
          clearTimeout(t);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          reject(new Error(`${this.name} exited before ready. Output:\n${this.output().slice(-3000)}`));
        }
      });
    });
  }

  lineCount(): number {
    return this.lines.length;
  }

  async waitReady(opts: StartOptions): Promise<void> {
    const timeoutMs = opts.readyTimeoutMs ?? 10_000;
    if (opts.readyLine) await this.waitForLine(opts.readyLine, timeoutMs);
    if (opts.readyCheck) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (!this.running) throw new Error(`${this.name} exited before ready. Output:\n${this.output().slice(-3000)}`);
        if (await opts.readyCheck()) break;
        if (Date.now() > deadline) throw new Error(`${this.name} not ready within ${timeoutMs} ms. Output:\n${this.output().slice(-3000)}`);
        await sleep(25);
      }
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running && this.child.pid !== undefined) process.kill(this.child.pid, sig);
  }

  /** SIGTERM the group, SIGKILL after the grace period; resolves when it has exited. */
  async stop(graceMs = this.stopGraceMs): Promise<void> {
    if (!this.running) {
      killGroup(this.child, 'SIGKILL');
      return;
    }
    killGroup(this.child, 'SIGTERM');
    const t = setTimeout(() => killGroup(this.child, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
    killGroup(this.child, 'SIGKILL');
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
