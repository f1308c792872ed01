import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { FieldCrypto, Place } from '../../core/crypto/field-crypto.ts';
import { queryRows, type Tx } from '../../core/db/database.ts';
import { accountFieldOpener } from '../accounts/repository.ts';
import { accounts, customRoles, invitations, memberships } from '../../core/db/schema.ts';

export type MembershipRow = typeof memberships.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;

/** The practice's members with their names and addresses opened. */
export async function listMembers(tx: Tx, fields: FieldCrypto) {
  const rows = await tx
    .select({
      id: memberships.id,
      accountId: memberships.accountId,
      name: accounts.name,
      email: accounts.email,
      role: memberships.role,
      customRoleId: memberships.customRoleId,
      roleName: customRoles.name,
      customRolePermissions: customRoles.permissions,
      status: memberships.status,
      createdAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(accounts, eq(accounts.id, memberships.accountId))
    .leftJoin(customRoles, and(eq(customRoles.orgId, memberships.orgId), eq(customRoles.id, memberships.customRoleId)));
  const open = accountFieldOpener(tx, fields);
  const opened = await Promise.all(
    rows.map(async (row) => ({ ...row, name: await open.name(row.accountId, row.name), email: await open.email(row.accountId, row.email) })),
  );
  return opened.sort((a, b) => a.name.localeCompare(b.name));
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

/** An invitation's address: sealed under the practice's key, indexed with its blind-index key. */
const invitationEmailPlace = (orgId: string, id: string): Place => ({ table: 'invitations', column: 'email', scope: orgId, rowId: id });
const invitationEmailPurpose = 'invitation-email';

export function invitationEmail(tx: Tx, fields: FieldCrypto, row: InvitationRow): Promise<string> {
  return fields.open(tx, invitationEmailPlace(row.orgId, row.id), row.email);
}

export async function listPendingInvitations(tx: Tx, fields: FieldCrypto, orgId: string, now: Date) {
  const rows = await tx
    .select({ invitation: invitations, inviterName: accounts.name, roleName: customRoles.name })
    .from(invitations)
    .innerJoin(accounts, eq(accounts.id, invitations.invitedByAccountId))
    .leftJoin(customRoles, and(eq(customRoles.orgId, invitations.orgId), eq(customRoles.id, invitations.customRoleId)))
    .where(and(eq(invitations.orgId, orgId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
    .orderBy(asc(invitations.createdAt));
  const open = accountFieldOpener(tx, fields);
  const openPractice = fields.openerFor(tx, orgId);
  return Promise.all(
    rows.map(async ({ invitation, inviterName, roleName }) => ({
      id: invitation.id,
      email: await openPractice(invitationEmailPlace(orgId, invitation.id), invitation.email),
      role: invitation.role,
      customRoleId: invitation.customRoleId,
      roleName,
      invitedBy: await open.name(invitation.invitedByAccountId, inviterName),
      createdAt: invitation.createdAt,
      expiresAt: invitation.expiresAt,
    })),
  );
}

export async function findPendingInvitationByEmail(tx: Tx, fields: FieldCrypto, orgId: string, email: string, now: Date): Promise<InvitationRow | undefined> {
  const index = await fields.index(tx, orgId, invitationEmailPurpose, email);
  const [row] = await tx
    .select()
    .from(invitations)
    .where(and(eq(invitations.orgId, orgId), eq(invitations.emailBidx, index), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
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

export async function insertInvitation(
  tx: Tx,
  fields: FieldCrypto,
  row: Omit<typeof invitations.$inferInsert, 'email' | 'emailBidx'> & { email: string },
): Promise<void> {
  await tx.insert(invitations).values({
    ...row,
    email: await fields.seal(tx, invitationEmailPlace(row.orgId, row.id), row.email),
    emailBidx: await fields.index(tx, row.orgId, invitationEmailPurpose, row.email),
  });
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
