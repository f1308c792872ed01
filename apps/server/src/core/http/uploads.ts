import fastifyMultipart, { type Multipart } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { AppError } from '../errors.ts';

/** The one form field an upload is sent in (`multipart/form-data`, field `file`). */
export const uploadFieldName = 'file';

/** Longest text field an upload may carry (a description of 2,000 characters fits in UTF-8). */
const maxFieldBytes = 16 * 1024;

/**
 * Lets the routes registered in `scope` (and only those) accept `multipart/form-data`. Every
 * other route keeps refusing any body but JSON.
 */
export async function acceptUploads(scope: FastifyInstance, maxBytes: number, options: { fields?: readonly string[] } = {}): Promise<void> {
  const fields = options.fields?.length ?? 0;
  await scope.register(fastifyMultipart, {
    // One part, the file, after at most the named text fields; few headers. Busboy stops reading
    // one byte past the limit, so the inspector (core/files/file-types.ts) sees the excess and
    // answers FILE_TOO_LARGE.
    limits: { fileSize: maxBytes + 1, files: 1, fields, parts: 1 + fields, fieldSize: maxFieldBytes, headerPairs: 20, fieldNameSize: 100 },
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
  /** The text fields sent before the file (only names the route allowed, each at most once). */
  fields: Record<string, string>;
}

const isMultipartLimit = (error: unknown) => ['FST_PARTS_LIMIT', 'FST_FILES_LIMIT'].includes((error as { code?: string }).code ?? '');
const oneFileOnly = () => new AppError('VALIDATION_FAILED', { fields: [{ path: uploadFieldName, issue: 'Send one file per upload.' }] });

/**
 * The single file of an upload request, or a clear 4xx. Text fields the route allows (`fields`,
 * as given to `acceptUploads`) must come before the file — it is streamed, never buffered, so
 * nothing after it can be waited for — and each at most once.
 */
export async function singleUpload(request: FastifyRequest, options: { fields?: readonly string[] } = {}): Promise<UploadPart> {
  const allowed = new Set(options.fields ?? []);
  const fields: Record<string, string> = {};
  let parts: AsyncIterator<Multipart>;
  let next: IteratorResult<Multipart>;
  try {
    parts = request.parts()[Symbol.asyncIterator]();
    next = await parts.next();
    while (!next.done && next.value.type === 'field') {
      const field = next.value;
      // An unknown or repeated field, one too long, or a file sent as a field: not what an upload
      // form sends where its file should be.
      if (!allowed.has(field.fieldname) || field.fieldname in fields) throw new AppError('FILE_REQUIRED', { internal: 'an unexpected form field' });
      if (field.valueTruncated || typeof field.value !== 'string') throw new AppError('VALIDATION_FAILED', { fields: [{ path: field.fieldname, issue: 'too long' }] });
      fields[field.fieldname] = field.value;
      next = await parts.next();
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (isMultipartLimit(error)) throw oneFileOnly();
    // A form field where the file should be (fields are not taken at all, or no more of them).
    if ((error as { code?: string }).code === 'FST_FIELDS_LIMIT') throw new AppError('FILE_REQUIRED', { internal: 'a form field instead of a file' });
    if ((error as { code?: string }).code?.startsWith('FST_')) throw error; // mapped by the error handler
    // Busboy refuses a body it cannot parse at all (no boundary, a broken header) with a plain Error.
    throw new AppError('MALFORMED_REQUEST', { internal: 'unreadable multipart body', cause: error });
  }
  if (next.done || next.value.type !== 'file') throw new AppError('FILE_REQUIRED');
  const part = next.value;
  if (part.fieldname !== uploadFieldName) {
    part.file.resume();
    throw new AppError('FILE_REQUIRED', { internal: 'the file was not sent in the field "file"' });
  }
  return {
    source: part.file,
    fileName: part.filename ?? '',
    fields,
    async assertNothingMore() {
      try {
        if (!(await parts.next()).done) throw oneFileOnly();
      } catch (error) {
        throw isMultipartLimit(error) ? oneFileOnly() : error;
      }
    },
  };
}
