import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { queryRows, type Tx } from '../../core/db/database.ts';
import { accounts, invitations, memberships } from '../../core/db/schema.ts';

export type MembershipRow = typeof memberships.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;

export function listMembers(tx: Tx) {
  return tx
    .select({
      id: memberships.id,
      accountId: memberships.accountId,
      name: accounts.name,
      email: accounts.email,
      role: memberships.role,
      status: memberships.status,
      createdAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(accounts, eq(accounts.id, memberships.accountId))
    .orderBy(asc(accounts.name));
}

export async function findMembership(tx: Tx, membershipId: string): Promise<MembershipRow | undefined> {
  const [row] = await tx.select().from(memberships).where(eq(memberships.id, membershipId)).limit(1);
  return row;
}

export async function findMembershipByAccount(tx: Tx, accountId: string): Promise<MembershipRow | undefined> {
  const [row] = await tx.select().from(memberships).where(eq(memberships.accountId, accountId)).limit(1);
  return row;
}

/**
 * Locks the organisation's active owner rows and counts them, so that two admins demoting the
 * last two owners at the same moment cannot both succeed.
 */
export async function lockActiveOwners(tx: Tx): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`select id from memberships where role = 'owner' and status = 'active' and org_id = haven_current_org() for update`,
  );
  return rows.map((row) => row.id);
}

export async function updateMembership(tx: Tx, membershipId: string, changes: Partial<typeof memberships.$inferInsert>): Promise<void> {
  await tx.update(memberships).set(changes).where(eq(memberships.id, membershipId));
}

export function listPendingInvitations(tx: Tx, now: Date) {
  return tx
    .select({
      id: invitations.id,
      email: invitations.email,
      role: invitations.role,
      invitedBy: accounts.name,
      createdAt: invitations.createdAt,
      expiresAt: invitations.expiresAt,
    })
    .from(invitations)
    .innerJoin(accounts, eq(accounts.id, invitations.invitedByAccountId))
    .where(and(isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
    .orderBy(asc(invitations.createdAt));
}

export async function findPendingInvitationByEmail(tx: Tx, email: string, now: Date): Promise<InvitationRow | undefined> {
  const [row] = await tx
    .select()
    .from(invitations)
    .where(and(eq(invitations.email, email), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
    .limit(1);
  return row;
}

export async function findInvitationByToken(tx: Tx, tokenId: string): Promise<InvitationRow | undefined> {
  const [row] = await tx.select().from(invitations).where(eq(invitations.tokenId, tokenId)).limit(1);
  return row;
}

export async function findInvitation(tx: Tx, id: string): Promise<InvitationRow | undefined> {
  const [row] = await tx.select().from(invitations).where(eq(invitations.id, id)).limit(1);
  return row;
}

export async function insertInvitation(tx: Tx, row: typeof invitations.$inferInsert): Promise<void> {
  await tx.insert(invitations).values(row);
}

export async function markInvitation(tx: Tx, id: string, changes: Partial<typeof invitations.$inferInsert>): Promise<boolean> {
  const rows = await tx
    .update(invitations)
    .set(changes)
    .where(and(eq(invitations.id, id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
    .returning({ id: invitations.id });
  return rows.length === 1;
}

export async function insertMembership(tx: Tx, row: typeof memberships.$inferInsert): Promise<void> {
  await tx.insert(memberships).values(row);
}
