// Clock skew: the Date header of the HTTPS answers (authority first) against the local clock. Works
// behind proxies, unlike NTP. Token validation breaks beyond ~5 minutes.

import type { Check, CheckOutcome, Finding } from '../../src/core/model.js';
import { combineSkews, measureSkew, SKEW_ERROR_SECONDS, SKEW_WARN_SECONDS, type SkewResult } from '../../src/network/clock.js';
import { clockCommands } from '../../src/network/findings.js';
import { probeEndpoint } from '../../src/probes/network.js';

export const clockCheck: Check = {
  id: 'network.clock',
  title: 'Clock skew against Entra ID and ARM',
  group: 'network',
  async run(ctx): Promise<CheckOutcome> {
    const eps = [ctx.endpoints.authority, ctx.endpoints.authorityAlias, ctx.endpoints.arm, ctx.endpoints.graph].filter(
      (e): e is NonNullable<typeof e> => !!e,
    );
    const results = await Promise.all(eps.map((ep) => probeEndpoint(ctx, ep).catch(() => undefined)));
    const samples: SkewResult[] = [];
    for (const r of results) {
      if (!r) continue;
      const d = r.diagnosis;
      // The server's own path first: through an intercepting proxy the Date can come from the device.
      const paths = [...d.paths].sort((a, b) => Number(b.consumers.includes(d.serverConsumer)) - Number(a.consumers.includes(d.serverConsumer)));
      for (const p of paths) {
        const h = p.http;
        if (!h?.ok || !h.date || h.receivedAt === undefined) continue;
        const s = measureSkew({ date: h.date, sentAt: h.sentAt, receivedAt: h.receivedAt, source: `${d.endpoint.host}:${d.endpoint.port}` });
        if (s) {
          samples.push(s);
          break;
        }
      }
    }
    const best = combineSkews(samples);
    if (!best) return { skipped: 'no endpoint answered over HTTPS with a Date header' };
    const details = { samples: samples.map((s) => ({ source: s.source, skewSeconds: s.skewSeconds, serverTime: s.serverTime })) };
    if (!best.severity) return { details };
    const ahead = best.skewSeconds < 0;
    const abs = Math.abs(best.skewSeconds);
    const f: Finding = {
      code: 'clock.skew',
      severity: best.severity,
      message:
        `The local clock is ${abs} s ${ahead ? 'ahead of' : 'behind'} ${best.source} (server ${best.serverTime}). ` +
        (best.severity === 'error'
          ? `Beyond ${SKEW_ERROR_SECONDS / 60} minutes, Entra ID rejects client assertions (AADSTS700024) and tokens look not-yet-valid or expired.`
          : `Above ${SKEW_WARN_SECONDS / 60} minutes, token validation starts to fail (clock-skew tolerance is usually 5 minutes).`),
      target: best.source,
      evidence: { target: best.source, skewSeconds: best.skewSeconds, serverTime: best.serverTime, localTime: best.localTime, samples: samples.length, symptom: ahead ? 'local-clock-ahead' : 'local-clock-behind' },
      fix: { summary: 'Turn on time synchronisation and correct the clock.', actor: 'user', commands: clockCommands(process.platform) },
    };
    return { findings: [f], details };
  },
};
