import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Where file contents live, as opaque bytes under an id. Callers encrypt before `put` and
 * decrypt after `get` (see `core/crypto/file-stream.ts`): a store never sees plaintext, so a copy
 * of it — or of a backup of it — says nothing without the keys.
 */
export interface BlobStore {
  /** Stores `data` under `id`, replacing any blob there; all or nothing. */
  put(id: string, data: Readable): Promise<{ bytes: number }>;
  /** The blob's bytes as a stream; rejects with {@link BlobNotFoundError} before any byte when there is none. */
  get(id: string): Promise<Readable>;
  /** Removes the blob; removing a missing blob is not an error (erasure may be retried). */
  delete(id: string): Promise<void>;
  exists(id: string): Promise<boolean>;
}

/** The id is not a blob id (a lowercase UUID). The message does not repeat it: it may be hostile. */
export class InvalidBlobIdError extends Error {
  override name = 'InvalidBlobIdError';
  constructor() {
    super('a blob id must be a lowercase UUID');
  }
}

export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
  constructor(readonly blobId: string) {
    super(`blob ${blobId} does not exist`);
  }
}

/**
 * Only canonical lowercase UUIDs are ids: no separator, dot or NUL can reach a path, and no two
 * spellings (upper/lower case) name the same file on a case-insensitive file system.
 */
const blobIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const isBlobId = (id: string): boolean => blobIdPattern.test(id);

/**
 * Blobs as files under one directory (by default `data/blobs`), spread over two-character
 * subdirectories by the first two characters of the id: `<root>/3f/3f2a…`.
 *
 * A put writes a temporary file beside the target (mode 0600, created exclusively), fsyncs it,
 * renames it over the target and fsyncs the directory, so a crash leaves either the old blob or
 * the new one under the id, never half of one. A crash can leave a `.tmp` file behind; such files
 * are never read as blobs. Directories are created 0700.
 */
export class DirectoryBlobStore implements BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The file a blob lives in; refuses anything but a blob id. */
  pathFor(id: string): string {
    if (typeof id !== 'string' || !isBlobId(id)) throw new InvalidBlobIdError();
    return path.join(this.root, id.slice(0, 2), id);
  }

  async put(id: string, data: Readable): Promise<{ bytes: number }> {
    const target = this.pathFor(id);
    const directory = path.dirname(target);
    const created = await mkdir(directory, { recursive: true, mode: 0o700 });
    if (created !== undefined) await syncNewDirectories(directory, created);

    const temporary = path.join(directory, `.${id}.${randomBytes(8).toString('hex')}.tmp`);
    // 'wx' is O_CREAT | O_EXCL: never an existing file, never through a symbolic link.
    let handle: FileHandle | undefined = await open(temporary, 'wx', 0o600);
    try {
      await handle.chmod(0o600); // whatever the umask
      let bytes = 0;
      for await (const chunk of data) {
        const buffer = asBuffer(chunk);
        await writeAll(handle, buffer);
        bytes += buffer.length;
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temporary, target);
      await syncDirectory(directory);
      return { bytes };
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }

  async get(id: string): Promise<Readable> {
    const file = this.pathFor(id);
    try {
      // Open first, so a missing blob is an error the caller sees before streaming starts.
      const handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
      return handle.createReadStream();
    } catch (error) {
      if (hasCode(error, 'ENOENT')) throw new BlobNotFoundError(id);
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    const file = this.pathFor(id);
    try {
      await unlink(file);
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return;
      throw error;
    }
    await syncDirectory(path.dirname(file));
  }

  async exists(id: string): Promise<boolean> {
    const file = this.pathFor(id);
    try {
      return (await lstat(file)).isFile();
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return false;
      throw error;
    }
  }
}

async function writeAll(handle: FileHandle, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
}

/** Makes a rename or unlink in `directory` durable. Windows cannot open directories; it skips. */
async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** After `mkdir -p` created `created` and below it up to `directory`: records each new entry. */
async function syncNewDirectories(directory: string, created: string): Promise<void> {
  const stop = path.dirname(created);
  for (let current = path.dirname(directory); ; current = path.dirname(current)) {
    await syncDirectory(current);
    if (current === stop || current === path.dirname(current)) return;
  }
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // Strings are refused: a stream with an encoding set has already mangled binary data.
  throw new TypeError('a blob is bytes');
}

const hasCode = (error: unknown, code: string): boolean => error instanceof Error && (error as NodeJS.ErrnoException).code === code;
