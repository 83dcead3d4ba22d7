import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detectInterception,
  hostMatches,
  indexStore,
  isMicrosoftHost,
  isSelfSigned,
  leafNames,
  parsePemBundle,
  productFor,
  summarise,
  validityProblem,
  verifyChain,
} from '../../src/network/tls.js';
import { makePki, type Pki } from './network-fixtures.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
}, 60_000);
afterAll(() => pki?.cleanup());

describe('productFor', () => {
  it.each([
    [{ CN: 'Zscaler Intermediate Root CA (zscaler.net)', O: 'Zscaler Inc.' }, 'Zscaler'],
    [{ CN: 'ca.contoso.goskope.com', O: 'Netskope' }, 'Netskope'],
    [{ CN: 'Contoso Forward Trust', O: 'Palo Alto Networks' }, 'Palo Alto Networks'],
    [{ CN: 'FortiGate CA' }, 'Fortinet FortiGate'],
    [{ CN: 'Cisco Umbrella Secondary SubCA ord-SG' }, 'Cisco Umbrella'],
    [{ CN: 'Blue Coat ProxySG CA' }, 'Symantec/Blue Coat ProxySG'],
    [{ CN: 'Forcepoint Cloud CA' }, 'Forcepoint (Websense)'],
    [{ CN: 'Sophos SSL CA_C1234' }, 'Sophos'],
    [{ CN: 'Check Point Outbound CA' }, 'Check Point'],
    [{ CN: 'mitmproxy', O: 'mitmproxy' }, 'mitmproxy'],
    [{ CN: 'DO_NOT_TRUST_FiddlerRoot', O: 'DO_NOT_TRUST' }, 'Fiddler'],
    [{ CN: 'Gateway CA - Cloudflare Managed G1' }, 'Cloudflare Gateway (WARP)'],
    [{ CN: 'ESET SSL Filter CA' }, 'ESET'],
  ])('%j -> %s', (name, product) => {
    expect(productFor([name])).toBe(product);
  });
  it('does not flag the CAs Azure uses', () => {
    expect(productFor([{ CN: 'DigiCert Global Root G2', O: 'DigiCert Inc' }, { CN: 'Microsoft Azure RSA TLS Issuing CA 03', O: 'Microsoft Corporation' }])).toBeUndefined();
  });
});

describe('detectInterception', () => {
  it('flags a Microsoft host whose chain does not reach an Azure root, naming the product', () => {
    const chain = [pki.zscalerLeaf.x509, pki.zscalerRoot.x509].map(summarise);
    const v = detectInterception('login.microsoftonline.com', chain);
    expect(v).toMatchObject({ intercepted: true, product: 'Zscaler' });
    expect(v.issuer).toContain('Zscaler Root CA');
  });
  it('flags an unknown CA on a Microsoft host without a product', () => {
    const v = detectInterception('management.azure.com', [pki.leaf.x509, pki.testInter.x509].map(summarise));
    expect(v.intercepted).toBe(true);
    expect(v.product).toBeUndefined();
    expect(v.issuer).toContain('Test Root CA');
  });
  it('does not flag non-Microsoft hosts without a product name', () => {
    expect(detectInterception('myapp.example.com', [pki.leaf.x509].map(summarise)).intercepted).toBe(false);
    expect(isMicrosoftHost('acct.blob.core.windows.net')).toBe(true);
    expect(isMicrosoftHost('evilwindows.net')).toBe(false);
  });
  it('accepts a chain to an Azure root', () => {
    const fake = {
      ...summarise(pki.leaf.x509),
      issuer: { CN: 'Microsoft Azure RSA TLS Issuing CA 03', O: 'Microsoft Corporation' },
    };
    const inter = { ...summarise(pki.testInter.x509), subject: { CN: 'Microsoft Azure RSA TLS Issuing CA 03' }, issuer: { CN: 'DigiCert Global Root G2' } };
    expect(detectInterception('login.microsoftonline.com', [fake, inter]).intercepted).toBe(false);
  });
});

describe('verifyChain', () => {
  it('trusted through the presented intermediate to a store root', () => {
    const r = verifyChain([pki.leaf.x509, pki.testInter.x509], indexStore([pki.testRoot.x509]));
    expect(r.trusted).toBe(true);
    expect(r.anchor?.fingerprint256).toBe(pki.testRoot.x509.fingerprint256);
    expect(r.path).toHaveLength(2);
  });
  it('trusted when the intermediate itself is in the store', () => {
    expect(verifyChain([pki.leaf.x509], indexStore([pki.testInter.x509])).trusted).toBe(true);
  });
  it('missing intermediate', () => {
    const r = verifyChain([pki.leaf.x509], indexStore([pki.testRoot.x509]));
    expect(r).toMatchObject({ trusted: false, failure: 'missing-issuer', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
  it('untrusted root presented in the chain', () => {
    const r = verifyChain([pki.zscalerLeaf.x509, pki.zscalerRoot.x509], indexStore([pki.testRoot.x509]));
    expect(r).toMatchObject({ trusted: false, failure: 'untrusted-root', code: 'SELF_SIGNED_CERT_IN_CHAIN' });
  });
  it('self-signed leaf', () => {
    const r = verifyChain([pki.selfSignedLeaf.x509], indexStore([pki.testRoot.x509]));
    expect(r).toMatchObject({ trusted: false, failure: 'self-signed-leaf', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(verifyChain([pki.selfSignedLeaf.x509], indexStore([pki.selfSignedLeaf.x509])).trusted).toBe(true);
  });
  it('a same-named but different root does not count (signature checked)', () => {
    const r = verifyChain([pki.zscalerLeaf.x509], indexStore([pki.testRoot.x509, pki.testInter.x509]));
    expect(r.trusted).toBe(false);
  });
});

describe('validity and names', () => {
  it('expired / not yet valid / fine', () => {
    expect(validityProblem([pki.expiredLeaf.x509], new Date())).toMatchObject({ kind: 'expired', depth: 0 });
    expect(validityProblem([pki.futureLeaf.x509], new Date())).toMatchObject({ kind: 'not-yet-valid' });
    expect(validityProblem([pki.leaf.x509, pki.testInter.x509], new Date())).toBeUndefined();
    expect(validityProblem([pki.leaf.x509], new Date(Date.now() + 90 * 86400_000))?.kind).toBe('expired');
  });
  it('host names and IPs', () => {
    expect(hostMatches(pki.leaf.x509, 'login.microsoftonline.com')).toBe(true);
    expect(hostMatches(pki.leaf.x509, '127.0.0.1')).toBe(true);
    expect(hostMatches(pki.leaf.x509, '[::1]')).toBe(false);
    expect(hostMatches(pki.wrongHostLeaf.x509, 'login.microsoftonline.com')).toBe(false);
    expect(leafNames(pki.wrongHostLeaf.x509)).toBe('portal.example');
  });
  it('PEM bundles and self-signed detection', () => {
    const certs = parsePemBundle(pki.leaf.cert + '\njunk\n' + pki.testRoot.cert);
    expect(certs).toHaveLength(2);
    expect(isSelfSigned(pki.testRoot.x509)).toBe(true);
    expect(isSelfSigned(pki.testInter.x509)).toBe(false);
  });
});
