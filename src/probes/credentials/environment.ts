// EnvironmentCredential as .NET Azure.Identity builds it: tenant + client id, then a secret, or a user
// name and password, or a certificate path (that order). Partial and conflicting sets are reported;
// the certificate file is checked locally (exists, readable, format, password, validity, key match).

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { EvidenceValue, Finding } from '../../core/model.js';
import type { CredentialKind } from '../../entra/aadsts.js';
import { attemptSdkCredential, authorityFor } from './sdk-attempt.js';
import type { CredentialAttempt, Env, ProbeContext } from './types.js';

export type EnvironmentMode = 'secret' | 'username-password' | 'certificate' | 'none';

export interface EnvironmentAnalysis {
  mode: EnvironmentMode;
  kind?: CredentialKind;
  /** Azure.Identity variables that are set (names only). */
  present: string[];
  findings: Finding[];
  /** The user set something for this credential. */
  configured: boolean;
}

const VARS = [
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'AZURE_CLIENT_SEND_CERTIFICATE_CHAIN',
  'AZURE_USERNAME',
  'AZURE_PASSWORD',
] as const;

const set = (env: Env, k: string) => env[k] !== undefined && env[k] !== '';

function strayQuotesOrSpace(v: string): boolean {
  return v !== v.trim() || /^["']|["']$/.test(v);
}

/** Which EnvironmentCredential the server would build from these variables, and what is wrong with them. */
export function analyzeEnvironment(env: Env): EnvironmentAnalysis {
  const present = VARS.filter((k) => set(env, k));
  const findings: Finding[] = [];
  const tenant = set(env, 'AZURE_TENANT_ID');
  const client = set(env, 'AZURE_CLIENT_ID');
  const secret = set(env, 'AZURE_CLIENT_SECRET');
  const cert = set(env, 'AZURE_CLIENT_CERTIFICATE_PATH');
  const user = set(env, 'AZURE_USERNAME');
  const pass = set(env, 'AZURE_PASSWORD');
  const wantsEnv = secret || cert || user || pass;

  let mode: EnvironmentMode = 'none';
  if (tenant && client) {
    if (secret) mode = 'secret';
    else if (user && pass) mode = 'username-password';
    else if (cert) mode = 'certificate';
  }
  const kind: CredentialKind | undefined =
    mode === 'secret' ? 'client-secret' : mode === 'certificate' ? 'client-certificate' : mode === 'username-password' ? 'username-password' : undefined;

  if (mode === 'none' && wantsEnv) {
    const missing: string[] = [];
    if (!tenant) missing.push('AZURE_TENANT_ID');
    if (!client) missing.push('AZURE_CLIENT_ID');
    if (tenant && client) {
      // user or password alone
      if (user && !pass) missing.push('AZURE_PASSWORD');
      if (pass && !user) missing.push('AZURE_USERNAME');
    }
    findings.push({
      code: 'credential.env-incomplete',
      severity: 'error',
      message:
        `EnvironmentCredential is not configured: ${present.join(', ')} ${present.length === 1 ? 'is' : 'are'} set but ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing, ` +
        'so the server reports it "unavailable" and moves on to the next credential without saying why.',
      target: 'EnvironmentCredential',
      evidence: { set: present.join(','), missing: missing.join(',') },
      fix: {
        summary: `Set ${missing.join(' and ')} in the environment the MCP client starts the server with (the "env" block of its MCP configuration, or the shell profile).`,
        actor: 'user',
      },
    });
  } else if (mode === 'none' && tenant && client && !set(env, 'AZURE_FEDERATED_TOKEN_FILE') && !env.IDENTITY_ENDPOINT && !env.MSI_ENDPOINT) {
    findings.push({
      code: 'credential.env-incomplete',
      severity: 'warning',
      message:
        'AZURE_TENANT_ID and AZURE_CLIENT_ID are set, but neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH: EnvironmentCredential stays unavailable. ' +
        '(AZURE_CLIENT_ID alone is fine for a user-assigned managed identity.)',
      target: 'EnvironmentCredential',
      evidence: { set: present.join(','), missing: 'AZURE_CLIENT_SECRET|AZURE_CLIENT_CERTIFICATE_PATH' },
      fix: {
        summary: 'Add AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) for a service principal, or remove AZURE_TENANT_ID if you meant a managed identity.',
        actor: 'user',
      },
    });
  }

  // Conflicts: the server silently ignores the later set.
  const ignored: string[] = [];
  if (mode === 'secret' && cert) ignored.push('AZURE_CLIENT_CERTIFICATE_PATH');
  if (mode === 'secret' && (user || pass)) ignored.push('AZURE_USERNAME/AZURE_PASSWORD');
  if (mode === 'username-password' && cert) ignored.push('AZURE_CLIENT_CERTIFICATE_PATH');
  if (ignored.length) {
    findings.push({
      code: 'credential.env-invalid',
      severity: 'warning',
      message: `Conflicting EnvironmentCredential variables: the server uses the ${mode === 'secret' ? 'client secret' : 'user name and password'} and ignores ${ignored.join(' and ')}.`,
      target: 'EnvironmentCredential',
      evidence: { used: mode, ignored: ignored.join(',') },
      fix: { summary: `Remove ${ignored.join(' and ')} (or the ${mode === 'secret' ? 'secret' : 'user name and password'}) so only the credential you mean is set.`, actor: 'user' },
    });
  }
  if (set(env, 'AZURE_CLIENT_CERTIFICATE_PASSWORD') && !cert) {
    findings.push({
      code: 'credential.env-invalid',
      severity: 'warning',
      message: 'AZURE_CLIENT_CERTIFICATE_PASSWORD is set without AZURE_CLIENT_CERTIFICATE_PATH; it has no effect.',
      target: 'AZURE_CLIENT_CERTIFICATE_PASSWORD',
      evidence: { variable: 'AZURE_CLIENT_CERTIFICATE_PASSWORD' },
      fix: { summary: 'Set AZURE_CLIENT_CERTIFICATE_PATH to the certificate, or remove the password variable.', actor: 'user' },
    });
  }
  const chain = env.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN;
  if (chain !== undefined && chain !== '' && chain !== '1' && chain !== 'true') {
    findings.push({
      code: 'credential.env-invalid',
      severity: 'warning',
      message: `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN="${chain}" counts as false: the server's Azure.Identity accepts only "1" or "true" (subject name / issuer authentication stays off).`,
      target: 'AZURE_CLIENT_SEND_CERTIFICATE_CHAIN',
      evidence: { value: chain },
      fix: { summary: 'Use AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=true (lower case) or 1.', actor: 'user' },
    });
  }
  if (secret && strayQuotesOrSpace(env.AZURE_CLIENT_SECRET!)) {
    findings.push({
      code: 'credential.env-invalid',
      severity: 'warning',
      message:
        'AZURE_CLIENT_SECRET starts or ends with a quote or white space. The server sends it as is, so Entra will reject it unless those characters really are part of the secret (a common copy/paste or .env quoting mistake).',
      target: 'AZURE_CLIENT_SECRET',
      evidence: { variable: 'AZURE_CLIENT_SECRET', strayQuotesOrSpace: true },
      fix: { summary: 'Remove the surrounding quotes or spaces from the value (in .env files, write KEY=value without quotes).', actor: 'user' },
    });
  }
  if (mode === 'username-password') {
    findings.push({
      code: 'credential.env-invalid',
      severity: 'warning',
      message:
        'EnvironmentCredential is configured with AZURE_USERNAME and AZURE_PASSWORD. This flow is deprecated, cannot do multi-factor authentication and is blocked by most tenants (MFA is mandatory for Azure sign-ins).',
      target: 'EnvironmentCredential',
      evidence: { mode: 'username-password' },
      fix: { summary: 'Use a service principal (AZURE_CLIENT_SECRET or a certificate), a managed identity, or a developer tool sign-in instead.', actor: 'user' },
    });
  }
  return { mode, ...(kind ? { kind } : {}), present, findings, configured: wantsEnv };
}

export interface CertificateCheck {
  ok: boolean;
  format?: 'pem' | 'pfx';
  /** PEM with an unencrypted key the JS SDK can send. */
  pem?: string;
  findings: Finding[];
  facts: Record<string, EvidenceValue>;
}

function certProblem(message: string, evidence: Record<string, EvidenceValue>, fix: string, actor: 'user' | 'app-owner' = 'user'): Finding {
  return { code: 'credential.certificate-problem', severity: 'error', message, target: 'AZURE_CLIENT_CERTIFICATE_PATH', evidence, fix: { summary: fix, actor } };
}

function validityFindings(x: X509Certificate, path: string, now: number): Finding[] {
  const out: Finding[] = [];
  const from = Date.parse(x.validFrom);
  const to = Date.parse(x.validTo);
  if (Number.isFinite(to) && to < now) {
    out.push(
      certProblem(
        `The certificate in ${path} expired on ${new Date(to).toISOString()}; Entra rejects assertions signed with it.`,
        { path, notAfter: new Date(to).toISOString(), thumbprint: x.fingerprint.replace(/:/g, '') },
        'Create a new certificate, upload its public part to the app registration, and point AZURE_CLIENT_CERTIFICATE_PATH at it.',
        'app-owner',
      ),
    );
  } else if (Number.isFinite(from) && from > now + 5 * 60_000) {
    out.push(
      certProblem(
        `The certificate in ${path} is not valid before ${new Date(from).toISOString()} (or this machine's clock is behind).`,
        { path, notBefore: new Date(from).toISOString() },
        'Use a certificate that is valid now, or correct the clock.',
      ),
    );
  }
  return out;
}

/** Checks the certificate file locally. Never returns key material except an in-memory PEM for the SDK. */
export function checkCertificateFile(path: string, password: string | undefined, now = Date.now()): CertificateCheck {
  const facts: Record<string, EvidenceValue> = { certificatePath: path };
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
    return {
      ok: false,
      facts,
      findings: [
        certProblem(
          code === 'ENOENT' ? `AZURE_CLIENT_CERTIFICATE_PATH points at ${path}, which does not exist.` : `The certificate ${path} cannot be read (${code}).`,
          { path, error: code },
          code === 'ENOENT' ? 'Point AZURE_CLIENT_CERTIFICATE_PATH at the certificate file (an absolute path: the MCP client may start the server in another directory).' : 'Make the file readable by the user that runs the MCP client.',
        ),
      ],
    };
  }
  const text = buf.toString('utf8');
  if (text.includes('-----BEGIN')) {
    facts.format = 'PEM';
    const certMatch = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
    const keyMatch = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/.exec(text);
    if (!certMatch) {
      return { ok: false, format: 'pem', facts, findings: [certProblem(`${path} contains no certificate (no BEGIN CERTIFICATE block).`, { path, format: 'PEM' }, 'Use a PEM file with the certificate and its private key, or a PFX file.')] };
    }
    let x: X509Certificate;
    try {
      x = new X509Certificate(certMatch[0]);
    } catch {
      return { ok: false, format: 'pem', facts, findings: [certProblem(`The certificate in ${path} cannot be parsed.`, { path, format: 'PEM' }, 'Re-export the certificate as PEM.')] };
    }
    facts.thumbprint = x.fingerprint.replace(/:/g, '');
    facts.subject = x.subject.replace(/\n/g, ', ');
    facts.notAfter = new Date(x.validTo).toISOString();
    const findings = validityFindings(x, path, now);
    if (!keyMatch) {
      findings.push(
        certProblem(
          `${path} has a certificate but no private key. The server needs the key in the same file (PEM) or a PFX with the key.`,
          { path, format: 'PEM', privateKey: false },
          'Append the private key to the PEM file, or use a PFX (with AZURE_CLIENT_CERTIFICATE_PASSWORD when it is protected).',
        ),
      );
      return { ok: false, format: 'pem', facts, findings };
    }
    const encrypted = /ENCRYPTED/.test(keyMatch[1]!) || /Proc-Type:\s*4,ENCRYPTED/.test(keyMatch[0]);
    facts.encryptedKey = encrypted;
    if (encrypted) {
      // Measured (docs/server-behaviour-2.0.5.md): the server's .NET Azure.Identity cannot read a
      // password-protected PEM key, whatever AZURE_CLIENT_CERTIFICATE_PASSWORD says: "Password protection
      // for PEM encoded certificates is not supported." (CredentialUnavailableException). The password is
      // still tried here, to say whether it is the right one for the conversion.
      let decrypts = false;
      if (password) {
        try {
          decrypts = x.checkPrivateKey(createPrivateKey({ key: keyMatch[0], passphrase: password }));
        } catch {
          decrypts = false;
        }
      }
      findings.push(
        certProblem(
          `The private key in ${path} is a password-protected (encrypted) PEM key. The server's Azure.Identity cannot use it: it reports ` +
            '"Password protection for PEM encoded certificates is not supported" and EnvironmentCredential does not authenticate, ' +
            (password
              ? decrypts
                ? 'even though AZURE_CLIENT_CERTIFICATE_PASSWORD is the right password (it is only used for PFX files).'
                : 'and in any case AZURE_CLIENT_CERTIFICATE_PASSWORD does not decrypt this key.'
              : 'and AZURE_CLIENT_CERTIFICATE_PASSWORD is not set either.'),
          { path, format: 'PEM', encryptedKey: true, passwordSet: !!password, passwordDecrypts: decrypts },
          'Convert the certificate and key to a password-protected PFX (openssl pkcs12 -export -in cert.pem -inkey key.pem -out cert.pfx), point ' +
            'AZURE_CLIENT_CERTIFICATE_PATH at it and set AZURE_CLIENT_CERTIFICATE_PASSWORD to the key\'s password; or store the key unencrypted ' +
            '(openssl pkcs8 -topk8 -nocrypt) in a PEM file only you can read.',
        ),
      );
      return { ok: false, format: 'pem', facts, findings };
    }
    let key;
    try {
      key = createPrivateKey({ key: keyMatch[0] });
    } catch {
      findings.push(certProblem(`The private key in ${path} cannot be read.`, { path, format: 'PEM', encryptedKey: false }, 'Re-export the key as PEM.'));
      return { ok: false, format: 'pem', facts, findings };
    }
    if (!x.checkPrivateKey(key)) {
      findings.push(
        certProblem(
          `The private key in ${path} does not belong to the certificate in the same file.`,
          { path, format: 'PEM', thumbprint: String(facts.thumbprint) },
          'Put the certificate and its own private key in the file.',
        ),
      );
      return { ok: false, format: 'pem', facts, findings };
    }
    // A PEM the SDK can send: certificate + unencrypted PKCS#8 key, in memory only.
    const pem = `${certMatch[0]}\n${key.export({ type: 'pkcs8', format: 'pem' }).toString()}`;
    return { ok: !findings.some((f) => f.severity === 'error'), format: 'pem', pem, facts, findings };
  }
  // PFX / PKCS#12 (DER, starts with a SEQUENCE).
  facts.format = 'PFX';
  let ctx;
  try {
    ctx = createSecureContext({ pfx: buf, passphrase: password ?? '' });
  } catch (err) {
    const msg = String((err as Error).message);
    const badPassword = /mac verify|password|decrypt/i.test(msg);
    return {
      ok: false,
      format: 'pfx',
      facts,
      findings: [
        certProblem(
          badPassword
            ? `${path} is a PFX file and ${password ? 'AZURE_CLIENT_CERTIFICATE_PASSWORD is not its password' : 'it is password-protected, but AZURE_CLIENT_CERTIFICATE_PASSWORD is not set'}.`
            : `${path} is neither a PEM file nor a readable PFX file.`,
          { path, format: 'PFX', passwordSet: !!password, error: badPassword ? 'bad-password' : 'unreadable' },
          badPassword ? 'Set AZURE_CLIENT_CERTIFICATE_PASSWORD to the PFX password.' : 'Export the certificate with its private key as PEM or PFX.',
        ),
      ],
    };
  }
  const findings: Finding[] = [];
  try {
    const der = (ctx as unknown as { context?: { getCertificate?: () => Buffer | null } }).context?.getCertificate?.();
    if (der) {
      const x = new X509Certificate(der);
      facts.thumbprint = x.fingerprint.replace(/:/g, '');
      facts.subject = x.subject.replace(/\n/g, ', ');
      facts.notAfter = new Date(x.validTo).toISOString();
      findings.push(...validityFindings(x, path, now));
    }
  } catch {
    // validity unknown
  }
  return { ok: !findings.length, format: 'pfx', facts, findings };
}

export async function probeEnvironment(ctx: ProbeContext): Promise<CredentialAttempt> {
  const started = performance.now();
  const a = analyzeEnvironment(ctx.env);
  const authority = authorityFor('EnvironmentCredential', ctx);
  const facts: Record<string, EvidenceValue> = { variables: a.present.join(',') || '(none)', mode: a.mode };
  const base = { name: 'EnvironmentCredential' as const, configured: a.configured, findings: [...a.findings], facts };
  const elapsed = () => Math.round(performance.now() - started);
  if (a.mode === 'none') {
    return {
      ...base,
      state: 'unavailable',
      reason: a.configured ? 'environment variables are incomplete' : 'environment variables are not set (AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret or certificate)',
      durationMs: elapsed(),
    };
  }
  facts.authority = authority.url;
  facts.authoritySource = authority.source;
  const env = ctx.env;
  const tenantId = env.AZURE_TENANT_ID!;
  const clientId = env.AZURE_CLIENT_ID!;
  if (a.mode === 'certificate') {
    const cert = checkCertificateFile(env.AZURE_CLIENT_CERTIFICATE_PATH!, env.AZURE_CLIENT_CERTIFICATE_PASSWORD);
    Object.assign(facts, cert.facts);
    base.findings.push(...cert.findings);
    if (!cert.ok) {
      return { ...base, kind: 'client-certificate', state: 'failed', reason: cert.findings.find((f) => f.severity === 'error')?.message ?? 'certificate problem', durationMs: elapsed() };
    }
    if (!cert.pem) {
      return {
        ...base,
        kind: 'client-certificate',
        state: 'unknown',
        reason: 'the PFX certificate is readable and valid; the doctor\'s SDK cannot send a PFX, so the token request itself was not tried (the server can send it)',
        durationMs: elapsed(),
      };
    }
    const sendChain = env.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN === '1' || env.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN === 'true';
    const { ClientCertificateCredential } = await import('@azure/identity');
    const out = await attemptSdkCredential(
      ctx,
      'EnvironmentCredential',
      (o) => new ClientCertificateCredential(tenantId, clientId, { certificate: cert.pem! }, { ...o, sendCertificateChain: sendChain } as never),
      { kind: 'client-certificate' },
    );
    return { ...base, kind: 'client-certificate', ...out, durationMs: elapsed() };
  }
  if (a.mode === 'secret') {
    const { ClientSecretCredential } = await import('@azure/identity');
    const out = await attemptSdkCredential(ctx, 'EnvironmentCredential', (o) => new ClientSecretCredential(tenantId, clientId, env.AZURE_CLIENT_SECRET!, o as never), {
      kind: 'client-secret',
    });
    return { ...base, kind: 'client-secret', ...out, durationMs: elapsed() };
  }
  const { UsernamePasswordCredential } = await import('@azure/identity');
  const out = await attemptSdkCredential(
    ctx,
    'EnvironmentCredential',
    (o) => new UsernamePasswordCredential(tenantId, clientId, env.AZURE_USERNAME!, env.AZURE_PASSWORD!, o as never),
    { kind: 'username-password' },
  );
  return { ...base, kind: 'username-password', ...out, durationMs: elapsed() };
}
