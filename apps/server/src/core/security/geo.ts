import { BlockList } from 'node:net';
import { createRequire } from 'node:module';
import maxmind, { type Reader, type Response } from 'maxmind';
import { canonicalAddress, parseRange } from './ip-allowlist.ts';

/**
 * Offline IP → country lookup, for telling a person "a sign-in from a new country" and for
 * risk signals. Nothing is sent anywhere: the data is a MaxMind DB file on disk, by default the
 * one in `@ip-location-db/geo-whois-asn-country-mmdb` (docs/adr/0004-offline-country-lookup.md),
 * or an operator's own file (HAVEN_GEO_DB_FILE). A country is a hint, never a proof: VPNs,
 * mobile carriers and relays move people across borders.
 */
export interface CountryLookup {
  /**
   * ISO 3166-1 alpha-2 in upper case (`NL`), or null for private, loopback, reserved and unknown
   * addresses and for anything that is not an address. Accepts IPv4, IPv6 and `::ffff:a.b.c.d`.
   */
  countryOf(ip: string): string | null;
  /** Where the data came from (a file path, or `static` in tests), for the start-up log. */
  readonly source: string;
  /** When the database was built, if it says. */
  readonly builtAt: Date | null;
}

/** The two common layouts: MaxMind's GeoIP2/GeoLite2 (`country.iso_code`) and ip-location-db's (`country_code`). */
interface StoredCountry {
  country?: { iso_code?: unknown };
  country_code?: unknown;
}

const BUNDLED_DATABASE = '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb';

/**
 * Addresses that can never have a country: private, loopback, link-local, shared (CGNAT),
 * documentation, benchmarking, multicast and reserved ranges (RFC 6890). Answered null before
 * the database is asked, so an operator's file that happens to map them changes nothing.
 */
const SPECIAL_RANGES = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', '100::/64', '2001:db8::/32', 'fc00::/7', 'fe80::/10', 'ff00::/8',
];
const special = new BlockList();
for (const range of SPECIAL_RANGES) {
  const parsed = parseRange(range)!;
  special.addSubnet(parsed.address, parsed.prefix, parsed.family);
}

/**
 * An address in the one form the lookups match on, or null when it is not an address. An IPv4
 * address carried in IPv6 (`::ffff:130.37.1.1`, or its hex form `::ffff:8225:101`) is the IPv4
 * address: a dual-stack socket reports IPv4 clients that way.
 */
export function lookupAddress(ip: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  if (typeof ip !== 'string' || ip.length > 64) return null;
  const canonical = canonicalAddress(ip);
  if (!canonical || canonical.family === 'ipv4') return canonical;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical.address);
  if (!mapped) return canonical;
  const high = parseInt(mapped[1]!, 16);
  const low = parseInt(mapped[2]!, 16);
  return { address: `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, family: 'ipv4' };
}

const isoCode = (value: unknown): string | null => (typeof value === 'string' && /^[A-Za-z]{2}$/.test(value) ? value.toUpperCase() : null);

class MaxMindCountryLookup implements CountryLookup {
  constructor(
    private readonly reader: Reader<Response>,
    readonly source: string,
  ) {}

  get builtAt(): Date | null {
    return this.reader.metadata.buildEpoch ?? null;
  }

  countryOf(ip: string): string | null {
    const address = lookupAddress(ip);
    if (!address || special.check(address.address, address.family)) return null;
    // An IPv4-only file cannot answer for IPv6 and says so by throwing.
    if (address.family === 'ipv6' && this.reader.metadata.ipVersion === 4) return null;
    let record: StoredCountry | null;
    try {
      // The reader's types know MaxMind's layouts only; ip-location-db's `country_code` is read as stored.
      record = this.reader.get(address.address) as StoredCountry | null;
    } catch {
      return null;
    }
    if (!record) return null;
    return isoCode(record.country_code) ?? isoCode(record.country?.iso_code);
  }
}

/**
 * Opens the country database once, at start (createServices): the file is read into memory
 * (about 8 MB for the bundled one) and each lookup walks its search tree, with no I/O.
 * `file` is an operator's .mmdb (HAVEN_GEO_DB_FILE); without it, the bundled database.
 */
export async function openCountryLookup(options: { file?: string | null } = {}): Promise<CountryLookup> {
  const file = options.file ?? createRequire(import.meta.url).resolve(BUNDLED_DATABASE);
  let reader: Reader<Response>;
  try {
    // The reader caches decoded records by their place in the file (a few hundred countries), not by address.
    // No file watching: a new file is picked up at the next start.
    reader = await maxmind.open<Response>(file, { watchForUpdates: false, cache: { max: 1000 } });
  } catch (error) {
    throw new Error(`cannot open the country database ${file}: ${(error as Error).message}`, { cause: error });
  }
  return new MaxMindCountryLookup(reader, file);
}

/**
 * A fixed map of ranges to countries, for tests: `{ '192.0.2.0/24': 'NL', '2001:db8::/32': 'DE' }`.
 * The most specific range wins. Unlike the database lookup it answers for any range it is given,
 * documentation and loopback ranges included, so tests can place `app.inject()`'s 127.0.0.1 or
 * a TEST-NET address in a country.
 */
export class StaticCountryLookup implements CountryLookup {
  readonly source = 'static';
  readonly builtAt = null;
  private readonly ranges: Array<{ list: BlockList; country: string; prefix: number }> = [];

  constructor(map: Record<string, string>) {
    for (const [range, country] of Object.entries(map)) {
      const parsed = parseRange(range);
      const code = isoCode(country);
      if (!parsed || !code) throw new Error(`StaticCountryLookup: not a range and a country code: ${range} → ${country}`);
      const list = new BlockList();
      list.addSubnet(parsed.address, parsed.prefix, parsed.family);
      this.ranges.push({ list, country: code, prefix: parsed.prefix });
    }
    this.ranges.sort((a, b) => b.prefix - a.prefix);
  }

  countryOf(ip: string): string | null {
    const address = lookupAddress(ip);
    if (!address) return null;
    return this.ranges.find((range) => range.list.check(address.address, address.family))?.country ?? null;
  }
}
