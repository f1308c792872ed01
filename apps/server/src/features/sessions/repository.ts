import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Tx } from '../../core/db/database.ts';
import { customRoles, memberships, organisations, sessions } from '../../core/db/schema.ts';
import { newId, newToken, sha256 } from '../../core/security/tokens.ts';

export type SessionRow = typeof sessions.$inferSelect;

export interface IssuedSession {
  id: string;
  token: string;
  csrfToken: string;
}

export async function insertSession(
  tx: Tx,
  input: {
    accountId: string;
    orgId: string | null;
    ip: string | null;
    userAgent: string | null;
    now: Date;
    idleTimeoutSeconds: number;
    absoluteExpiresAt: Date;
    /** The sign-in step still owed; null when this session is fully signed in. */
    pending?: SessionRow['pending'];
    /** When the person last proved themselves with their strongest factor. */
    reauthenticatedAt?: Date | null;
    /** The browser (features/devices: hashed with the account) and the risk signals seen so far. */
    deviceHash?: Buffer | null;
    riskSignals?: string[] | null;
  },
): Promise<IssuedSession> {
  const issued = { id: newId(), token: newToken(), csrfToken: newToken() };
  await tx.insert(sessions).values({
    id: issued.id,
    tokenHash: sha256(issued.token),
    csrfHash: sha256(issued.csrfToken),
    accountId: input.accountId,
    orgId: input.orgId,
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 400) ?? null,
    createdAt: input.now,
    lastActiveAt: input.now,
    absoluteExpiresAt: input.absoluteExpiresAt,
    idleTimeoutSeconds: input.idleTimeoutSeconds,
    pending: input.pending ?? null,
    reauthenticatedAt: input.reauthenticatedAt ?? null,
    deviceHash: input.deviceHash ?? null,
    riskSignals: input.riskSignals ?? null,
  });
  return issued;
}

export async function findOpenSessionByToken(tx: Tx, token: string): Promise<SessionRow | undefined> {
  const [row] = await tx
    .select()
    .from(sessions)
    .where(and(eq(sessions.tokenHash, sha256(token)), isNull(sessions.endedAt)))
    .limit(1);
  return row;
}

/** Replaces token and CSRF secret of an open session (privilege change); the old token dies. */
export async function rotateSessionToken(
  tx: Tx,
  sessionId: string,
  changes: { orgId?: string | null; idleTimeoutSeconds?: number; now: Date; pending?: SessionRow['pending']; reauthenticatedAt?: Date },
): Promise<IssuedSession | null> {
  const issued = { id: sessionId, token: newToken(), csrfToken: newToken() };
  const updated = await tx
    .update(sessions)
    .set({
      tokenHash: sha256(issued.token),
      csrfHash: sha256(issued.csrfToken),
      lastActiveAt: changes.now,
      lockedAt: null,
      ...(changes.orgId !== undefined ? { orgId: changes.orgId } : {}),
      ...(changes.idleTimeoutSeconds !== undefined ? { idleTimeoutSeconds: changes.idleTimeoutSeconds } : {}),
      ...(changes.pending !== undefined ? { pending: changes.pending } : {}),
      ...(changes.reauthenticatedAt !== undefined ? { reauthenticatedAt: changes.reauthenticatedAt } : {}),
    })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.endedAt)))
    .returning({ id: sessions.id });
  return updated.length === 1 ? issued : null;
}

/** Step-up: the person has just proved themselves again. */
export async function markReauthenticated(tx: Tx, sessionId: string, now: Date): Promise<void> {
  await tx.update(sessions).set({ reauthenticatedAt: now }).where(and(eq(sessions.id, sessionId), isNull(sessions.endedAt)));
}

/** Records activity, but only if the session is still within its idle window (no resurrection). */
export async function touchSession(tx: Tx, sessionId: string, now: Date): Promise<void> {
  await tx
    .update(sessions)
    .set({ lastActiveAt: now })
    .where(
      and(
        eq(sessions.id, sessionId),
        isNull(sessions.endedAt),
        isNull(sessions.lockedAt),
        sql`${sessions.lastActiveAt} + make_interval(secs => ${sessions.idleTimeoutSeconds}) > ${now}`,
      ),
    );
}

/** Locks an open session now ("lock now"); returns whether it was open and unlocked. */
export async function lockSessionNow(tx: Tx, sessionId: string, now: Date): Promise<boolean> {
  const locked = await tx
    .update(sessions)
    .set({ lockedAt: now })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.endedAt), isNull(sessions.lockedAt)))
    .returning({ id: sessions.id });
  return locked.length === 1;
}

/** Whether a session is locked at `now`: by "lock now", or by idleness. */
export function isLocked(row: Pick<SessionRow, 'lockedAt' | 'lastActiveAt' | 'idleTimeoutSeconds'>, now: Date): boolean {
  return row.lockedAt !== null || now.getTime() >= row.lastActiveAt.getTime() + row.idleTimeoutSeconds * 1000;
}

/** Ends an open session; with `accountId`, only if it is that account's (someone else's is "not found"). */
export async function endSession(tx: Tx, sessionId: string, reason: string, now: Date, accountId?: string): Promise<boolean> {
  const ended = await tx
    .update(sessions)
    .set({ endedAt: now, endReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.endedAt), accountId ? eq(sessions.accountId, accountId) : undefined))
    .returning({ id: sessions.id });
  return ended.length === 1;
}

/** Ends an account's open sessions, optionally sparing one; returns how many ended. */
export async function endAccountSessions(
  tx: Tx,
  accountId: string,
  reason: string,
  now: Date,
  options: { except?: string; orgId?: string } = {},
): Promise<number> {
  const ended = await tx
    .update(sessions)
    .set({ endedAt: now, endReason: reason })
    .where(
      and(
        eq(sessions.accountId, accountId),
        isNull(sessions.endedAt),
        options.except ? ne(sessions.id, options.except) : undefined,
        options.orgId ? eq(sessions.orgId, options.orgId) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return ended.length;
}

export function listOpenSessions(tx: Tx, accountId: string, now: Date): Promise<SessionRow[]> {
  return tx
    .select()
    .from(sessions)
    .where(and(eq(sessions.accountId, accountId), isNull(sessions.endedAt), gt(sessions.absoluteExpiresAt, now)))
    .orderBy(desc(sessions.lastActiveAt));
}

/**
 * The account's membership in the tenant the transaction is in, with that practice's network
 * allowlist and — for a custom role — that role's permissions, all in one query, so an edited
 * role applies at the member's next request.
 */
export async function findActiveMembership(tx: Tx, accountId: string) {
  const [row] = await tx
    .select({ id: memberships.id, role: memberships.role, customRoleId: memberships.customRoleId, customRolePermissions: customRoles.permissions, ipAllowlist: organisations.ipAllowlist })
    .from(memberships)
    .innerJoin(organisations, eq(organisations.id, memberships.orgId))
    .leftJoin(customRoles, and(eq(customRoles.orgId, memberships.orgId), eq(customRoles.id, memberships.customRoleId)))
    .where(and(eq(memberships.accountId, accountId), eq(memberships.status, 'active')))
    .limit(1);
  return row;
}
