// Local decoding of JWTs (access tokens, federated tokens). No signature check: the doctor only reads who
// the token is for. The token itself is never returned, logged or stored.

export const MSA_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

export type Claims = Record<string, unknown>;

/** The payload of a JWT, or undefined when the string is not one. */
export function decodeJwtPayload(token: string | undefined): Claims | undefined {
  if (!token) return undefined;
  const parts = token.trim().split('.');
  if (parts.length < 2 || !parts[1]) return undefined;
  try {
    const json = Buffer.from(parts[1].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Claims) : undefined;
  } catch {
    return undefined;
  }
}

function str(c: Claims, k: string): string | undefined {
  const v = c[k];
  return typeof v === 'string' && v ? v : undefined;
}

function num(c: Claims, k: string): number | undefined {
  const v = c[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}

export interface TokenIdentity {
  kind: 'user' | 'app' | 'managed-identity';
  tenantId?: string;
  objectId?: string;
  /** UPN / preferred_username / e-mail of a user. */
  user?: string;
  displayName?: string;
  /** The client application the token was issued to (appid/azp). */
  appId?: string;
  appDisplayName?: string;
  audience?: string;
  issuer?: string;
  /** ISO time. */
  expiresAt?: string;
  /** Identity provider for guests (live.com for personal accounts). */
  idp?: string;
  personalAccount: boolean;
  /** amr contains mfa. */
  mfa?: boolean;
  /** Managed identity resource id (xms_mirid). */
  managedIdentityResourceId?: string;
}

export function identityFromClaims(c: Claims): TokenIdentity {
  const tenantId = str(c, 'tid');
  const idp = str(c, 'idp');
  const mirid = str(c, 'xms_mirid');
  const user = str(c, 'upn') ?? str(c, 'preferred_username') ?? str(c, 'unique_name') ?? str(c, 'email');
  const idtyp = str(c, 'idtyp');
  const kind: TokenIdentity['kind'] = mirid ? 'managed-identity' : idtyp === 'app' || (!user && !str(c, 'scp')) ? 'app' : 'user';
  const exp = num(c, 'exp');
  const aud = c.aud;
  const amr = Array.isArray(c.amr) ? (c.amr as unknown[]).map(String) : undefined;
  const personal = tenantId === MSA_TENANT_ID || (!!idp && /live\.com/i.test(idp));
  return {
    kind,
    ...(tenantId ? { tenantId } : {}),
    ...(str(c, 'oid') ? { objectId: str(c, 'oid') } : {}),
    ...(kind === 'user' && user ? { user } : {}),
    ...(str(c, 'name') ? { displayName: str(c, 'name') } : {}),
    ...((str(c, 'appid') ?? str(c, 'azp')) ? { appId: str(c, 'appid') ?? str(c, 'azp') } : {}),
    ...(str(c, 'app_displayname') ? { appDisplayName: str(c, 'app_displayname') } : {}),
    ...(typeof aud === 'string' ? { audience: aud } : Array.isArray(aud) ? { audience: aud.map(String).join(' ') } : {}),
    ...(str(c, 'iss') ? { issuer: str(c, 'iss') } : {}),
    ...(exp ? { expiresAt: new Date(exp * 1000).toISOString() } : {}),
    ...(idp ? { idp } : {}),
    personalAccount: personal,
    ...(amr ? { mfa: amr.includes('mfa') } : {}),
    ...(mirid ? { managedIdentityResourceId: mirid } : {}),
  };
}

/** Who a token is for, or undefined when it is not a JWT (then nothing about it is reported). */
export function identityFromToken(token: string | undefined): TokenIdentity | undefined {
  const c = decodeJwtPayload(token);
  return c ? identityFromClaims(c) : undefined;
}

/** "user alice@contoso.com (tenant ...)" / "app 1234... (tenant ...)". */
export function describeIdentity(id: TokenIdentity | undefined): string {
  if (!id) return 'an identity the doctor could not decode';
  const who =
    id.kind === 'user'
      ? `user ${id.user ?? id.objectId ?? '(unknown)'}`
      : id.kind === 'managed-identity'
        ? `managed identity ${id.appId ?? id.objectId ?? ''}`.trim()
        : `app ${id.appDisplayName ? `${id.appDisplayName} ` : ''}${id.appId ?? id.objectId ?? ''}`.trim();
  return `${who}${id.tenantId ? ` in tenant ${id.tenantId}` : ''}`;
}

/** Same principal in the same tenant. */
export function sameIdentity(a: TokenIdentity | undefined, b: TokenIdentity | undefined): boolean {
  if (!a || !b) return false;
  if (a.tenantId !== b.tenantId) return false;
  if (a.objectId && b.objectId) return a.objectId === b.objectId;
  return (a.user ?? a.appId) === (b.user ?? b.appId);
}

/** Facts from a federated (workload identity) token file: issuer, subject, audience, validity. */
export interface FederatedTokenFacts {
  issuer?: string;
  subject?: string;
  audience?: string;
  expiresAt?: string;
  notBefore?: string;
  expired: boolean;
  notYetValid: boolean;
}

export function federatedTokenFacts(token: string, now = Date.now()): FederatedTokenFacts | undefined {
  const c = decodeJwtPayload(token);
  if (!c) return undefined;
  const exp = num(c, 'exp');
  const nbf = num(c, 'nbf');
  const aud = c.aud;
  return {
    ...(str(c, 'iss') ? { issuer: str(c, 'iss') } : {}),
    ...(str(c, 'sub') ? { subject: str(c, 'sub') } : {}),
    ...(typeof aud === 'string' ? { audience: aud } : Array.isArray(aud) ? { audience: aud.map(String).join(' ') } : {}),
    ...(exp ? { expiresAt: new Date(exp * 1000).toISOString() } : {}),
    ...(nbf ? { notBefore: new Date(nbf * 1000).toISOString() } : {}),
    expired: exp !== undefined && exp * 1000 <= now,
    notYetValid: nbf !== undefined && nbf * 1000 > now + 5 * 60_000,
  };
}
