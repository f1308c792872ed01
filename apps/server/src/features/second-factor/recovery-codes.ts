import { randomInt } from 'node:crypto';

/**
 * Recovery codes: 10 per set, each 28 characters of Crockford's base32 (no I, L, O, U), 140 bits
 * from the CSPRNG, shown once as seven groups of four ("7KQD-2M9X-…"). ASVS 6.5.2 asks for at
 * least 112 bits, hashed with a password hash. The first group is a lookup key stored in clear so
 * a code is checked with one argon2id verification, not ten; the other 24 characters (120 bits)
 * are only stored as their argon2id hash.
 */
export const recoveryCodeCount = 10;
export const recoveryCodeLength = 28;
const lookupLength = 4;
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < recoveryCodeLength; i++) code += alphabet[randomInt(alphabet.length)];
  return code;
}

/** "7KQD-2M9X-…" for showing; input is accepted with or without the hyphens. */
export const formatRecoveryCode = (code: string): string => code.match(/.{1,4}/g)!.join('-');

/**
 * A typed code in canonical form, or null: case, spaces and hyphens do not matter, and the
 * letters people confuse with digits read as those digits (O → 0, I and L → 1), as Crockford
 * intended.
 */
export function normaliseRecoveryCode(input: string): string | null {
  const code = input
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (code.length !== recoveryCodeLength) return null;
  for (const char of code) if (!alphabet.includes(char)) return null;
  return code;
}

export const splitRecoveryCode = (code: string): { lookup: string; secret: string } => ({ lookup: code.slice(0, lookupLength), secret: code.slice(lookupLength) });
