import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Tx } from '../db/database.ts';
import { actionTokens, type ActionTokenPurpose } from '../db/schema.ts';
import type { FieldCrypto, Place } from '../crypto/field-crypto.ts';
import { newId, newToken, sha256 } from './tokens.ts';

const tokenEmailPlace = (id: string): Place => ({ table: 'action_tokens', column: 'email', scope: 'platform', rowId: id });

/** The address a link was issued for (invitee, new address of an e-mail change), opened. */
export function tokenEmail(tx: Tx, fields: FieldCrypto, row: ActionTokenRow): Promise<string | null> {
  return fields.openOptional(tx, tokenEmailPlace(row.id), row.email);
}

export type ActionTokenRow = typeof actionTokens.$inferSelect;

export const tokenLifetimeMs: Record<ActionTokenPurpose, number> = {
  verify_email: 24 * 3600_000,
  email_change: 24 * 3600_000,
  password_reset: 30 * 60_000,
  invitation: 7 * 24 * 3600_000,
  // A held sign-in waits this long for its confirmation (features/devices).
  sign_in_confirmation: 15 * 60_000,
  // "This wasn't me" in the mail about a new browser: long enough to be read after a weekend.
  not_me: 7 * 24 * 3600_000,
  // A patient's invitation to the portal, like a staff invitation.
  patient_invitation: 7 * 24 * 3600_000,
};

/** Issues a single-use link token; only its hash is stored. */
export async function issueActionToken(
  tx: Tx,
  input: { purpose: ActionTokenPurpose; accountId?: string | null; orgId?: string | null; email?: string | null; now: Date },
  fields?: FieldCrypto,
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = newToken();
  const id = newId();
  if (input.email && !fields) throw new Error('an address on a link token must be sealed');
  const expiresAt = new Date(input.now.getTime() + tokenLifetimeMs[input.purpose]);
  await tx.insert(actionTokens).values({
    id,
    purpose: input.purpose,
    tokenHash: sha256(token),
    accountId: input.accountId ?? null,
    orgId: input.orgId ?? null,
    email: input.email && fields ? await fields.seal(tx, tokenEmailPlace(id), input.email) : null,
    createdAt: input.now,
    expiresAt,
  });
  return { id, token, expiresAt };
}

/**
 * Consumes a token atomically: one conditional UPDATE, so two concurrent uses cannot both win.
 * Returns null for unknown, expired, used or wrong-purpose tokens alike.
 */
export async function consumeActionToken(tx: Tx, purpose: ActionTokenPurpose, token: string, now: Date): Promise<ActionTokenRow | null> {
  const [row] = await tx
    .update(actionTokens)
    .set({ consumedAt: now })
    .where(
      and(
        eq(actionTokens.tokenHash, sha256(token)),
        eq(actionTokens.purpose, purpose),
        isNull(actionTokens.consumedAt),
        gt(actionTokens.expiresAt, now),
      ),
    )
    .returning();
  return row ?? null;
}

/** Reads a still-valid token without consuming it (invitation preview). */
export async function peekActionToken(tx: Tx, purpose: ActionTokenPurpose, token: string, now: Date): Promise<ActionTokenRow | null> {
  const [row] = await tx
    .select()
    .from(actionTokens)
    .where(
      and(
        eq(actionTokens.tokenHash, sha256(token)),
        eq(actionTokens.purpose, purpose),
        isNull(actionTokens.consumedAt),
        gt(actionTokens.expiresAt, now),
      ),
    )
    .limit(1);
  return row ?? null;
}

/** Voids the open tokens of one purpose for an account (a new reset link voids the old ones). */
export async function voidActionTokens(tx: Tx, accountId: string, purpose: ActionTokenPurpose, now: Date): Promise<void> {
  await tx
    .update(actionTokens)
    .set({ consumedAt: now })
    .where(and(eq(actionTokens.accountId, accountId), eq(actionTokens.purpose, purpose), isNull(actionTokens.consumedAt)));
}

export const voidActionTokenById = async (tx: Tx, id: string, now: Date): Promise<void> => {
  await tx.update(actionTokens).set({ consumedAt: now }).where(and(eq(actionTokens.id, id), isNull(actionTokens.consumedAt)));
};
