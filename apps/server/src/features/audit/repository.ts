import { and, desc, eq, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../core/db/database.ts';
import { accounts, auditChain, auditEvents } from '../../core/db/schema.ts';

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  patient?: string | undefined;
  outcome?: 'success' | 'denied' | 'failed' | undefined;
  from?: string | undefined;
  to?: string | undefined;
  before?: number | undefined;
  limit: number;
}

/** One page of the organisation's trail, newest first (RLS keeps it to the tenant). */
export function queryAuditEvents(tx: Tx, filter: AuditFilter) {
  const conditions: SQL[] = [];
  if (filter.actor) conditions.push(eq(auditEvents.actorAccountId, filter.actor));
  if (filter.action) conditions.push(eq(auditEvents.action, filter.action));
  if (filter.resourceType) conditions.push(eq(auditEvents.resourceType, filter.resourceType));
  if (filter.resourceId) conditions.push(eq(auditEvents.resourceId, filter.resourceId));
  if (filter.patient) conditions.push(eq(auditEvents.patientId, filter.patient));
  if (filter.outcome) conditions.push(eq(auditEvents.outcome, filter.outcome));
  if (filter.from) conditions.push(gte(auditEvents.occurredAt, new Date(filter.from)));
  if (filter.to) conditions.push(lte(auditEvents.occurredAt, new Date(filter.to)));
  if (filter.before) conditions.push(lt(auditEvents.id, filter.before));
  return tx
    .select({
      event: auditEvents,
      actorName: accounts.name,
      sealed: sql<boolean>`${auditChain.seq} is not null`,
    })
    .from(auditEvents)
    .leftJoin(accounts, eq(accounts.id, auditEvents.actorAccountId))
    .leftJoin(auditChain, and(eq(auditChain.orgId, auditEvents.orgId), eq(auditChain.eventId, auditEvents.id)))
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit + 1);
}
