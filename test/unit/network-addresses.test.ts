import { describe, expect, it } from 'vitest';
import { classifyAddress, expandV6, ipv4InCidr, isCidr, isPrivateAddress } from '../../src/network/addresses.js';

describe('classifyAddress', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.10.4', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['20.190.160.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['fd00::1', 'private'],
    ['fc12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['2603:1006::1', 'public'],
    ['::ffff:10.0.0.5', 'private'],
    ['::ffff:20.1.1.1', 'public'],
  ])('%s is %s', (a, kind) => {
    expect(classifyAddress(a)).toBe(kind);
  });

  it('rejects non-addresses', () => {
    expect(classifyAddress('login.microsoftonline.com')).toBeUndefined();
    expect(classifyAddress('10.0.0')).toBeUndefined();
  });

  it('private = RFC1918 + CGNAT + ULA only', () => {
    expect(isPrivateAddress('10.0.0.1')).toBe(true);
    expect(isPrivateAddress('100.64.1.1')).toBe(true);
    expect(isPrivateAddress('fd12::1')).toBe(true);
    expect(isPrivateAddress('127.0.0.1')).toBe(false);
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
  });
});

describe('IPv6 and CIDR helpers', () => {
  it('expands IPv6', () => {
    expect(expandV6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(expandV6('fd00:1::2')).toEqual([0xfd00, 1, 0, 0, 0, 0, 0, 2]);
    expect(expandV6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(expandV6('1:2:3')).toBeUndefined();
  });
  it('matches IPv4 CIDRs', () => {
    expect(ipv4InCidr('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(ipv4InCidr('11.1.2.3', '10.0.0.0/8')).toBe(false);
    expect(ipv4InCidr('192.168.5.5', '192.168.4.0/23')).toBe(true);
    expect(ipv4InCidr('192.168.6.5', '192.168.4.0/23')).toBe(false);
    expect(ipv4InCidr('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(isCidr('10.0.0.0/8')).toBe(true);
    expect(isCidr('.blob.core.windows.net')).toBe(false);
  });
});
