import { BlockList, isIP } from 'node:net';

/**
 * A practice's network allowlist: CIDR ranges, IPv4 and IPv6, matched with Node's own
 * `net.BlockList` (no hand-written address arithmetic). An empty list allows every address.
 */

/** `::ffff:192.0.2.1` (an IPv4 client on a dual-stack socket) is the IPv4 address it carries. */
export function canonicalAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  let value = address.trim();
  const zone = value.indexOf('%');
  if (zone !== -1) value = value.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(value);
  if (mapped) value = mapped[1]!;
  const version = isIP(value);
  if (version === 4) return { address: value, family: 'ipv4' };
  // The URL parser writes IPv6 in its one canonical form (RFC 5952: lower case, longest zero run
  // shortened), so `2001:DB8:0:0::1` and `2001:db8::1` are the same entry.
  if (version === 6) return { address: new URL(`http://[${value}]/`).hostname.slice(1, -1), family: 'ipv6' };
  return null;
}

export interface ParsedRange {
  /** As stored and shown, e.g. `192.0.2.0/24`, `2001:db8::/32`. */
  cidr: string;
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * A range as people write it — `192.0.2.0/24`, `2001:db8::/48`, or one address (`/32` or
 * `/128` implied) — or null when it is none of these. Bits below the prefix do not matter
 * (`192.0.2.77/24` is the range `192.0.2.0/24`), as in `net.BlockList`.
 */
export function parseRange(input: string): ParsedRange | null {
  const [rawAddress, rawPrefix, extra] = input.trim().split('/');
  if (extra !== undefined || !rawAddress) return null;
  const parsed = canonicalAddress(rawAddress);
  if (!parsed) return null;
  const max = parsed.family === 'ipv4' ? 32 : 128;
  if (rawPrefix !== undefined && !/^\d{1,3}$/.test(rawPrefix)) return null;
  const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
  if (prefix > max) return null;
  return { cidr: `${parsed.address}/${prefix}`, address: parsed.address, prefix, family: parsed.family };
}

/** Whether `ip` may reach a practice with these ranges (as stored: valid CIDRs). */
export function allowedBy(ranges: readonly string[], ip: string | null): boolean {
  if (ranges.length === 0) return true;
  if (!ip) return false;
  const client = canonicalAddress(ip);
  if (!client) return false;
  const list = new BlockList();
  for (const range of ranges) {
    const parsed = parseRange(range);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list.check(client.address, client.family);
}
