import type { KeyObject } from 'node:crypto';
import { asc, sql } from 'drizzle-orm';
import { queryRows, type Database } from '../db/database.ts';
import { auditChain, auditCheckpoints, auditEvents } from '../db/schema.ts';
import { chainHash, checkpointMessage, genesisHash, type AuditRow } from './hash-chain.ts';
import { sealGraceMs } from './sealer.ts';
import { publicKeyId, verifySignature } from './signing-key.ts';

export type AuditProblemKind = 'changed' | 'removed' | 'inserted' | 'chain_broken' | 'bad_checkpoint' | 'truncated';

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The audit record id concerned, when there is one. */
  eventId: number | null;
  seq: number | null;
  message: string;
}

export interface OrganisationVerification {
  orgId: string;
  recordsChecked: number;
  checkpointsChecked: number;
  unsealedRecent: number;
  problem: AuditProblem | null;
}

/**
 * Checks one organisation's chain: every chained record still hashes to its link, links are
 * contiguous, checkpoints carry valid signatures of the trusted key over the chain's hashes,
 * and no record older than the grace period stands outside the chain.
 */
export async function verifyOrganisation(
  db: Database,
  orgId: string,
  trustedKey: KeyObject,
  now: Date,
): Promise<OrganisationVerification> {
  const { chain, events, checkpoints } = await db.tenant(orgId, async (tx) => ({
    chain: await tx.select().from(auditChain).orderBy(asc(auditChain.seq)),
    events: await tx.select().from(auditEvents).orderBy(asc(auditEvents.id)),
    checkpoints: await tx.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.seq)),
  }));
  const byId = new Map<number, AuditRow>(events.map((row) => [Number(row.id), row]));
  const result: OrganisationVerification = {
    orgId,
    recordsChecked: 0,
    checkpointsChecked: 0,
    unsealedRecent: 0,
    problem: null,
  };
  const fail = (problem: AuditProblem) => ({ ...result, problem });

  const hashAt = new Map<number, Buffer>();
  const chained = new Set<number>();
  let previous: Buffer = genesisHash;
  let expectedSeq = 1;
  for (const link of chain) {
    const seq = Number(link.seq);
    const eventId = Number(link.eventId);
    if (seq !== expectedSeq) {
      return fail({ kind: 'removed', eventId: null, seq: expectedSeq, message: `chain link ${expectedSeq} is missing: a record was removed before seq ${seq}` });
    }
    if (!link.prevHash.equals(previous)) {
      return fail({ kind: 'chain_broken', eventId, seq, message: `chain link ${seq} (record ${eventId}) does not follow from the link before it` });
    }
    const row = byId.get(eventId);
    if (!row) {
      return fail({ kind: 'removed', eventId, seq, message: `record ${eventId} (chain link ${seq}) was removed` });
    }
    const recomputed = chainHash(previous, row);
    if (!recomputed.equals(link.hash)) {
      return fail({ kind: 'changed', eventId, seq, message: `record ${eventId} (chain link ${seq}) was changed after it was sealed` });
    }
    hashAt.set(seq, link.hash);
    chained.add(eventId);
    previous = link.hash;
    expectedSeq += 1;
    result.recordsChecked += 1;
  }

  const keyId = publicKeyId(trustedKey);
  for (const checkpoint of checkpoints) {
    const seq = Number(checkpoint.seq);
    const message = checkpointMessage(orgId, seq, checkpoint.headHash, checkpoint.signedAt);
    if (checkpoint.keyId !== keyId || !verifySignature(trustedKey, message, checkpoint.signature)) {
      return fail({ kind: 'bad_checkpoint', eventId: null, seq, message: `checkpoint at chain link ${seq} is not signed by the trusted audit key` });
    }
    const chainHashAtSeq = hashAt.get(seq);
    if (!chainHashAtSeq) {
      return fail({ kind: 'truncated', eventId: null, seq, message: `the chain ends before its signed checkpoint at link ${seq}: records were removed from its end` });
    }
    if (!chainHashAtSeq.equals(checkpoint.headHash)) {
      return fail({ kind: 'chain_broken', eventId: null, seq, message: `the chain up to link ${seq} differs from what was signed: it was rewritten` });
    }
    result.checkpointsChecked += 1;
  }

  const cutoff = now.getTime() - sealGraceMs;
  for (const row of events) {
    if (chained.has(Number(row.id))) continue;
    if (row.occurredAt.getTime() < cutoff) {
      return fail({ kind: 'inserted', eventId: Number(row.id), seq: null, message: `record ${row.id} is not in the sealed chain: it was inserted outside Haven or never sealed` });
    }
    result.unsealedRecent += 1;
  }
  return result;
}

/** Every organisation that has audit records (including the platform chain). */
export async function organisationsWithAudit(db: Database): Promise<string[]> {
  const rows = await db.systemDb((tx) =>
    queryRows<{ org_id: string }>(tx, sql`select org_id from audit_events union select org_id from audit_chain union select org_id from audit_checkpoints order by 1`),
  );
  return rows.map((row) => row.org_id);
}

