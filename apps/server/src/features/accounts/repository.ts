import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../core/db/database.ts';
import { accounts, memberships, organisations } from '../../core/db/schema.ts';

export type AccountRow = typeof accounts.$inferSelect;

export async function findAccountByEmail(tx: Tx, email: string): Promise<AccountRow | undefined> {
  const [row] = await tx.select().from(accounts).where(eq(accounts.email, email)).limit(1);
  return row;
}

export async function findAccountById(tx: Tx, id: string): Promise<AccountRow | undefined> {
  const [row] = await tx.select().from(accounts).where(eq(accounts.id, id)).limit(1);
  return row;
}

export async function insertAccount(tx: Tx, row: typeof accounts.$inferInsert): Promise<void> {
  await tx.insert(accounts).values(row);
}

export async function updateAccount(tx: Tx, id: string, changes: Partial<typeof accounts.$inferInsert>): Promise<void> {
  await tx.update(accounts).set(changes).where(eq(accounts.id, id));
}

export interface MembershipWithOrganisation {
  orgId: string;
  orgName: string;
  membershipId: string;
  role: 'owner' | 'admin' | 'practitioner' | 'assistant';
  passwordPolicyMode: 'nist' | 'classes';
  passwordMinLength: number;
  idleTimeoutMinutes: number;
}

/**
 * An account's active memberships across organisations, with names and policies. Crosses
 * tenants by design (login, policy of a person in several practices): systemDb only.
 */
export function activeMembershipsOfAccount(systemTx: Tx, accountId: string): Promise<MembershipWithOrganisation[]> {
  return systemTx
    .select({
      orgId: memberships.orgId,
      orgName: organisations.name,
      membershipId: memberships.id,
      role: memberships.role,
      passwordPolicyMode: organisations.passwordPolicyMode,
      passwordMinLength: organisations.passwordMinLength,
      idleTimeoutMinutes: organisations.idleTimeoutMinutes,
    })
    .from(memberships)
    .innerJoin(organisations, eq(organisations.id, memberships.orgId))
    .where(and(eq(memberships.accountId, accountId), eq(memberships.status, 'active')))
    .orderBy(sql`${organisations.name}`);
}
