import { describe, expect, it } from 'vitest';
import { buildEndpointModel, parseHostPort, resolveCloud } from '../../src/core/endpoints.js';
import { selectChecks } from '../../src/core/select.js';

const base = { cloud: 'AzureCloud', resources: [] };

describe('cloud model', () => {
  it('accepts the server\'s aliases case-insensitively and rejects unknown names like the server', () => {
    expect(resolveCloud(undefined).name).toBe('AzureCloud');
    expect(resolveCloud('Public').name).toBe('AzureCloud');
    expect(resolveCloud('AZURECHINA').name).toBe('AzureChinaCloud');
    expect(resolveCloud('usgov').name).toBe('AzureUSGovernment');
    expect(() => resolveCloud('AzureGermanCloud')).toThrow(/Unrecognized cloud value 'AzureGermanCloud'/);
  });

  it('builds sovereign endpoints and resource hosts from the cloud\'s suffixes', () => {
    const m = buildEndpointModel(
      { cloud: 'AzureUSGovernment', resources: [{ kind: 'storage', name: 'acct1' }, { kind: 'keyvault', name: 'kv-one' }] },
      {},
    );
    expect(m.authority.host).toBe('login.microsoftonline.us');
    expect(m.arm.url).toBe('https://management.usgovcloudapi.net');
    expect(m.resources.map((r) => r.host)).toEqual(['acct1.blob.core.usgovcloudapi.net', 'kv-one.vault.usgovcloudapi.net']);
    expect(m.armScope).toBe('https://management.usgovcloudapi.net/.default');
  });

  it('lets every base endpoint be overridden, keeping the real ARM audience', () => {
    const m = buildEndpointModel(
      { ...base, authorityHost: 'https://127.0.0.1:8443', armEndpoint: 'https://localhost:9443/', imdsEndpoint: 'http://127.0.0.1:5000' },
      {},
    );
    expect(m.authority).toMatchObject({ host: '127.0.0.1', port: 8443 });
    expect(m.authorityAlias).toBeUndefined();
    expect(m.arm).toMatchObject({ host: 'localhost', port: 9443, url: 'https://localhost:9443' });
    expect(m.armScope).toBe('https://management.azure.com/.default');
    expect(m.managedIdentity).toMatchObject({ host: '127.0.0.1', port: 5000, scheme: 'http' });
  });

  it('selects the managed-identity endpoint as the environment does', () => {
    expect(buildEndpointModel(base, {}).managedIdentity.host).toBe('169.254.169.254');
    expect(buildEndpointModel(base, { IDENTITY_ENDPOINT: 'http://localhost:41000/msi/token' }).managedIdentity.port).toBe(41000);
    expect(buildEndpointModel(base, { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://10.0.0.5:2000' }).managedIdentity.host).toBe('10.0.0.5');
  });

  it('validates resource names and generic endpoints', () => {
    expect(() => buildEndpointModel({ ...base, resources: [{ kind: 'storage', name: 'Bad_Name' }] }, {})).toThrow(/not a valid name/);
    expect(parseHostPort('[::1]:8443')).toEqual({ host: '::1', port: 8443 });
    expect(parseHostPort('api.contoso.com')).toEqual({ host: 'api.contoso.com', port: 443 });
    expect(() => parseHostPort('host:99999')).toThrow(/out of range/);
    const m = buildEndpointModel({ ...base, resources: [{ kind: 'endpoint', name: 'api.contoso.com:8443' }, { kind: 'storage', name: 'acct.blob.core.windows.net' }] }, {});
    expect(m.resources.map((r) => r.id)).toEqual(['endpoint:api.contoso.com:8443', 'storage:acct']);
  });
});

describe('--only / --skip', () => {
  const all = [
    { id: 'environment.platform', group: 'environment' },
    { id: 'network.dns:login.microsoftonline.com', group: 'network' },
    { id: 'credentials.chain', group: 'credentials' },
  ];
  it('accepts groups, ids and prefixes, and rejects unknown names', () => {
    expect(selectChecks(all, ['environment'], []).map((c) => c.id)).toEqual(['environment.platform']);
    expect(selectChecks(all, ['network.dns'], []).map((c) => c.id)).toEqual(['network.dns:login.microsoftonline.com']);
    expect(selectChecks(all, [], ['network', 'credentials']).map((c) => c.id)).toEqual(['environment.platform']);
    expect(() => selectChecks(all, ['nope'], [])).toThrow(/no check or group is called 'nope'/);
  });
});
