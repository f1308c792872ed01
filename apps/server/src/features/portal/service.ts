import type { AccessLogPage, AccessLogQuery, EntryContent, PortalContactUpdate, PortalDocument, PortalDocumentList, PortalMe } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { withPatientAccess, type AuthorizedPatient } from '../../core/authz/authorize.ts';
import { auditMeta, patientOf, type RequestContext } from '../../core/context.ts';
import type { Tx } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { versionPlace } from '../dossier/repository.ts';
import { findOrganisation } from '../organisations/repository.ts';
import { patientDocumentEvent } from '../patient-documents/audit.ts';
import { documentNamePlace, listDocuments, readDocument } from '../patient-documents/repository.ts';
import { openDocumentDownload, type DocumentDownload } from '../patient-documents/service.ts';
import { readPatient, type PatientRecord } from '../patients/repository.ts';
import { writePatientChange } from '../patients/service.ts';
import { readAccessLog } from './access-log.ts';
import { portalEvent } from './audit.ts';
import { visibleToPatient } from './comments.ts';
import { portalCounts } from './repository.ts';

/*
 * The patient portal (issue 5 §4; design §7.1): the signed-in patient's own details, the
 * documents the practice shared, and who opened their record. The patient always comes from the
 * session (patientOf), never from the request; every use case goes through core/authz
 * (the 'self' requirement), whose transaction runs behind the `portal_self` wall.
 */

async function presentMe(tx: Tx, ctx: RequestContext, orgId: string, patient: AuthorizedPatient, record: PatientRecord): Promise<PortalMe> {
  const org = await findOrganisation(tx, ctx.services.fields, orgId);
  if (!org) throw new Error('the organisation of the request has no row');
  return {
    organisation: { id: orgId, name: org.name },
    patient: {
      id: record.id,
      name: record.name,
      birthDate: record.birthDate,
      sex: record.details.sex,
      gender: record.details.gender,
      contact: record.details.contact,
      nationalId: record.nationalId,
    },
    ...(await portalCounts(tx, orgId, patient)),
  };
}

/** GET /portal/me — reading it is recorded (portal.details_viewed), for the practice's trail. */
export async function getPortalMe(ctx: RequestContext): Promise<PortalMe> {
  const me = patientOf(ctx);
  const { fields, clock } = ctx.services;
  return withPatientAccess(ctx, { unverifiedPatientId: me.patientId, resource: 'patient', action: 'read' }, async (tx, patient) => {
    const record = await readPatient(tx, fields, me.orgId, patient);
    await appendAudit(tx, me.orgId, auditMeta(ctx, clock.now()), portalEvent({ action: 'portal.details_viewed', outcome: 'success', resourceType: 'patient', resourceId: patient.patientId, patientId: patient.patientId }));
    return presentMe(tx, ctx, me.orgId, patient, record);
  });
}

const contactFields = ['email', 'phone', 'address'] as const;

/**
 * PATCH /portal/me/contact — the patient corrects their own contact details (replaced as a
 * whole). Stored exactly as the practice's edit stores it (features/patients), and recorded with
 * the names of the changed fields, never their values.
 */
export async function updatePortalContact(ctx: RequestContext, contact: PortalContactUpdate): Promise<PortalMe> {
  const me = patientOf(ctx);
  const { fields, clock } = ctx.services;
  return withPatientAccess(ctx, { unverifiedPatientId: me.patientId, resource: 'patient', action: 'update_contact' }, async (tx, patient) => {
    const now = clock.now();
    const before = await readPatient(tx, fields, me.orgId, patient);
    const after: PatientRecord = { ...before, details: { ...before.details, contact }, updatedAt: now };
    const changed = contactFields.filter((field) => JSON.stringify(before.details.contact[field]) !== JSON.stringify(contact[field])).map((field) => `contact.${field}`);
    if (changed.length > 0) {
      await writePatientChange(tx, fields, me.orgId, patient, before, after, now);
      await appendAudit(tx, me.orgId, auditMeta(ctx, now), portalEvent({ action: 'portal.contact_updated', outcome: 'success', resourceType: 'patient', resourceId: patient.patientId, patientId: patient.patientId, changedFields: changed }));
    }
    return presentMe(tx, ctx, me.orgId, patient, changed.length > 0 ? after : before);
  });
}

/**
 * GET /portal/documents — only what the practice shared, and nothing entered in error. Reading
 * the list is recorded (document.list_viewed), as the practice's reading of it is: the titles are
 * health data, whoever reads them.
 */
export async function listPortalDocuments(ctx: RequestContext): Promise<PortalDocumentList> {
  const me = patientOf(ctx);
  return withPatientAccess(ctx, { unverifiedPatientId: me.patientId, resource: 'document', action: 'read' }, async (tx, patient) => {
    await appendAudit(tx, me.orgId, auditMeta(ctx, ctx.services.clock.now()), patientDocumentEvent({ action: 'document.list_viewed', outcome: 'success', resourceType: 'patient', resourceId: patient.patientId, patientId: patient.patientId }));
    const cipher = await ctx.services.fields.forPatient(tx, me.orgId, patient.patientId);
    const documents: PortalDocument[] = [];
    for (const document of await listDocuments(tx, me.orgId, patient)) {
      if (!visibleToPatient(document)) continue;
      const content = JSON.parse(cipher.open(versionPlace(document.entry.id, document.entry.version, 'content'), document.entry.content)) as EntryContent<'document'>;
      documents.push({
        id: document.id,
        title: content.title,
        description: content.description ?? null,
        name: cipher.open(documentNamePlace(document.id), document.name),
        contentType: document.contentType,
        sizeBytes: document.sizeBytes,
        createdAt: document.createdAt.toISOString(),
        sharedAt: document.sharedWithPatientAt!.toISOString(),
      });
    }
    return { documents };
  });
}

/**
 * GET /portal/documents/:id/content — the same encrypted-file download as the practice's,
 * recorded (document.downloaded) before a byte is sent. A document that is not shared, entered
 * in error, replaced by a later version, or another patient's is DOCUMENT_NOT_FOUND.
 */
export async function downloadPortalDocument(ctx: RequestContext, input: { documentId: string }): Promise<DocumentDownload> {
  const me = patientOf(ctx);
  const { fields, clock } = ctx.services;
  const file = await withPatientAccess(ctx, { unverifiedPatientId: me.patientId, resource: 'document', action: 'read' }, async (tx, patient) => {
    const document = await readDocument(tx, me.orgId, patient, input.documentId);
    if (!document || !visibleToPatient(document)) throw new AppError('DOCUMENT_NOT_FOUND');
    const cipher = await fields.forPatient(tx, me.orgId, patient.patientId);
    await appendAudit(tx, me.orgId, auditMeta(ctx, clock.now()), patientDocumentEvent({ action: 'document.downloaded', outcome: 'success', resourceType: 'document', resourceId: document.id, patientId: patient.patientId }));
    return { patient, blobId: document.blobId, name: cipher.open(documentNamePlace(document.id), document.name), contentType: document.contentType, sizeBytes: document.sizeBytes };
  });
  return openDocumentDownload(ctx, me.orgId, file);
}

/** GET /portal/access-log — who opened my record; reading it is recorded but never listed in it. */
export async function getAccessLog(ctx: RequestContext, query: AccessLogQuery): Promise<AccessLogPage> {
  const me = patientOf(ctx);
  const { fields, clock } = ctx.services;
  return withPatientAccess(ctx, { unverifiedPatientId: me.patientId, resource: 'patient', action: 'read' }, async (tx, patient) => {
    const cipher = await fields.forPatient(tx, me.orgId, patient.patientId);
    const page = await readAccessLog(tx, { fields, cipher }, { orgId: me.orgId, patient, selfAccountId: me.accountId, cursor: query.cursor });
    await appendAudit(tx, me.orgId, auditMeta(ctx, clock.now()), portalEvent({ action: 'portal.access_log_viewed', outcome: 'success', resourceType: 'access_log', resourceId: patient.patientId, patientId: patient.patientId }));
    return page;
  });
}
