import { describe, expect, it } from 'vitest';
import { aadstsCodesIn, entraEvidence, parseEntraBody, parseEntraText } from '../../src/entra/parse.js';
import { aadstsBody, CORRELATION_ID, TRACE_ID } from './credentials-fixtures.js';

describe('parseEntraBody', () => {
  it('reads the token endpoint error JSON', () => {
    const e = parseEntraBody(aadstsBody(7000215, 'invalid_client', 'Invalid client secret provided. Ensure the secret being sent is the client secret value.'))!;
    expect(e.error).toBe('invalid_client');
    expect(e.codes).toEqual([7000215]);
    expect(e.traceId).toBe(TRACE_ID);
    expect(e.correlationId).toBe(CORRELATION_ID);
    expect(e.timestamp).toBe('2026-11-26 10:00:00Z');
    expect(e.description).toMatch(/^AADSTS7000215: Invalid client secret provided/);
    expect(e.description).not.toMatch(/Trace ID/);
  });

  it('reads codes and ids from the description when the structured fields are missing', () => {
    const body = JSON.stringify({
      error: 'invalid_grant',
      error_description: `AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: ${TRACE_ID}\r\nCorrelation ID: ${CORRELATION_ID}\r\nTimestamp: 2026-01-01 00:00:00Z`,
    });
    const e = parseEntraBody(body)!;
    expect(e.codes).toEqual([700082]);
    expect(e.traceId).toBe(TRACE_ID);
    expect(e.correlationId).toBe(CORRELATION_ID);
  });

  it('reads the nested managed-identity error form', () => {
    const e = parseEntraBody(JSON.stringify({ error: { code: 'invalid_request', message: 'Identity not found' } }))!;
    expect(e.error).toBe('invalid_request');
    expect(e.codes).toEqual([]);
    expect(e.description).toBe('Identity not found');
  });

  it('returns undefined for HTML and for unrelated JSON', () => {
    expect(parseEntraBody('<html>502</html>')).toBeUndefined();
    expect(parseEntraBody('{"value":[]}')).toBeUndefined();
    expect(parseEntraBody(undefined)).toBeUndefined();
  });
});

describe('parseEntraText', () => {
  it('reads an MSAL error message', () => {
    const msg =
      `invalid_client: Error(s): 7000222 - Timestamp: 2026-11-26 10:00:00Z - Description: AADSTS7000222: The provided client secret keys for app '${'x'.repeat(8)}' are expired. - Correlation ID: ${CORRELATION_ID} - Trace ID: ${TRACE_ID}`;
    const e = parseEntraText(msg)!;
    expect(e.codes).toEqual([7000222]);
    expect(e.error).toBe('invalid_client');
    expect(e.correlationId).toBe(CORRELATION_ID);
    expect(e.traceId).toBe(TRACE_ID);
    expect(e.description).toMatch(/^AADSTS7000222: The provided client secret keys/);
  });

  it('reads Azure CLI stderr', () => {
    const stderr = `ERROR: AADSTS70043: The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on 2026-01-01 and the maximum allowed lifetime for this request is 43200.\nTrace ID: ${TRACE_ID}\nCorrelation ID: ${CORRELATION_ID}\nTimestamp: 2026-11-26 09:00:00Z\nInteractive authentication is needed. Please run:\naz login --scope https://management.core.windows.net//.default\n`;
    const e = parseEntraText(stderr)!;
    expect(e.codes).toEqual([70043]);
    expect(e.traceId).toBe(TRACE_ID);
    expect(e.description).toMatch(/^AADSTS70043: The refresh token has expired/);
  });

  it('finds nothing in text without AADSTS codes', () => {
    expect(parseEntraText("ERROR: Please run 'az login' to setup account.")).toBeUndefined();
  });

  it('collects several codes once each', () => {
    expect(aadstsCodesIn('AADSTS50076 then AADSTS50076 and AADSTS53003')).toEqual([50076, 53003]);
  });
});

describe('entraEvidence', () => {
  it('holds codes and ids, never the raw body', () => {
    const e = parseEntraBody(aadstsBody(53003, 'access_denied', 'Access has been blocked by Conditional Access policies.'))!;
    const ev = entraEvidence(e);
    expect(ev).toMatchObject({ aadsts: 'AADSTS53003', error: 'access_denied', traceId: TRACE_ID, correlationId: CORRELATION_ID });
    expect(JSON.stringify(ev)).not.toContain('error_description');
  });
});
