// Canary test: plant secret values where a real user has them (a client secret, also pasted by mistake
// into AZURE_CLIENT_ID; a certificate password; a proxy password in the proxy URL; a federated token;
// a pipeline access token), run the whole doctor in every format, with and without --verbose, to
// stdout and to a file, and assert that no canary (nor its URL-encoded or base64 form) appears
// anywhere. Some of these values are echoed by the doctor before redaction (the variables table, the
// "not a GUID" message, the proxy URL), so the test fails if redaction is removed.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeE2e, useSimNet } from '../harness/vitest.js';
import { startAzure, TENANT_ID } from '../harness/azure-sim.js';
import { startTinyproxy } from '../harness/proxies.js';
import { PROXY_IP as PROXY_IP_FOR_TESTS } from '../harness/net.js';

const SECRET = 'CanarySecret~7f3Q.zz+/x';
const CERT_PASSWORD = 'CanaryCertPw-91ab';
const PROXY_PASSWORD = 'CanaryProxyPw-5521';
// A well-formed JWT (header.payload.signature) that is nobody's token.
const TOKEN = [
  Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url'),
  Buffer.from('{"aud":"api://AzureADTokenExchange","sub":"canary-subject","exp":4102444800}').toString('base64url'),
  'Q2FuYXJ5U2lnbmF0dXJl',
].join('.');
const PIPELINE_TOKEN = 'CanaryPipelineToken0123456789';

const canaries = [SECRET, CERT_PASSWORD, PROXY_PASSWORD, TOKEN, PIPELINE_TOKEN];
const forms = (v: string) => [v, encodeURIComponent(v), Buffer.from(v).toString('base64')];

describeE2e('no secret in any output', () => {
  const { net } = useSimNet({}, async (n) => {
    const world = await startAzure(n);
    const proxy = await startTinyproxy(n, { auth: { user: 'proxyuser', password: PROXY_PASSWORD } });
    return { world, proxy };
  });

  it('plants canaries and finds none in text, json or markdown, on stdout, stderr or --output, with or without --verbose', async () => {
    const tokenFile = path.join(net().dir, 'federated-token');
    writeFileSync(tokenFile, TOKEN);
    const env = {
      AZURE_TENANT_ID: TENANT_ID,
      // A common mistake: the secret pasted into the client id too. The doctor echoes the client id.
      AZURE_CLIENT_ID: SECRET,
      AZURE_CLIENT_SECRET: SECRET,
      AZURE_CLIENT_CERTIFICATE_PASSWORD: CERT_PASSWORD,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      SYSTEM_ACCESSTOKEN: PIPELINE_TOKEN,
      HTTPS_PROXY: `http://proxyuser:${PROXY_PASSWORD}@${PROXY_IP_FOR_TESTS}:3128`,
      https_proxy: `http://proxyuser:${PROXY_PASSWORD}@${PROXY_IP_FOR_TESTS}:3128`,
      AZURE_TOKEN_CREDENTIALS: 'prod',
      NODE_EXTRA_CA_CERTS: net().caPath,
    };
    let redactions = 0;
    for (const format of ['text', 'json', 'markdown']) {
      for (const verbose of [false, true]) {
        const file = path.join(net().dir, `report-${format}-${verbose}.out`);
        for (const toFile of [false, true]) {
          const args = ['--format', format, '--timeout', '15', ...(verbose ? ['--verbose'] : []), ...(toFile ? ['--output', file] : [])];
          const r = await net().runDoctor(args, { env });
          expect(r.code, `${args.join(' ')}\n${r.stderr}`).not.toBe(2);
          const outputs = [r.stdout, r.stderr, toFile ? readFileSync(file, 'utf8') : ''];
          for (const text of outputs) {
            for (const c of canaries) for (const f of forms(c)) expect(text.includes(f), `canary ${c} (${f}) in ${args.join(' ')}`).toBe(false);
            // No JWT of any kind (the doctor gets real ones from the simulated authority).
            expect(text, args.join(' ')).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./);
            redactions += text.split('[REDACTED').length - 1;
          }
          if (format === 'json' && !toFile) JSON.parse(r.stdout);
        }
      }
    }
    // The values did reach output paths and were removed there: without redaction they would show.
    expect(redactions).toBeGreaterThan(0);
  });
});
