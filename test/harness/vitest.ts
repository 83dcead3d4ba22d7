// vitest glue: skip (or fail, with AZMCP_E2E_REQUIRED=1) when the e2e tier cannot run here, and
// one SimNet per test file that is always cleaned up.
import { afterAll, beforeAll, describe } from 'vitest';
import { createSimNet, e2eAvailability, type SimNet, type SimNetOptions } from './net.js';

export const e2e = e2eAvailability();

if (!e2e.ok && process.env.AZMCP_E2E_REQUIRED === '1') {
  throw new Error(`AZMCP_E2E_REQUIRED=1 but the e2e tier cannot run here: ${e2e.reason}`);
}

/** `describe` when the e2e tier can run, `describe.skip` (with the reason in the title) when not. */
export const describeE2e: typeof describe = (e2e.ok
  ? describe
  : ((name: string, fn?: () => void) => describe.skip(`${name} [skipped: ${e2e.reason}]`, fn ?? (() => undefined)))) as typeof describe;

/**
 * One SimNet for the enclosing describe block, created in beforeAll (after `setup`, if given, runs
 * with it) and destroyed in afterAll, also when tests fail. Returns a getter.
 */
export function useSimNet<T = void>(opts: SimNetOptions = {}, setup?: (net: SimNet) => Promise<T>): { net: () => SimNet; ctx: () => T } {
  let net: SimNet | undefined;
  let ctx: T | undefined;
  beforeAll(async () => {
    net = await createSimNet(opts);
    if (setup) ctx = await setup(net);
  });
  afterAll(async () => {
    await net?.cleanup();
  });
  return {
    net: () => {
      if (!net) throw new Error('SimNet not created (beforeAll failed?)');
      return net;
    },
    ctx: () => ctx as T,
  };
}
