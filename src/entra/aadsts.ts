// The AADSTS catalog: Entra ID error codes -> the doctor's entra.* finding codes, with a fix written for
// the credential that hit the error and the person who must act. Sources: Microsoft's AADSTS reference
// (login.microsoftonline.com/error?code=N) as summarised in reference/peer-doctors-and-aadsts-catalog.md §6.

import type { Actor, Fix } from '../core/model.js';

/** What kind of credential met the error: it decides the fix (never "az login" for an expired app secret). */
export type CredentialKind =
  | 'client-secret'
  | 'client-certificate'
  | 'username-password'
  | 'workload-identity'
  | 'managed-identity'
  | 'azure-cli'
  | 'azure-powershell'
  | 'azure-developer-cli'
  | 'visual-studio'
  | 'visual-studio-code'
  | 'interactive';

export type EntraFamily =
  | 'entra.invalid-client-secret'
  | 'entra.expired-client-secret'
  | 'entra.invalid-client-assertion'
  | 'entra.application-not-found'
  | 'entra.application-disabled'
  | 'entra.tenant-not-found'
  | 'entra.wrong-cloud'
  | 'entra.mfa-required'
  | 'entra.conditional-access'
  | 'entra.reauthentication-required'
  | 'entra.federated-identity-mismatch'
  | 'entra.assertion-time-invalid'
  | 'entra.personal-account'
  | 'entra.consent-required'
  | 'entra.account-problem'
  | 'entra.tenant-restricted'
  | 'entra.invalid-request'
  | 'entra.temporary-failure'
  | 'entra.unknown-error';

export const ENTRA_FAMILIES: readonly EntraFamily[] = [
  'entra.invalid-client-secret',
  'entra.expired-client-secret',
  'entra.invalid-client-assertion',
  'entra.application-not-found',
  'entra.application-disabled',
  'entra.tenant-not-found',
  'entra.wrong-cloud',
  'entra.mfa-required',
  'entra.conditional-access',
  'entra.reauthentication-required',
  'entra.federated-identity-mismatch',
  'entra.assertion-time-invalid',
  'entra.personal-account',
  'entra.consent-required',
  'entra.account-problem',
  'entra.tenant-restricted',
  'entra.invalid-request',
  'entra.temporary-failure',
  'entra.unknown-error',
];

/** Facts that make a fix concrete. None of them is secret. */
export interface FixFacts {
  tenantId?: string;
  clientId?: string;
  /** Server cloud name (AzureCloud, AzureChinaCloud, AzureUSGovernment). */
  cloudName?: string;
  /** ARM audience, e.g. https://management.azure.com */
  armAudience?: string;
  /** Claims of the federated token (workload identity). */
  tokenIssuer?: string;
  tokenSubject?: string;
  tokenAudience?: string;
  correlationId?: string;
}

interface Entry {
  family: EntraFamily;
  meaning: string;
  /** A code-specific fix; otherwise the family's fix for the credential kind. */
  fix?: (k: CredentialKind, f: FixFacts) => Fix;
}

const ERROR_DOC = (code: number) => `https://login.microsoftonline.com/error?code=${code}`;
const CODES_DOC = 'https://learn.microsoft.com/entra/identity-platform/reference-error-codes';

const USER_KINDS: ReadonlySet<CredentialKind> = new Set([
  'azure-cli',
  'azure-powershell',
  'azure-developer-cli',
  'visual-studio',
  'visual-studio-code',
  'interactive',
  'username-password',
]);

export function isUserCredentialKind(k: CredentialKind): boolean {
  return USER_KINDS.has(k);
}

const TOOL_NAME: Record<CredentialKind, string> = {
  'client-secret': 'EnvironmentCredential (client secret)',
  'client-certificate': 'EnvironmentCredential (client certificate)',
  'username-password': 'EnvironmentCredential (user name and password)',
  'workload-identity': 'WorkloadIdentityCredential',
  'managed-identity': 'ManagedIdentityCredential',
  'azure-cli': 'the Azure CLI',
  'azure-powershell': 'Azure PowerShell',
  'azure-developer-cli': 'the Azure Developer CLI',
  'visual-studio': 'Visual Studio',
  'visual-studio-code': 'VS Code',
  interactive: 'the interactive sign-in',
};

function app(f: FixFacts): string {
  return f.clientId ? `app ${f.clientId}` : 'the app registration (AZURE_CLIENT_ID)';
}

/** The command a person runs to sign in again with the tool behind a user credential. */
export function signInCommands(k: CredentialKind, f: FixFacts, opts: { scope?: boolean } = {}): string[] {
  const t = f.tenantId;
  const scope = opts.scope && f.armAudience ? ` --scope ${f.armAudience.replace(/\/+$/, '')}/.default` : '';
  switch (k) {
    case 'azure-cli':
      return [`az login${t ? ` --tenant ${t}` : ''}${scope}`];
    case 'azure-powershell':
      return [`Connect-AzAccount${t ? ` -Tenant ${t}` : ''}`];
    case 'azure-developer-cli':
      return [`azd auth login${t ? ` --tenant-id ${t}` : ''}${scope}`];
    default:
      return [];
  }
}

function signInSummary(k: CredentialKind): string {
  switch (k) {
    case 'azure-cli':
      return 'Sign in to the Azure CLI again, interactively, as the account the server should use';
    case 'azure-powershell':
      return 'Sign in to Azure PowerShell again (Connect-AzAccount)';
    case 'azure-developer-cli':
      return 'Sign in to the Azure Developer CLI again (azd auth login)';
    case 'visual-studio-code':
      return 'In VS Code run "Azure: Sign Out" and then "Azure: Sign In" (Azure Resources extension)';
    case 'visual-studio':
      return 'In Visual Studio open Tools > Options > Azure Service Authentication and re-enter the account\'s credentials';
    case 'interactive':
      return 'Complete the browser sign-in when the server opens it, or sign in to a developer tool (az login) the chain tries first';
    case 'username-password':
      return 'User name and password sign-in cannot satisfy interactive requirements; switch to a service principal or a developer tool sign-in';
    default:
      return 'Sign in again';
  }
}

function userFix(k: CredentialKind, f: FixFacts, extra: string, opts: { scope?: boolean; actor?: Actor } = {}): Fix {
  return {
    summary: `${signInSummary(k)}. ${extra}`.trim(),
    actor: opts.actor ?? 'user',
    ...(signInCommands(k, f, opts).length ? { commands: signInCommands(k, f, opts) } : {}),
  };
}

// ---- family fixes -------------------------------------------------------------------------------

const FAMILY_FIX: Record<EntraFamily, (k: CredentialKind, f: FixFacts, code: number) => Fix> = {
  'entra.invalid-client-secret': (k, f) => {
    if (k === 'client-secret') {
      return {
        summary:
          `Entra rejected AZURE_CLIENT_SECRET for ${app(f)}. Put the secret's Value (not its Secret ID) into AZURE_CLIENT_SECRET where the MCP client starts the server; ` +
          'if nobody has the value any more, the app owner creates a new secret.',
        actor: 'app-owner',
        commands: [`az ad app credential reset --id ${f.clientId ?? '<client-id>'} --append --display-name azmcp`],
      };
    }
    if (k === 'azure-cli' || k === 'azure-powershell' || k === 'azure-developer-cli') {
      return {
        summary: `${TOOL_NAME[k]} is signed in as a service principal whose secret Entra rejects. Get the current secret value from the app owner and sign the tool in again as that service principal.`,
        actor: 'app-owner',
        commands:
          k === 'azure-cli'
            ? [`az login --service-principal --username ${f.clientId ?? '<app-id>'} --tenant ${f.tenantId ?? '<tenant-id>'} --password <secret value>`]
            : [],
      };
    }
    return { summary: `The app's client secret is wrong; the app owner checks which secret ${TOOL_NAME[k]} sends.`, actor: 'app-owner' };
  },
  'entra.expired-client-secret': (k, f) => {
    const where = k === 'client-secret' ? 'the new value goes into AZURE_CLIENT_SECRET where the MCP client starts the server' : `${TOOL_NAME[k]} is signed in again as the service principal with the new secret`;
    return {
      summary:
        `The client secret of ${app(f)} has expired. Signing in again with the same secret will not help: the app owner creates a new secret ` +
        `(better: a certificate or a federated credential), and ${where}.`,
      actor: 'app-owner',
      commands: [`az ad app credential reset --id ${f.clientId ?? '<client-id>'} --append --display-name azmcp --years 1`],
    };
  },
  'entra.invalid-client-assertion': (k, f) => {
    if (k === 'client-certificate') {
      return {
        summary:
          `Entra does not accept the certificate in AZURE_CLIENT_CERTIFICATE_PATH for ${app(f)}: it is not (or no longer) registered on the app. ` +
          'The app owner uploads this certificate\'s public part (Certificates & secrets), or you point the variable at the registered certificate.',
        actor: 'app-owner',
        commands: [`az ad app credential reset --id ${f.clientId ?? '<client-id>'} --append --cert @<certificate.pem>`],
      };
    }
    if (k === 'workload-identity') {
      return {
        summary: `Entra could not validate the federated token as a client assertion for ${app(f)}. Check that AZURE_FEDERATED_TOKEN_FILE holds the token your platform projects (not another file) and that AZURE_CLIENT_ID is the app that trusts it.`,
        actor: 'app-owner',
      };
    }
    return { summary: `The client assertion sent by ${TOOL_NAME[k]} is not valid for ${app(f)}; the app owner checks the registered certificates.`, actor: 'app-owner' };
  },
  'entra.application-not-found': (k, f) => {
    if (k === 'managed-identity') {
      return {
        summary: `No managed identity with client id ${f.clientId ?? '(AZURE_CLIENT_ID)'} is known here. Set AZURE_CLIENT_ID to the client id of a user-assigned identity attached to this resource, or unset it for the system-assigned identity.`,
        actor: 'resource-admin',
      };
    }
    if (isUserCredentialKind(k)) {
      return userFix(k, f, 'The tenant this sign-in targets does not know the client application; sign in to the tenant your resources are in.');
    }
    return {
      summary:
        `Tenant ${f.tenantId ?? '(AZURE_TENANT_ID)'} has no application with client id ${f.clientId ?? '(AZURE_CLIENT_ID)'}. Check that AZURE_CLIENT_ID and AZURE_TENANT_ID belong together and to the server's cloud` +
        `${f.cloudName ? ` (${f.cloudName})` : ''}; a multi-tenant app needs a service principal in this tenant (admin consent).`,
      actor: 'app-owner',
    };
  },
  'entra.application-disabled': (_k, f) => ({
    summary: `${app(f)} (or its service principal) is disabled in this tenant. A tenant admin re-enables it in Enterprise applications, or you use another identity.`,
    actor: 'tenant-admin',
  }),
  'entra.tenant-not-found': (k, f) => {
    if (isUserCredentialKind(k)) {
      return userFix(k, { ...f, tenantId: undefined }, `Use a tenant id (GUID) or domain that exists in ${f.cloudName ?? 'this cloud'}.`);
    }
    return {
      summary: `AZURE_TENANT_ID${f.tenantId ? `=${f.tenantId}` : ''} is not a tenant in ${f.cloudName ?? 'the cloud the server uses'}. Use the Directory (tenant) ID from the app registration's overview page; if the tenant is in a national cloud, set AZURE_CLOUD (and AZURE_AUTHORITY_HOST for EnvironmentCredential).`,
      actor: 'user',
    };
  },
  'entra.wrong-cloud': (k, f) => {
    const base = `The tenant belongs to a different national cloud than the one this sign-in used${f.cloudName ? ` (the server uses ${f.cloudName})` : ''}.`;
    if (k === 'azure-cli') {
      return {
        summary: `${base} Start the server with AZURE_CLOUD set to the tenant's cloud, and switch the Azure CLI to the same cloud before signing in.`,
        actor: 'user',
        commands: ['az cloud set --name <AzureChinaCloud|AzureUSGovernment|AzureCloud>', 'az login'],
      };
    }
    return {
      summary: `${base} Set AZURE_CLOUD (AzureCloud, AzureChinaCloud, AzureUSGovernment) where the MCP client starts the server; EnvironmentCredential also needs AZURE_AUTHORITY_HOST for that cloud.`,
      actor: 'user',
    };
  },
  'entra.mfa-required': (k, f, code) => {
    if (isUserCredentialKind(k) && k !== 'username-password') {
      return userFix(
        k,
        f,
        code === 50079 || code === 50072
          ? 'The account must register for multi-factor authentication first (https://aka.ms/mfasetup), then sign in again.'
          : 'The cached sign-in lacks multi-factor authentication for this resource; an interactive sign-in with MFA refreshes it.',
        { scope: true },
      );
    }
    return {
      summary: `${TOOL_NAME[k]} cannot do multi-factor authentication. Use a service principal or managed identity for unattended use, or a developer tool sign-in (az login) for a person.`,
      actor: 'user',
    };
  },
  'entra.conditional-access': (k, f) => ({
    summary:
      `A Conditional Access policy blocked this sign-in${isUserCredentialKind(k) ? '' : ` of ${app(f)}`}. Only an identity admin can see which policy and why: ` +
      `send them the correlation id${f.correlationId ? ` ${f.correlationId}` : ''} and the time, and ask for an exclusion or the compliant path (managed device, trusted network).`,
    actor: 'tenant-admin',
  }),
  'entra.reauthentication-required': (k, f) => {
    if (isUserCredentialKind(k)) {
      return userFix(k, f, 'The cached sign-in (refresh token) expired or was revoked, so the tool cannot get tokens silently any more.');
    }
    return { summary: `${TOOL_NAME[k]} was asked to sign in again, which an app identity cannot do; check the app's credential.`, actor: 'app-owner' };
  },
  'entra.federated-identity-mismatch': (k, f) => {
    const params =
      f.tokenIssuer || f.tokenSubject
        ? ` The token file says issuer "${f.tokenIssuer ?? '?'}", subject "${f.tokenSubject ?? '?'}", audience "${f.tokenAudience ?? 'api://AzureADTokenExchange'}"; a federated credential must match all three exactly (the subject is case-sensitive).`
        : '';
    return {
      summary: `No federated identity credential on ${app(f)} matches the token ${k === 'workload-identity' ? 'in AZURE_FEDERATED_TOKEN_FILE' : 'presented'}.${params} The app owner adds or fixes the federated credential.`,
      actor: 'app-owner',
      commands: [
        `az ad app federated-credential create --id ${f.clientId ?? '<client-id>'} --parameters '{"name":"azmcp","issuer":"${f.tokenIssuer ?? '<issuer>'}","subject":"${f.tokenSubject ?? '<subject>'}","audiences":["${f.tokenAudience ?? 'api://AzureADTokenExchange'}"]}'`,
      ],
    };
  },
  'entra.assertion-time-invalid': (k) => ({
    summary:
      k === 'workload-identity'
        ? 'The federated token in AZURE_FEDERATED_TOKEN_FILE is outside its validity window: it expired (the platform did not refresh the file, or it was copied once) or this machine\'s clock is off. Use the projected token file your platform keeps fresh, and check the clock (see clock.skew).'
        : 'The client assertion is outside its validity window, which usually means this machine\'s clock is wrong. Synchronise the clock (see clock.skew).',
    actor: 'user',
  }),
  'entra.personal-account': (k, f) => ({
    summary: `A personal Microsoft account (outlook.com, hotmail.com, live.com) cannot be used for Azure resources this way. Sign ${TOOL_NAME[k]} in with a work or school account of the tenant that holds your resources, or create a tenant and use an account in it.`,
    actor: 'user',
    ...(signInCommands(k, f).length ? { commands: signInCommands(k, f) } : {}),
  }),
  'entra.consent-required': (_k, f) => ({
    summary: `The tenant has not consented to (or assigned you to) the application this sign-in uses${f.clientId ? ` (${f.clientId})` : ''}. A tenant admin grants admin consent or the user assignment.`,
    actor: 'tenant-admin',
  }),
  'entra.account-problem': (k) => ({
    summary: isUserCredentialKind(k)
      ? 'The user account cannot sign in (not in this tenant, disabled, locked, or its password expired). Fix the account (or sign in as another one); a tenant admin can see the reason in the sign-in logs.'
      : 'The account used cannot sign in; a tenant admin can see the reason in the sign-in logs.',
    actor: isUserCredentialKind(k) ? 'user' : 'tenant-admin',
  }),
  'entra.tenant-restricted': () => ({
    summary:
      'A tenant-restriction or cross-tenant access policy blocks sign-in to this tenant (often inserted by the corporate proxy). The network/identity admins add the tenant to the allowed list.',
    actor: 'network-admin',
  }),
  'entra.invalid-request': (k) => ({
    summary: `Entra rejected the request as malformed or not allowed for this app (${TOOL_NAME[k]}). If a proxy rewrites traffic to Entra, exempt it; otherwise report it with the trace and correlation ids.`,
    actor: 'app-owner',
  }),
  'entra.temporary-failure': () => ({
    summary: 'Entra throttled the request or was briefly unavailable. Retry in a minute; if it persists, something is requesting tokens in a loop.',
    actor: 'user',
  }),
  'entra.unknown-error': (k) => ({
    summary: `Look the AADSTS code up (link below) and act on it; when asking for help, include the trace and correlation ids. Credential: ${TOOL_NAME[k]}.`,
    actor: 'user',
  }),
};

// ---- the catalog --------------------------------------------------------------------------------

const C: Record<number, Entry> = {
  // secrets and assertions
  7000215: { family: 'entra.invalid-client-secret', meaning: 'Invalid client secret provided.' },
  70002: { family: 'entra.invalid-client-secret', meaning: 'Error validating the client credentials (the secret does not match).' },
  7000222: { family: 'entra.expired-client-secret', meaning: 'The client secret has expired.' },
  700027: { family: 'entra.invalid-client-assertion', meaning: 'The client assertion failed signature validation (certificate not registered on the app).' },
  700021: { family: 'entra.invalid-client-assertion', meaning: 'The client assertion\'s application id does not match the client_id.' },
  700023: { family: 'entra.invalid-client-assertion', meaning: 'The client assertion\'s audience does not match the token endpoint.' },
  50012: { family: 'entra.invalid-client-assertion', meaning: 'Authentication failed: the client assertion or its signature is invalid.' },
  50013: { family: 'entra.invalid-client-assertion', meaning: 'The assertion failed signature validation.' },
  50027: { family: 'entra.invalid-client-assertion', meaning: 'Invalid JWT token (malformed, bad claims, issuer or audience).' },
  // applications
  700016: { family: 'entra.application-not-found', meaning: 'The application (client id) was not found in the directory (tenant).' },
  7000112: { family: 'entra.application-disabled', meaning: 'The application is disabled.' },
  70001: { family: 'entra.application-disabled', meaning: 'The application is disabled or not found in the tenant (unauthorized client).' },
  // tenants and clouds
  90002: { family: 'entra.tenant-not-found', meaning: 'The tenant was not found (wrong id or domain, or a tenant of another cloud).' },
  900023: { family: 'entra.tenant-not-found', meaning: 'The tenant identifier is neither a valid GUID nor a valid domain name.' },
  90019: { family: 'entra.tenant-not-found', meaning: 'No tenant-identifying information was found in the request.' },
  50059: { family: 'entra.tenant-not-found', meaning: 'No tenant-identifying information was found in the request or in the credentials.' },
  50128: { family: 'entra.tenant-not-found', meaning: 'Invalid domain name: no tenant-identifying information.' },
  90038: { family: 'entra.wrong-cloud', meaning: 'The tenant belongs to another national cloud.' },
  90051: { family: 'entra.wrong-cloud', meaning: 'Invalid national cloud id.' },
  50049: { family: 'entra.wrong-cloud', meaning: 'Unknown or invalid authority instance.' },
  900432: { family: 'entra.wrong-cloud', meaning: 'A confidential client is not supported in a cross-cloud request.' },
  // MFA
  50076: { family: 'entra.mfa-required', meaning: 'Multi-factor authentication is required (policy change, new location, or a resource that demands it).' },
  50079: { family: 'entra.mfa-required', meaning: 'The user must register for multi-factor authentication.' },
  50072: { family: 'entra.mfa-required', meaning: 'The user must enrol for a second authentication factor.' },
  50074: { family: 'entra.mfa-required', meaning: 'Strong authentication is required and was not completed.' },
  50078: { family: 'entra.mfa-required', meaning: 'The multi-factor authentication presented has expired.' },
  50158: { family: 'entra.mfa-required', meaning: 'An external security challenge was not satisfied.' },
  // Conditional Access and device state
  53000: { family: 'entra.conditional-access', meaning: 'Conditional Access requires a compliant device.' },
  53001: { family: 'entra.conditional-access', meaning: 'Conditional Access requires a domain-joined device.' },
  53002: { family: 'entra.conditional-access', meaning: 'The application is not an approved client app for Conditional Access.' },
  53003: { family: 'entra.conditional-access', meaning: 'Access has been blocked by Conditional Access policies.' },
  53004: { family: 'entra.conditional-access', meaning: 'The user must complete MFA registration but is blocked because of risk.' },
  53011: { family: 'entra.conditional-access', meaning: 'The user is blocked because of risk in their home tenant.' },
  530003: { family: 'entra.conditional-access', meaning: 'The device must be managed to access this resource.' },
  530032: { family: 'entra.conditional-access', meaning: 'Blocked by a security policy.' },
  530035: { family: 'entra.conditional-access', meaning: 'Blocked by security defaults (legacy or unsafe sign-in).' },
  50097: { family: 'entra.conditional-access', meaning: 'Device authentication is required.' },
  50131: { family: 'entra.conditional-access', meaning: 'Conditional Access failed (the device is not in the required state).' },
  50155: { family: 'entra.conditional-access', meaning: 'Device authentication failed.' },
  // stale sign-ins
  50173: { family: 'entra.reauthentication-required', meaning: 'The grant was revoked (password change or token revocation).' },
  700082: { family: 'entra.reauthentication-required', meaning: 'The refresh token has expired due to inactivity.' },
  70043: { family: 'entra.reauthentication-required', meaning: 'The refresh token expired because of a Conditional Access sign-in frequency check.' },
  70044: { family: 'entra.reauthentication-required', meaning: 'The session expired because of a sign-in frequency check.' },
  70008: { family: 'entra.reauthentication-required', meaning: 'The refresh token or authorization code has expired or was revoked.' },
  50058: { family: 'entra.reauthentication-required', meaning: 'No signed-in session was found for a silent sign-in.' },
  50132: { family: 'entra.reauthentication-required', meaning: 'The session is not valid because the password expired or was changed.' },
  50133: { family: 'entra.reauthentication-required', meaning: 'The session is not valid because of a recent password change.' },
  50089: { family: 'entra.reauthentication-required', meaning: 'The authentication flow token expired.' },
  16001: { family: 'entra.reauthentication-required', meaning: 'The selected account is not valid for this request.' },
  // workload identity federation
  70021: { family: 'entra.federated-identity-mismatch', meaning: 'No federated identity credential matches the presented assertion (issuer, subject, audience).' },
  700211: { family: 'entra.federated-identity-mismatch', meaning: 'No federated identity credential matches the assertion\'s issuer.' },
  700212: { family: 'entra.federated-identity-mismatch', meaning: 'No federated identity credential matches the assertion\'s audience.' },
  700213: { family: 'entra.federated-identity-mismatch', meaning: 'No federated identity credential matches the assertion\'s subject.' },
  700223: {
    family: 'entra.federated-identity-mismatch',
    meaning: 'Workload identity federation is constrained or disabled for this issuer in the tenant.',
    fix: () => ({ summary: 'The tenant restricts workload identity federation for this issuer. A tenant admin allows the issuer, or the app uses another credential.', actor: 'tenant-admin' }),
  },
  70025: { family: 'entra.federated-identity-mismatch', meaning: 'The application has no federated identity credentials configured.' },
  700229: { family: 'entra.federated-identity-mismatch', meaning: 'Only app-only tokens from Entra can be used as a federated credential for an Entra issuer.' },
  // time
  700024: { family: 'entra.assertion-time-invalid', meaning: 'The client assertion is not within its valid time range.' },
  500133: { family: 'entra.assertion-time-invalid', meaning: 'The assertion is not within its valid time range.' },
  // personal accounts
  500200: { family: 'entra.personal-account', meaning: 'A personal Microsoft account cannot be used for this application.' },
  // consent and assignment
  65001: { family: 'entra.consent-required', meaning: 'The user or administrator has not consented to use the application.' },
  65002: { family: 'entra.consent-required', meaning: 'A first-party application must be pre-authorised for this API.' },
  65004: { family: 'entra.consent-required', meaning: 'The user declined to consent.' },
  90094: { family: 'entra.consent-required', meaning: 'Administrator consent is required.' },
  650057: { family: 'entra.consent-required', meaning: 'The resource is not in the application\'s requested permissions.' },
  650052: { family: 'entra.consent-required', meaning: 'The application needs access to a service the organisation has not subscribed to or enabled.' },
  50105: { family: 'entra.consent-required', meaning: 'The signed-in user is not assigned to a role for the application (assignment required).' },
  // accounts
  50034: { family: 'entra.account-problem', meaning: 'The user account does not exist in the directory.' },
  50126: { family: 'entra.account-problem', meaning: 'Invalid user name or password.' },
  50053: { family: 'entra.account-problem', meaning: 'The account is locked, or sign-in was blocked from a malicious IP address.' },
  50055: { family: 'entra.account-problem', meaning: 'The password has expired.' },
  50144: { family: 'entra.account-problem', meaning: 'The on-premises password has expired.' },
  50057: { family: 'entra.account-problem', meaning: 'The user account is disabled.' },
  50135: { family: 'entra.account-problem', meaning: 'A password change is required because of account risk.' },
  16000: { family: 'entra.account-problem', meaning: 'The user account does not exist in the tenant (often a personal account without a directory).' },
  50020: { family: 'entra.account-problem', meaning: 'The user account from another identity provider does not exist in the tenant (for example a personal or guest account not invited).' },
  90072: { family: 'entra.account-problem', meaning: 'The external user account does not exist in the tenant.' },
  500341: { family: 'entra.account-problem', meaning: 'The user account has been deleted.' },
  // tenant restrictions and cross-tenant access
  500021: { family: 'entra.tenant-restricted', meaning: 'Access to the tenant is denied by tenant restrictions (usually a proxy-inserted header).' },
  500022: { family: 'entra.tenant-restricted', meaning: 'Access is blocked by a tenant-restrictions policy.' },
  500212: { family: 'entra.tenant-restricted', meaning: 'The home tenant\'s cross-tenant access policy blocks outbound access to this tenant.' },
  500213: { family: 'entra.tenant-restricted', meaning: 'The resource tenant\'s cross-tenant access policy blocks this user.' },
  // malformed or not allowed
  9002313: { family: 'entra.invalid-request', meaning: 'The request is malformed or invalid.' },
  70011: { family: 'entra.invalid-request', meaning: 'The requested scope is invalid.' },
  500011: { family: 'entra.invalid-request', meaning: 'The resource principal was not found in the tenant (wrong scope or tenant).' },
  50001: { family: 'entra.invalid-request', meaning: 'The resource is disabled or does not exist.' },
  90014: { family: 'entra.invalid-request', meaning: 'A required field is missing from the request.' },
  900144: { family: 'entra.invalid-request', meaning: 'A required parameter is missing from the request body.' },
  50194: { family: 'entra.invalid-request', meaning: 'A single-tenant application was used with the /common endpoint.' },
  7000218: { family: 'entra.invalid-request', meaning: 'The request body must contain client_assertion or client_secret.' },
  700025: { family: 'entra.invalid-request', meaning: 'A public client must not send a client secret or assertion.' },
  50011: { family: 'entra.invalid-request', meaning: 'The redirect URI does not match the ones configured for the application.' },
  7000114: { family: 'entra.invalid-request', meaning: 'The application is not allowed to make application on-behalf-of calls.' },
  // transient
  50196: { family: 'entra.temporary-failure', meaning: 'A client loop was detected (the same request too often).' },
  90055: { family: 'entra.temporary-failure', meaning: 'The tenant is being throttled.' },
  90033: { family: 'entra.temporary-failure', meaning: 'A directory service is temporarily unavailable.' },
};

export const AADSTS_CATALOG: Readonly<Record<number, Readonly<Entry>>> = C;

export interface AadstsDiagnosis {
  code: number;
  family: EntraFamily;
  known: boolean;
  meaning: string;
  fix: Fix;
}

/** The finding family, meaning and a credential-specific fix for an AADSTS code. */
export function diagnoseAadsts(code: number, kind: CredentialKind, facts: FixFacts = {}): AadstsDiagnosis {
  const e = C[code];
  const family = e?.family ?? 'entra.unknown-error';
  const base = e?.fix ? e.fix(kind, facts) : FAMILY_FIX[family](kind, facts, code);
  const docs = [ERROR_DOC(code), ...(e ? [] : [CODES_DOC])];
  return {
    code,
    family,
    known: !!e,
    meaning: e?.meaning ?? `Entra returned AADSTS${code}, which the doctor's catalog does not list.`,
    fix: { ...base, docs: [...(base.docs ?? []), ...docs] },
  };
}
