import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import type { FieldCrypto, Place } from '../../core/crypto/field-crypto.ts';
import type { Tx } from '../../core/db/database.ts';
import { accountEmailCode, accountPhones } from '../../core/db/schema.ts';

/* The e-mail code factor and the phone for SMS codes: identity data, one of each per account. */

// ---- e-mail code ----

export async function findEmailCodeFactor(tx: Tx, accountId: string): Promise<{ createdAt: Date; confirmedAt: Date | null } | undefined> {
  const [row] = await tx.select().from(accountEmailCode).where(eq(accountEmailCode.accountId, accountId)).limit(1);
  return row;
}

/** Starts (or restarts) turning the e-mail code on; refuses while it is on already. */
export async function saveUnconfirmedEmailCode(tx: Tx, accountId: string, now: Date): Promise<boolean> {
  const rows = await tx
    .insert(accountEmailCode)
    .values({ accountId, createdAt: now })
    .onConflictDoUpdate({ target: accountEmailCode.accountId, set: { createdAt: now }, setWhere: isNull(accountEmailCode.confirmedAt) })
    .returning({ accountId: accountEmailCode.accountId });
  return rows.length === 1;
}

export async function confirmEmailCode(tx: Tx, accountId: string, now: Date): Promise<boolean> {
  const rows = await tx
    .update(accountEmailCode)
    .set({ confirmedAt: now })
    .where(and(eq(accountEmailCode.accountId, accountId), isNull(accountEmailCode.confirmedAt)))
    .returning({ accountId: accountEmailCode.accountId });
  return rows.length === 1;
}

export async function deleteEmailCode(tx: Tx, accountId: string): Promise<{ wasConfirmed: boolean } | null> {
  const rows = await tx.delete(accountEmailCode).where(eq(accountEmailCode.accountId, accountId)).returning({ confirmedAt: accountEmailCode.confirmedAt });
  return rows[0] ? { wasConfirmed: rows[0].confirmedAt !== null } : null;
}

export async function hasConfirmedEmailCode(tx: Tx, accountId: string): Promise<boolean> {
  const [row] = await tx.select({ at: accountEmailCode.confirmedAt }).from(accountEmailCode).where(and(eq(accountEmailCode.accountId, accountId), isNotNull(accountEmailCode.confirmedAt))).limit(1);
  return row !== undefined;
}

// ---- phone ----

const numberPlace = (accountId: string): Place => ({ table: 'account_phones', column: 'number', scope: 'platform', rowId: accountId });

export interface PhoneRow {
  /** E.164, opened. */
  number: string;
  createdAt: Date;
  verifiedAt: Date | null;
}

export async function findPhone(tx: Tx, fields: FieldCrypto, accountId: string): Promise<PhoneRow | undefined> {
  const [row] = await tx.select().from(accountPhones).where(eq(accountPhones.accountId, accountId)).limit(1);
  if (!row) return undefined;
  return { number: await fields.open(tx, numberPlace(accountId), row.number), createdAt: row.createdAt, verifiedAt: row.verifiedAt };
}

/** Saves a number to verify (replacing one not yet verified); refuses while a verified one exists. */
export async function saveUnverifiedPhone(tx: Tx, fields: FieldCrypto, accountId: string, e164: string, now: Date): Promise<boolean> {
  const sealed = await fields.seal(tx, numberPlace(accountId), e164);
  const rows = await tx
    .insert(accountPhones)
    .values({ accountId, number: sealed, createdAt: now })
    .onConflictDoUpdate({ target: accountPhones.accountId, set: { number: sealed, createdAt: now }, setWhere: isNull(accountPhones.verifiedAt) })
    .returning({ accountId: accountPhones.accountId });
  return rows.length === 1;
}

export async function verifyPhone(tx: Tx, accountId: string, now: Date): Promise<boolean> {
  const rows = await tx
    .update(accountPhones)
    .set({ verifiedAt: now })
    .where(and(eq(accountPhones.accountId, accountId), isNull(accountPhones.verifiedAt)))
    .returning({ accountId: accountPhones.accountId });
  return rows.length === 1;
}

export async function deletePhone(tx: Tx, accountId: string): Promise<{ wasVerified: boolean } | null> {
  const rows = await tx.delete(accountPhones).where(eq(accountPhones.accountId, accountId)).returning({ verifiedAt: accountPhones.verifiedAt });
  return rows[0] ? { wasVerified: rows[0].verifiedAt !== null } : null;
}

export async function hasVerifiedPhone(tx: Tx, accountId: string): Promise<boolean> {
  const [row] = await tx.select({ at: accountPhones.verifiedAt }).from(accountPhones).where(and(eq(accountPhones.accountId, accountId), isNotNull(accountPhones.verifiedAt))).limit(1);
  return row !== undefined;
}
