import { createHash } from 'node:crypto';
import type { auditEvents } from '../db/schema.ts';

export type AuditRow = typeof auditEvents.$inferSelect;

export const genesisHash = Buffer.alloc(32);

/**
 * The canonical form of a record: every column, in a fixed order, as JSON. Any change to any
 * column, including the organisation or id, changes the hash.
 */
export function canonicalRecord(row: AuditRow): string {
  return JSON.stringify([
    'haven-audit-v1',
    row.orgId,
    Number(row.id),
    row.occurredAt.toISOString(),
    row.actorAccountId,
    row.actorRole,
    row.onBehalfOf,
    row.action,
    row.resourceType,
    row.resourceId,
    row.patientId,
    row.outcome,
    row.ip,
    row.userAgent,
    row.requestId,
    row.changedFields,
    row.reason,
  ]);
}

/** hash_n = SHA-256(hash_{n-1} ‖ canonical(record_n)). */
export function chainHash(previous: Buffer, row: AuditRow): Buffer {
  return createHash('sha256').update(previous).update(canonicalRecord(row)).digest();
}

/** The bytes a checkpoint signs. */
export function checkpointMessage(orgId: string, seq: number, head: Buffer, signedAt: Date): Buffer {
  return Buffer.from(`haven-audit-checkpoint-v1|${orgId}|${seq}|${head.toString('hex')}|${signedAt.toISOString()}`);
}
