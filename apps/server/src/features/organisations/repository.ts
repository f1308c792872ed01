import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../../core/db/database.ts';
import { organisations, sessions } from '../../core/db/schema.ts';

export type OrganisationRow = typeof organisations.$inferSelect;

export async function findOrganisation(tx: Tx, orgId: string): Promise<OrganisationRow | undefined> {
  const [row] = await tx.select().from(organisations).where(eq(organisations.id, orgId)).limit(1);
  return row;
}

export async function updateOrganisation(tx: Tx, orgId: string, changes: Partial<typeof organisations.$inferInsert>): Promise<void> {
  await tx.update(organisations).set(changes).where(eq(organisations.id, orgId));
}

/**
 * A new idle limit applies to the practice's open sessions at once, not only to new ones — but
 * only to sessions that are still active at `now`. A session already idle-locked stays locked:
 * raising the limit must not reopen an unattended screen without its password.
 */
export async function applyIdleTimeoutToOpenSessions(tx: Tx, orgId: string, seconds: number, now: Date): Promise<void> {
  await tx
    .update(sessions)
    .set({ idleTimeoutSeconds: seconds })
    .where(
      and(
        eq(sessions.orgId, orgId),
        isNull(sessions.endedAt),
        isNull(sessions.lockedAt),
        sql`${sessions.lastActiveAt} + make_interval(secs => ${sessions.idleTimeoutSeconds}) > ${now}`,
      ),
    );
}
