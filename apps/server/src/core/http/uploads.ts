import fastifyMultipart, { type Multipart } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { AppError } from '../errors.ts';

/** The one form field an upload is sent in (`multipart/form-data`, field `file`). */
export const uploadFieldName = 'file';

/**
 * Lets the routes registered in `scope` (and only those) accept `multipart/form-data`. Every
 * other route keeps refusing any body but JSON.
 */
export async function acceptUploads(scope: FastifyInstance, maxBytes: number): Promise<void> {
  await scope.register(fastifyMultipart, {
    // One part, the file; no other fields, few headers. Busboy stops reading one byte past the
    // limit, so the inspector (core/files/file-types.ts) sees the excess and answers FILE_TOO_LARGE.
    limits: { fileSize: maxBytes + 1, files: 1, fields: 0, parts: 1, headerPairs: 20, fieldNameSize: 100 },
    throwFileSizeLimit: false,
  });
}

export interface UploadPart {
  /** The file's bytes as they arrive; nothing is buffered or written to disk in clear. */
  source: Readable;
  /** As the client named it: untrusted, only ever a label (see core/files/file-names.ts). */
  fileName: string;
  /**
   * After the file was read: refuses a request that carried more than the one file, so a second
   * file is never silently dropped while the user believes it was stored.
   */
  assertNothingMore(): Promise<void>;
}

const isMultipartLimit = (error: unknown) => ['FST_PARTS_LIMIT', 'FST_FILES_LIMIT'].includes((error as { code?: string }).code ?? '');
const oneFileOnly = () => new AppError('VALIDATION_FAILED', { fields: [{ path: uploadFieldName, issue: 'Send one file per upload.' }] });

/** The single file of an upload request, or a clear 4xx. */
export async function singleUpload(request: FastifyRequest): Promise<UploadPart> {
  let parts: AsyncIterator<Multipart>;
  let first: IteratorResult<Multipart>;
  try {
    parts = request.parts()[Symbol.asyncIterator]();
    first = await parts.next();
  } catch (error) {
    if (isMultipartLimit(error)) throw oneFileOnly();
    // A form field where the file should be (fields are not taken at all).
    if ((error as { code?: string }).code === 'FST_FIELDS_LIMIT') throw new AppError('FILE_REQUIRED', { internal: 'a form field instead of a file' });
    if ((error as { code?: string }).code?.startsWith('FST_')) throw error; // mapped by the error handler
    // Busboy refuses a body it cannot parse at all (no boundary, a broken header) with a plain Error.
    throw new AppError('MALFORMED_REQUEST', { internal: 'unreadable multipart body', cause: error });
  }
  if (first.done || first.value.type !== 'file') throw new AppError('FILE_REQUIRED');
  const part = first.value;
  if (part.fieldname !== uploadFieldName) {
    part.file.resume();
    throw new AppError('FILE_REQUIRED', { internal: 'the file was not sent in the field "file"' });
  }
  return {
    source: part.file,
    fileName: part.filename ?? '',
    async assertNothingMore() {
      try {
        if (!(await parts.next()).done) throw oneFileOnly();
      } catch (error) {
        throw isMultipartLimit(error) ? oneFileOnly() : error;
      }
    },
  };
}
