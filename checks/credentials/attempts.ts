// Why each credential of the chain (other than the Azure CLI, which has its own check) did not produce a
// token: configuration problems, the Entra error (AADSTS code, trace and correlation ids) with a fix for
// that credential type, or the network failure and the network finding that explains it.

import type { Check, Finding } from '../../src/core/model.js';
import { attemptFindings } from './explain.js';

export const attemptsCheck: Check = {
  id: 'credentials.attempts',
  title: 'Each credential in the chain, tried without prompting',
  group: 'credentials',
  timeoutMs: 19_000,
  async run(ctx) {
    const { credentialProbes } = await import('../../src/probes/credentials/index.js');
    const res = await credentialProbes(ctx);
    const findings: Finding[] = [];
    const rows: string[][] = [];
    for (const row of res.verdict.rows) {
      if (!row.enabled || row.name === 'AzureCliCredential') continue;
      const a = res.attempts[row.name];
      if (!a) continue;
      findings.push(...attemptFindings(a, res.chain, res.verdict, ctx.env, ctx.endpoints, res.cli.account?.tenantId));
      for (const x of a.exchanges ?? []) {
        rows.push([
          row.name,
          `${x.method} ${x.url}`,
          x.status !== undefined ? String(x.status) : (x.errorCode ?? ''),
          `${x.durationMs} ms`,
          x.proxy ?? 'direct',
        ]);
      }
    }
    const attempts = Object.fromEntries(
      Object.entries(res.attempts).map(([k, a]) => [
        k,
        {
          state: a!.state,
          reason: a!.reason,
          durationMs: a!.durationMs,
          kind: a!.kind ?? null,
          configured: a!.configured,
          facts: a!.facts,
          entra: a!.entra ?? null,
          network: a!.network ?? null,
          exchanges: a!.exchanges ?? [],
        },
      ]),
    );
    return {
      findings,
      details: {
        ...(rows.length ? { tables: [{ title: 'Requests the credential probes made', columns: ['credential', 'request', 'result', 'time', 'via'], rows }] } : {}),
        attempts,
      },
    };
  },
};
