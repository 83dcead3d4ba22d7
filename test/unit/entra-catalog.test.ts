import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AADSTS_CATALOG, diagnoseAadsts, ENTRA_FAMILIES, type CredentialKind } from '../../src/entra/aadsts.js';

const ALL_KINDS: CredentialKind[] = [
  'client-secret',
  'client-certificate',
  'username-password',
  'workload-identity',
  'managed-identity',
  'azure-cli',
  'azure-powershell',
  'azure-developer-cli',
  'visual-studio',
  'visual-studio-code',
  'interactive',
];

describe('AADSTS catalog', () => {
  it('maps at least 50 codes, each to a known entra.* family', () => {
    const codes = Object.keys(AADSTS_CATALOG).map(Number);
    expect(codes.length).toBeGreaterThanOrEqual(50);
    for (const c of codes) expect(ENTRA_FAMILIES).toContain(AADSTS_CATALOG[c]!.family);
  });

  it('maps the codes the design names to the design\'s finding codes', () => {
    const expected: Record<number, string> = {
      7000215: 'entra.invalid-client-secret',
      7000222: 'entra.expired-client-secret',
      700016: 'entra.application-not-found',
      90002: 'entra.tenant-not-found',
      90038: 'entra.wrong-cloud',
      50076: 'entra.mfa-required',
      50079: 'entra.mfa-required',
      53003: 'entra.conditional-access',
      530003: 'entra.conditional-access',
      700082: 'entra.reauthentication-required',
      70043: 'entra.reauthentication-required',
      50173: 'entra.reauthentication-required',
      70021: 'entra.federated-identity-mismatch',
      700213: 'entra.federated-identity-mismatch',
      700024: 'entra.assertion-time-invalid',
      500200: 'entra.personal-account',
      65001: 'entra.consent-required',
    };
    for (const [code, family] of Object.entries(expected)) expect(diagnoseAadsts(Number(code), 'client-secret').family).toBe(family);
  });

  it('every code has a fix for every credential kind, with an actor and the error link', () => {
    for (const c of Object.keys(AADSTS_CATALOG).map(Number)) {
      for (const k of ALL_KINDS) {
        const d = diagnoseAadsts(c, k, { tenantId: 't', clientId: 'c' });
        expect(d.fix.summary.length).toBeGreaterThan(20);
        expect(['user', 'app-owner', 'tenant-admin', 'network-admin', 'resource-admin']).toContain(d.fix.actor);
        expect(d.fix.docs).toContain(`https://login.microsoftonline.com/error?code=${c}`);
      }
    }
  });

  it('an expired client secret never tells anyone to run az login', () => {
    const d = diagnoseAadsts(7000222, 'client-secret', { clientId: 'app-1', tenantId: 't-1' });
    expect(d.family).toBe('entra.expired-client-secret');
    expect(d.fix.actor).toBe('app-owner');
    expect(d.fix.summary).toMatch(/will not help/);
    expect(JSON.stringify(d.fix)).not.toMatch(/az login(?! --service-principal)/);
    expect(d.fix.commands?.[0]).toContain('az ad app credential reset --id app-1');
  });

  it('an invalid secret is the app owner\'s, with the value-not-id hint', () => {
    const d = diagnoseAadsts(7000215, 'client-secret', { clientId: 'app-1' });
    expect(d.fix.actor).toBe('app-owner');
    expect(d.fix.summary).toMatch(/Value \(not its Secret ID\)/);
  });

  it('a stale Azure CLI sign-in gets "az login --tenant", PowerShell gets Connect-AzAccount', () => {
    const cli = diagnoseAadsts(700082, 'azure-cli', { tenantId: 'tid-9' });
    expect(cli.fix.actor).toBe('user');
    expect(cli.fix.commands).toEqual(['az login --tenant tid-9']);
    const ps = diagnoseAadsts(700082, 'azure-powershell', { tenantId: 'tid-9' });
    expect(ps.fix.commands).toEqual(['Connect-AzAccount -Tenant tid-9']);
    const azd = diagnoseAadsts(50173, 'azure-developer-cli', {});
    expect(azd.fix.commands).toEqual(['azd auth login']);
  });

  it('MFA for the CLI asks for a scoped interactive login; for a service principal it explains that apps cannot do MFA', () => {
    const cli = diagnoseAadsts(50076, 'azure-cli', { armAudience: 'https://management.azure.com' });
    expect(cli.fix.commands?.[0]).toBe('az login --scope https://management.azure.com/.default');
    const sp = diagnoseAadsts(50076, 'username-password', {});
    expect(sp.fix.summary).toMatch(/cannot do multi-factor/);
  });

  it('Conditional Access goes to the tenant admin with the correlation id', () => {
    const d = diagnoseAadsts(53003, 'azure-cli', { correlationId: 'corr-1' });
    expect(d.fix.actor).toBe('tenant-admin');
    expect(d.fix.summary).toContain('corr-1');
  });

  it('a federated mismatch names issuer and subject and builds the az command', () => {
    const d = diagnoseAadsts(700213, 'workload-identity', {
      clientId: 'app-1',
      tokenIssuer: 'https://token.actions.githubusercontent.com',
      tokenSubject: 'repo:org/repo:ref:refs/heads/main',
    });
    expect(d.fix.actor).toBe('app-owner');
    expect(d.fix.summary).toContain('repo:org/repo:ref:refs/heads/main');
    expect(d.fix.commands?.[0]).toContain('"issuer":"https://token.actions.githubusercontent.com"');
  });

  it('managed identity: an unknown client id is the resource admin\'s', () => {
    const d = diagnoseAadsts(700016, 'managed-identity', { clientId: 'mi-1' });
    expect(d.fix.actor).toBe('resource-admin');
    expect(d.fix.summary).toContain('mi-1');
  });

  it('an unknown code is entra.unknown-error and keeps the code', () => {
    const d = diagnoseAadsts(1234567, 'client-secret');
    expect(d.family).toBe('entra.unknown-error');
    expect(d.known).toBe(false);
    expect(d.meaning).toContain('AADSTS1234567');
    expect(d.fix.docs).toContain('https://login.microsoftonline.com/error?code=1234567');
  });

  it('every entra family has a docs page', () => {
    for (const f of ENTRA_FAMILIES) {
      expect(existsSync(path.join('docs', 'findings', `${f}.md`)), f).toBe(true);
    }
  });
});
