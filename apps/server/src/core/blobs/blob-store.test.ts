import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decryptStream, encryptStream, fileTagBytes } from '../crypto/file-stream.ts';
import { BlobNotFoundError, DirectoryBlobStore, InvalidBlobIdError } from './blob-store.ts';

let workDir: string;
let store: DirectoryBlobStore;

beforeEach(() => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'haven-blobs-'));
  store = new DirectoryBlobStore(path.join(workDir, 'blobs'));
});
afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const readAll = async (stream: Readable): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
};

/** Every file under a directory, relative, temporary files included. */
async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => !entry.isDirectory()).map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)));
}

/** A source that yields `bytes` and then fails, as a dropped upload would. */
function failingSource(bytes: number, error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield randomBytes(bytes / 2);
      yield randomBytes(bytes / 2);
      throw error;
    })(),
  );
}

describe('directory blob store', () => {
  it('puts, gets, checks and deletes a blob', async () => {
    const id = randomUUID();
    const data = randomBytes(300_000);
    expect(await store.exists(id)).toBe(false);
    expect(await store.put(id, Readable.from([data.subarray(0, 1000), data.subarray(1000)]))).toEqual({ bytes: data.length });
    expect(await store.exists(id)).toBe(true);
    expect((await readAll(await store.get(id))).equals(data)).toBe(true);
    await store.delete(id);
    expect(await store.exists(id)).toBe(false);
    await expect(store.get(id)).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('stores an empty blob', async () => {
    const id = randomUUID();
    expect(await store.put(id, Readable.from([]))).toEqual({ bytes: 0 });
    expect(await readAll(await store.get(id))).toHaveLength(0);
  });

  it('lays blobs out under two-character directories, files 0600 and directories 0700', async () => {
    const id = randomUUID();
    await store.put(id, Readable.from([Buffer.from('opaque')]));
    const file = path.join(store.root, id.slice(0, 2), id);
    expect(store.pathFor(id)).toBe(file);
    expect(await readFile(file, 'utf8')).toBe('opaque');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect((await stat(store.root)).mode & 0o777).toBe(0o700);
    expect(await listFiles(store.root)).toEqual([path.join(id.slice(0, 2), id)]);
  });

  it('replaces a blob put twice under one id', async () => {
    const id = randomUUID();
    await store.put(id, Readable.from([Buffer.from('first')]));
    await store.put(id, Readable.from([Buffer.from('second')]));
    expect((await readAll(await store.get(id))).toString()).toBe('second');
    expect(await listFiles(store.root)).toHaveLength(1);
  });

  it('treats a missing blob as not found, and deleting it as done', async () => {
    const id = randomUUID();
    const error = await store.get(id).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(BlobNotFoundError);
    expect((error as BlobNotFoundError).blobId).toBe(id);
    await expect(store.delete(id)).resolves.toBeUndefined();
    expect(await store.exists(id)).toBe(false);
  });

  it.each([
    ['a parent path', '../x'],
    ['a nested path', 'a/b'],
    ['an absolute path', '/etc/passwd'],
    ['a UUID followed by a parent path', `${randomUUID()}/../../x`],
    ['a parent directory', '..'],
    ['the empty string', ''],
    ['a name', 'report.pdf'],
    ['an upper-case UUID', randomUUID().toUpperCase()],
    ['a UUID without dashes', randomUUID().replaceAll('-', '')],
    ['a UUID with a trailing newline', `${randomUUID()}\n`],
    ['a UUID with a NUL', `${randomUUID()}\0`],
    ['a UUID in braces', `{${randomUUID()}}`],
  ])('refuses %s as an id, touching nothing', async (_name, id) => {
    const outside = path.join(workDir, 'x');
    await expect(store.put(id, Readable.from([Buffer.from('evil')]))).rejects.toBeInstanceOf(InvalidBlobIdError);
    await expect(store.get(id)).rejects.toBeInstanceOf(InvalidBlobIdError);
    await expect(store.exists(id)).rejects.toBeInstanceOf(InvalidBlobIdError);
    await expect(store.delete(id)).rejects.toBeInstanceOf(InvalidBlobIdError);
    expect(await listFiles(workDir)).toEqual([]);
    await expect(stat(outside)).rejects.toThrow();
  });

  it('a failed put leaves no blob and no temporary file', async () => {
    const id = randomUUID();
    const dropped = new Error('upload dropped');
    await expect(store.put(id, failingSource(200_000, dropped))).rejects.toBe(dropped);
    expect(await store.exists(id)).toBe(false);
    await expect(store.get(id)).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await listFiles(store.root)).toEqual([]);
  });

  it('a failed put over an existing blob leaves the old one whole', async () => {
    const id = randomUUID();
    const original = randomBytes(50_000);
    await store.put(id, Readable.from([original]));
    await expect(store.put(id, failingSource(200_000, new Error('upload dropped')))).rejects.toThrow('upload dropped');
    expect((await readAll(await store.get(id))).equals(original)).toBe(true);
    expect(await listFiles(store.root)).toEqual([path.join(id.slice(0, 2), id)]);
  });

  it('does not follow a symbolic link planted where a blob would be', async () => {
    const id = randomUUID();
    const secret = path.join(workDir, 'secret');
    await writeFile(secret, 'not a blob');
    await mkdir(path.dirname(store.pathFor(id)), { recursive: true });
    await symlink(secret, store.pathFor(id));
    expect(await store.exists(id)).toBe(false);
    await expect(store.get(id)).rejects.toThrow();
  });
});

describe('encrypted files through the blob store', () => {
  it('streams 20 MiB in and out without holding it: bounded lag, no push above a chunk', async () => {
    const key = randomBytes(32);
    const keyRef = { keyId: 'patient:1', version: 1 };
    const id = randomUUID();
    const aad = `blob:org-1:patient-1:${id}`;
    const chunkSize = 64 * 1024;
    const total = 20 * 1024 * 1024;
    const limit = 1024 * 1024; // measured: about 100 KiB in flight at any point

    let produced = 0;
    const sourceHash = createHash('sha256');
    const source = Readable.from(
      (function* () {
        while (produced < total) {
          const block = randomBytes(Math.min(48_000, total - produced));
          produced += block.length;
          sourceHash.update(block);
          yield block;
        }
      })(),
    );
    /** How much of the blob has reached its temporary file so far. */
    const onDisk = () => {
      const directory = path.dirname(store.pathFor(id));
      const temporary = readdirSync(directory, { withFileTypes: true }).find((entry) => entry.name.endsWith('.tmp'));
      return temporary ? statSync(path.join(directory, temporary.name)).size : 0;
    };
    let stored = 0;
    let largestStoredPush = 0;
    let largestEncryptLag = 0;
    let largestWriteLag = 0;
    const watchCiphertext = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        stored += chunk.length;
        largestStoredPush = Math.max(largestStoredPush, chunk.length);
        largestEncryptLag = Math.max(largestEncryptLag, produced - stored);
        if (stored > 1024 * 1024) largestWriteLag = Math.max(largestWriteLag, stored - onDisk());
        callback(null, chunk);
      },
    });
    // The store consumes the pipeline's far end while it runs, as an upload handler would.
    const [, put] = await Promise.all([
      pipeline(source, encryptStream(key, { keyRef, aad, chunkSize }), watchCiphertext),
      store.put(id, watchCiphertext),
    ]);
    expect(put.bytes).toBe(stored);
    expect(put.bytes).toBeGreaterThan(total);
    expect(largestStoredPush).toBeLessThanOrEqual(chunkSize + fileTagBytes);
    expect(largestEncryptLag).toBeLessThan(limit);
    expect(largestWriteLag).toBeLessThan(limit);

    let read = 0;
    let released = 0;
    let largestReleased = 0;
    let largestReadLag = 0;
    const outputHash = createHash('sha256');
    await pipeline(
      await store.get(id),
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          read += chunk.length;
          callback(null, chunk);
        },
      }),
      decryptStream(() => key, { aad }),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          released += chunk.length;
          largestReleased = Math.max(largestReleased, chunk.length);
          largestReadLag = Math.max(largestReadLag, read - released);
          outputHash.update(chunk);
          callback();
        },
      }),
    );
    expect(released).toBe(total);
    expect(outputHash.digest('hex')).toBe(sourceHash.digest('hex'));
    expect(largestReleased).toBeLessThanOrEqual(chunkSize);
    expect(largestReadLag).toBeLessThan(limit);
  });
});
