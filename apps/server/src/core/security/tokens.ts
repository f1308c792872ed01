import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** A 256-bit random token for links and sessions, URL-safe (ASVS 7.2.3 asks ≥ 128 bits). */
export const newToken = (): string => randomBytes(32).toString('base64url');
export const newId = (): string => randomUUID();

/** Tokens are stored only as their SHA-256: a copy of the database opens no session and no link. */
export const sha256 = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = Buffer.isBuffer(a) ? a : Buffer.from(a);
  const right = Buffer.isBuffer(b) ? b : Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
