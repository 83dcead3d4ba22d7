import type { Check } from '../../src/core/model.js';
import { attemptsCheck } from './attempts.js';
import { azureCliCheck } from './azure-cli.js';
import { chainCheck } from './chain.js';
import { identityCheck } from './identity.js';

/** In report order: the chain (and the winner) first. All share one memoised probe run. */
export const credentialChecks: Check[] = [chainCheck, attemptsCheck, azureCliCheck, identityCheck];

/**
 * The same checks, with a time limit that leaves room for a person to sign in when --interactive is
 * given (the run's own deadline, --timeout, still applies).
 */
export function credentialChecksFor(options: { interactive?: boolean; timeoutMs?: number } = {}): Check[] {
  if (!options.interactive) return credentialChecks;
  const t = Math.max(19_000, options.timeoutMs ?? 0);
  return credentialChecks.map((c) => ({ ...c, timeoutMs: t }));
}
