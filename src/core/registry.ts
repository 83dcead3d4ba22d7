// The ordered list of checks. Order here is the order of the report. Check modules are light: they
// import heavy libraries only inside run().

import type { Check } from './model.js';
import type { EndpointModel } from './endpoints.js';
import type { DoctorOptions } from './options.js';
import { environmentChecks } from '../../checks/environment/index.js';
import { credentialChecksFor } from '../../checks/credentials/index.js';
import { networkChecks } from '../../checks/network/index.js';

export async function loadChecks(endpoints: EndpointModel, options?: Pick<DoctorOptions, 'exportCa' | 'timeoutMs'> & Partial<Pick<DoctorOptions, 'interactive'>>): Promise<Check[]> {
  return [...environmentChecks, ...credentialChecksFor(options), ...networkChecks(endpoints, options)];
}
