import type { AuditAction } from '@haven/contracts';
import { auditEvents } from '../db/schema.ts';
import type { Tx } from '../db/database.ts';

/** Who did it and from where: taken from the request, never from the event's author. */
export interface AuditMeta {
  now: Date;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  actorAccountId: string | null;
  actorRole: string | null;
}

/** One audit event as features describe it (their typed unions narrow this). */
export interface AuditEventInput {
  action: AuditAction;
  outcome: 'success' | 'denied' | 'failed';
  resourceType?: string;
  resourceId?: string;
  patientId?: string;
  onBehalfOf?: string;
  /** Names of changed fields, never their values. */
  changedFields?: string[];
  reason?: string;
  /** Overrides the request's actor (e.g. a failed login names the account it targeted). */
  actorAccountId?: string | null;
  actorRole?: string | null;
}

/**
 * The row an event becomes, column for column. `appendAudit` inserts it; the one-statement reads
 * (e.g. `haven_open_dossier`) pass the same values to their INSERT, so both write equal rows.
 */
export function auditRow(orgId: string, meta: AuditMeta, event: AuditEventInput): typeof auditEvents.$inferInsert {
  return {
    orgId,
    occurredAt: meta.now,
    actorAccountId: event.actorAccountId !== undefined ? event.actorAccountId : meta.actorAccountId,
    actorRole: event.actorRole !== undefined ? event.actorRole : meta.actorRole,
    onBehalfOf: event.onBehalfOf ?? null,
    action: event.action,
    resourceType: event.resourceType ?? null,
    resourceId: event.resourceId ?? null,
    patientId: event.patientId ?? null,
    outcome: event.outcome,
    ip: meta.ip,
    userAgent: meta.userAgent ? meta.userAgent.slice(0, 400) : null,
    requestId: meta.requestId,
    changedFields: event.changedFields ?? [],
    reason: event.reason ?? null,
  } as typeof auditEvents.$inferInsert;
}

/**
 * Appends one event in the caller's transaction: if the audit write fails, so does the change
 * it records ("no access without a record"). Chaining happens later, in the sealer.
 */
export async function appendAudit(tx: Tx, orgId: string, meta: AuditMeta, event: AuditEventInput): Promise<void> {
  await tx.insert(auditEvents).values(auditRow(orgId, meta, event));
}
