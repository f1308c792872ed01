import { Factor, type SecondFactorMethod } from '@haven/contracts';
import { and, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { FieldCrypto, Place } from '../../core/crypto/field-crypto.ts';
import type { Tx } from '../../core/db/database.ts';
import { accountEmailCode, accountPasskeys, accountPhones, accountTotp, recoveryCodes, sentCodes } from '../../core/db/schema.ts';
import { hasPasskey } from '../passkeys/repository.ts';
import { hasConfirmedEmailCode, hasVerifiedPhone } from './code-factors-repository.ts';

const secretPlace = (accountId: string): Place => ({ table: 'account_totp', column: 'secret', scope: 'platform', rowId: accountId });

export interface TotpRow {
  secret: string;
  createdAt: Date;
  confirmedAt: Date | null;
  lastUsedStep: number | null;
  lastUsedAt: Date | null;
}

export async function findTotp(tx: Tx, fields: FieldCrypto, accountId: string): Promise<TotpRow | undefined> {
  const [row] = await tx.select().from(accountTotp).where(eq(accountTotp.accountId, accountId)).limit(1);
  if (!row) return undefined;
  return { ...row, secret: await fields.open(tx, secretPlace(accountId), row.secret) };
}

/** Starts (or restarts) a setup; refuses while a confirmed app exists. */
export async function saveUnconfirmedTotp(tx: Tx, fields: FieldCrypto, accountId: string, secret: string, now: Date): Promise<boolean> {
  const sealed = await fields.seal(tx, secretPlace(accountId), secret);
  const rows = await tx
    .insert(accountTotp)
    .values({ accountId, secret: sealed, createdAt: now })
    .onConflictDoUpdate({ target: accountTotp.accountId, set: { secret: sealed, createdAt: now, lastUsedStep: null, lastUsedAt: null }, setWhere: isNull(accountTotp.confirmedAt) })
    .returning({ accountId: accountTotp.accountId });
  return rows.length === 1;
}

/** Confirms a setup with the step of its first code (which is thereby used). */
export async function confirmTotp(tx: Tx, accountId: string, step: number, now: Date): Promise<boolean> {
  const rows = await tx
    .update(accountTotp)
    .set({ confirmedAt: now, lastUsedStep: step, lastUsedAt: now })
    .where(and(eq(accountTotp.accountId, accountId), isNull(accountTotp.confirmedAt)))
    .returning({ accountId: accountTotp.accountId });
  return rows.length === 1;
}

/**
 * Uses a step, once: succeeds only for a confirmed app whose last used step is older, in one
 * conditional UPDATE, so two requests with the same code cannot both pass.
 */
export async function claimTotpStep(tx: Tx, accountId: string, step: number, now: Date): Promise<boolean> {
  const rows = await tx
    .update(accountTotp)
    .set({ lastUsedStep: step, lastUsedAt: now })
    .where(and(eq(accountTotp.accountId, accountId), isNotNull(accountTotp.confirmedAt), or(isNull(accountTotp.lastUsedStep), lt(accountTotp.lastUsedStep, step))))
    .returning({ accountId: accountTotp.accountId });
  return rows.length === 1;
}

export async function deleteTotp(tx: Tx, accountId: string): Promise<boolean> {
  const rows = await tx.delete(accountTotp).where(eq(accountTotp.accountId, accountId)).returning({ accountId: accountTotp.accountId });
  return rows.length === 1;
}

export async function hasConfirmedTotp(tx: Tx, accountId: string): Promise<boolean> {
  const [row] = await tx.select({ at: accountTotp.confirmedAt }).from(accountTotp).where(and(eq(accountTotp.accountId, accountId), isNotNull(accountTotp.confirmedAt))).limit(1);
  return row !== undefined;
}

/**
 * Whether the account has a second factor — a confirmed authenticator app, a passkey, a
 * confirmed e-mail code, a verified phone — of the given kinds (default: any kind).
 */
export async function hasSecondFactor(tx: Tx, accountId: string, kinds: readonly Factor[] = Factor.options): Promise<boolean> {
  return (await secondFactorMethodsOf(tx, accountId, kinds)).length > 0;
}

/**
 * The second factors an account can answer with at sign-in: those of its factors whose kind its
 * practices allow (`allowed`, see factor-policy.ts; default: every kind) — confirmed app,
 * passkeys, verified phone, confirmed e-mail code — and recovery codes while
 * any are left (they only count alongside a usable factor).
 */
export async function secondFactorMethodsOf(tx: Tx, accountId: string, allowed: readonly Factor[] = Factor.options): Promise<SecondFactorMethod[]> {
  const methods: SecondFactorMethod[] = [];
  if (allowed.includes('totp') && (await hasConfirmedTotp(tx, accountId))) methods.push('totp');
  if (allowed.includes('passkey') && (await hasPasskey(tx, accountId))) methods.push('passkey');
  if (allowed.includes('sms') && (await hasVerifiedPhone(tx, accountId))) methods.push('sms');
  if (allowed.includes('email_code') && (await hasConfirmedEmailCode(tx, accountId))) methods.push('email_code');
  if (methods.length === 0) return [];
  const [left] = await tx.select({ id: recoveryCodes.id }).from(recoveryCodes).where(and(eq(recoveryCodes.accountId, accountId), isNull(recoveryCodes.usedAt))).limit(1);
  return left ? [...methods, 'recovery_code'] : methods;
}

// ---- recovery codes ----

export async function replaceRecoveryCodes(tx: Tx, accountId: string, codes: Array<{ id: string; lookup: string; codeHash: string }>, now: Date): Promise<void> {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.accountId, accountId));
  await tx.insert(recoveryCodes).values(codes.map((code) => ({ ...code, accountId, createdAt: now })));
}

export async function deleteRecoveryCodes(tx: Tx, accountId: string): Promise<void> {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.accountId, accountId));
}

export async function unusedRecoveryCodes(tx: Tx, accountId: string, lookup: string) {
  return tx.select().from(recoveryCodes).where(and(eq(recoveryCodes.accountId, accountId), eq(recoveryCodes.lookup, lookup), isNull(recoveryCodes.usedAt)));
}

/** Spends a code, once (a parallel use of the same code loses). */
export async function markRecoveryCodeUsed(tx: Tx, id: string, now: Date): Promise<boolean> {
  const rows = await tx.update(recoveryCodes).set({ usedAt: now }).where(and(eq(recoveryCodes.id, id), isNull(recoveryCodes.usedAt))).returning({ id: recoveryCodes.id });
  return rows.length === 1;
}

export async function recoveryCodeSummary(tx: Tx, accountId: string): Promise<{ remaining: number; total: number; createdAt: Date } | null> {
  const [row] = await tx
    .select({
      total: sql<number>`count(*)::int`,
      remaining: sql<number>`count(*) filter (where ${recoveryCodes.usedAt} is null)::int`,
      createdAt: sql<Date | string | null>`min(${recoveryCodes.createdAt})`,
    })
    .from(recoveryCodes)
    .where(eq(recoveryCodes.accountId, accountId));
  if (!row || row.total === 0 || !row.createdAt) return null;
  return { remaining: row.remaining, total: row.total, createdAt: new Date(row.createdAt) };
}

/**
 * Removes every second factor of an account — app, passkeys, phone, e-mail code, codes in
 * flight and recovery codes — for an administrator's reset after identity proofing. Returns how
 * many factors there were (recovery codes not counted).
 */
export async function deleteAllSecondFactors(tx: Tx, accountId: string): Promise<number> {
  const totp = await tx.delete(accountTotp).where(eq(accountTotp.accountId, accountId)).returning({ id: accountTotp.accountId });
  const passkeys = await tx.delete(accountPasskeys).where(eq(accountPasskeys.accountId, accountId)).returning({ id: accountPasskeys.id });
  const phones = await tx.delete(accountPhones).where(eq(accountPhones.accountId, accountId)).returning({ id: accountPhones.accountId });
  const email = await tx.delete(accountEmailCode).where(eq(accountEmailCode.accountId, accountId)).returning({ id: accountEmailCode.accountId });
  await tx.delete(sentCodes).where(eq(sentCodes.accountId, accountId));
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.accountId, accountId));
  return totp.length + passkeys.length + phones.length + email.length;
}
