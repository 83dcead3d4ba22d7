// Compact, serialisable details for the renderers (no secrets: proxy URLs are already redacted).

import type { Details } from '../core/model.js';
import type { EndpointDiagnosis, PathObservation } from './diagnosis.js';
import { nameToString } from './tls.js';

function pathDetails(p: PathObservation): Record<string, unknown> {
  const out: Record<string, unknown> = { route: p.via === 'direct' ? 'direct' : `proxy ${p.proxy ?? ''}`, consumers: p.consumers };
  if (p.skipped) out.skipped = p.skipped;
  if (p.credentialsDroppedBy?.length) out.proxyCredentials = `in ${p.credentialsDroppedBy[0]!.variable}, not sent by ${p.credentialsDroppedBy.map((x) => x.consumer).join(', ')} (.NET WebProxy drops user info)`;
  if (p.proxyConnect) {
    const c = p.proxyConnect;
    out.proxyConnect = c.ok
      ? { status: c.status, ms: c.connectMs }
      : { phase: c.phase, status: c.status ?? null, error: c.error ?? null, authSchemes: c.authSchemes, credentialsOffered: c.credentialsOffered };
  }
  if (p.tcp) out.tcp = p.tcp.ok ? { address: p.tcp.address, ms: p.tcp.ms } : { address: p.tcp.address, error: p.tcp.error, symptom: p.tcp.symptom, ms: p.tcp.ms };
  if (p.tls) {
    const t = p.tls;
    out.tls = t.ok
      ? {
          protocol: t.protocol,
          ms: t.ms,
          chain: t.chain.map((c) => `${nameToString(c.subject)} (issuer ${nameToString(c.issuer)}, until ${c.validTo.slice(0, 10)})`),
          intercepted: t.interception?.intercepted ? { issuer: t.interception.issuer, product: t.interception.product ?? null } : false,
          stores: Object.fromEntries(t.stores.map((s) => [s.store, !s.available ? `unavailable${s.note ? `: ${s.note}` : ''}` : s.trusted ? `trusted (${s.anchor})` : `rejected (${s.code})`])),
        }
      : { error: t.error, failure: t.failure, ms: t.ms };
  }
  if (p.http) {
    const h = p.http;
    out.http = h.ok ? { request: `GET ${h.path}`, status: h.status, ms: h.ms, date: h.date ?? null } : { request: `GET ${h.path}`, error: h.error, ms: h.ms };
  }
  return out;
}

export function endpointDetails(d: EndpointDiagnosis): Details {
  const f = d.dns;
  return {
    endpoint: { host: d.endpoint.host, port: d.endpoint.port, role: d.endpoint.role, url: d.endpoint.url },
    dns: {
      addresses: f.addresses,
      cname: f.cname,
      status: f.status,
      privateEndpoint: f.privateEndpoint,
      zone: f.zone ?? null,
      osMs: f.osMs,
      directMs: f.directMs ?? null,
      servers: f.servers,
      osError: f.osError ?? null,
      directError: f.directError ?? null,
    },
    routes: Object.fromEntries(
      Object.entries(d.routes).map(([c, r]) => [c, `${r!.via === 'direct' ? 'direct' : `proxy ${r!.proxy}`}: ${r!.reason}${r!.broken ? ` (BROKEN: ${r!.broken})` : ''}${r!.uncertain ? ` (${r!.uncertain})` : ''}`]),
    ),
    serverConsumer: d.serverConsumer,
    paths: d.paths.map(pathDetails),
    durationMs: d.durationMs,
  };
}
