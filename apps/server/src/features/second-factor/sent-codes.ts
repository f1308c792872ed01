import { randomInt } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { FieldCrypto } from '../../core/crypto/field-crypto.ts';
import type { Tx } from '../../core/db/database.ts';
import { sentCodes } from '../../core/db/schema.ts';
import { AppError } from '../../core/errors.ts';
import { newId, safeEqual } from '../../core/security/tokens.ts';

/*
 * One-time codes sent by SMS or e-mail (out-of-band codes, ASVS 6.5 / 6.6): six digits from the
 * CSPRNG (ASVS 6.5.3, ≈20 bits: 6.5.4), kept only as a keyed hash, bound to the session and the
 * purpose they were sent for (6.6.2), short-lived (6.5.5), single use (6.5.1) and rate-limited
 * (6.6.3): five wrong tries void a code, and sends are limited per account and channel. On top of
 * that every wrong code at sign-in or step-up counts toward the account lock.
 */

export type CodeChannel = 'sms' | 'email';
export type CodePurpose = 'setup' | 'sign_in' | 'step_up';

/**
 * E-mail codes live two minutes (issue 4); SMS codes five, because text messages are sometimes
 * delayed by a minute or two on the way. Both are well inside ASVS 6.5.5's ten minutes.
 */
export const codeLifetimeMs: Record<CodeChannel, number> = { email: 2 * 60_000, sms: 5 * 60_000 };
/** Wrong tries a code takes before it is void and a new one must be sent. */
export const maxTriesPerCode = 5;
/** No new code within this long of the last one (per account and channel). */
export const resendGapMs = 30_000;
/** At most `maxSendsPerWindow` codes per account and channel in a window of this length. */
export const sendWindowMs = 15 * 60_000;
export const maxSendsPerWindow = 5;

export const newSixDigitCode = (): string => String(randomInt(0, 1_000_000)).padStart(6, '0');

/**
 * HMAC-SHA-256 under the platform's blind-index key, salted with the code's random id. A plain
 * hash of six digits is reversed by trying all million; without the key nothing can be tried.
 */
const hashCode = (tx: Tx, fields: FieldCrypto, codeId: string, code: string): Promise<Buffer> => fields.index(tx, 'platform', 'sent_code', `${codeId}:${code}`);

/** Only digits count; people type spaces and hyphens. */
export const codeDigits = (typed: string): string => typed.replace(/[\s-]/g, '');

export interface IssuedCode {
  code: string;
  expiresAt: Date;
  resendAfterSeconds: number;
}

/**
 * Makes a new code for the account and channel (replacing the one before), after the send limits:
 * not within 30 seconds of the last send (unless that code was used), at most five per 15 minutes — else CODE_RESEND_TOO_SOON
 * with the seconds to wait. The row is locked for the check, so parallel requests cannot both
 * pass. A code sent while the last one was still live inherits its wrong tries: asking again
 * buys no fresh guesses. The caller delivers the code after this transaction commits.
 */
export async function issueCode(tx: Tx, fields: FieldCrypto, input: { accountId: string; channel: CodeChannel; purpose: CodePurpose; boundTo: string; now: Date }): Promise<IssuedCode> {
  const { accountId, channel, purpose, boundTo, now } = input;
  const [last] = await tx.select().from(sentCodes).where(and(eq(sentCodes.accountId, accountId), eq(sentCodes.channel, channel))).for('update');
  const t = now.getTime();
  let windowStartedAt = now;
  let windowSends = 1;
  let failedAttempts = 0;
  if (last) {
    const sinceLast = t - last.sentAt.getTime();
    // The wait is for codes still on their way or being guessed at; after a right one (a setup
    // just confirmed, a sign-in just done) the next may be sent at once. The window still counts.
    if (!last.usedAt && sinceLast < resendGapMs) throw new AppError('CODE_RESEND_TOO_SOON', { retryAfterSeconds: Math.ceil((resendGapMs - sinceLast) / 1000), internal: `${channel}: resend within ${resendGapMs / 1000}s` });
    if (t - last.windowStartedAt.getTime() < sendWindowMs) {
      if (last.windowSends >= maxSendsPerWindow) {
        throw new AppError('CODE_RESEND_TOO_SOON', { retryAfterSeconds: Math.ceil((last.windowStartedAt.getTime() + sendWindowMs - t) / 1000), internal: `${channel}: ${maxSendsPerWindow} sends in the window` });
      }
      windowStartedAt = last.windowStartedAt;
      windowSends = last.windowSends + 1;
    }
    // Still live (not used, not void, not expired): its wrong tries stay with the new code.
    if (last.codeHash && last.expiresAt > now) failedAttempts = last.failedAttempts;
  }
  const code = newSixDigitCode();
  const codeId = newId();
  const codeHash = await hashCode(tx, fields, codeId, code);
  const expiresAt = new Date(t + codeLifetimeMs[channel]);
  const values = { purpose, boundTo, codeId, codeHash, sentAt: now, expiresAt, failedAttempts, usedAt: null, windowStartedAt, windowSends };
  await tx
    .insert(sentCodes)
    .values({ accountId, channel, ...values })
    .onConflictDoUpdate({ target: [sentCodes.accountId, sentCodes.channel], set: values });
  return { code, expiresAt, resendAfterSeconds: resendGapMs / 1000 };
}

/** A code that could not be delivered is withdrawn (the send still counts toward the limits). */
export async function withdrawCode(tx: Tx, accountId: string, channel: CodeChannel): Promise<void> {
  await tx.update(sentCodes).set({ codeHash: null }).where(and(eq(sentCodes.accountId, accountId), eq(sentCodes.channel, channel)));
}

/**
 * Checks a typed code against the one sent on this channel for this session and purpose, under a
 * row lock: a right one is spent (its hash cleared), a wrong one counted — the fifth voids the
 * code. Expired, used, void, foreign (another session or purpose) and missing codes are all just
 * `false`, as is anything not six digits.
 */
export async function consumeCode(tx: Tx, fields: FieldCrypto, input: { accountId: string; channel: CodeChannel; purpose: CodePurpose; boundTo: string; code: string; now: Date }): Promise<boolean> {
  const { accountId, channel, now } = input;
  const [row] = await tx.select().from(sentCodes).where(and(eq(sentCodes.accountId, accountId), eq(sentCodes.channel, channel))).for('update');
  if (!row?.codeHash || row.expiresAt <= now || row.failedAttempts >= maxTriesPerCode) return false;
  const typed = codeDigits(input.code);
  const matches = /^\d{6}$/.test(typed) && safeEqual(await hashCode(tx, fields, row.codeId, typed), row.codeHash);
  if (matches && row.boundTo === input.boundTo && row.purpose === input.purpose) {
    await tx.update(sentCodes).set({ codeHash: null, usedAt: now }).where(and(eq(sentCodes.accountId, accountId), eq(sentCodes.channel, channel)));
    return true;
  }
  const failedAttempts = row.failedAttempts + 1;
  await tx
    .update(sentCodes)
    .set({ failedAttempts, ...(failedAttempts >= maxTriesPerCode ? { codeHash: null } : {}) })
    .where(and(eq(sentCodes.accountId, accountId), eq(sentCodes.channel, channel)));
  return false;
}

/** Forgets the account's codes on a channel (the factor was removed). */
export async function deleteCodes(tx: Tx, accountId: string, channel: CodeChannel): Promise<void> {
  await tx.delete(sentCodes).where(and(eq(sentCodes.accountId, accountId), eq(sentCodes.channel, channel)));
}
