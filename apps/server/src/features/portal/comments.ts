import type { EntryContent, PatientCommentList, PatientCommentView, PortalCommentInput, ResolveCommentInput } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { patientAuditFields, withPatientAccess, type AuthorizedPatient } from '../../core/authz/authorize.ts';
import { auditMeta, memberOf, patientOf, type RequestContext } from '../../core/context.ts';
import type { PatientCipher } from '../../core/crypto/patient-cipher.ts';
import type { Tx } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { newId } from '../../core/security/tokens.ts';
import { accountFieldOpener } from '../accounts/repository.ts';
import { versionPlace } from '../dossier/repository.ts';
import { listDocuments, readDocument, type SealedDocument } from '../patient-documents/repository.ts';
import { portalEvent } from './audit.ts';
import { commentPlace, insertComment, listComments, readComment, resolveComment, type SealedComment } from './repository.ts';

/*
 * A patient's comments on their record and requests to correct it (issue 5 §2: patients correct
 * their contact details themselves; clinical content they can only comment on). The patient
 * writes them in the portal — the policy lets only the patient themself comment — and the
 * practice reads and answers them on the patient's page under the dossier's rules (care team or
 * break-the-glass). Text and answer are sealed under the patient's key.
 */

/** A document the patient can see: shared by the practice and not entered in error. */
export const visibleToPatient = (document: SealedDocument): boolean => document.sharedWithPatientAt !== null && document.entry.status === 'active';

/** Document titles by id (from each document entry's current version), for naming what a comment is about. */
export async function documentTitles(tx: Tx, orgId: string, patient: AuthorizedPatient, cipher: PatientCipher, options: { visibleToPatientOnly: boolean }): Promise<Map<string, string>> {
  const titles = new Map<string, string>();
  for (const document of await listDocuments(tx, orgId, patient)) {
    if (options.visibleToPatientOnly && !visibleToPatient(document)) continue;
    const content = JSON.parse(cipher.open(versionPlace(document.entry.id, document.entry.version, 'content'), document.entry.content)) as EntryContent<'document'>;
    titles.set(document.id, content.title);
  }
  return titles;
}

async function presentComments(tx: Tx, ctx: RequestContext, comments: readonly SealedComment[], cipher: PatientCipher, titles: ReadonlyMap<string, string>): Promise<PatientCommentView[]> {
  const open = accountFieldOpener(tx, ctx.services.fields);
  const names = new Map<string, Promise<string>>();
  const views: PatientCommentView[] = [];
  for (const comment of comments) {
    let resolvedBy: PatientCommentView['resolvedBy'] = null;
    if (comment.resolvedBy) {
      const { accountId, name } = comment.resolvedBy;
      if (!names.has(accountId)) names.set(accountId, open.name(accountId, name));
      resolvedBy = { accountId, name: await names.get(accountId)! };
    }
    views.push({
      id: comment.id,
      kind: comment.kind,
      documentId: comment.documentId,
      documentTitle: comment.documentId ? (titles.get(comment.documentId) ?? null) : null,
      text: cipher.open(commentPlace(comment.id, 'text'), comment.text),
      createdAt: comment.createdAt.toISOString(),
      status: comment.resolvedAt ? 'resolved' : 'open',
      resolvedAt: comment.resolvedAt?.toISOString() ?? null,
      resolvedBy,
      resolution: comment.resolution ? cipher.open(commentPlace(comment.id, 'resolution'), comment.resolution) : null,
    });
  }
  return views;
}

/** POST /portal/comments — about the record, or about one document the practice shared. */
export async function addPortalComment(ctx: RequestContext, input: PortalCommentInput): Promise<PatientCommentView> {
  const me = patientOf(ctx);
  const { fields, clock } = ctx.services;
  return withPatientAccess(ctx, { unverifiedPatientId: me.patientId, resource: 'patient', action: 'comment' }, async (tx, patient) => {
    const now = clock.now();
    if (input.documentId) {
      // Only a document the patient can see: an unshared one, or another patient's, is not there.
      const document = await readDocument(tx, me.orgId, patient, input.documentId);
      if (!document || !visibleToPatient(document)) throw new AppError('DOCUMENT_NOT_FOUND');
    }
    const cipher = await fields.forPatient(tx, me.orgId, patient.patientId);
    const id = newId();
    await insertComment(tx, me.orgId, patient, cipher, { id, kind: input.kind, documentId: input.documentId ?? null, text: input.text, createdByAccountId: me.accountId, now });
    await appendAudit(tx, me.orgId, auditMeta(ctx, now), portalEvent({ action: 'portal.comment_added', outcome: 'success', resourceType: 'patient_comment', resourceId: id, patientId: patient.patientId, reason: input.kind }));
    const written = await readComment(tx, me.orgId, patient, id);
    if (!written) throw new Error('a comment just written is not found');
    const titles = input.documentId ? await documentTitles(tx, me.orgId, patient, cipher, { visibleToPatientOnly: true }) : new Map<string, string>();
    const [view] = await presentComments(tx, ctx, [written], cipher, titles);
    return view!;
  });
}

/**
 * GET /portal/comments — the patient's own comments and the practice's answers, newest first.
 * Recorded (comment.list_viewed) like the practice's reading: the answers may hold health data.
 */
export async function listPortalComments(ctx: RequestContext): Promise<PatientCommentList> {
  const me = patientOf(ctx);
  return withPatientAccess(ctx, { unverifiedPatientId: me.patientId, resource: 'patient', action: 'read' }, async (tx, patient) => {
    const cipher = await ctx.services.fields.forPatient(tx, me.orgId, patient.patientId);
    const comments = await listComments(tx, me.orgId, patient);
    await appendAudit(tx, me.orgId, auditMeta(ctx, ctx.services.clock.now()), portalEvent({ action: 'comment.list_viewed', outcome: 'success', resourceType: 'patient', resourceId: patient.patientId, patientId: patient.patientId }));
    // A document the practice stopped sharing keeps the comment, but no longer its title.
    const titles = comments.some((comment) => comment.documentId) ? await documentTitles(tx, me.orgId, patient, cipher, { visibleToPatientOnly: true }) : new Map<string, string>();
    return { comments: await presentComments(tx, ctx, comments, cipher, titles) };
  });
}

/**
 * GET /patients/:id/comments — the practice reads them under the dossier's rules. The patient's
 * own words may hold health data: reading them is recorded (and shows in their access log).
 */
export async function listPatientComments(ctx: RequestContext, input: { unverifiedPatientId: string }): Promise<PatientCommentList> {
  const orgId = memberOf(ctx).orgId;
  return withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'dossier', action: 'read' }, async (tx, patient) => {
    const cipher = await ctx.services.fields.forPatient(tx, orgId, patient.patientId);
    const comments = await listComments(tx, orgId, patient);
    await appendAudit(tx, orgId, auditMeta(ctx, ctx.services.clock.now()), portalEvent({ action: 'comment.list_viewed', outcome: 'success', resourceType: 'patient', resourceId: patient.patientId, ...patientAuditFields(patient) }));
    const titles = comments.some((comment) => comment.documentId) ? await documentTitles(tx, orgId, patient, cipher, { visibleToPatientOnly: false }) : new Map<string, string>();
    return { comments: await presentComments(tx, ctx, comments, cipher, titles) };
  });
}

/**
 * POST /patients/:id/comments/:commentId/resolve — the practice's answer, which the patient reads
 * in the portal. The first answer stands: a comment resolved already is returned as it is,
 * unchanged and not recorded again (as sharing a shared document changes nothing).
 */
export async function resolvePatientComment(ctx: RequestContext, input: { unverifiedPatientId: string; commentId: string } & ResolveCommentInput): Promise<PatientCommentView> {
  const actor = memberOf(ctx);
  const { fields, clock } = ctx.services;
  return withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'dossier', action: 'write' }, async (tx, patient) => {
    const now = clock.now();
    const current = await readComment(tx, actor.orgId, patient, input.commentId);
    if (!current) throw new AppError('COMMENT_NOT_FOUND');
    const cipher = await fields.forPatient(tx, actor.orgId, patient.patientId);
    const changed = await resolveComment(tx, actor.orgId, patient, cipher, { commentId: input.commentId, resolution: input.resolution, byAccountId: actor.accountId, now });
    if (changed) {
      await appendAudit(tx, actor.orgId, auditMeta(ctx, now), portalEvent({ action: 'comment.resolved', outcome: 'success', resourceType: 'patient_comment', resourceId: input.commentId, ...patientAuditFields(patient) }));
    }
    const comment = changed ? await readComment(tx, actor.orgId, patient, input.commentId) : current;
    const titles = comment!.documentId ? await documentTitles(tx, actor.orgId, patient, cipher, { visibleToPatientOnly: false }) : new Map<string, string>();
    const [view] = await presentComments(tx, ctx, [comment!], cipher, titles);
    return view!;
  });
}
