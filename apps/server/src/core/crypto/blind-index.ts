import { createHmac } from 'node:crypto';

/**
 * Blind indexes: searching encrypted fields without decrypting them. The index of a value is
 * HMAC-SHA-256 under a blind-index key (never the encryption key) over the *normalised* value
 * and a purpose label, truncated to 16 bytes (128 bits: collisions stay negligible for any
 * practice, and the stored index is no longer than needed). docs/encryption.md says what an
 * index reveals: equal values have equal indexes within one scope.
 */
export const blindIndexBytes = 16;

/** Case, accents and spacing do not matter for matching: "  Jänsen " finds "jansen". */
export function normaliseForIndex(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .trim();
}

/** The exact-match index of a value (e-mail, date of birth, national identifier). */
export function blindIndex(key: Buffer, purpose: string, value: string): Buffer {
  return createHmac('sha256', key).update(`${purpose}\u0000${normaliseForIndex(value)}`).digest().subarray(0, blindIndexBytes);
}

/**
 * Prefix tokens for names: for each word, the index of every prefix from `minLength` letters on,
 * so that "Jans" finds "Jansen" and "van der Berg" is found by "berg". The set is what a row
 * stores; a search computes the single token of what was typed.
 */
export function prefixTokens(key: Buffer, purpose: string, name: string, minLength = 3): Buffer[] {
  const tokens = new Map<string, Buffer>();
  for (const word of normaliseForIndex(name).split(/[\s\-'’.]+/u)) {
    for (let length = Math.min(minLength, word.length); length <= word.length; length++) {
      if (length === 0) continue;
      const prefix = word.slice(0, length);
      if (!tokens.has(prefix)) tokens.set(prefix, blindIndex(key, `${purpose}:prefix`, prefix));
    }
  }
  return [...tokens.values()];
}

/**
 * The tokens to look up for a multi-word name search, one per typed word; a patient matches when
 * they hold every one. A word of 3 or more letters matches as a prefix ("jans" finds "Jansen");
 * a shorter one only as a whole word ("Li" finds "Li", not "Lindgren"), because `prefixTokens`
 * stores short words whole and no prefix shorter than 3 letters.
 */
export function prefixQueryTokens(key: Buffer, purpose: string, typed: string): Buffer[] {
  const words = new Set(normaliseForIndex(typed).split(/[\s\-'’.]+/u).filter((word) => word.length > 0));
  return [...words].map((word) => blindIndex(key, `${purpose}:prefix`, word));
}

/** The token to look up for what someone typed into a name search. */
export function prefixQueryToken(key: Buffer, purpose: string, typed: string): Buffer {
  return blindIndex(key, `${purpose}:prefix`, normaliseForIndex(typed).split(' ')[0] ?? '');
}
