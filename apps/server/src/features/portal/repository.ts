import type { PatientCommentKind } from '@haven/contracts';
import { sql } from 'drizzle-orm';
import type { AuthorizedPatient } from '../../core/authz/authorize.ts';
import type { PatientCipher, PatientPlace } from '../../core/crypto/patient-cipher.ts';
import { Sealed } from '../../core/crypto/sealed-column.ts';
import { queryRows, type Tx } from '../../core/db/database.ts';
import { patientComments } from '../../core/db/schema.ts';

/*
 * patient_comments rows and the portal's counters. A comment's text and the practice's answer are
 * sealed under the patient's key (places `patient_comments:<column>:<org>:<commentId>`). Every
 * function takes the AuthorizedPatient core/authz handed out and names the patient in its WHERE
 * clause, so another patient's comment is simply not found (and, in the portal, row-level
 * security's `portal_self` wall hides it as well).
 */

export const commentPlace = (commentId: string, column: 'text' | 'resolution'): PatientPlace => ({ table: 'patient_comments', column, rowId: commentId });

const sealedOf = (value: Buffer | Uint8Array): Sealed => Sealed.fromBytes(Buffer.isBuffer(value) ? value : Buffer.from(value));
const dateOf = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

export interface NewComment {
  id: string;
  kind: PatientCommentKind;
  documentId: string | null;
  text: string;
  createdByAccountId: string;
  now: Date;
}

export async function insertComment(tx: Tx, orgId: string, patient: AuthorizedPatient, cipher: PatientCipher, row: NewComment): Promise<void> {
  await tx.insert(patientComments).values({
    orgId,
    id: row.id,
    patientId: patient.patientId,
    kind: row.kind,
    documentId: row.documentId,
    text: cipher.seal(commentPlace(row.id, 'text'), row.text),
    createdByAccountId: row.createdByAccountId,
    createdAt: row.now,
  });
}

/** A comment as stored, with the sealed name of whoever answered it. */
export interface SealedComment {
  id: string;
  kind: PatientCommentKind;
  documentId: string | null;
  text: Sealed;
  createdAt: Date;
  resolvedAt: Date | null;
  resolvedBy: { accountId: string; name: Sealed } | null;
  resolution: Sealed | null;
}

interface CommentRow {
  id: string;
  kind: PatientCommentKind;
  document_id: string | null;
  text: Buffer | Uint8Array;
  created_at: Date | string;
  resolved_at: Date | string | null;
  resolved_by_account_id: string | null;
  resolved_by_name: Buffer | Uint8Array | null;
  resolution: Buffer | Uint8Array | null;
}

const commentsOfPatient = (orgId: string, patient: AuthorizedPatient) => sql`select c.id, c.kind, c.document_id, c.text, c.created_at, c.resolved_at,
    c.resolved_by_account_id, ra.name as resolved_by_name, c.resolution
  from patient_comments c
  left join accounts ra on ra.id = c.resolved_by_account_id
  where c.org_id = ${orgId}::uuid and c.patient_id = ${patient.patientId}::uuid`;

function sealedComment(row: CommentRow): SealedComment {
  return {
    id: row.id,
    kind: row.kind,
    documentId: row.document_id,
    text: sealedOf(row.text),
    createdAt: dateOf(row.created_at),
    resolvedAt: row.resolved_at === null ? null : dateOf(row.resolved_at),
    resolvedBy: row.resolved_by_account_id && row.resolved_by_name ? { accountId: row.resolved_by_account_id, name: sealedOf(row.resolved_by_name) } : null,
    resolution: row.resolution === null ? null : sealedOf(row.resolution),
  };
}

/** The patient's comments, newest first (on the index (org_id, patient_id, created_at desc)). */
export async function listComments(tx: Tx, orgId: string, patient: AuthorizedPatient): Promise<SealedComment[]> {
  const rows = await queryRows<CommentRow>(tx, sql`${commentsOfPatient(orgId, patient)} order by c.created_at desc, c.id desc`);
  return rows.map(sealedComment);
}

export async function readComment(tx: Tx, orgId: string, patient: AuthorizedPatient, commentId: string): Promise<SealedComment | undefined> {
  const [row] = await queryRows<CommentRow>(tx, sql`${commentsOfPatient(orgId, patient)} and c.id = ${commentId}::uuid`);
  return row ? sealedComment(row) : undefined;
}

/**
 * Records the practice's answer as one conditional update: only an open comment changes, so two
 * colleagues answering at once cannot overwrite each other. Returns whether it changed.
 */
export async function resolveComment(tx: Tx, orgId: string, patient: AuthorizedPatient, cipher: PatientCipher, input: { commentId: string; resolution: string; byAccountId: string; now: Date }): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update patient_comments
           set resolved_at = ${input.now.toISOString()}::timestamptz, resolved_by_account_id = ${input.byAccountId}::uuid,
               resolution = ${cipher.seal(commentPlace(input.commentId, 'resolution'), input.resolution).bytes}
         where org_id = ${orgId}::uuid and patient_id = ${patient.patientId}::uuid and id = ${input.commentId}::uuid and resolved_at is null
         returning id`,
  );
  return rows.length === 1;
}

/** What the portal's home page counts: documents shared (and not entered in error), comments not yet answered. */
export async function portalCounts(tx: Tx, orgId: string, patient: AuthorizedPatient): Promise<{ sharedDocuments: number; openComments: number }> {
  const [row] = await queryRows<{ shared_documents: number | string; open_comments: number | string }>(
    tx,
    sql`select
          (select count(*) from dossier_entries e
             join entry_versions v on v.org_id = e.org_id and v.entry_id = e.id and v.version = e.current_version
             join patient_documents d on d.org_id = v.org_id and d.patient_id = v.patient_id and d.id = v.document_id
            where e.org_id = ${orgId}::uuid and e.patient_id = ${patient.patientId}::uuid and e.kind = 'document'
              and e.status = 'active' and d.shared_with_patient_at is not null) as shared_documents,
          (select count(*) from patient_comments c
            where c.org_id = ${orgId}::uuid and c.patient_id = ${patient.patientId}::uuid and c.resolved_at is null) as open_comments`,
  );
  return { sharedDocuments: Number(row?.shared_documents ?? 0), openComments: Number(row?.open_comments ?? 0) };
}
