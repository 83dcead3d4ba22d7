// Platform, Node version and session kind (headless, CI, container). Facts for the report; a warning
// only when this Node is older than the doctor supports.

import type { Check, Finding } from '../../src/core/model.js';
import { platformFacts } from '../../src/core/environment.js';

const MIN_NODE = [20, 18, 1] as const;

export function nodeIsSupported(version: string): boolean {
  const [a = 0, b = 0, c = 0] = version.replace(/^v/, '').split('.').map(Number);
  for (const [i, v] of [a, b, c].entries()) {
    if (v !== MIN_NODE[i]) return v > MIN_NODE[i]!;
  }
  return true;
}

export const platformCheck: Check = {
  id: 'environment.platform',
  title: 'Platform and session',
  group: 'environment',
  async run(ctx) {
    const facts = platformFacts(ctx.env);
    const findings: Finding[] = [];
    if (!nodeIsSupported(process.version)) {
      findings.push({
        code: 'environment.node-unsupported',
        severity: 'warning',
        message: `Node ${process.version} is older than 20.18.1, the oldest this doctor supports; some probes may misbehave.`,
        evidence: { node: process.version },
        fix: { summary: 'Install Node.js 20.18.1 or newer (22 LTS recommended).', actor: 'user' },
      });
    }
    return { findings, details: { facts } };
  },
};
