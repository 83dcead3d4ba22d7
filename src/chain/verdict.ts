// Combining the modelled chain with the per-credential attempts: the state of every entry in chain order,
// the credential the server would use (first success), credentials it shadows, and what is uncertain.
// Pure: no I/O.

import type { AttemptState, CredentialAttempt } from '../probes/credentials/types.js';
import { CREDENTIAL_LABEL, type CredentialName } from './credentials.js';
import type { EffectiveChain } from './effective-chain.js';
import { describeIdentity, type TokenIdentity } from './token-claims.js';

export interface ChainRow {
  position: number | null;
  name: CredentialName;
  label: string;
  enabled: boolean;
  interactive: boolean;
  state: AttemptState;
  reason: string;
  /** The server would get this far (entries after the winner are never tried by it). */
  reached: boolean;
  identity?: string;
  tenantId?: string;
  durationMs: number;
}

export interface ChainVerdict {
  rows: ChainRow[];
  winner?: CredentialName;
  winnerIdentity?: TokenIdentity;
  /** Enabled entries before the winner (or anywhere, without a winner) whose outcome the doctor could not determine. */
  uncertain: CredentialName[];
  /** Later entries that would also succeed but are never used. */
  shadowed: CredentialName[];
  /** No enabled entry succeeded (interactive ones only count when tried live with --interactive). */
  noneSucceeded: boolean;
  /** The first interactive entry the server would reach when nothing else succeeds. */
  fallsToInteractive?: CredentialName;
}

export function chainVerdict(chain: EffectiveChain, attempts: Partial<Record<CredentialName, CredentialAttempt>>): ChainVerdict {
  const rows: ChainRow[] = [];
  let winnerIndex = -1;
  const enabled = chain.entries.filter((e) => e.enabled);
  enabled.forEach((e, i) => {
    const a = attempts[e.name];
    let state: AttemptState = a?.state ?? 'unknown';
    let reason = a?.reason ?? 'not probed';
    if (e.alwaysUnavailable) {
      state = 'unavailable';
      reason = e.alwaysUnavailable;
    }
    // Interactive entries only succeed when the user ran them live (--interactive).
    if (state === 'succeeded' && winnerIndex < 0) winnerIndex = i;
    rows.push({
      position: e.position ?? i + 1,
      name: e.name,
      label: CREDENTIAL_LABEL[e.name],
      enabled: true,
      interactive: e.interactive,
      state,
      reason,
      reached: true,
      ...(a?.identity ? { identity: describeIdentity(a.identity) } : {}),
      ...(a?.identity?.tenantId ? { tenantId: a.identity.tenantId } : {}),
      durationMs: a?.durationMs ?? 0,
    });
  });
  if (winnerIndex >= 0) rows.forEach((r, i) => (r.reached = i <= winnerIndex));
  for (const e of chain.entries.filter((x) => !x.enabled)) {
    rows.push({
      position: null,
      name: e.name,
      label: CREDENTIAL_LABEL[e.name],
      enabled: false,
      interactive: e.interactive,
      state: 'skipped',
      reason: e.reason,
      reached: false,
      durationMs: 0,
    });
  }
  const winner = winnerIndex >= 0 ? rows[winnerIndex]!.name : undefined;
  const limit = winnerIndex >= 0 ? winnerIndex : rows.filter((r) => r.enabled).length;
  const uncertain = rows.slice(0, limit).filter((r) => r.enabled && r.state === 'unknown').map((r) => r.name);
  const shadowed = winnerIndex >= 0 ? rows.filter((r, i) => r.enabled && i > winnerIndex && r.state === 'succeeded').map((r) => r.name) : [];
  const fallsToInteractive = winnerIndex < 0 ? rows.find((r) => r.enabled && r.interactive)?.name : undefined;
  return {
    rows,
    ...(winner ? { winner } : {}),
    ...(winner && attempts[winner]?.identity ? { winnerIdentity: attempts[winner]!.identity } : {}),
    uncertain,
    shadowed,
    noneSucceeded: winnerIndex < 0,
    ...(fallsToInteractive ? { fallsToInteractive } : {}),
  };
}
