// Shared plumbing for probes: timeouts joined with a caller's signal, and a small limiter for
// getaddrinfo (it runs on libuv's thread pool and cannot be cancelled, so a blackholed resolver must
// not occupy every pool thread and stall file reads for the whole doctor).

export class ProbeTimeoutError extends Error {
  override name = 'ProbeTimeoutError';
  readonly code = 'PROBE_TIMEOUT';
  constructor(readonly ms: number, what = 'probe') {
    super(`${what} timed out after ${ms} ms`);
  }
}

export class ProbeAbortedError extends Error {
  override name = 'ProbeAbortedError';
  readonly code = 'ABORTED';
  constructor() {
    super('aborted');
  }
}

/**
 * Runs `fn` with a signal that aborts after `ms` or when `outer` aborts. Rejects with
 * ProbeTimeoutError / ProbeAbortedError even if `fn` ignores its signal.
 */
export function withTimeout<T>(ms: number, outer: AbortSignal | undefined, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
      f();
    };
    const timer = setTimeout(() => {
      const err = new ProbeTimeoutError(ms, what);
      ac.abort(err);
      finish(() => reject(err));
    }, Math.max(1, ms));
    const onAbort = (): void => {
      ac.abort(new ProbeAbortedError());
      finish(() => reject(new ProbeAbortedError()));
    };
    if (outer?.aborted) {
      onAbort();
      return;
    }
    outer?.addEventListener('abort', onAbort, { once: true });
    fn(ac.signal).then(
      (v) => finish(() => resolve(v)),
      (e) => finish(() => reject(e)),
    );
  });
}

export class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.active >= this.max) {
      await new Promise<void>((resolve, reject) => {
        const go = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const i = this.queue.indexOf(go);
          if (i >= 0) this.queue.splice(i, 1);
          reject(new ProbeAbortedError());
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.queue.push(go);
      });
    }
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export function elapsed(start: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - start) / 1e6);
}

export function now(): bigint {
  return process.hrtime.bigint();
}
