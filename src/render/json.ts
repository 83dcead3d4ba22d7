// Report contract v1: one JSON object, nothing else on stdout. Validated by schema/report.v1.json.

import type { Report } from '../core/model.js';

export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}
