// One check per endpoint: DNS, route per consumer, proxy CONNECT, TCP, TLS (trust per store,
// interception), one HTTPS request. The diagnosis is memoised, so other checks reuse it.

import type { Endpoint } from '../../src/core/endpoints.js';
import type { Check, CheckOutcome } from '../../src/core/model.js';
import { endpointDetails } from '../../src/network/details.js';
import { endpointFindings } from '../../src/network/findings.js';
import { endpointCheckId, probeEndpoint } from '../../src/probes/network.js';

export function endpointCheck(ep: Endpoint, timeoutMs?: number): Check {
  const where = `${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
  return {
    id: endpointCheckId(ep),
    title: `${ep.label} (${where})`,
    group: 'network',
    timeoutMs,
    async run(ctx): Promise<CheckOutcome> {
      const { diagnosis } = await probeEndpoint(ctx, ep);
      return { findings: endpointFindings(diagnosis), details: endpointDetails(diagnosis) };
    },
  };
}
