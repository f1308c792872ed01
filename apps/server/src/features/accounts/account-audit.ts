import { appendAudit, type AuditEventInput, type AuditMeta } from '../../core/audit/record.ts';
import { platformOrgId, type Database, type Tx } from '../../core/db/database.ts';
import { activeMembershipOrgIds } from './repository.ts';

/**
 * Changes to a person rather than to one practice (failed logins, locks, password resets) are
 * audited in every organisation the account belongs to, so each practice's security officer
 * sees attacks on their staff; an account with no organisation goes to the platform chain.
 * `change` runs in the same transaction as the first of these records, so the change and its
 * record commit together.
 */
export async function changeAccountAudited<T>(
  db: Database,
  accountId: string | null,
  meta: AuditMeta,
  event: AuditEventInput | ((result: T) => AuditEventInput[]),
  change: (tx: Tx) => Promise<T>,
): Promise<T> {
  // Looked up even without an account (matching nothing), so that both cases cost the same
  // round trips: a login's timing must not tell whether the address exists.
  const orgIds = await db.systemDb((tx) => activeMembershipOrgIds(tx, accountId ?? platformOrgId));
  const targets = orgIds.length > 0 ? orgIds : [platformOrgId];
  const [first, ...rest] = targets as [string, ...string[]];
  let events: AuditEventInput[] = [];
  const result = await db.tenant(first, async (tx) => {
    const value = await change(tx);
    events = typeof event === 'function' ? event(value) : [event];
    for (const e of events) await appendAudit(tx, first, meta, { actorAccountId: accountId, actorRole: null, ...e });
    return value;
  });
  for (const orgId of rest) {
    await db.tenant(orgId, async (tx) => {
      for (const e of events) await appendAudit(tx, orgId, meta, { actorAccountId: accountId, actorRole: null, ...e });
    });
  }
  return result;
}
