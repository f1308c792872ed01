import { randomInt } from 'node:crypto';
import type { PasswordHasher } from '../../core/security/password-hashing.ts';
import { safeEqual, sha256 } from '../../core/security/tokens.ts';

/**
 * Recovery codes: 10 per set, each 28 characters of Crockford's base32 (no I, L, O, U), 140 bits
 * from the CSPRNG, shown once as seven groups of four ("7KQD-2M9X-…"). The first group is a lookup
 * key stored in clear, so a typed code is compared with one stored row, not ten; the other 24
 * characters (120 bits) are stored only as a SHA-256 digest.
 *
 * Why not argon2id: ASVS 5.0 6.5.2 asks for a password hash only for lookup secrets under 112 bits
 * and allows a standard hash function at 112 bits or more, because nobody can guess through 2^120
 * candidates however fast each guess is (the same reason session tokens are stored as SHA-256).
 * A slow hash here bought nothing and cost ten argon2id hashes (about 200 ms of server CPU) for
 * every new set. Sets made before this change hold argon2id hashes; they are still checked as such.
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

const digestPrefix = 'sha256:';

/** The stored form of a code's secret part; the label keeps it apart from any other SHA-256 use. */
export const recoveryCodeDigest = (secret: string): string => `${digestPrefix}${sha256(`haven recovery code v1\u0000${secret}`).toString('base64url')}`;

/** Whether a typed secret part matches the stored one: a digest, or an older set's argon2id hash. */
export async function recoveryCodeMatches(stored: string, secret: string, hasher: PasswordHasher): Promise<boolean> {
  if (stored.startsWith(digestPrefix)) return safeEqual(stored, recoveryCodeDigest(secret));
  return hasher.verify(stored, secret);
}
