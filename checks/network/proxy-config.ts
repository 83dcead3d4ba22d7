// Proxy environment: validation (URLs, schemes, upper/lower case conflicts), the route each consumer
// takes to each endpoint, NO_PROXY entries the server ignores, and managed identity through a proxy.

import type { Check, CheckOutcome } from '../../src/core/model.js';
import { bypassFindings, imdsFindings, managedIdentityLikely } from '../../src/network/bypass.js';
import { proxyPrecedenceFindings } from '../../src/network/precedence.js';
import { proxyEnvSummary, validateProxyEnv } from '../../src/network/proxy-env.js';
import { CONSUMERS, routeFor } from '../../src/network/routes.js';

export const proxyConfigCheck: Check = {
  id: 'network.proxy-config',
  title: 'Proxy configuration and routes',
  group: 'network',
  async run(ctx): Promise<CheckOutcome> {
    const env = ctx.env;
    const variables = proxyEnvSummary(env);
    const findings = [
      ...validateProxyEnv(env),
      ...proxyPrecedenceFindings(env),
      ...bypassFindings(env, ctx.endpoints.all),
      ...imdsFindings(env, ctx.endpoints.managedIdentity, { miLikely: managedIdentityLikely(env, ctx.options.imdsEndpoint) }),
    ];
    const routes: Record<string, Record<string, string>> = {};
    for (const ep of ctx.endpoints.all) {
      routes[`${ep.host}:${ep.port}`] = Object.fromEntries(
        CONSUMERS.map((c) => {
          const r = routeFor(c, ep.url, env);
          return [c, `${r.via === 'direct' ? 'direct' : `proxy ${r.proxy}`} (${r.reason})${r.broken ? ` BROKEN: ${r.broken}` : ''}`];
        }),
      );
    }
    return { findings, details: { variables, routes } };
  },
};
