import { describe, expect, it } from 'vitest';
import {
  decodeJwtPayload,
  describeIdentity,
  federatedTokenFacts,
  identityFromToken,
  MSA_TENANT_ID,
  sameIdentity,
} from '../../src/chain/token-claims.js';
import { appToken, makeJwt, OID, TENANT, userToken } from './credentials-fixtures.js';

describe('token claims', () => {
  it('decodes a user token', () => {
    const id = identityFromToken(userToken())!;
    expect(id).toMatchObject({ kind: 'user', tenantId: TENANT, objectId: OID, user: 'alice@contoso.com', audience: 'https://management.azure.com', personalAccount: false });
    expect(Date.parse(id.expiresAt!)).toBeGreaterThan(Date.now());
    expect(describeIdentity(id)).toBe(`user alice@contoso.com in tenant ${TENANT}`);
  });

  it('decodes an app token and a managed identity token', () => {
    expect(identityFromToken(appToken())!.kind).toBe('app');
    const mi = identityFromToken(appToken({ xms_mirid: '/subscriptions/s/resourcegroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1' }))!;
    expect(mi.kind).toBe('managed-identity');
    expect(describeIdentity(mi)).toMatch(/^managed identity /);
  });

  it('recognises personal accounts (consumer tenant, or live.com as identity provider)', () => {
    expect(identityFromToken(userToken({ tid: MSA_TENANT_ID }))!.personalAccount).toBe(true);
    expect(identityFromToken(userToken({ idp: 'live.com' }))!.personalAccount).toBe(true);
  });

  it('MFA from amr', () => {
    expect(identityFromToken(userToken({ amr: ['pwd', 'mfa'] }))!.mfa).toBe(true);
    expect(identityFromToken(userToken({ amr: ['pwd'] }))!.mfa).toBe(false);
  });

  it('non-JWTs give nothing', () => {
    expect(decodeJwtPayload('not-a-token')).toBeUndefined();
    expect(decodeJwtPayload('a.b.c')).toBeUndefined();
    expect(identityFromToken(undefined)).toBeUndefined();
  });

  it('sameIdentity compares tenant and object', () => {
    const a = identityFromToken(userToken())!;
    const b = identityFromToken(userToken({ upn: 'other@contoso.com' }))!;
    const c = identityFromToken(userToken({ oid: 'x' }))!;
    expect(sameIdentity(a, b)).toBe(true);
    expect(sameIdentity(a, c)).toBe(false);
  });

  it('federated token facts: issuer, subject, audience, expiry', () => {
    const now = Math.floor(Date.now() / 1000);
    const ok = federatedTokenFacts(makeJwt({ iss: 'https://oidc.example', sub: 'system:serviceaccount:ns:sa', aud: ['api://AzureADTokenExchange'], exp: now + 600 }))!;
    expect(ok).toMatchObject({ issuer: 'https://oidc.example', subject: 'system:serviceaccount:ns:sa', audience: 'api://AzureADTokenExchange', expired: false });
    expect(federatedTokenFacts(makeJwt({ exp: now - 10 }))!.expired).toBe(true);
    expect(federatedTokenFacts(makeJwt({ nbf: now + 3600, exp: now + 7200 }))!.notYetValid).toBe(true);
  });
});
