import { DocumentUploadFields, uploadableMimes, type EntryContent, type PatientDocument, type PatientDocumentList } from '@haven/contracts';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { appendAudit } from '../../core/audit/record.ts';
import { patientAuditFields, withPatientAccess, type AuthorizedPatient } from '../../core/authz/authorize.ts';
import { auditMeta, memberOf, type RequestContext } from '../../core/context.ts';
import type { PatientCipher } from '../../core/crypto/patient-cipher.ts';
import type { Sealed } from '../../core/crypto/sealed-column.ts';
import type { Tx } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { deleteBlobQuietly, openEncryptedFile, storeEncryptedFile, type FileOwner } from '../../core/files/encrypted-files.ts';
import { safeFileName } from '../../core/files/file-names.ts';
import type { UploadPart } from '../../core/http/uploads.ts';
import { newId } from '../../core/security/tokens.ts';
import { accountFieldOpener } from '../accounts/repository.ts';
import { dossierEvent } from '../dossier/audit.ts';
import { insertEntry, versionPlace } from '../dossier/repository.ts';
import { patientDocumentEvent } from './audit.ts';
import { documentNamePlace, insertDocument, listDocuments, readDocument, readDocumentFile, setDocumentSharing, type SealedDocument } from './repository.ts';

/*
 * A patient's documents (docs/design/patients-and-dossiers.md §2, §3, §7.1, increment 12). Files
 * are encrypted under the patient's own key (FileOwner kind 'patient'), so shredding that key
 * erases them with the rest of the record. Every upload is also a `document` entry (version 1)
 * in the dossier, written with the dossier's own repository in the same transaction as the row
 * and its audit records. Access is core/authz's: the care team or a break-the-glass grant.
 */

const ownerOf = (orgId: string, patient: AuthorizedPatient): FileOwner => ({ kind: 'patient', orgId, patientId: patient.patientId });

type Person = { accountId: string; name: Sealed };

/** Opens account names (platform key), each account once per request. */
function nameOpener(tx: Tx, ctx: RequestContext) {
  const open = accountFieldOpener(tx, ctx.services.fields);
  const seen = new Map<string, Promise<string>>();
  return async (person: Person) => {
    let name = seen.get(person.accountId);
    if (!name) {
      name = open.name(person.accountId, person.name);
      seen.set(person.accountId, name);
    }
    return { accountId: person.accountId, name: await name };
  };
}

async function present(patientId: string, document: SealedDocument, cipher: PatientCipher, names: ReturnType<typeof nameOpener>): Promise<PatientDocument> {
  const content = JSON.parse(cipher.open(versionPlace(document.entry.id, document.entry.version, 'content'), document.entry.content)) as EntryContent<'document'>;
  return {
    id: document.id,
    patientId,
    entryId: document.entry.id,
    entryStatus: document.entry.status,
    title: content.title,
    description: content.description ?? null,
    name: cipher.open(documentNamePlace(document.id), document.name),
    contentType: document.contentType,
    sizeBytes: document.sizeBytes,
    uploadedBy: await names(document.uploadedBy),
    createdAt: document.createdAt.toISOString(),
    sharedWithPatientAt: document.sharedWithPatientAt?.toISOString() ?? null,
    sharedBy: document.sharedBy ? await names(document.sharedBy) : null,
  };
}

/** GET /patients/:id/documents — every document entry's current file, newest upload first. */
export async function listPatientDocuments(ctx: RequestContext, input: { unverifiedPatientId: string }): Promise<PatientDocumentList> {
  const { fields, config } = ctx.services;
  return withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'document', action: 'read' }, async (tx, patient) => {
    const orgId = memberOf(ctx).orgId;
    const rows = await listDocuments(tx, orgId, patient);
    const cipher = await fields.forPatient(tx, orgId, patient.patientId);
    const names = nameOpener(tx, ctx);
    const documents: PatientDocument[] = [];
    for (const row of rows) documents.push(await present(patient.patientId, row, cipher, names));
    await appendAudit(tx, orgId, auditMeta(ctx, ctx.services.clock.now()), patientDocumentEvent({ action: 'document.list_viewed', outcome: 'success', resourceType: 'patient', resourceId: patient.patientId, ...patientAuditFields(patient) }));
    return { documents, limits: { maxBytes: config.uploadMaxBytes, types: uploadableMimes } };
  });
}

function checkedFields(raw: Record<string, string>): z.infer<typeof DocumentUploadFields> {
  // An empty field is a field left blank in the form, not a value.
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value.trim() !== ''));
  const checked = DocumentUploadFields.safeParse(present);
  if (!checked.success) throw new AppError('VALIDATION_FAILED', { fields: checked.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), issue: issue.message })) });
  return checked.data;
}

/**
 * POST /patients/:id/documents. Access is decided before a byte is stored (nothing is encrypted
 * under a key the request may not use), then the file is checked and encrypted on its way into
 * the blob store, then row, entry and audit records are written in one transaction that decides
 * again (access may have ended meanwhile). If that transaction fails, the blob goes too.
 */
export async function uploadPatientDocument(ctx: RequestContext, input: { unverifiedPatientId: string; upload: UploadPart }): Promise<PatientDocument> {
  const actor = memberOf(ctx);
  const { fields, config, clock } = ctx.services;
  const { upload } = input;
  const access = { unverifiedPatientId: input.unverifiedPatientId, resource: 'document', action: 'upload' } as const;
  let patient: AuthorizedPatient;
  let given: z.infer<typeof DocumentUploadFields>;
  try {
    given = checkedFields(upload.fields);
    patient = await withPatientAccess(ctx, access, async (_tx, authorized) => authorized);
  } catch (error) {
    upload.source.resume(); // let the rest of the body flow by; nothing of it is kept
    throw error;
  }
  const stored = await storeEncryptedFile(ctx.services, { owner: ownerOf(actor.orgId, patient), source: upload.source, nameHint: upload.fileName, maxBytes: config.uploadMaxBytes });
  try {
    await upload.assertNothingMore();
    return await withPatientAccess(ctx, access, async (tx, authorized) => {
      const now = clock.now();
      const cipher = await fields.forPatient(tx, actor.orgId, authorized.patientId);
      const documentId = newId();
      const entryId = newId();
      const name = safeFileName(upload.fileName, stored.type);
      await insertDocument(tx, actor.orgId, authorized, cipher, { id: documentId, blobId: stored.blobId, name, contentType: stored.type.mime, sizeBytes: stored.bytes, uploadedByAccountId: actor.accountId, createdAt: now });
      const content: EntryContent<'document'> = { title: given.title ?? name, ...(given.description ? { description: given.description } : {}) };
      await insertEntry(tx, actor.orgId, authorized, {
        entryId,
        kind: 'document',
        documentId,
        version: 1,
        content: cipher.seal(versionPlace(entryId, 1, 'content'), JSON.stringify(content)),
        effectiveAt: now,
        authorAccountId: actor.accountId,
        authorRole: actor.role,
        onBehalfOfAccountId: null,
        changeReason: null,
        now,
      });
      const meta = auditMeta(ctx, now);
      await appendAudit(tx, actor.orgId, meta, patientDocumentEvent({ action: 'document.uploaded', outcome: 'success', resourceType: 'document', resourceId: documentId, ...patientAuditFields(authorized) }));
      await appendAudit(tx, actor.orgId, meta, dossierEvent({ action: 'entry.created', outcome: 'success', resourceType: 'entry', resourceId: entryId, ...patientAuditFields(authorized) }));
      const written = await readDocument(tx, actor.orgId, authorized, documentId);
      if (!written) throw new Error('a document just written is not found');
      return present(authorized.patientId, written, cipher, nameOpener(tx, ctx));
    });
  } catch (error) {
    await deleteBlobQuietly(ctx.services, stored.blobId);
    throw error;
  }
}

export interface DocumentDownload {
  name: string;
  contentType: string;
  sizeBytes: number;
  /** Plaintext; its first chunk has already been authenticated. */
  stream: Readable;
}

/** GET /patients/:id/documents/:docId/content — audited before a byte is sent. */
export async function downloadPatientDocument(ctx: RequestContext, input: { unverifiedPatientId: string; documentId: string }): Promise<DocumentDownload> {
  const { fields, clock } = ctx.services;
  const orgId = memberOf(ctx).orgId;
  const file = await withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'document', action: 'read' }, async (tx, patient) => {
    const row = await readDocumentFile(tx, orgId, patient, input.documentId);
    if (!row) throw new AppError('DOCUMENT_NOT_FOUND');
    const cipher = await fields.forPatient(tx, orgId, patient.patientId);
    await appendAudit(tx, orgId, auditMeta(ctx, clock.now()), patientDocumentEvent({ action: 'document.downloaded', outcome: 'success', resourceType: 'document', resourceId: row.id, ...patientAuditFields(patient) }));
    return { patient, blobId: row.blobId, name: cipher.open(documentNamePlace(row.id), row.name), contentType: row.contentType, sizeBytes: row.sizeBytes };
  });
  return openDocumentDownload(ctx, orgId, file);
}

/**
 * Opens the file of a document whose download was authorised and recorded (committed) already;
 * the practice's download and the portal's share it.
 */
export async function openDocumentDownload(
  ctx: RequestContext,
  orgId: string,
  file: { patient: AuthorizedPatient; blobId: string; name: string; contentType: string; sizeBytes: number },
): Promise<DocumentDownload> {
  const stream = await openEncryptedFile(ctx.services, { owner: ownerOf(orgId, file.patient), blobId: file.blobId });
  return { name: file.name, contentType: file.contentType, sizeBytes: file.sizeBytes, stream };
}

/**
 * PUT /patients/:id/documents/:docId/sharing — makes a document visible to the patient (in their
 * portal, once portal accounts exist) or hides it again. Setting the state it already has
 * changes and records nothing. A document entered in error is not shared.
 */
export async function setPatientDocumentSharing(ctx: RequestContext, input: { unverifiedPatientId: string; documentId: string; shared: boolean }): Promise<PatientDocument> {
  const { fields, clock } = ctx.services;
  const actor = memberOf(ctx);
  return withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'document', action: 'share' }, async (tx, patient) => {
    const now = clock.now();
    const current = await readDocument(tx, actor.orgId, patient, input.documentId);
    if (!current) throw new AppError('DOCUMENT_NOT_FOUND');
    if (input.shared && current.entry.status === 'entered_in_error') throw new AppError('ENTRY_ENTERED_IN_ERROR');
    const changed = await setDocumentSharing(tx, actor.orgId, patient, { documentId: input.documentId, shared: input.shared, byAccountId: actor.accountId, now });
    if (changed) {
      await appendAudit(
        tx,
        actor.orgId,
        auditMeta(ctx, now),
        patientDocumentEvent({ action: input.shared ? 'document.shared' : 'document.unshared', outcome: 'success', resourceType: 'document', resourceId: input.documentId, ...patientAuditFields(patient) }),
      );
    }
    const document = changed ? await readDocument(tx, actor.orgId, patient, input.documentId) : current;
    const cipher = await fields.forPatient(tx, actor.orgId, patient.patientId);
    return present(patient.patientId, document!, cipher, nameOpener(tx, ctx));
  });
}
