// The one redaction module every output path goes through (stdout, stderr, --output file, --verbose
// log, error messages). Secrets are always removed; identities (GUIDs, e-mail/UPNs) only with --redact.

type Env = Readonly<Record<string, string | undefined>>;

/** Variables whose values are secret by definition. */
const SECRET_VARIABLES = [
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'AZURE_PASSWORD',
  'IDENTITY_HEADER',
  'MSI_SECRET',
  'SYSTEM_ACCESSTOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'AZURE_DEVOPS_EXT_PAT',
  'ARM_CLIENT_SECRET',
  'ARM_ACCESS_KEY',
  'AZURE_STORAGE_KEY',
  'AZURE_STORAGE_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  // JSON with a client secret (read only by the long-removed az extension tool).
  'AZURE_CREDENTIALS',
];

/** Names that look secret by pattern but hold none (a credential name, a path...). */
const NOT_SECRET = new Set([
  'AZURE_TOKEN_CREDENTIALS',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_MCP_AUTHENTICATION_RECORD',
]);

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|_KEY$|ACCESS_KEY|CONNECTION_STRING|_PAT$)/i;
const PROXY_VARIABLE = /^(https?|all|no|ftp)_proxy$/i;

export const REDACTED = '[REDACTED]';

interface Rule {
  re: RegExp;
  replace: string | ((...m: string[]) => string);
}

// Order matters: structured forms first, so that a bare-value rule cannot eat their delimiters.
const SECRET_PATTERNS: Rule[] = [
  // JWTs (access, id and federated tokens): header.payload.signature, base64url.
  { re: /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, replace: '[REDACTED:jwt]' },
  // Authorization headers.
  { re: /\b(Bearer|Basic|Negotiate|NTLM)\s+[A-Za-z0-9+/=._~-]{8,}/g, replace: (_m, s) => `${s} ${REDACTED}` },
  // Passwords in URLs: scheme://user:password@host
  { re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]*):([^\s@/]+)@/gi, replace: (_m, s, u) => `${s}${u}:${REDACTED}@` },
  // JSON members that carry secrets.
  {
    re: /"(client_secret|clientSecret|password|accessToken|access_token|refresh_token|refreshToken|id_token|token|client_assertion|secret|Token)"\s*:\s*"[^"]*"/g,
    replace: (_m, k) => `"${k}":"${REDACTED}"`,
  },
  // form/query/connection-string members that carry secrets.
  {
    re: /\b(client_secret|client_assertion|password|pwd|access_token|refresh_token|sig|AccountKey|SharedAccessKey|SharedAccessSignature|secret)=([^&\s;"',]+)/gi,
    replace: (_m, k) => `${k}=${REDACTED}`,
  },
];

const GUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const EMAIL = /\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b/g;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The password in a proxy URL, if it has one. */
export function urlPassword(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const u = new URL(value.includes('://') ? value : `http://${value}`);
    return u.password ? decodeURIComponent(u.password) : undefined;
  } catch {
    const m = /:\/\/[^:@/]*:([^@/]+)@/.exec(value);
    return m?.[1];
  }
}

export class Redactor {
  private readonly secrets = new Set<string>();
  private literal: RegExp | undefined;

  constructor(env: Env = {}, readonly identities = false) {
    for (const [name, value] of Object.entries(env)) {
      if (!value) continue;
      if (SECRET_VARIABLES.includes(name.toUpperCase())) this.addSecret(value);
      else if (PROXY_VARIABLE.test(name)) this.addSecret(urlPassword(value));
      else if (SECRET_NAME.test(name) && !NOT_SECRET.has(name.toUpperCase())) this.addSecret(value);
    }
  }

  /** Registers a value that must never be printed (and its URL-encoded and base64 forms). */
  addSecret(value: string | undefined): void {
    if (!value || value.length < 4) return; // too short to be a secret; would mangle ordinary words
    const forms = [value, encodeURIComponent(value), Buffer.from(value).toString('base64')];
    for (const f of forms) if (f.length >= 4) this.secrets.add(f);
    this.literal = undefined;
  }

  redact(text: string): string {
    if (!text) return text;
    let out = text;
    if (this.secrets.size) {
      this.literal ??= new RegExp(
        [...this.secrets].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'),
        'g',
      );
      out = out.replace(this.literal, REDACTED);
    }
    for (const rule of SECRET_PATTERNS) out = out.replace(rule.re, rule.replace as never);
    if (this.identities) {
      out = out.replace(GUID, (g) => `********-****-****-****-********${g.slice(-4)}`);
      out = out.replace(EMAIL, (_m, first, domain) => `${first}***@${domain}`);
    }
    return out;
  }

  /** Redacts every string inside a JSON-like value (used before handing data to a renderer). */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactDeep(v);
      return out as T;
    }
    return value;
  }
}

/** True when a variable's value may be shown (used by the environment check's table). */
export function isSecretVariable(name: string): boolean {
  const n = name.toUpperCase();
  if (NOT_SECRET.has(n)) return false;
  return SECRET_VARIABLES.includes(n) || SECRET_NAME.test(n);
}

/** A proxy URL with its password replaced, for display. */
export function maskUrlPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?([^\s:@/]*):([^\s@/]+)@/i, (_m, s = '', u) => `${s}${u}:${REDACTED}@`);
}
