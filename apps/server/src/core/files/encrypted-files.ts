import { pipeline } from 'node:stream';
import { Readable } from 'node:stream';
import type { Services } from '../context.ts';
import type { KeyRef } from '../crypto/aead.ts';
import { decryptStream, encryptStream, FileDecryptionError, type FileKeyResolver } from '../crypto/file-stream.ts';
import { orgKeyId } from '../crypto/key-ring.ts';
import { newId } from '../security/tokens.ts';
import { UploadInspector, type InspectedUpload } from './file-types.ts';

/**
 * Whose key a file is encrypted under: the practice's (its own files) or one patient's (their
 * documents, so shredding the patient's key erases them too).
 */
export type FileOwner = { kind: 'organisation'; orgId: string } | { kind: 'patient'; orgId: string; patientId: string };

/**
 * The additional data every chunk of a blob is bound to: its owner and its blob id. A blob file
 * copied over another one, or moved to another practice or patient, does not open.
 */
export const fileContext = (owner: FileOwner, blobId: string): string =>
  owner.kind === 'organisation' ? `blob:${owner.orgId}:organisation:${blobId}` : `blob:${owner.orgId}:patient:${owner.patientId}:${blobId}`;

const patientKeyRefId = (patientId: string) => `patient:${patientId}`;

/** The owner's current key, to encrypt a new file with; looked up in a short transaction of its own. */
async function currentKey(services: Services, owner: FileOwner): Promise<{ ref: KeyRef; key: Buffer }> {
  return services.db.tenant(owner.orgId, async (tx) => {
    if (owner.kind === 'patient') return services.keys.patientKey(tx, owner.orgId, owner.patientId);
    const keys = await services.keys.organisationKeys(tx, owner.orgId);
    return { ref: keys.ref, key: keys.dataKey };
  });
}

/**
 * Resolves the key a blob's header names — but only a key of the owner whose row the caller was
 * allowed to read. A header naming any other key (another practice's, another patient's: a
 * swapped or planted blob) is refused before any key is looked up, so a blob can never make the
 * server decrypt it with a key the request was not entitled to.
 */
export function fileKeyResolver(services: Services, owner: FileOwner): FileKeyResolver {
  return async (ref) => {
    const expected = owner.kind === 'organisation' ? orgKeyId(owner.orgId) : patientKeyRefId(owner.patientId);
    if (ref.keyId !== expected) throw new Error('the file names a key of another owner');
    return services.db.tenant(owner.orgId, async (tx) => {
      if (owner.kind === 'patient') return (await services.keys.patientKey(tx, owner.orgId, owner.patientId)).key;
      return (await services.keys.organisationKeys(tx, owner.orgId, ref.version)).dataKey;
    });
  };
}

export interface StoredBlob extends InspectedUpload {
  blobId: string;
}

/**
 * Streams an upload into the blob store: type check and size limit first (nothing is stored
 * unless the content is an allowed type), then chunked encryption under the owner's key. Never
 * buffers more than the type-detection sample. On any failure nothing is left under the blob id
 * and the error is the inspector's AppError when it was the content's fault.
 *
 * The caller records the blob in its table afterwards and calls {@link deleteBlobQuietly} if
 * that fails; a crash in between leaves an unreferenced blob that is encrypted like any other.
 */
export async function storeEncryptedFile(
  services: Services,
  input: { owner: FileOwner; source: Readable; nameHint: string; maxBytes: number },
): Promise<StoredBlob> {
  const blobId = newId();
  const { ref, key } = await currentKey(services, input.owner);
  const inspector = new UploadInspector({ maxBytes: input.maxBytes, nameHint: input.nameHint });
  const encrypt = encryptStream(key, { keyRef: ref, aad: fileContext(input.owner, blobId) });
  key.fill(0); // encryptStream has derived its per-file key; this copy is no longer needed
  let failure: unknown;
  const encrypted = pipeline(input.source, inspector, encrypt, (error) => {
    failure ??= error;
  });
  try {
    await services.blobs.put(blobId, encrypted);
    const inspected = await inspector.result;
    return { blobId, ...inspected };
  } catch (error) {
    await deleteBlobQuietly(services, blobId);
    // The inspector's refusal (type, size, empty) is the error a user should see, not the
    // "premature close" the store saw when the pipeline was torn down because of it.
    throw (await inspector.result.then(() => undefined, (refusal: unknown) => refusal)) ?? failure ?? error;
  }
}

/**
 * A blob's plaintext as a stream. The first chunk is decrypted and authenticated before this
 * returns, so a damaged, swapped or foreign blob fails here — while the route can still answer
 * with a clean error — instead of after the response headers went out. A failure in a later
 * chunk ends the stream with an error, which cuts the response short of its Content-Length, so
 * a browser never takes a partial file for a whole one.
 */
export async function openEncryptedFile(services: Services, input: { owner: FileOwner; blobId: string }): Promise<Readable> {
  const blob = await services.blobs.get(input.blobId);
  const decrypt = decryptStream(fileKeyResolver(services, input.owner), { aad: fileContext(input.owner, input.blobId) });
  pipeline(blob, decrypt, () => undefined); // errors surface through `decrypt`'s iterator below
  const chunks = decrypt[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await chunks.next();
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (first.done) return;
      yield first.value;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
    } finally {
      await chunks.return?.();
    }
  }
  return Readable.from(rest(), { objectMode: false });
}

/** Removes a blob that is no longer referenced; a failure is logged (without content) and left for later. */
export async function deleteBlobQuietly(services: Services, blobId: string): Promise<void> {
  await services.blobs.delete(blobId).catch((error: unknown) => {
    services.logger.warn({ blobId, err: error instanceof Error ? error.name : 'unknown' }, 'an unreferenced blob could not be removed');
  });
}

export const isFileDecryptionError = (error: unknown): error is FileDecryptionError => error instanceof FileDecryptionError;
