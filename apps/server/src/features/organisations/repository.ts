import { and, eq, isNull } from 'drizzle-orm';
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

/** A shorter idle limit applies to open sessions at once, not only to new ones. */
export async function applyIdleTimeoutToOpenSessions(tx: Tx, orgId: string, seconds: number): Promise<void> {
  await tx.update(sessions).set({ idleTimeoutSeconds: seconds }).where(and(eq(sessions.orgId, orgId), isNull(sessions.endedAt)));
}
