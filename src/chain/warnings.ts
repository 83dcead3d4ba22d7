// The chain model's warnings about variables (an AZURE_TOKEN_CREDENTIALS value the server does not
// recognise, variables it no longer reads) as findings. One source for the environment check, which
// reports them, and the chain check, which would otherwise say them again.

import type { Finding } from '../core/model.js';
import type { EffectiveChain } from './effective-chain.js';

export function chainWarningFindings(chain: EffectiveChain): Finding[] {
  return chain.warnings.map((w) => ({
    code: w.code,
    severity: w.severity,
    message: w.message,
    target: w.variable,
    evidence: { variable: w.variable, value: w.value, ...(w.suggestion ? { suggestion: w.suggestion } : {}), modelledRelease: chain.modelledRelease },
    fix:
      w.code === 'chain.deprecated-variable'
        ? { summary: `Remove ${w.variable}${w.suggestion && !w.suggestion.startsWith('(') ? ` and use ${w.suggestion}` : ''}.`, actor: 'user', commands: [`unset ${w.variable}`] }
        : {
            summary:
              chain.mode === 'browser'
                ? 'To use only the browser sign-in set AZURE_MCP_ONLY_USE_BROKER_CREDENTIAL=true; to pin a developer tool, name it (e.g. AzureCliCredential).'
                : `Set AZURE_TOKEN_CREDENTIALS to ${w.suggestion ? `"${w.suggestion}"` : 'dev, prod or one credential name'} (case does not matter, no quotes or spaces) where the MCP client starts the server.`,
            actor: 'user',
            ...(w.suggestion ? { commands: [`export AZURE_TOKEN_CREDENTIALS=${w.suggestion}`] } : {}),
          },
  }));
}
