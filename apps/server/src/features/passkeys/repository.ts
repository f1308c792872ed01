import { and, asc, count, eq, lt, or, sql } from 'drizzle-orm';
import type { FieldCrypto, Place } from '../../core/crypto/field-crypto.ts';
import type { Tx } from '../../core/db/database.ts';
import { accountPasskeys, accounts, webauthnChallenges } from '../../core/db/schema.ts';

/*
 * Passkey names are chosen by their holders and are often personal ("Anna's iPhone", "work
 * laptop"): sealed under the platform key, bound to their row, like the TOTP secret.
 */
const namePlace = (passkeyId: string): Place => ({ table: 'account_passkeys', column: 'name', scope: 'platform', rowId: passkeyId });

export interface PasskeyRow {
  id: string;
  accountId: string;
  credentialId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  userHandle: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface NamedPasskeyRow extends PasskeyRow {
  name: string;
}

const credentialColumns = {
  id: accountPasskeys.id,
  accountId: accountPasskeys.accountId,
  credentialId: accountPasskeys.credentialId,
  publicKey: accountPasskeys.publicKey,
  counter: accountPasskeys.counter,
  transports: accountPasskeys.transports,
  deviceType: accountPasskeys.deviceType,
  backedUp: accountPasskeys.backedUp,
  userHandle: accountPasskeys.userHandle,
  createdAt: accountPasskeys.createdAt,
  lastUsedAt: accountPasskeys.lastUsedAt,
};

/** An account's passkeys without their names (what a ceremony needs), oldest first. */
export function passkeyCredentialsOf(tx: Tx, accountId: string): Promise<PasskeyRow[]> {
  return tx.select(credentialColumns).from(accountPasskeys).where(eq(accountPasskeys.accountId, accountId)).orderBy(asc(accountPasskeys.createdAt), asc(accountPasskeys.id));
}

/** An account's passkeys with their names opened, oldest first. */
export async function listPasskeys(tx: Tx, fields: FieldCrypto, accountId: string): Promise<NamedPasskeyRow[]> {
  const rows = await tx.select().from(accountPasskeys).where(eq(accountPasskeys.accountId, accountId)).orderBy(asc(accountPasskeys.createdAt), asc(accountPasskeys.id));
  const open = fields.openerFor(tx, 'platform');
  return Promise.all(rows.map(async ({ name, ...row }) => ({ ...row, name: await open({ table: 'account_passkeys', column: 'name', rowId: row.id }, name) })));
}

/** One of the account's passkeys, or undefined (also when it belongs to someone else). */
export async function findPasskeyOf(tx: Tx, fields: FieldCrypto, accountId: string, passkeyId: string): Promise<NamedPasskeyRow | undefined> {
  const [row] = await tx.select().from(accountPasskeys).where(and(eq(accountPasskeys.id, passkeyId), eq(accountPasskeys.accountId, accountId))).limit(1);
  if (!row) return undefined;
  const { name, ...rest } = row;
  return { ...rest, name: await fields.open(tx, namePlace(row.id), name) };
}

/** The passkey with this credential id, whoever holds it (passwordless sign-in). */
export async function findPasskeyByCredentialId(tx: Tx, credentialId: string): Promise<PasskeyRow | undefined> {
  const [row] = await tx.select(credentialColumns).from(accountPasskeys).where(eq(accountPasskeys.credentialId, credentialId)).limit(1);
  return row;
}

export async function countPasskeys(tx: Tx, accountId: string): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(accountPasskeys).where(eq(accountPasskeys.accountId, accountId));
  return row?.n ?? 0;
}

export async function hasPasskey(tx: Tx, accountId: string): Promise<boolean> {
  const [row] = await tx.select({ id: accountPasskeys.id }).from(accountPasskeys).where(eq(accountPasskeys.accountId, accountId)).limit(1);
  return row !== undefined;
}

/** Inserts a new passkey; false when its credential id is registered already (to anyone). */
export async function insertPasskey(tx: Tx, fields: FieldCrypto, passkey: Omit<NamedPasskeyRow, 'lastUsedAt'>): Promise<boolean> {
  const { name, ...row } = passkey;
  const rows = await tx
    .insert(accountPasskeys)
    .values({ ...row, name: await fields.seal(tx, namePlace(row.id), name), lastUsedAt: null })
    .onConflictDoNothing({ target: accountPasskeys.credentialId })
    .returning({ id: accountPasskeys.id });
  return rows.length === 1;
}

export async function renamePasskey(tx: Tx, fields: FieldCrypto, accountId: string, passkeyId: string, name: string): Promise<boolean> {
  const rows = await tx
    .update(accountPasskeys)
    .set({ name: await fields.seal(tx, namePlace(passkeyId), name) })
    .where(and(eq(accountPasskeys.id, passkeyId), eq(accountPasskeys.accountId, accountId)))
    .returning({ id: accountPasskeys.id });
  return rows.length === 1;
}

export async function deletePasskey(tx: Tx, accountId: string, passkeyId: string): Promise<boolean> {
  const rows = await tx
    .delete(accountPasskeys)
    .where(and(eq(accountPasskeys.id, passkeyId), eq(accountPasskeys.accountId, accountId)))
    .returning({ id: accountPasskeys.id });
  return rows.length === 1;
}

/**
 * Records a use with the counter the authenticator reported, in one conditional UPDATE: a
 * non-zero counter must be above the stored one (so of two parallel answers with the same counter
 * only one passes, and a cloned authenticator that falls behind is refused); authenticators that
 * keep no counter report 0 every time, and there the single-use challenge prevents replays.
 */
export async function recordPasskeyUse(tx: Tx, passkeyId: string, input: { counter: number; backedUp: boolean; now: Date }): Promise<boolean> {
  const rows = await tx
    .update(accountPasskeys)
    .set({ counter: input.counter, backedUp: input.backedUp, lastUsedAt: input.now })
    .where(and(eq(accountPasskeys.id, passkeyId), or(lt(accountPasskeys.counter, input.counter), and(eq(accountPasskeys.counter, 0), sql`${input.counter} = 0`))))
    .returning({ id: accountPasskeys.id });
  return rows.length === 1;
}

/**
 * Serialises changes to one account's factors (adding, removing): the rule "a practice that
 * requires a second factor keeps the last one" is checked after the change, inside the same
 * transaction, and two removals running side by side must not both see the other's factor.
 */
export async function lockFactorsOf(tx: Tx, accountId: string): Promise<void> {
  await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)).for('update');
}

// ---- challenges ----

export type Ceremony = 'registration' | 'second_factor' | 'step_up' | 'passwordless';

export interface OpenChallenge {
  accountId: string | null;
  challengeHash: string;
  userHandle: string | null;
  expiresAt: Date;
}

/**
 * Opens a ceremony: one challenge per requester and kind, so asking again voids the previous
 * one. Challenges nobody answered are swept on the way, a day after they expired by the
 * database's clock: an expired challenge is refused at once anyway (see takeChallenge's callers),
 * and the margin keeps the sweep off the open ceremonies of other app instances whose clocks
 * differ (test harnesses with their own clocks share one PostgreSQL database).
 */
export async function saveChallenge(
  tx: Tx,
  input: { id: string; ceremony: Ceremony; boundTo: string; accountId: string | null; challengeHash: string; userHandle: string | null; now: Date; expiresAt: Date },
): Promise<void> {
  await tx.delete(webauthnChallenges).where(sql`${webauthnChallenges.expiresAt} < now() - interval '1 day'`);
  const { id, now, ...values } = input;
  await tx
    .insert(webauthnChallenges)
    .values({ id, createdAt: now, ...values })
    .onConflictDoUpdate({
      target: [webauthnChallenges.boundTo, webauthnChallenges.ceremony],
      set: { id, createdAt: now, accountId: values.accountId, challengeHash: values.challengeHash, userHandle: values.userHandle, expiresAt: values.expiresAt },
    });
}

/**
 * Takes the open challenge of this kind and requester, once: deleted in the same statement that
 * reads it, whether or not the answer will be right (the caller checks expiry and account).
 */
export async function takeChallenge(tx: Tx, input: { ceremony: Ceremony; boundTo: string }): Promise<OpenChallenge | undefined> {
  const [row] = await tx
    .delete(webauthnChallenges)
    .where(and(eq(webauthnChallenges.ceremony, input.ceremony), eq(webauthnChallenges.boundTo, input.boundTo)))
    .returning({ accountId: webauthnChallenges.accountId, challengeHash: webauthnChallenges.challengeHash, userHandle: webauthnChallenges.userHandle, expiresAt: webauthnChallenges.expiresAt });
  return row;
}
