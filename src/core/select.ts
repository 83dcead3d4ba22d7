// --only / --skip selection.

import { UsageError } from './endpoints.js';

/** --only/--skip accept group names, check ids and id prefixes ("network.dns"). */
export function selectChecks<T extends { id: string; group: string }>(all: T[], only: string[], skip: string[]): T[] {
  const matches = (c: T, sel: string) => c.group === sel || c.id === sel || c.id.startsWith(`${sel}.`) || c.id.startsWith(`${sel}:`);
  for (const sel of [...only, ...skip]) {
    if (!all.some((c) => matches(c, sel))) {
      const groups = [...new Set(all.map((c) => c.group))].join(', ');
      const err = new UsageError(`no check or group is called '${sel}'. Groups: ${groups}. Run azmcp-doctor --list-checks for the check ids.`);
      throw err;
    }
  }
  return all.filter((c) => (only.length === 0 || only.some((s) => matches(c, s))) && !skip.some((s) => matches(c, s)));
}
