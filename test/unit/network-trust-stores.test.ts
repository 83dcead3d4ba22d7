import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureCliCertifi, loadTrustStores } from '../../src/probes/trust-stores.js';
import { makePki, type Pki } from './network-fixtures.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
}, 60_000);
afterAll(() => pki?.cleanup());

describe('loadTrustStores', () => {
  it('reads each store from the env snapshot', async () => {
    const empty = join(pki.dir, 'emptydir');
    mkdirSync(empty, { recursive: true });
    const stores = await loadTrustStores(
      { SSL_CERT_FILE: pki.testRoot.certFile, SSL_CERT_DIR: empty, NODE_EXTRA_CA_CERTS: pki.zscalerRoot.certFile, REQUESTS_CA_BUNDLE: pki.testInter.certFile, PATH: '', HOME: pki.dir },
      'linux',
    );
    const byId = Object.fromEntries(stores.map((s) => [s.id, s]));
    expect(byId.os!.certs.map((c) => c.fingerprint256)).toEqual([pki.testRoot.x509.fingerprint256]);
    expect(byId.os!.sources).toEqual([`SSL_CERT_FILE=${pki.testRoot.certFile}`]);
    expect(byId.node!.index.size).toBe(rootCertificates.length + 1);
    expect(byId.node!.index.fingerprints.has(pki.zscalerRoot.x509.fingerprint256)).toBe(true);
    expect(byId['azure-cli']!.certs.map((c) => c.fingerprint256)).toEqual([pki.testInter.x509.fingerprint256]);
  });

  it('notes an unreadable NODE_EXTRA_CA_CERTS; omits the Azure CLI when it is not installed', async () => {
    const stores = await loadTrustStores({ NODE_EXTRA_CA_CERTS: join(pki.dir, 'missing.pem'), SSL_CERT_FILE: pki.testRoot.certFile, SSL_CERT_DIR: pki.dir, PATH: '' }, 'linux');
    expect(stores.map((s) => s.id)).toEqual(['os', 'node']);
    expect(stores[1]!.note).toMatch(/could not be read/);
  });

  it('finds the distribution bundle on this Linux machine', async () => {
    const stores = await loadTrustStores({ PATH: '' }, 'linux');
    expect(stores[0]!.available).toBe(true);
    expect(stores[0]!.index.size).toBeGreaterThan(50);
  });

  it('follows Debian\'s patched certifi for the Azure CLI', async () => {
    const p = await azureCliCertifi('/usr/bin/az', 'linux');
    // Debian's python3-certifi returns the system bundle; elsewhere a cacert.pem (or nothing).
    if (p) expect(p).toMatch(/ca-certificates\.crt$|cacert\.pem$/);
  });
});
