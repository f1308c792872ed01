import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Permission } from '@haven/contracts';
import type { Database, Tx } from '../../core/db/database.ts';
import { dbFunctions } from '../../core/db/functions.ts';
import { sessions, type MembershipRoleColumn } from '../../core/db/schema.ts';
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
 * The account's active membership in the session's practice, with that practice's network
 * allowlist and — for a custom role — that role's permissions, read fresh on every request, so
 * an edited role applies at the member's next request.
 */
export interface ActiveMembership {
  id: string;
  role: MembershipRoleColumn;
  customRoleId: string | null;
  customRolePermissions: Permission[] | null;
  ipAllowlist: string[];
}

/**
 * The account's active portal account in the session's practice, when the patient it belongs to
 * is not erased (erasure also deactivates the portal account; checking the patient row too keeps
 * the guard right even if one of the two were missed). Read only when there is no staff
 * membership: staff wins (accounts/repository.ts#activeMembershipsOfAccount). No network
 * allowlist: it does not apply to patients.
 */
export interface ActivePatientAccount {
  id: string;
  patientId: string;
}

export interface SessionRead {
  session: SessionRow;
  membership: ActiveMembership | undefined;
  patientAccount: ActivePatientAccount | undefined;
}

interface ReadSessionRow {
  id: string;
  token_hash: Buffer;
  csrf_hash: Buffer;
  account_id: string;
  org_id: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: Date | string;
  last_active_at: Date | string;
  absolute_expires_at: Date | string;
  idle_timeout_seconds: number;
  locked_at: Date | string | null;
  ended_at: Date | string | null;
  end_reason: string | null;
  pending: SessionRow['pending'];
  reauthenticated_at: Date | string | null;
  device_hash: Buffer | null;
  risk_signals: string[] | null;
  hold_token_id: string | null;
  membership_id: string | null;
  membership_role: MembershipRoleColumn | null;
  custom_role_id: string | null;
  custom_role_permissions: Permission[] | null;
  ip_allowlist: string[] | null;
  patient_account_id: string | null;
  patient_id: string | null;
}

const dateOf = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : dateOf(value));

/**
 * The open session with this token, and in its practice the account's active membership or else
 * its active portal account: one statement (`haven_read_session`, design §6.1 item 3), outside any
 * transaction. The access guard calls it on every request.
 */
export async function readSessionByToken(db: Database, token: string): Promise<SessionRead | undefined> {
  const [row] = await db.callIdentityFunction<ReadSessionRow>(dbFunctions.readSession, [sha256(token)]);
  if (!row) return undefined;
  const session: SessionRow = {
    id: row.id,
    tokenHash: row.token_hash,
    csrfHash: row.csrf_hash,
    accountId: row.account_id,
    orgId: row.org_id,
    ip: row.ip,
    userAgent: row.user_agent,
    createdAt: dateOf(row.created_at),
    lastActiveAt: dateOf(row.last_active_at),
    absoluteExpiresAt: dateOf(row.absolute_expires_at),
    idleTimeoutSeconds: row.idle_timeout_seconds,
    lockedAt: dateOrNull(row.locked_at),
    endedAt: dateOrNull(row.ended_at),
    endReason: row.end_reason,
    pending: row.pending,
    reauthenticatedAt: dateOrNull(row.reauthenticated_at),
    deviceHash: row.device_hash,
    riskSignals: row.risk_signals,
    holdTokenId: row.hold_token_id,
  };
  const membership: ActiveMembership | undefined =
    row.membership_id && row.membership_role
      ? { id: row.membership_id, role: row.membership_role, customRoleId: row.custom_role_id, customRolePermissions: row.custom_role_permissions, ipAllowlist: row.ip_allowlist ?? [] }
      : undefined;
  const patientAccount = !membership && row.patient_account_id && row.patient_id ? { id: row.patient_account_id, patientId: row.patient_id } : undefined;
  return { session, membership, patientAccount };
}
