/**
 * National identifiers of patients, checked by their own check digits before anything is
 * stored (shared by the web form and the server):
 * - NL **BSN**: 9 digits (8-digit numbers take a leading zero), the "11-proof":
 *   9·d1 + 8·d2 + … + 2·d8 − 1·d9 is a multiple of 11, and not all zeros.
 * - DE **KVNR** (the unchangeable part of the health-insurance number): a letter and 9 digits; the
 *   letter becomes its two-digit position (A = 01 … Z = 26), the resulting 10 digits are weighted
 *   1, 2, 1, 2, …, two-digit products are replaced by their digit sum, and the total modulo 10
 *   is the last digit.
 * - AT **SVNR** (social-insurance number): 10 digits, a 3-digit serial (not starting with 0), a
 *   check digit, and the birth date DDMMYY; the check digit is the weighted sum
 *   (3, 7, 9 · serial; 5, 8, 4, 2, 1, 6 · date) modulo 11 — a remainder of 10 is never issued.
 */
export type NationalIdKind = 'bsn' | 'kvnr' | 'svnr';

/** The country each kind belongs to. */
export const nationalIdKindOf = { NL: 'bsn', DE: 'kvnr', AT: 'svnr' } as const satisfies Record<string, NationalIdKind>;

/** Spaces, dots and hyphens people type are ignored; letters are compared in upper case. */
export const normaliseNationalId = (raw: string): string => raw.replace(/[\s.\-]/g, '').toUpperCase();

const digitsOf = (value: string): number[] => [...value].map(Number);

function isBsn(value: string): boolean {
  const id = value.length === 8 ? `0${value}` : value;
  if (!/^\d{9}$/.test(id) || /^0+$/.test(id)) return false;
  const d = digitsOf(id);
  const sum = d.slice(0, 8).reduce((total, digit, index) => total + digit * (9 - index), 0) - d[8]!;
  return sum % 11 === 0;
}

function isKvnr(value: string): boolean {
  if (!/^[A-Z]\d{9}$/.test(value)) return false;
  const letter = String(value.charCodeAt(0) - 64).padStart(2, '0');
  const digits = digitsOf(letter + value.slice(1, 9));
  const sum = digits.reduce((total, digit, index) => {
    const product = digit * (index % 2 === 0 ? 1 : 2);
    return total + (product > 9 ? Math.floor(product / 10) + (product % 10) : product);
  }, 0);
  return sum % 10 === Number(value[9]);
}

function isSvnr(value: string): boolean {
  if (!/^[1-9]\d{9}$/.test(value)) return false;
  const d = digitsOf(value);
  const weights = [3, 7, 9, 0, 5, 8, 4, 2, 1, 6];
  const remainder = d.reduce((total, digit, index) => total + digit * weights[index]!, 0) % 11;
  // The date part is not checked against the calendar: numbers are issued with substitute dates
  // for people whose birth date is unknown.
  return remainder !== 10 && remainder === d[3];
}

const checks: Record<NationalIdKind, (value: string) => boolean> = { bsn: isBsn, kvnr: isKvnr, svnr: isSvnr };

/** The identifier as stored (normalised), or null when its form or check digit is wrong. */
export function validNationalId(kind: NationalIdKind, raw: string): string | null {
  const value = normaliseNationalId(raw);
  const normalised = kind === 'bsn' && value.length === 8 ? `0${value}` : value;
  return checks[kind](normalised) ? normalised : null;
}
