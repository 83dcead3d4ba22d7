// --interactive only: actually run the interactive fallback the server would reach (browser sign-in, or
// device code in CLI mode) with the server's client id, so a person can confirm which account the
// prompt signs in as. Never started otherwise. The Node SDK has no broker on Node 20, so the browser
// flow stands in for the server's broker/browser credential.

import type { CredentialName } from '../../chain/credentials.js';
import { attemptSdkCredential } from './sdk-attempt.js';
import type { CredentialAttempt, ProbeContext } from './types.js';

/** Azure.Identity's developer sign-on client id, used by the server unless AZURE_MCP_CLIENT_ID is set. */
export const DEVELOPER_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

export async function probeInteractiveLive(name: Extract<CredentialName, 'InteractiveBrowserCredential' | 'DeviceCodeCredential'>, ctx: ProbeContext): Promise<CredentialAttempt> {
  const started = performance.now();
  const clientId = ctx.env.AZURE_MCP_CLIENT_ID || DEVELOPER_CLIENT_ID;
  const facts = { clientId, live: true };
  const timeout = ctx.interactiveTimeoutMs ?? 120_000;
  const lctx: ProbeContext = { ...ctx, credentialTimeoutMs: timeout };
  const identity = await import('@azure/identity');
  const out = await attemptSdkCredential(lctx, name, (o) =>
    name === 'InteractiveBrowserCredential'
      ? new identity.InteractiveBrowserCredential({ ...(o as object), clientId, tenantId: 'organizations' } as never)
      : new identity.DeviceCodeCredential({
          ...(o as object),
          clientId,
          tenantId: 'organizations',
          userPromptCallback: (info: { message: string }) => {
            // The prompt goes to stderr so that stdout stays the report.
            process.stderr.write(`\n${info.message}\n`);
          },
        } as never),
  );
  return {
    name,
    kind: 'interactive',
    configured: true,
    findings: [],
    facts,
    ...out,
    reason: out.state === 'succeeded' ? 'signed in interactively (--interactive)' : `interactive sign-in failed: ${out.reason}`,
    durationMs: Math.round(performance.now() - started),
  };
}
