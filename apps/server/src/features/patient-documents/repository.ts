import type { UploadableMime } from '@haven/contracts';
import { sql } from 'drizzle-orm';
import type { AuthorizedPatient } from '../../core/authz/authorize.ts';
import type { PatientCipher, PatientPlace } from '../../core/crypto/patient-cipher.ts';
import { Sealed } from '../../core/crypto/sealed-column.ts';
import { queryRows, type Tx } from '../../core/db/database.ts';

/*
 * patient_documents rows. The name is sealed under the patient's key (place
 * `patient_documents:name:<org>:<documentId>`); type and size are clear. Every function takes the
 * AuthorizedPatient core/authz handed out and names the patient in its WHERE clause, so a
 * document of another patient is simply not found.
 */

export const documentNamePlace = (documentId: string): PatientPlace => ({ table: 'patient_documents', column: 'name', rowId: documentId });

const sealedOf = (value: Buffer | Uint8Array): Sealed => Sealed.fromBytes(Buffer.isBuffer(value) ? value : Buffer.from(value));
const dateOf = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

export interface NewDocument {
  id: string;
  blobId: string;
  name: string;
  contentType: UploadableMime;
  sizeBytes: number;
  uploadedByAccountId: string;
  createdAt: Date;
}

export async function insertDocument(tx: Tx, orgId: string, patient: AuthorizedPatient, cipher: PatientCipher, row: NewDocument): Promise<void> {
  await tx.execute(sql`insert into patient_documents (org_id, id, patient_id, blob_id, name, content_type, size_bytes, uploaded_by_account_id, created_at)
    values (${orgId}::uuid, ${row.id}::uuid, ${patient.patientId}::uuid, ${row.blobId}::uuid, ${cipher.seal(documentNamePlace(row.id), row.name).bytes},
            ${row.contentType}, ${row.sizeBytes}, ${row.uploadedByAccountId}::uuid, ${row.createdAt.toISOString()}::timestamptz)`);
}

/** A document with its entry (at the current version), still sealed, with the sealed names of the people on it. */
export interface SealedDocument {
  id: string;
  blobId: string;
  name: Sealed;
  contentType: UploadableMime;
  sizeBytes: number;
  createdAt: Date;
  uploadedBy: { accountId: string; name: Sealed };
  sharedWithPatientAt: Date | null;
  sharedBy: { accountId: string; name: Sealed } | null;
  entry: { id: string; status: 'active' | 'entered_in_error'; version: number; content: Sealed };
}

interface DocumentRow {
  id: string;
  blob_id: string;
  name: Buffer | Uint8Array;
  content_type: UploadableMime;
  size_bytes: number | string;
  created_at: Date | string;
  uploaded_by_account_id: string;
  uploaded_by_name: Buffer | Uint8Array;
  shared_with_patient_at: Date | string | null;
  shared_by_account_id: string | null;
  shared_by_name: Buffer | Uint8Array | null;
  entry_id: string;
  entry_status: 'active' | 'entered_in_error';
  entry_version: number;
  entry_content: Buffer | Uint8Array;
}

function sealedDocument(row: DocumentRow): SealedDocument {
  return {
    id: row.id,
    blobId: row.blob_id,
    name: sealedOf(row.name),
    contentType: row.content_type,
    sizeBytes: Number(row.size_bytes),
    createdAt: dateOf(row.created_at),
    uploadedBy: { accountId: row.uploaded_by_account_id, name: sealedOf(row.uploaded_by_name) },
    sharedWithPatientAt: row.shared_with_patient_at === null ? null : dateOf(row.shared_with_patient_at),
    sharedBy: row.shared_by_account_id && row.shared_by_name ? { accountId: row.shared_by_account_id, name: sealedOf(row.shared_by_name) } : null,
    entry: { id: row.entry_id, status: row.entry_status, version: row.entry_version, content: sealedOf(row.entry_content) },
  };
}

/*
 * Documents are reached through the patient's document entries at their current version (the
 * dossier's index leads with org and patient), so the list shows each entry's current file; a
 * file an entry's later version replaced stays reachable by id from the entry's history.
 */
const documentsOfPatient = (orgId: string, patient: AuthorizedPatient) => sql`select d.id, d.blob_id, d.name, d.content_type, d.size_bytes, d.created_at,
    d.uploaded_by_account_id, ua.name as uploaded_by_name, d.shared_with_patient_at, d.shared_by_account_id, sa.name as shared_by_name,
    e.id as entry_id, e.status as entry_status, v.version as entry_version, v.content as entry_content
  from dossier_entries e
  join entry_versions v on v.org_id = e.org_id and v.entry_id = e.id and v.version = e.current_version
  join patient_documents d on d.org_id = v.org_id and d.patient_id = v.patient_id and d.id = v.document_id
  join accounts ua on ua.id = d.uploaded_by_account_id
  left join accounts sa on sa.id = d.shared_by_account_id
  where e.org_id = ${orgId}::uuid and e.patient_id = ${patient.patientId}::uuid and e.kind = 'document'`;

/** The patient's documents, newest upload first. */
export async function listDocuments(tx: Tx, orgId: string, patient: AuthorizedPatient): Promise<SealedDocument[]> {
  const rows = await queryRows<DocumentRow>(tx, sql`${documentsOfPatient(orgId, patient)} order by d.created_at desc, d.id desc`);
  return rows.map(sealedDocument);
}

/** One document of the authorised patient, as its entry's current file (undefined: none such). */
export async function readDocument(tx: Tx, orgId: string, patient: AuthorizedPatient, documentId: string): Promise<SealedDocument | undefined> {
  const [row] = await queryRows<DocumentRow>(tx, sql`${documentsOfPatient(orgId, patient)} and d.id = ${documentId}::uuid`);
  return row ? sealedDocument(row) : undefined;
}

/**
 * The file of any document of the authorised patient — a replaced one too, which an entry's
 * history still names — for download.
 */
export async function readDocumentFile(tx: Tx, orgId: string, patient: AuthorizedPatient, documentId: string): Promise<{ id: string; blobId: string; name: Sealed; contentType: UploadableMime; sizeBytes: number } | undefined> {
  const [row] = await queryRows<{ id: string; blob_id: string; name: Buffer | Uint8Array; content_type: UploadableMime; size_bytes: number | string }>(
    tx,
    sql`select id, blob_id, name, content_type, size_bytes from patient_documents
        where org_id = ${orgId}::uuid and patient_id = ${patient.patientId}::uuid and id = ${documentId}::uuid`,
  );
  return row ? { id: row.id, blobId: row.blob_id, name: sealedOf(row.name), contentType: row.content_type, sizeBytes: Number(row.size_bytes) } : undefined;
}

/**
 * Shares or unshares a document with the patient, as one conditional update: only a document in
 * the other state changes (no read-then-write race). Returns whether it changed; the caller
 * tells "already so" from "not found".
 */
export async function setDocumentSharing(tx: Tx, orgId: string, patient: AuthorizedPatient, input: { documentId: string; shared: boolean; byAccountId: string; now: Date }): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    tx,
    input.shared
      ? sql`update patient_documents set shared_with_patient_at = ${input.now.toISOString()}::timestamptz, shared_by_account_id = ${input.byAccountId}::uuid
            where org_id = ${orgId}::uuid and patient_id = ${patient.patientId}::uuid and id = ${input.documentId}::uuid and shared_with_patient_at is null
            returning id`
      : sql`update patient_documents set shared_with_patient_at = null, shared_by_account_id = null
            where org_id = ${orgId}::uuid and patient_id = ${patient.patientId}::uuid and id = ${input.documentId}::uuid and shared_with_patient_at is not null
            returning id`,
  );
  return rows.length === 1;
}

/** Every blob of a patient's documents (erasure deletes them after the key is gone). */
export async function blobsOfPatient(tx: Tx, orgId: string, patientId: string): Promise<string[]> {
  const rows = await queryRows<{ blob_id: string }>(tx, sql`select blob_id from patient_documents where org_id = ${orgId}::uuid and patient_id = ${patientId}::uuid`);
  return rows.map((row) => row.blob_id);
}
