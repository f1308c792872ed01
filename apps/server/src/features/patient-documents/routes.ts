import { DocumentSharing, documentUploadFieldNames, PatientDocument, PatientDocumentList, Uuid } from '@haven/contracts';
import { create as contentDisposition } from 'content-disposition';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../core/context.ts';
import { access } from '../../core/http/access.ts';
import { acceptUploads, singleUpload } from '../../core/http/uploads.ts';
import { downloadPatientDocument, listPatientDocuments, setPatientDocumentSharing, uploadPatientDocument, type DocumentDownload } from './service.ts';

const tags = ['patient documents'];

/** Sends a document as an attachment (the practice's download and the portal's). */
export function sendDocument(reply: FastifyReply, download: DocumentDownload): FastifyReply {
  return reply
    .header('content-type', download.contentType)
    .header('content-length', String(download.sizeBytes))
    .header('content-disposition', contentDisposition(download.name, { type: 'attachment' }))
    // Even if a browser were talked into rendering it, the file gets no origin and runs nothing.
    .header('content-security-policy', "default-src 'none'; sandbox")
    .send(download.stream);
}
const byPatient = z.strictObject({ id: Uuid });
const byDocument = z.strictObject({ id: Uuid, docId: Uuid });

/**
 * A patient's documents. Routes name the permission; whether this person may reach this patient
 * (care team or break-the-glass) is decided in core/authz.
 */
export async function patientDocumentRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // The upload in a scope of its own: it is the only route here that accepts a multipart body.
  await app.register(async (uploads) => {
    await acceptUploads(uploads, services.config.uploadMaxBytes, { fields: documentUploadFieldNames });
    uploads.withTypeProvider<ZodTypeProvider>().post(
      '/patients/:id/documents',
      {
        schema: {
          tags,
          summary: 'Upload a document (multipart/form-data: optional fields "title" and "description" first, then the file in "file"); it also becomes a dossier entry',
          consumes: ['multipart/form-data'],
          params: byPatient,
          response: { 201: PatientDocument },
        },
        config: { access: access.can('document:upload') },
      },
      async (request, reply) => {
        const upload = await singleUpload(request, { fields: documentUploadFieldNames });
        return reply.status(201).send(await uploadPatientDocument(request.ctx, { unverifiedPatientId: request.params.id, upload }));
      },
    );
  });
  r.get('/patients/:id/documents', { schema: { tags, summary: "A patient's documents, newest first", params: byPatient, response: { 200: PatientDocumentList } }, config: { access: access.can('document:read') } }, async (request) =>
    listPatientDocuments(request.ctx, { unverifiedPatientId: request.params.id }),
  );
  r.get(
    '/patients/:id/documents/:docId/content',
    // No automatic HEAD: it would run the download (and audit one) only to discard it.
    { exposeHeadRoute: false, schema: { tags, summary: "A document's contents, as an attachment (the download is recorded)", params: byDocument }, config: { access: access.can('document:read') } },
    async (request, reply) => sendDocument(reply, await downloadPatientDocument(request.ctx, { unverifiedPatientId: request.params.id, documentId: request.params.docId })),
  );
  r.put(
    '/patients/:id/documents/:docId/sharing',
    { schema: { tags, summary: 'Share a document with the patient, or stop sharing it', params: byDocument, body: DocumentSharing, response: { 200: PatientDocument } }, config: { access: access.can('document:share') } },
    async (request) => setPatientDocumentSharing(request.ctx, { unverifiedPatientId: request.params.id, documentId: request.params.docId, shared: request.body.shared }),
  );
}
