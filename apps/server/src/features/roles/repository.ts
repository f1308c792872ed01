import { and, asc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Permission } from '@haven/contracts';
import type { Tx } from '../../core/db/database.ts';
import { customRoles, invitations, memberships } from '../../core/db/schema.ts';

/*
 * The practice's own roles. Every query runs in a tenant transaction: row-level security hides
 * other practices' roles, so their ids are simply "not found" here.
 */

export type CustomRoleRow = typeof customRoles.$inferSelect;

/** The practice's roles (or just `onlyId`) with how many active members hold each, and whether anything holds them. */
export async function listCustomRoles(tx: Tx, now: Date, onlyId?: string) {
  return tx
    .select({
      id: customRoles.id,
      name: customRoles.name,
      permissions: customRoles.permissions,
      createdAt: customRoles.createdAt,
      updatedAt: customRoles.updatedAt,
      // Written out: drizzle leaves the table name off columns of a one-table select, which inside
      // these subqueries would bind to the subquery's own table.
      memberCount: sql<number>`(select count(*)::int from ${memberships} m where m.custom_role_id = custom_roles.id and m.status = 'active')`,
      inUse: sql<boolean>`(exists (select 1 from ${memberships} m where m.custom_role_id = custom_roles.id)
        or exists (select 1 from ${invitations} i where i.custom_role_id = custom_roles.id and i.accepted_at is null and i.revoked_at is null and i.expires_at > ${now}))`,
    })
    .from(customRoles)
    .where(onlyId ? eq(customRoles.id, onlyId) : undefined)
    .orderBy(asc(sql`lower(${customRoles.name})`));
}

/**
 * One role by an id from the request. `lock`: 'share' while assigning it (a concurrent delete
 * waits, or has already happened and the role is not found), 'update' while changing or
 * deleting it.
 */
export async function findCustomRole(tx: Tx, unverifiedRoleId: string, lock?: 'share' | 'update'): Promise<CustomRoleRow | undefined> {
  const query = tx.select().from(customRoles).where(eq(customRoles.id, unverifiedRoleId)).limit(1);
  const [row] = lock ? await query.for(lock) : await query;
  return row;
}

/** Whether another role of the practice already has this name, compared case-insensitively. */
export async function nameTaken(tx: Tx, name: string, exceptId?: string): Promise<boolean> {
  const rows = await tx
    .select({ id: customRoles.id })
    .from(customRoles)
    .where(and(sql`lower(${customRoles.name}) = lower(${name})`, exceptId ? ne(customRoles.id, exceptId) : undefined))
    .limit(1);
  return rows.length > 0;
}

export async function insertCustomRole(tx: Tx, row: typeof customRoles.$inferInsert): Promise<void> {
  await tx.insert(customRoles).values(row);
}

export async function updateCustomRole(tx: Tx, id: string, changes: { name?: string; permissions?: Permission[]; updatedAt: Date }): Promise<void> {
  await tx.update(customRoles).set(changes).where(eq(customRoles.id, id));
}

/**
 * Whether a role is held: by any member, active or deactivated (reactivating them must find
 * their role), or by a pending invitation. Finished invitations do not count: deleting the role
 * clears their id (the migration's ON DELETE SET NULL).
 */
export async function roleInUse(tx: Tx, id: string, now: Date): Promise<boolean> {
  const [member] = await tx.select({ id: memberships.id }).from(memberships).where(eq(memberships.customRoleId, id)).limit(1);
  if (member) return true;
  const [invitation] = await tx
    .select({ id: invitations.id })
    .from(invitations)
    .where(and(eq(invitations.customRoleId, id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
    .limit(1);
  return Boolean(invitation);
}

export async function deleteCustomRole(tx: Tx, id: string): Promise<void> {
  await tx.delete(customRoles).where(eq(customRoles.id, id));
}
