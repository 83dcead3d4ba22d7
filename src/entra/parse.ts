// Parsing Entra ID (AADSTS) errors out of the places they turn up: the token endpoint's JSON body,
// MSAL's error message, Azure CLI / azd / PowerShell stderr, and .NET exception text.

export interface EntraError {
  /** OAuth error, e.g. invalid_client. */
  error?: string;
  /** AADSTS codes, first one is the primary. */
  codes: number[];
  /** The human description without the trace/correlation/timestamp lines. */
  description?: string;
  traceId?: string;
  correlationId?: string;
  timestamp?: string;
  suberror?: string;
}

const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

function uniq(nums: number[]): number[] {
  return [...new Set(nums.filter((n) => Number.isFinite(n) && n > 0))];
}

/** AADSTS codes in free text ("AADSTS7000215:", "Error(s): 7000215 - ..."). */
export function aadstsCodesIn(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/AADSTS(\d{4,8})\b/g)) out.push(Number(m[1]));
  const list = /Error\(s\):\s*([\d,\s]+?)\s*-/.exec(text);
  if (list) for (const n of list[1]!.split(/[,\s]+/)) if (n) out.push(Number(n));
  return uniq(out);
}

function cleanDescription(desc: string): string {
  return desc
    .split(/\r?\n/)
    .filter((l) => !/^\s*(Trace ID|Correlation ID|Timestamp):/i.test(l))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function idsFromText(text: string): Pick<EntraError, 'traceId' | 'correlationId' | 'timestamp'> {
  const trace = new RegExp(`Trace ID:\\s*(${GUID})`, 'i').exec(text);
  const corr = new RegExp(`Correlation ID:\\s*(${GUID})`, 'i').exec(text);
  const ts = /Timestamp:\s*(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?)/i.exec(text);
  return {
    ...(trace ? { traceId: trace[1]!.toLowerCase() } : {}),
    ...(corr ? { correlationId: corr[1]!.toLowerCase() } : {}),
    ...(ts ? { timestamp: ts[1] } : {}),
  };
}

/** The token endpoint's error body (JSON), if it is one. */
export function parseEntraBody(body: string | undefined): EntraError | undefined {
  if (!body) return undefined;
  let j: unknown;
  try {
    j = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!j || typeof j !== 'object') return undefined;
  const o = j as Record<string, unknown>;
  // Managed identity endpoints nest it: {"error":{"code":..,"message":..}}.
  if (o.error && typeof o.error === 'object') {
    const e = o.error as Record<string, unknown>;
    const msg = typeof e.message === 'string' ? e.message : '';
    return {
      ...(typeof e.code === 'string' ? { error: e.code } : {}),
      codes: aadstsCodesIn(msg),
      ...(msg ? { description: cleanDescription(msg) } : {}),
      ...idsFromText(msg),
    };
  }
  if (typeof o.error !== 'string' && !Array.isArray(o.error_codes)) return undefined;
  const desc = typeof o.error_description === 'string' ? o.error_description : typeof o.message === 'string' ? o.message : '';
  const codes = uniq([...(Array.isArray(o.error_codes) ? o.error_codes.map(Number) : []), ...aadstsCodesIn(desc)]);
  const fromText = idsFromText(desc);
  return {
    ...(typeof o.error === 'string' ? { error: o.error } : {}),
    codes,
    ...(desc ? { description: cleanDescription(desc) } : {}),
    traceId: typeof o.trace_id === 'string' ? o.trace_id : fromText.traceId,
    correlationId: typeof o.correlation_id === 'string' ? o.correlation_id : fromText.correlationId,
    timestamp: typeof o.timestamp === 'string' ? o.timestamp : fromText.timestamp,
    ...(typeof o.suberror === 'string' ? { suberror: o.suberror } : {}),
  };
}

/** An Entra error inside free text (an exception message, a tool's stderr), if it names an AADSTS code. */
export function parseEntraText(text: string | undefined): EntraError | undefined {
  if (!text) return undefined;
  const codes = aadstsCodesIn(text);
  if (!codes.length) return undefined;
  const err = /\b(invalid_client|invalid_grant|invalid_request|unauthorized_client|interaction_required|invalid_scope|access_denied|temporarily_unavailable|consent_required|login_required)\b/.exec(
    text,
  );
  // The first "AADSTSnnn: ..." sentence is the description.
  const d = /AADSTS\d+:\s*([^\r\n]*?)(?=\s*(?:Trace ID:|Correlation ID:|Timestamp:| - Correlation ID| - Trace ID|\r?\n|$))/.exec(text);
  return {
    ...(err ? { error: err[1] } : {}),
    codes,
    ...(d && d[1] ? { description: `AADSTS${codes[0]}: ${d[1].trim()}` } : {}),
    ...idsFromText(text),
  };
}

/** Evidence fields for a finding (never the raw body). */
export function entraEvidence(e: EntraError): Record<string, string | number> {
  return {
    aadsts: e.codes.length ? `AADSTS${e.codes[0]}` : '',
    ...(e.codes.length > 1 ? { aadstsAll: e.codes.map((c) => `AADSTS${c}`).join(',') } : {}),
    ...(e.error ? { error: e.error } : {}),
    ...(e.traceId ? { traceId: e.traceId } : {}),
    ...(e.correlationId ? { correlationId: e.correlationId } : {}),
    ...(e.timestamp ? { timestamp: e.timestamp } : {}),
  };
}
