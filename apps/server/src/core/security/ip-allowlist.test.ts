import { describe, expect, it } from 'vitest';
import { allowedBy, canonicalAddress, parseRange } from './ip-allowlist.ts';

describe('parseRange', () => {
  it.each([
    ['192.0.2.0/24', '192.0.2.0/24'],
    [' 198.51.100.7 ', '198.51.100.7/32'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['::ffff:192.0.2.1/32', '192.0.2.1/32'],
  ])('reads %j as %j', (input, cidr) => {
    expect(parseRange(input)?.cidr).toBe(cidr);
  });

  it.each(['', 'localhost', '192.0.2.0/33', '2001:db8::/129', '192.0.2.0/-1', '192.0.2.0/24/1', '192.0.2.0/ 24', '256.0.0.1', '192.0.2', '1.2.3.4/08a', 'fe80::1%eth0/64x'])('refuses %j', (input) => {
    expect(parseRange(input)).toBeNull();
  });
});

describe('allowedBy', () => {
  const ranges = ['192.0.2.0/24', '2001:db8:abcd::/48'];

  it('lets every address in when there is no list', () => {
    expect(allowedBy([], '203.0.113.9')).toBe(true);
    expect(allowedBy([], null)).toBe(true);
  });

  it('matches IPv4, IPv6 and IPv4 on a dual-stack socket', () => {
    expect(allowedBy(ranges, '192.0.2.200')).toBe(true);
    expect(allowedBy(ranges, '::ffff:192.0.2.200')).toBe(true);
    expect(allowedBy(ranges, '2001:db8:abcd:12::5')).toBe(true);
    expect(allowedBy(ranges, '2001:DB8:ABCD::1')).toBe(true);
  });

  it('refuses addresses just outside, other families, and unknown or missing addresses', () => {
    expect(allowedBy(ranges, '192.0.3.0')).toBe(false);
    expect(allowedBy(ranges, '192.0.1.255')).toBe(false);
    expect(allowedBy(ranges, '2001:db8:abce::1')).toBe(false);
    expect(allowedBy(['192.0.2.0/24'], '2001:db8:abcd::1')).toBe(false);
    expect(allowedBy(ranges, null)).toBe(false);
    expect(allowedBy(ranges, 'not an address')).toBe(false);
  });

  it('canonicalises what sockets report', () => {
    expect(canonicalAddress('::FFFF:10.1.2.3')).toEqual({ address: '10.1.2.3', family: 'ipv4' });
    expect(canonicalAddress('fe80::1%eth0')).toEqual({ address: 'fe80::1', family: 'ipv6' });
  });
});
