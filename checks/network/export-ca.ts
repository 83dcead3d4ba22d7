// --export-ca FILE: write the root CA of the chain presented for the first intercepted endpoint
// (else the authority) as PEM, for installing into trust stores.

import type { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { Check, CheckOutcome } from '../../src/core/model.js';
import { isSelfSigned, nameToString, parseDn } from '../../src/network/tls.js';
import { probeEndpoint } from '../../src/probes/network.js';
import type { EndpointProbeResult } from '../../src/probes/endpoint.js';

/** The root for a chain: a store anchor, else the presented self-signed top, else the topmost presented. */
export function rootFor(presented: X509Certificate[], anchors: X509Certificate[]): { cert: X509Certificate; kind: 'anchor' | 'presented-root' | 'topmost' } | undefined {
  const top = presented[presented.length - 1];
  if (top && isSelfSigned(top)) return { cert: top, kind: 'presented-root' };
  const anchor = anchors.find(isSelfSigned) ?? anchors[0];
  if (anchor) return { cert: anchor, kind: 'anchor' };
  return top ? { cert: top, kind: 'topmost' } : undefined;
}

export function pickChain(results: EndpointProbeResult[]): { host: string; presented: X509Certificate[]; anchors: X509Certificate[]; intercepted: boolean } | undefined {
  let fallback: ReturnType<typeof pickChain>;
  for (const r of results) {
    const d = r.diagnosis;
    const paths = [...d.paths].sort((a, b) => Number(b.consumers.includes(d.serverConsumer)) - Number(a.consumers.includes(d.serverConsumer)));
    for (const p of paths) {
      const c = r.chains.get(p.key);
      if (!c || !c.presented.length) continue;
      const intercepted = p.tls?.interception?.intercepted === true;
      const pick = { host: `${d.endpoint.host}:${d.endpoint.port}`, ...c, intercepted };
      if (intercepted) return pick;
      fallback ??= pick;
    }
  }
  return fallback;
}

export function exportCaCheck(file: string): Check {
  return {
    id: 'network.export-ca',
    title: 'Export the presented root CA',
    group: 'network',
    async run(ctx): Promise<CheckOutcome> {
      const eps = [ctx.endpoints.authority, ...ctx.endpoints.all.filter((e) => e !== ctx.endpoints.authority)];
      const results = (await Promise.all(eps.map((ep) => probeEndpoint(ctx, ep).catch(() => undefined)))).filter((r): r is EndpointProbeResult => !!r);
      const chain = pickChain(results);
      if (!chain) {
        return {
          findings: [
            {
              code: 'tls.ca-export-failed',
              severity: 'warning',
              message: `--export-ca: no endpoint completed a TLS handshake, so there is no certificate to write to ${file}.`,
              target: file,
              evidence: { file, symptom: 'no-tls-chain' },
            },
          ],
        };
      }
      const root = rootFor(chain.presented, chain.anchors)!;
      const subject = nameToString(parseDn(root.cert.subject));
      try {
        await writeFile(file, root.cert.toString(), { mode: 0o644 });
      } catch (e) {
        return {
          findings: [
            {
              code: 'tls.ca-export-failed',
              severity: 'warning',
              message: `--export-ca: could not write ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
              target: file,
              evidence: { file, error: (e as NodeJS.ErrnoException).code ?? null },
            },
          ],
        };
      }
      const note =
        root.kind === 'topmost'
          ? ` The root itself was not presented and no trust store holds it; this is the highest certificate presented, issued by '${nameToString(parseDn(root.cert.issuer))}'.`
          : '';
      return {
        findings: [
          {
            code: 'tls.ca-exported',
            severity: 'info',
            message: `Wrote the root CA presented for ${chain.host} ('${subject}'${chain.intercepted ? ', a TLS inspection CA' : ''}) to ${file}.${note}`,
            target: chain.host,
            evidence: { file, subject, fingerprint256: root.cert.fingerprint256, source: chain.host, kind: root.kind, intercepted: chain.intercepted },
          },
        ],
      };
    },
  };
}
