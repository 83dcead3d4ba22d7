// The ordered list of checks. Order here is the order of the report. Check modules are light: they
// import heavy libraries only inside run().

import type { Check } from './model.js';
import type { EndpointModel } from './endpoints.js';
import { environmentChecks } from '../../checks/environment/index.js';

export async function loadChecks(_endpoints: EndpointModel): Promise<Check[]> {
  return [...environmentChecks];
}
