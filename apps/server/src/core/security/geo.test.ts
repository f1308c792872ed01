import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRange } from './ip-allowlist.ts';
import { lookupAddress, openCountryLookup, StaticCountryLookup, type CountryLookup } from './geo.ts';

/**
 * Addresses of long-standing research networks, whose country has not moved in decades: the
 * answers were checked against the bundled database before they were written down here.
 */
const WELL_KNOWN: Array<[string, string, string]> = [
  ['130.37.1.1', 'NL', 'VU Amsterdam (SURF)'],
  ['131.174.1.1', 'NL', 'Radboud University Nijmegen'],
  ['2001:610:108::1', 'NL', 'SURF, 2001:610::/32'],
  ['141.2.1.1', 'DE', 'Goethe University Frankfurt (DFN)'],
  ['129.187.1.1', 'DE', 'Leibniz Supercomputing Centre (DFN)'],
  ['2001:638::1', 'DE', 'DFN, 2001:638::/32'],
  ['131.130.1.1', 'AT', 'University of Vienna (ACOnet)'],
  ['128.130.1.1', 'AT', 'TU Wien (ACOnet)'],
  ['2001:628:1::1', 'AT', 'ACOnet, 2001:628::/32'],
  ['128.32.1.1', 'US', 'UC Berkeley'],
  ['18.0.0.1', 'US', 'MIT'],
  ['2620:0:861:ed1a::1', 'US', 'Wikimedia, Virginia'],
];

const NO_COUNTRY = [
  '10.1.2.3', '172.16.0.1', '192.168.1.1', '127.0.0.1', '100.64.1.1', '169.254.1.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
  '192.0.2.10', '198.51.100.10', '203.0.113.10', '::1', '::', 'fe80::1', 'fe80::1%eth0', 'fd00::1', 'ff02::1', '2001:db8::1',
  '::ffff:10.0.0.1', '::ffff:127.0.0.1',
];

const GARBAGE = ['', ' ', 'nonsense', '1.2.3', '1.2.3.4.5', '256.1.1.1', '130.37.1.1:443', '[2001:610::1]', '2001:610::zz', '130.37.1.1/24', 'localhost', '1'.repeat(100)];

describe('the bundled country database', () => {
  let geo: CountryLookup;
  beforeAll(async () => {
    geo = await openCountryLookup();
  });

  it.each(WELL_KNOWN)('places %s in %s (%s)', (ip, country) => {
    expect(geo.countryOf(ip)).toBe(country);
  });

  it('reads an IPv4 client on a dual-stack socket as the IPv4 address it carries', () => {
    expect(geo.countryOf('::ffff:130.37.1.1')).toBe('NL');
    expect(geo.countryOf('::FFFF:141.2.1.1')).toBe('DE');
    expect(geo.countryOf('::ffff:8225:101')).toBe('NL'); // the same as hex: 130.37.1.1
    expect(geo.countryOf('0:0:0:0:0:ffff:8382:101')).toBe('AT'); // 131.130.1.1
  });

  it('does not care how an IPv6 address is written', () => {
    expect(geo.countryOf('2001:0638:0000:0000:0000:0000:0000:0001')).toBe('DE');
    expect(geo.countryOf('2001:628:1:0::1')).toBe('AT');
    expect(geo.countryOf('2001:610:108::1'.toUpperCase())).toBe('NL');
  });

  it.each(NO_COUNTRY)('has no country for the private, loopback or reserved address %s', (ip) => {
    expect(geo.countryOf(ip)).toBeNull();
  });

  it.each(GARBAGE)('answers null for %j, which is not an address', (ip) => {
    expect(geo.countryOf(ip)).toBeNull();
  });

  it('knows where its data came from and how old it is', () => {
    expect(geo.source).toContain('geo-whois-asn-country.mmdb');
    expect(geo.builtAt).toBeInstanceOf(Date);
    expect(geo.builtAt!.getUTCFullYear()).toBeGreaterThanOrEqual(2026);
  });
});

describe('an operator-supplied database (HAVEN_GEO_DB_FILE)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'haven-geo-'));

  it('reads the MaxMind layout (country.iso_code)', async () => {
    const file = path.join(dir, 'maxmind-layout.mmdb');
    writeFileSync(
      file,
      countryMmdb([
        ['130.37.0.0/16', { country: { iso_code: 'NL', names: { en: 'Netherlands' } }, registered_country: { iso_code: 'NL' } }],
        ['2001:638::/32', { country: { iso_code: 'DE', names: { en: 'Germany' } } }],
        ['128.32.0.0/16', { registered_country: { iso_code: 'US' } }], // no `country`: unknown, not a guess
      ]),
    );
    const geo = await openCountryLookup({ file });
    expect(geo.source).toBe(file);
    expect(geo.countryOf('130.37.1.1')).toBe('NL');
    expect(geo.countryOf('::ffff:130.37.200.1')).toBe('NL');
    expect(geo.countryOf('2001:638:1::1')).toBe('DE');
    expect(geo.countryOf('128.32.1.1')).toBeNull();
    expect(geo.countryOf('141.2.1.1')).toBeNull();
    expect(geo.builtAt?.toISOString()).toBe('2026-06-01T00:00:00.000Z');
  });

  it('reads the ip-location-db layout (country_code), lower case or not', async () => {
    const file = path.join(dir, 'flat-layout.mmdb');
    writeFileSync(file, countryMmdb([['131.130.0.0/16', { country_code: 'at' }], ['10.0.0.0/8', { country_code: 'NL' }]]));
    const geo = await openCountryLookup({ file });
    expect(geo.countryOf('131.130.1.1')).toBe('AT');
    // A file that maps a private range changes nothing: private addresses have no country.
    expect(geo.countryOf('10.1.2.3')).toBeNull();
  });

  it('refuses a file that is not a MaxMind DB, naming it', async () => {
    const file = path.join(dir, 'not-a-database.mmdb');
    writeFileSync(file, 'network,country\n130.37.0.0/16,NL\n');
    await expect(openCountryLookup({ file })).rejects.toThrow(`cannot open the country database ${file}`);
  });
});

describe('StaticCountryLookup (for tests)', () => {
  const geo = new StaticCountryLookup({ '192.0.2.0/24': 'nl', '192.0.2.128/25': 'DE', '2001:db8::/32': 'AT', '127.0.0.1': 'BE' });

  it('answers from its map, the most specific range first, in upper case', () => {
    expect(geo.countryOf('192.0.2.1')).toBe('NL');
    expect(geo.countryOf('192.0.2.200')).toBe('DE');
    expect(geo.countryOf('2001:db8:1::1')).toBe('AT');
    expect(geo.countryOf('::ffff:192.0.2.1')).toBe('NL');
    // Unlike the database it answers for loopback too, so app.inject()'s 127.0.0.1 can have a country.
    expect(geo.countryOf('127.0.0.1')).toBe('BE');
    expect(geo.countryOf('198.51.100.1')).toBeNull();
    expect(geo.countryOf('nonsense')).toBeNull();
    expect(geo.source).toBe('static');
  });

  it('refuses a map it cannot read', () => {
    expect(() => new StaticCountryLookup({ '192.0.2.0/33': 'NL' })).toThrow(/not a range/);
    expect(() => new StaticCountryLookup({ '192.0.2.0/24': 'Netherlands' })).toThrow(/country code/);
  });
});

describe('lookupAddress', () => {
  it('gives IPv4 carried in IPv6 as IPv4, and everything else in canonical form', () => {
    expect(lookupAddress('::ffff:192.0.2.1')).toEqual({ address: '192.0.2.1', family: 'ipv4' });
    expect(lookupAddress('::ffff:c000:201')).toEqual({ address: '192.0.2.1', family: 'ipv4' });
    expect(lookupAddress('2001:DB8:0::1')).toEqual({ address: '2001:db8::1', family: 'ipv6' });
    expect(lookupAddress('1.2.3')).toBeNull();
  });
});

/**
 * A minimal MaxMind DB writer (format 2.0: a binary search tree of 24-bit records, a data
 * section, and a metadata map), enough to stand in for an operator's country file without
 * shipping a binary fixture. IPv4 ranges go where IPv6 readers look for them, under ::/96.
 */
type Value = string | number | { [key: string]: Value } | Value[];

function countryMmdb(ranges: Array<[string, { [key: string]: Value }]>): Buffer {
  type Child = { node: number } | { data: number } | null;
  const nodes: Array<[Child, Child]> = [[null, null]];
  const data: Buffer[] = [];
  let dataLength = 0;
  for (const [cidr, record] of ranges) {
    const range = parseRange(cidr)!;
    const ipv4 = range.family === 'ipv4';
    const bits = [...Array<number>(ipv4 ? 96 : 0).fill(0), ...addressBits(range.address, range.family)];
    const prefix = ipv4 ? 96 + range.prefix : range.prefix;
    const encoded = encode(record);
    const ref = { data: dataLength };
    data.push(encoded);
    dataLength += encoded.length;
    let node = 0;
    for (let depth = 0; depth < prefix - 1; depth++) {
      const side = bits[depth]!;
      let next = nodes[node]![side];
      if (!next || !('node' in next)) {
        nodes.push([null, null]);
        next = { node: nodes.length - 1 };
        nodes[node]![side] = next;
      }
      node = next.node;
    }
    nodes[node]![bits[prefix - 1]!] = ref;
  }
  const count = nodes.length;
  const tree = Buffer.alloc(count * 6);
  const value = (child: Child) => (child === null ? count : 'node' in child ? child.node : count + 16 + child.data);
  nodes.forEach(([left, right], index) => {
    tree.writeUIntBE(value(left), index * 6, 3);
    tree.writeUIntBE(value(right), index * 6 + 3, 3);
  });
  const metadata = encode({
    node_count: count,
    record_size: 24,
    ip_version: 6,
    database_type: 'Haven-Test-Country',
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: Date.UTC(2026, 5, 1) / 1000,
    description: { en: 'test' },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), metadata]);
}

function addressBits(address: string, family: 'ipv4' | 'ipv6'): number[] {
  const bytes: number[] = [];
  if (family === 'ipv4') bytes.push(...address.split('.').map(Number));
  else {
    const [head = '', tail = ''] = address.split('::');
    const groups = (part: string) => (part ? part.split(':') : []);
    const all = [...groups(head), ...Array(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
    for (const group of all) bytes.push(parseInt(group, 16) >> 8, parseInt(group, 16) & 255);
  }
  return bytes.flatMap((byte) => Array.from({ length: 8 }, (_, i) => (byte >> (7 - i)) & 1));
}

/** MMDB data encoding: a control byte (type in the top 3 bits, size below), extended types after it. */
function encode(value: Value): Buffer {
  const control = (type: number, size: number): Buffer => {
    if (size >= 29) throw new Error('test writer: values this long are not needed');
    return type <= 7 ? Buffer.from([(type << 5) | size]) : Buffer.from([size, type - 7]);
  };
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'number') {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value);
    return Buffer.concat([control(6, 4), bytes]); // uint32
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  const entries = Object.entries(value);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([key, item]) => [encode(key), encode(item)])]);
}
