// Clock skew from an HTTP Date header. Pure.

export const SKEW_WARN_SECONDS = 120;
export const SKEW_ERROR_SECONDS = 300;

export interface SkewSample {
  /** The Date header as received. */
  date: string;
  /** Local clock (ms since epoch) when the request was sent and when the headers arrived. */
  sentAt: number;
  receivedAt: number;
  source: string;
}

export interface SkewResult {
  /** Positive: the local clock is behind the server; negative: ahead. */
  skewSeconds: number;
  serverTime: string;
  localTime: string;
  source: string;
  severity?: 'warning' | 'error';
}

export function measureSkew(s: SkewSample): SkewResult | undefined {
  const server = Date.parse(s.date);
  if (Number.isNaN(server)) return undefined;
  // The server stamped Date somewhere between send and receive; the header has 1 s resolution.
  const local = (s.sentAt + s.receivedAt) / 2;
  const raw = (server - local) / 1000;
  // Within the header's resolution plus the round trip there is no measurable skew.
  const slack = 1 + (s.receivedAt - s.sentAt) / 2000;
  const skew = Math.abs(raw) <= slack ? 0 : Math.round(raw);
  const abs = Math.abs(skew);
  return {
    skewSeconds: skew,
    serverTime: new Date(server).toISOString(),
    localTime: new Date(local).toISOString(),
    source: s.source,
    severity: abs > SKEW_ERROR_SECONDS ? 'error' : abs > SKEW_WARN_SECONDS ? 'warning' : undefined,
  };
}

/** The sample to trust when several endpoints answered: the median skew (one bad proxy cannot decide). */
export function combineSkews(results: SkewResult[]): SkewResult | undefined {
  if (!results.length) return undefined;
  const sorted = [...results].sort((a, b) => a.skewSeconds - b.skewSeconds);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  // Report the first source (callers pass the authority first) that agrees with the median.
  return results.find((r) => Math.abs(r.skewSeconds - median.skewSeconds) <= 2) ?? median;
}
