import { AccessLogPage, AccessLogQuery, PatientCommentList, PatientCommentView, PortalCommentInput, PortalContactUpdate, PortalDocumentList, PortalMe, ResolveCommentInput, Uuid } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../core/http/access.ts';
import { sendDocument } from '../patient-documents/routes.ts';
import { addPortalComment, listPatientComments, listPortalComments, resolvePatientComment } from './comments.ts';
import { downloadPortalDocument, getAccessLog, getPortalMe, listPortalDocuments, updatePortalContact } from './service.ts';

const tags = ['patient portal'];
/** The document's id; named `id` like every route's first id. */
const byDocument = z.strictObject({ id: Uuid });
const byPatient = z.strictObject({ id: Uuid });
const byComment = z.strictObject({ id: Uuid, commentId: Uuid });

/**
 * The patient portal: every route is for a signed-in patient (access.patient) and answers about
 * that patient only — no patient id travels in these paths; the service takes it from the
 * session. The practice's side of patients' comments sits here too, under the dossier's rules.
 */
export function portalRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/portal/me', { schema: { tags, summary: 'My details as the practice registered them (reading them is recorded)', response: { 200: PortalMe } }, config: { access: access.patient } }, async (request) =>
    getPortalMe(request.ctx),
  );
  r.patch('/portal/me/contact', { schema: { tags, summary: 'Correct my contact details (replaced as a whole)', body: PortalContactUpdate, response: { 200: PortalMe } }, config: { access: access.patient } }, async (request) =>
    updatePortalContact(request.ctx, request.body),
  );
  r.get('/portal/documents', { schema: { tags, summary: 'The documents my practice shared with me', response: { 200: PortalDocumentList } }, config: { access: access.patient } }, async (request) =>
    listPortalDocuments(request.ctx),
  );
  r.get(
    '/portal/documents/:id/content',
    // No automatic HEAD: it would run the download (and record one) only to discard it.
    { exposeHeadRoute: false, schema: { tags, summary: "A shared document's contents, as an attachment (the download is recorded)", params: byDocument }, config: { access: access.patient } },
    async (request, reply) => sendDocument(reply, await downloadPortalDocument(request.ctx, { documentId: request.params.id })),
  );
  r.get('/portal/comments', { schema: { tags, summary: 'My comments and correction requests, with the practice’s answers, newest first', response: { 200: PatientCommentList } }, config: { access: access.patient } }, async (request) =>
    listPortalComments(request.ctx),
  );
  r.post('/portal/comments', { schema: { tags, summary: 'Comment on my record or ask for a correction (about the record or one shared document)', body: PortalCommentInput, response: { 201: PatientCommentView } }, config: { access: access.patient } }, async (request, reply) =>
    reply.status(201).send(await addPortalComment(request.ctx, request.body)),
  );
  r.get('/portal/access-log', { schema: { tags, summary: 'Who opened my record: every access by staff, newest first (50 a page)', querystring: AccessLogQuery, response: { 200: AccessLogPage } }, config: { access: access.patient } }, async (request) =>
    getAccessLog(request.ctx, request.query),
  );

  // The practice's side: read and answer a patient's comments (care team or break-the-glass).
  r.get('/patients/:id/comments', { schema: { tags: ['patients'], summary: "A patient's comments and correction requests, newest first", params: byPatient, response: { 200: PatientCommentList } }, config: { access: access.can('dossier:read') } }, async (request) =>
    listPatientComments(request.ctx, { unverifiedPatientId: request.params.id }),
  );
  r.post(
    '/patients/:id/comments/:commentId/resolve',
    { schema: { tags: ['patients'], summary: "Answer a patient's comment or correction request (the patient reads the answer in the portal)", params: byComment, body: ResolveCommentInput, response: { 200: PatientCommentView } }, config: { access: access.can('dossier:write') } },
    async (request) => resolvePatientComment(request.ctx, { unverifiedPatientId: request.params.id, commentId: request.params.commentId, resolution: request.body.resolution }),
  );
}
