import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';

/**
 * Phone numbers as Haven stores and sends them: E.164 (`+31612345678`), checked against the full
 * libphonenumber metadata (the "max" set: number ranges per country, not just lengths, so a
 * number that cannot exist is refused before an SMS is paid for). A full number is personal
 * data: logs and audit records carry only `maskPhoneNumber()`.
 */
export interface NormalisedPhoneNumber {
  /** `+` and up to 15 digits, no spaces: what a gateway receives and the database keeps. */
  readonly e164: string;
  /** ISO 3166-1 alpha-2 of the numbering plan, e.g. `NL` (from the number, not the default). */
  readonly country: CountryCode;
  /**
   * Whether the number may reach a mobile phone: a mobile range, or a plan that cannot tell
   * mobiles from landlines (`FIXED_LINE_OR_MOBILE`, as in North America). Landlines, toll-free
   * and premium numbers are false: an SMS code sent there never arrives.
   */
  readonly mobile: boolean;
  /** For display and audit: `+31 6 •••• ••78`. */
  readonly masked: string;
}

/** Longer input is not a phone number; refusing it early keeps the parser's work bounded. */
const MAX_INPUT_LENGTH = 40;

/**
 * Reads a phone number as people type it — `06 12345678` with `NL` as the default country,
 * `+49 1512 3456789`, `0043 664 1234567` — and returns it in E.164, or null when it is not a
 * valid number. Numbers with an extension, and numbers without a country (`+800 …`), are
 * refused: neither can receive an SMS.
 */
export function normalisePhoneNumber(input: string, defaultCountry?: string): NormalisedPhoneNumber | null {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return null;
  let text = input.trim();
  const fallback = defaultCountry?.toUpperCase();
  const country = fallback && isSupportedCountry(fallback) ? fallback : undefined;
  if (defaultCountry !== undefined && !country) return null;
  // `00` is the international call prefix everywhere in Europe; without a default country the
  // parser cannot know that, so it is read as `+` here.
  if (!country && text.startsWith('00')) text = `+${text.slice(2)}`;
  const parsed = parsePhoneNumberFromString(text, country ? { defaultCountry: country } : undefined);
  if (!parsed || !parsed.isValid() || parsed.ext || !parsed.country) return null;
  const type = parsed.getType();
  return {
    e164: parsed.number,
    country: parsed.country,
    mobile: type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE',
    masked: maskParsed(parsed),
  };
}

/**
 * The masked form of an E.164 number for display and audit: the country code and the first
 * group (operator or area prefix) stay, as do the last two digits, so a person can recognise
 * their own number; the rest becomes `•`, in groups of four. At least four digits are always
 * hidden. Input that is not a valid E.164 number becomes `+•••`, never the input itself.
 */
export function maskPhoneNumber(e164: string): string {
  const parsed = typeof e164 === 'string' && e164.length <= MAX_INPUT_LENGTH ? parsePhoneNumberFromString(e164) : undefined;
  return parsed?.isValid() ? maskParsed(parsed) : '+•••';
}

function maskParsed(parsed: PhoneNumber): string {
  const national: string = parsed.nationalNumber;
  // "+31 6 12345678" → the group after the country code, "6".
  let lead = parsed.formatInternational().split(' ')[1]?.replace(/\D/g, '') ?? '';
  if (!national.startsWith(lead) || lead.length === national.length) lead = '';
  const hidden = 4;
  if (national.length - lead.length - 2 < hidden) lead = lead.slice(0, Math.max(0, national.length - 2 - hidden));
  const rest = national.slice(lead.length);
  const masked = '•'.repeat(Math.max(0, rest.length - 2)) + rest.slice(-2);
  const grouped = masked.match(/.{1,4}/g)!.join(' ');
  return `+${parsed.countryCallingCode}${lead ? ` ${lead}` : ''} ${grouped}`;
}
