import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dotnetProxyFor, probeManagedIdentity, selectManagedIdentitySource, unreachableFinding } from '../../src/probes/credentials/managed-identity.js';
import { appToken, closedPort, probeCtx, startHttp } from './credentials-fixtures.js';

describe('selectManagedIdentitySource (MSAL order)', () => {
  it('App Service, Service Fabric, Machine Learning, Cloud Shell, Arc, IMDS', () => {
    expect(selectManagedIdentitySource({ IDENTITY_ENDPOINT: 'http://a', IDENTITY_HEADER: 'h' }, false).source).toBe('AppService');
    expect(selectManagedIdentitySource({ IDENTITY_ENDPOINT: 'https://a', IDENTITY_HEADER: 'h', IDENTITY_SERVER_THUMBPRINT: 't' }, false).source).toBe('ServiceFabric');
    expect(selectManagedIdentitySource({ MSI_ENDPOINT: 'http://m', MSI_SECRET: 's' }, false).source).toBe('MachineLearning');
    expect(selectManagedIdentitySource({ MSI_ENDPOINT: 'http://m' }, false).source).toBe('CloudShell');
    expect(selectManagedIdentitySource({ IDENTITY_ENDPOINT: 'http://arc', IMDS_ENDPOINT: 'http://imds' }, false).source).toBe('AzureArc');
    expect(selectManagedIdentitySource({}, true).source).toBe('AzureArc');
    const imds = selectManagedIdentitySource({}, false);
    expect(imds.source).toBe('IMDS');
    expect(imds.endpoint).toBe('http://169.254.169.254/metadata/identity/oauth2/token');
    expect(selectManagedIdentitySource({ AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://10.0.0.1:2377/' }, false).endpoint).toBe('http://10.0.0.1:2377/metadata/identity/oauth2/token');
  });
  it('IDENTITY_ENDPOINT without IDENTITY_HEADER (and no IMDS_ENDPOINT) falls to IMDS', () => {
    expect(selectManagedIdentitySource({ IDENTITY_ENDPOINT: 'http://a' }, false).source).toBe('IMDS');
  });
});

describe('dotnetProxyFor', () => {
  it('IMDS over plain http goes through HTTP_PROXY unless NO_PROXY lists it', () => {
    expect(dotnetProxyFor('http://169.254.169.254/metadata', { HTTP_PROXY: 'http://p:1' })).toBe('http://p:1');
    expect(dotnetProxyFor('http://169.254.169.254/metadata', { HTTP_PROXY: 'http://p:1', NO_PROXY: 'localhost,169.254.169.254' })).toBeUndefined();
    expect(dotnetProxyFor('http://169.254.169.254/metadata', { HTTPS_PROXY: 'http://p:1' })).toBeUndefined();
    // .NET's HttpEnvironmentProxy has no loopback exception: only NO_PROXY bypasses.
    expect(dotnetProxyFor('http://127.0.0.1:5/x', { HTTP_PROXY: 'http://p:1' })).toBe('http://p:1');
    expect(dotnetProxyFor('http://127.0.0.1:5/x', { HTTP_PROXY: 'http://p:1', NO_PROXY: '127.0.0.1' })).toBeUndefined();
    // The token stack does not understand '*' or '*.suffix' entries.
    expect(dotnetProxyFor('http://169.254.169.254/x', { HTTP_PROXY: 'http://p:1', NO_PROXY: '*' })).toBe('http://p:1');
    expect(dotnetProxyFor('http://169.254.169.254/x', { http_proxy: 'http://lower:1', HTTP_PROXY: 'http://upper:1' })).toBe('http://lower:1');
  });
});

describe('probeManagedIdentity', () => {
  let seen: { url: string; headers: IncomingMessage['headers']; method?: string }[] = [];
  let server: Awaited<ReturnType<typeof startHttp>>;
  let mode: 'ok' | 'notfound' = 'ok';
  beforeAll(async () => {
    server = await startHttp((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers, method: req.method });
      res.setHeader('content-type', 'application/json');
      if (mode === 'notfound') {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'invalid_request', error_description: 'Identity not found' }));
        return;
      }
      res.end(JSON.stringify({ access_token: appToken({ xms_mirid: '/subscriptions/s/rg/mi' }), expires_on: String(Math.floor(Date.now() / 1000) + 3600), token_type: 'Bearer' }));
    });
  });
  afterAll(() => server.close());

  it('IMDS through AZURE_POD_IDENTITY_AUTHORITY_HOST: Metadata header, ARM resource, user-assigned client id', async () => {
    seen = [];
    mode = 'ok';
    const a = await probeManagedIdentity(probeCtx({ env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: server.url, AZURE_CLIENT_ID: 'mi-client' } }));
    expect(a.state).toBe('succeeded');
    expect(a.identity?.kind).toBe('managed-identity');
    expect(a.facts.assignment).toBe('user-assigned (AZURE_CLIENT_ID=mi-client)');
    const u = new URL(seen[0]!.url, server.url);
    expect(u.pathname).toBe('/metadata/identity/oauth2/token');
    expect(u.searchParams.get('resource')).toBe('https://management.azure.com');
    expect(u.searchParams.get('client_id')).toBe('mi-client');
    expect(seen[0]!.headers.metadata).toBe('true');
    expect(JSON.stringify(a)).not.toContain('access_token');
  });

  it('App Service: X-IDENTITY-HEADER and api-version 2019-08-01; the header value never appears in the attempt', async () => {
    seen = [];
    mode = 'ok';
    const a = await probeManagedIdentity(probeCtx({ env: { IDENTITY_ENDPOINT: `${server.url}/msi/token`, IDENTITY_HEADER: 'hdr-secret-1' } }));
    expect(a.state).toBe('succeeded');
    expect(a.facts.source).toBe('AppService');
    expect(seen[0]!.headers['x-identity-header']).toBe('hdr-secret-1');
    expect(new URL(seen[0]!.url, server.url).searchParams.get('api-version')).toBe('2019-08-01');
    expect(JSON.stringify(a)).not.toContain('hdr-secret-1');
  });

  it('Cloud Shell: POST with a form body', async () => {
    seen = [];
    mode = 'ok';
    const a = await probeManagedIdentity(probeCtx({ env: { MSI_ENDPOINT: `${server.url}/oauth2/token` } }));
    expect(a.state).toBe('succeeded');
    expect(seen[0]!.method).toBe('POST');
  });

  it('--imds-endpoint overrides the origin, so tests never reach 169.254.169.254', async () => {
    seen = [];
    mode = 'ok';
    const a = await probeManagedIdentity(probeCtx({ env: {} }), server.url);
    expect(a.state).toBe('succeeded');
    expect(seen).toHaveLength(1);
    expect(a.facts.endpoint).toBe(`${server.url}/metadata/identity/oauth2/token`);
  });

  it('identity not found: credential.failed for the resource admin, naming AZURE_CLIENT_ID', async () => {
    mode = 'notfound';
    const a = await probeManagedIdentity(probeCtx({ env: { AZURE_CLIENT_ID: 'mi-client' } }), server.url);
    expect(a.state).toBe('failed');
    const f = a.findings.find((x) => x.code === 'credential.failed')!;
    expect(f.message).toContain('mi-client');
    expect(f.fix!.actor).toBe('resource-admin');
    expect(a.entra?.error).toBe('invalid_request');
  });

  it('an endpoint that does not answer: managed-identity-unreachable within the short timeout', async () => {
    const port = await closedPort();
    const t0 = Date.now();
    const a = await probeManagedIdentity(probeCtx({ env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: 'h' } }));
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(a.state).toBe('failed');
    const f = a.findings.find((x) => x.code === 'credential.managed-identity-unreachable')!;
    expect(f.evidence).toMatchObject({ source: 'AppService', errorCode: 'ECONNREFUSED' });
    expect(a.network?.code).toBe('tcp.refused');
  });

  it('an unreachable overridden IMDS endpoint counts as configured: failed, unreachable', async () => {
    const port = await closedPort();
    const a = await probeManagedIdentity(probeCtx({ env: {} }), `http://127.0.0.1:${port}`);
    expect(a.state).toBe('failed');
    expect(a.findings[0]!.code).toBe('credential.managed-identity-unreachable');
  });

  it('the unreachable finding explains a VM-less machine and a proxy that would carry the request', () => {
    const sel = selectManagedIdentitySource({}, false);
    const f = unreachableFinding(sel.endpoint, sel, 'EHOSTUNREACH', 'http://proxy.corp:3128');
    expect(f.message).toMatch(/not an Azure VM/);
    expect(f.message).toMatch(/proxy\.imds-not-bypassed/);
    expect(f.evidence!.viaProxy).toBe('http://proxy.corp:3128');
    expect(f.fix!.actor).toBe('user');
    const app = selectManagedIdentitySource({ IDENTITY_ENDPOINT: 'http://10.1.1.1/msi', IDENTITY_HEADER: 'h' }, false);
    expect(unreachableFinding(app.endpoint, app, 'ETIMEDOUT', undefined).fix!.actor).toBe('resource-admin');
  });
});
