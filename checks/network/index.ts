// The network group, in registry order: proxy configuration, one check per endpoint (the managed-
// identity endpoint only when the env or --imds-endpoint selects one other than 169.254.169.254,
// which is never probed), clock skew, and --export-ca when asked.

import type { EndpointModel } from '../../src/core/endpoints.js';
import type { Check } from '../../src/core/model.js';
import type { DoctorOptions } from '../../src/core/options.js';
import { budgetFor } from '../../src/probes/endpoint.js';
import { clockCheck } from './clock.js';
import { endpointCheck } from './endpoint.js';
import { exportCaCheck } from './export-ca.js';
import { proxyConfigCheck } from './proxy-config.js';

export const IMDS_HOST = '169.254.169.254';

/** Probe the managed-identity endpoint only when it is a configured one, never the default IMDS address. */
export function shouldProbeManagedIdentity(endpoints: EndpointModel): boolean {
  return endpoints.managedIdentity.host !== IMDS_HOST;
}

export function networkChecks(endpoints: EndpointModel, options?: Pick<DoctorOptions, 'exportCa' | 'timeoutMs'>): Check[] {
  const timeoutMs = options?.timeoutMs ? budgetFor(options.timeoutMs).totalMs + 2000 : undefined;
  const checks: Check[] = [proxyConfigCheck];
  for (const ep of endpoints.all) checks.push(endpointCheck(ep, timeoutMs));
  if (shouldProbeManagedIdentity(endpoints)) checks.push(endpointCheck(endpoints.managedIdentity, timeoutMs));
  checks.push({ ...clockCheck, timeoutMs });
  if (options?.exportCa) checks.push({ ...exportCaCheck(options.exportCa), timeoutMs });
  return checks;
}

export { proxyConfigCheck, clockCheck, endpointCheck, exportCaCheck };
