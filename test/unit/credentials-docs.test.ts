import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIRS = ['checks/credentials', 'src/probes/credentials', 'src/chain', 'src/entra'];

function codesInSources(): Set<string> {
  const codes = new Set<string>();
  for (const dir of DIRS) {
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.ts')) continue;
      const text = readFileSync(path.join(dir, f), 'utf8');
      for (const m of text.matchAll(/'((?:chain|credential|entra|identity)\.[a-z][a-z-]+)'/g)) codes.add(m[1]!);
    }
  }
  return codes;
}

describe('finding documentation', () => {
  it('every chain.*, credential.*, entra.* and identity.* code the credential checks can emit has a page', () => {
    const codes = codesInSources();
    // The codes the issue names must all be among them.
    for (const required of [
      'chain.selected', 'chain.none-succeeded', 'chain.shadowed', 'chain.invalid-token-credentials', 'chain.deprecated-variable',
      'chain.interactive-fallback-headless', 'credential.unavailable', 'credential.failed', 'credential.env-incomplete', 'credential.env-invalid',
      'credential.certificate-problem', 'credential.cli-not-installed', 'credential.cli-not-logged-in', 'credential.cli-slow',
      'credential.federated-token-problem', 'credential.managed-identity-unreachable', 'entra.invalid-client-secret', 'entra.expired-client-secret',
      'entra.application-not-found', 'entra.tenant-not-found', 'entra.wrong-cloud', 'entra.mfa-required', 'entra.conditional-access',
      'entra.reauthentication-required', 'entra.federated-identity-mismatch', 'entra.assertion-time-invalid', 'entra.personal-account',
      'entra.consent-required', 'entra.unknown-error', 'identity.summary', 'identity.tenant-mismatch',
    ]) {
      expect(codes.has(required), required).toBe(true);
    }
    for (const code of codes) {
      const page = path.join('docs', 'findings', `${code}.md`);
      expect(existsSync(page), page).toBe(true);
      const text = readFileSync(page, 'utf8');
      expect(text).toMatch(new RegExp(`^# ${code.replace(/\./g, '\\.')}\\n`));
      expect(text).toMatch(/## What it means/);
      expect(text).toMatch(/## How to fix it/);
      expect(text).toMatch(/\*\*Who acts:\*\*/);
    }
  });
});
