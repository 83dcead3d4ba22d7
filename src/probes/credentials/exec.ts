// Child processes for the developer-tool credentials (az, azd, pwsh): no shell, stdin closed (a tool can
// never prompt), a hard time limit, the caller's abort signal, and bounded output.

import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { Env, ExecFn, ExecOptions, ExecResult } from './types.js';

const MAX_OUTPUT = 1024 * 1024;

/** Absolute path of a program on PATH (PATHEXT on Windows), or undefined. */
export function whichIn(program: string, env: Env, platform: NodeJS.Platform = process.platform): string | undefined {
  const pathVar = env.PATH ?? env.Path ?? '';
  const sep = platform === 'win32' ? ';' : ':';
  const exts = platform === 'win32' ? (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean) : [''];
  for (const dir of pathVar.split(sep)) {
    if (!dir || !path.isAbsolute(dir)) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, program + ext.toLowerCase());
      try {
        const st = statSync(candidate);
        if (!st.isFile()) continue;
        if (platform !== 'win32') accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function quoteForCmd(arg: string): string {
  return /^[A-Za-z0-9_\-./:=@]+$/.test(arg) ? arg : `"${arg.replace(/"/g, '""')}"`;
}

export const execTool: ExecFn = (file: string, args: string[], opts: ExecOptions): Promise<ExecResult> => {
  return new Promise((resolve) => {
    const started = performance.now();
    let cmd = file;
    let argv = args;
    // .cmd/.bat need cmd.exe on Windows (Node refuses to spawn them directly without a shell).
    if (process.platform === 'win32' && /\.(cmd|bat)$/i.test(file)) {
      cmd = process.env.ComSpec ?? 'cmd.exe';
      argv = ['/d', '/s', '/c', [quoteForCmd(file), ...args.map(quoteForCmd)].join(' ')];
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, argv, {
        env,
        cwd: opts.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        shell: false,
      });
    } catch (err) {
      resolve({ code: null, stdout: '', stderr: '', durationMs: 0, timedOut: false, spawnError: (err as NodeJS.ErrnoException).code ?? String(err) });
      return;
    }
    const finish = (r: Omit<ExecResult, 'durationMs' | 'stdout' | 'stderr' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      resolve({ ...r, stdout, stderr, timedOut, durationMs: Math.round(performance.now() - started) });
    };
    const kill = () => {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    timer.unref?.();
    const onAbort = () => {
      timedOut = true;
      kill();
    };
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d;
    });
    child.stderr?.on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) => finish({ code: null, spawnError: err.code ?? err.message }));
    child.on('close', (code) => finish({ code }));
  });
};

/** First meaningful line of a tool's stderr, without "ERROR:" prefixes and without anything token-shaped. */
export function firstErrorLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s*(ERROR|error|Error):\s*/, '').trim())
    .filter((l) => l && !/^WARNING:/i.test(l) && !/^Traceback/.test(l));
  const line = lines[0] ?? '';
  return scrub(line.length > 300 ? `${line.slice(0, 297)}...` : line);
}

/** Removes JWT-shaped strings and obvious secret members from text that came from a tool or a server. */
export function scrub(text: string): string {
  return text
    .replace(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '[token removed]')
    .replace(/"(access_token|accessToken|refresh_token|id_token|token|Token|client_secret|client_assertion)"\s*:\s*"[^"]*"/g, '"$1":"[removed]"')
    .replace(/\b(client_secret|client_assertion|password|access_token|refresh_token)=([^&\s;"']+)/gi, '$1=[removed]');
}
