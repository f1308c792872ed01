import { and, desc, eq, gt, isNotNull, sql } from 'drizzle-orm';
import type { Tx } from '../../core/db/database.ts';
import { accountCountries, accountDevices, sessions } from '../../core/db/schema.ts';
import { newId } from '../../core/security/tokens.ts';

export type DeviceRow = typeof accountDevices.$inferSelect;

export async function findDevice(tx: Tx, accountId: string, deviceHash: Buffer): Promise<DeviceRow | undefined> {
  const [row] = await tx
    .select()
    .from(accountDevices)
    .where(and(eq(accountDevices.accountId, accountId), eq(accountDevices.deviceHash, deviceHash)))
    .limit(1);
  return row;
}

/** The account's known devices, most recently used first. */
export function devicesOf(tx: Tx, accountId: string): Promise<DeviceRow[]> {
  return tx.select().from(accountDevices).where(eq(accountDevices.accountId, accountId)).orderBy(desc(accountDevices.lastSeenAt));
}

/** The device of the account's most recent completed sign-in (for impossible travel), if any. */
export async function lastSignInDevice(tx: Tx, accountId: string): Promise<DeviceRow | undefined> {
  const [row] = await tx.select().from(accountDevices).where(eq(accountDevices.accountId, accountId)).orderBy(desc(accountDevices.lastSeenAt)).limit(1);
  return row;
}

export async function countriesOf(tx: Tx, accountId: string): Promise<string[]> {
  const rows = await tx.select({ country: accountCountries.country }).from(accountCountries).where(eq(accountCountries.accountId, accountId)).orderBy(accountCountries.country);
  return rows.map((row) => row.country);
}

/**
 * A completed sign-in from this device: known from now on (or again), last seen now, from this
 * country. One upsert, so two sign-ins from a new browser at once cannot make two rows.
 */
export async function recordDeviceSignIn(tx: Tx, input: { accountId: string; deviceHash: Buffer; label: string; country: string | null; now: Date }): Promise<DeviceRow> {
  const [row] = await tx
    .insert(accountDevices)
    .values({ id: newId(), accountId: input.accountId, deviceHash: input.deviceHash, label: input.label, firstSeenAt: input.now, lastSeenAt: input.now, lastCountry: input.country })
    .onConflictDoUpdate({
      target: [accountDevices.accountId, accountDevices.deviceHash],
      set: { label: input.label, lastSeenAt: input.now, lastCountry: input.country },
    })
    .returning();
  return row!;
}

export async function recordCountry(tx: Tx, accountId: string, country: string, now: Date): Promise<void> {
  await tx
    .insert(accountCountries)
    .values({ accountId, country, firstSeenAt: now, lastSeenAt: now })
    .onConflictDoUpdate({ target: [accountCountries.accountId, accountCountries.country], set: { lastSeenAt: now } });
}

export async function trustDevice(tx: Tx, deviceId: string, now: Date, until: Date): Promise<void> {
  await tx.update(accountDevices).set({ trustedAt: now, trustedUntil: until }).where(eq(accountDevices.id, deviceId));
}

/** Ends the trust of one of the account's devices; false when it has no such device. */
export async function revokeDeviceTrust(tx: Tx, accountId: string, deviceId: string): Promise<boolean> {
  const rows = await tx
    .update(accountDevices)
    .set({ trustedAt: null, trustedUntil: null })
    .where(and(eq(accountDevices.id, deviceId), eq(accountDevices.accountId, accountId)))
    .returning({ id: accountDevices.id });
  return rows.length === 1;
}

/** Ends the trust of all the account's devices; returns how many had trust set. */
export async function revokeAllDeviceTrust(tx: Tx, accountId: string): Promise<number> {
  const rows = await tx
    .update(accountDevices)
    .set({ trustedAt: null, trustedUntil: null })
    .where(and(eq(accountDevices.accountId, accountId), isNotNull(accountDevices.trustedUntil)))
    .returning({ id: accountDevices.id });
  return rows.length;
}

/** Marks a held session confirmed (its link was opened) and wakes it: one conditional UPDATE. */
export async function confirmHeldSession(tx: Tx, holdTokenId: string, now: Date): Promise<{ id: string; orgId: string | null; accountId: string } | undefined> {
  const [row] = await tx
    .update(sessions)
    .set({ pending: 'confirmed', lastActiveAt: now, lockedAt: null })
    .where(and(eq(sessions.holdTokenId, holdTokenId), eq(sessions.pending, 'confirmation'), sql`${sessions.endedAt} is null`, gt(sessions.absoluteExpiresAt, now)))
    .returning({ id: sessions.id, orgId: sessions.orgId, accountId: sessions.accountId });
  return row;
}

export async function findSessionRow(tx: Tx, sessionId: string) {
  const [row] = await tx.select().from(sessions).where(eq(sessions.id, sessionId)).limit(1);
  return row;
}
