import { OrganisationFile, OrganisationFileList, Uuid } from '@haven/contracts';
import { create as contentDisposition } from 'content-disposition';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../core/context.ts';
import { access } from '../../core/http/access.ts';
import { acceptUploads, singleUpload } from '../../core/http/uploads.ts';
import { deleteFile, downloadFile, listFiles, uploadFile } from './service.ts';

const tags = ['organisation'];
const managers = access.can('files:manage');
const byId = z.strictObject({ id: Uuid });

/** The practice's own files: every member reads them, owners and admins add and remove them. */
export async function organisationFileRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // The upload in a scope of its own: it is the only route that accepts a multipart body.
  await app.register(async (uploads) => {
    await acceptUploads(uploads, services.config.uploadMaxBytes);
    uploads.withTypeProvider<ZodTypeProvider>().post(
      '/organisation/files',
      {
        schema: { tags, summary: 'Upload a file (multipart/form-data, field "file")', consumes: ['multipart/form-data'], response: { 201: OrganisationFile } },
        config: { access: managers },
      },
      async (request, reply) => reply.status(201).send(await uploadFile(request.ctx, await singleUpload(request))),
    );
  });
  r.get('/organisation/files', { schema: { tags, summary: "The practice's files", response: { 200: OrganisationFileList } }, config: { access: access.member } }, async (request) => listFiles(request.ctx));
  r.get(
    '/organisation/files/:id/content',
    // No automatic HEAD: it would run the download (and audit one) only to discard it.
    { exposeHeadRoute: false, schema: { tags, summary: "A file's contents, as an attachment", params: byId }, config: { access: access.member } },
    async (request, reply) => {
      const download = await downloadFile(request.ctx, { unverifiedFileId: request.params.id });
      return reply
        .header('content-type', download.contentType)
        .header('content-length', String(download.sizeBytes))
        .header('content-disposition', contentDisposition(download.name, { type: 'attachment' }))
        // Even if a browser were talked into rendering it, the file gets no origin and runs nothing.
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(download.stream);
    },
  );
  r.delete('/organisation/files/:id', { schema: { tags, summary: 'Delete a file', params: byId }, config: { access: managers } }, async (request, reply) => {
    await deleteFile(request.ctx, { unverifiedFileId: request.params.id });
    return reply.status(204).send();
  });
}
