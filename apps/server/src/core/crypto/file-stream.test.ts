import { createDecipheriv, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  decryptStream,
  defaultChunkSize,
  encryptStream,
  FileDecryptionError,
  fileTagBytes,
  type FileDecryptionFailure,
  type FileKeyResolver,
} from './file-stream.ts';

const key = randomBytes(32);
const keyRef = { keyId: 'patient:0c6f5d9e-7a43-4f0e-9a55-2f1b8f0e6d21', version: 3 };
const aad = 'blob:org-7:patient-0c6f5d9e:5b1f3a3c-2d7e-4a8b-9c1d-0e2f3a4b5c6d';
const headerBytes = 53 + Buffer.byteLength(keyRef.keyId);

/** A small seeded generator for write and read sizes, so a failing split can be replayed. */
function sizes(seed: number, max: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return 1 + (((t ^ (t >>> 14)) >>> 0) % max);
  };
}

function* pieces(data: Buffer, nextSize: () => number): Generator<Buffer> {
  for (let at = 0; at < data.length; ) {
    const size = nextSize();
    yield data.subarray(at, at + size);
    at += size;
  }
}

async function encrypt(
  plaintext: Buffer,
  options: { chunkSize?: number; maxWrite?: number; seed?: number; key?: Buffer; aad?: string } = {},
): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(pieces(plaintext, sizes(options.seed ?? 1, options.maxWrite ?? 70_000))),
    encryptStream(options.key ?? key, { keyRef, aad: options.aad ?? aad, chunkSize: options.chunkSize }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const part of source) parts.push(part);
    },
  );
  return Buffer.concat(parts);
}

/** Reads a stream with read(n) for random n, as a slow or oddly-sized consumer would. */
function readInRandomPieces(stream: Readable, nextSize: () => number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('readable', () => {
      for (let piece = stream.read(nextSize()); piece !== null; piece = stream.read(nextSize())) parts.push(piece as Buffer);
    });
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

async function decrypt(
  ciphertext: Buffer,
  options: { resolveKey?: FileKeyResolver; aad?: string; maxWrite?: number; seed?: number } = {},
): Promise<Buffer> {
  const decryptor = decryptStream(options.resolveKey ?? (() => key), { aad: options.aad ?? aad });
  const seed = options.seed ?? 2;
  const [, plaintext] = await Promise.all([
    pipeline(Readable.from(pieces(ciphertext, sizes(seed, options.maxWrite ?? 5_000))), decryptor),
    readInRandomPieces(decryptor, sizes(seed + 1, 90_000)),
  ]);
  return plaintext;
}

async function failure(promise: Promise<unknown>): Promise<FileDecryptionError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FileDecryptionError);
  return error as FileDecryptionError;
}

async function expectFailure(ciphertext: Buffer, reason?: FileDecryptionFailure, options: Parameters<typeof decrypt>[1] = {}) {
  const error = await failure(decrypt(ciphertext, options));
  if (reason) expect(error.reason).toBe(reason);
}

const sealedLength = (plaintextBytes: number, chunkSize: number) =>
  headerBytes + plaintextBytes + fileTagBytes * Math.max(1, Math.ceil(plaintextBytes / chunkSize));

describe('file stream encryption: round trips', () => {
  it.each([
    ['an empty file', 0],
    ['one byte', 1],
    ['exactly one chunk', defaultChunkSize],
    ['one chunk and a byte', defaultChunkSize + 1],
    ['exactly three chunks', 3 * defaultChunkSize],
  ])('%s', async (_name, size) => {
    const plaintext = randomBytes(size);
    const ciphertext = await encrypt(plaintext);
    expect(ciphertext.length).toBe(sealedLength(size, defaultChunkSize));
    expect((await decrypt(ciphertext)).equals(plaintext)).toBe(true);
  });

  it('5 MiB written, split and read back at random sizes, with several chunk sizes', async () => {
    const plaintext = randomBytes(5 * 1024 * 1024);
    for (const [seed, chunkSize] of [
      [11, defaultChunkSize],
      [12, 1000],
      [13, 1024 * 1024],
    ] as const) {
      const ciphertext = await encrypt(plaintext, { chunkSize, seed, maxWrite: 200_000 });
      expect(ciphertext.length).toBe(sealedLength(plaintext.length, chunkSize));
      expect((await decrypt(ciphertext, { seed, maxWrite: 7_000 })).equals(plaintext)).toBe(true);
    }
  });

  it('survives one-byte writes on both sides', async () => {
    const plaintext = randomBytes(3000);
    const ciphertext = await encrypt(plaintext, { chunkSize: 256, maxWrite: 1 });
    expect((await decrypt(ciphertext, { maxWrite: 1 })).equals(plaintext)).toBe(true);
  });

  it('writes the documented header: magic, version, key reference, chunk size, salt, nonce prefix', async () => {
    const ciphertext = await encrypt(Buffer.from('x'), { chunkSize: 4096 });
    const idLength = ciphertext.readUInt8(5);
    expect(ciphertext.subarray(0, 4).toString('ascii')).toBe('HVNF');
    expect(ciphertext.readUInt8(4)).toBe(1);
    expect(ciphertext.subarray(6, 6 + idLength).toString('utf8')).toBe(keyRef.keyId);
    expect(ciphertext.readUInt32BE(6 + idLength)).toBe(keyRef.version);
    expect(ciphertext.readUInt32BE(10 + idLength)).toBe(4096);
    expect(ciphertext.length).toBe(53 + idLength + 1 + fileTagBytes);
  });

  it('follows the documented construction: chunks open by the spec with plain AES-256-GCM', async () => {
    const chunkSize = 300;
    const plaintext = randomBytes(2 * chunkSize + 7);
    const ciphertext = await encrypt(plaintext, { chunkSize });
    const header = ciphertext.subarray(0, headerBytes);
    const salt = header.subarray(headerBytes - 39, headerBytes - 7);
    const prefix = header.subarray(headerBytes - 7);
    const fileKey = Buffer.from(hkdfSync('sha256', key, salt, 'haven file-stream v1', 32));
    const context = Buffer.from(aad, 'utf8');
    const opened: Buffer[] = [];
    for (let index = 0, at = headerBytes; at < ciphertext.length; index += 1, at += chunkSize + fileTagBytes) {
      const sealed = ciphertext.subarray(at, Math.min(at + chunkSize + fileTagBytes, ciphertext.length));
      const last = at + sealed.length === ciphertext.length ? 1 : 0;
      const position = Buffer.alloc(5);
      position.writeUInt32BE(index, 0);
      position.writeUInt8(last, 4);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(context.length, 0);
      const decipher = createDecipheriv('aes-256-gcm', fileKey, Buffer.concat([prefix, position]), { authTagLength: 16 });
      decipher.setAAD(Buffer.concat([length, context, header, position]));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      opened.push(decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final());
    }
    expect(Buffer.concat(opened).equals(plaintext)).toBe(true);
  });

  it('hides the plaintext, and two encryptions of one file differ', async () => {
    const marker = Buffer.from('PATIENT-DIAGNOSIS-MARKER');
    const plaintext = Buffer.concat(Array.from({ length: 5000 }, () => marker));
    const first = await encrypt(plaintext, { chunkSize: 4096 });
    const second = await encrypt(plaintext, { chunkSize: 4096 });
    expect(first.includes(marker)).toBe(false);
    expect(first.includes(marker.subarray(0, 8))).toBe(false);
    expect(first.subarray(headerBytes - 39, headerBytes).equals(second.subarray(headerBytes - 39, headerBytes))).toBe(false);
    expect(first.subarray(headerBytes).equals(second.subarray(headerBytes))).toBe(false);
  });

  it('asks the resolver for the key the header names, and takes a KeyObject', async () => {
    const ciphertext = await encrypt(randomBytes(10_000), { chunkSize: 4096 });
    const asked: unknown[] = [];
    await decrypt(ciphertext, {
      resolveKey: async (ref) => {
        asked.push(ref);
        return createSecretKey(key);
      },
    });
    expect(asked).toEqual([keyRef]);
  });

  it('copies the key at the start, so wiping the caller’s buffer mid-stream is harmless', async () => {
    const own = Buffer.from(key);
    const encryptor = encryptStream(own, { keyRef, aad, chunkSize: 256 });
    own.fill(0);
    const parts: Buffer[] = [];
    await pipeline(Readable.from([randomBytes(1000)]), encryptor, async (source: AsyncIterable<Buffer>) => {
      for await (const part of source) parts.push(part);
    });
    await expect(decrypt(Buffer.concat(parts))).resolves.toHaveLength(1000);
  });

  it('refuses a wrong-sized key, odd chunk sizes, an empty context and bad key references', () => {
    expect(() => encryptStream(randomBytes(16), { keyRef, aad })).toThrow(TypeError);
    for (const chunkSize of [0, 255, 8 * 1024 * 1024 + 1, 1000.5]) {
      expect(() => encryptStream(key, { keyRef, aad, chunkSize })).toThrow(RangeError);
    }
    expect(() => encryptStream(key, { keyRef, aad: '' })).toThrow(TypeError);
    expect(() => encryptStream(key, { keyRef, aad: 'patient:\ud800' })).toThrow(TypeError);
    expect(() => decryptStream(() => key, { aad: '' })).toThrow(TypeError);
    expect(() => encryptStream(key, { keyRef: { keyId: '', version: 1 }, aad })).toThrow(TypeError);
    expect(() => encryptStream(key, { keyRef: { keyId: 'k'.repeat(256), version: 1 }, aad })).toThrow(TypeError);
    expect(() => encryptStream(key, { keyRef: { keyId: 'k', version: -1 }, aad })).toThrow(RangeError);
  });
});

describe('file stream encryption: tampering', () => {
  const chunkSize = 1024;
  const sealed = chunkSize + fileTagBytes;
  /** Three full chunks and a half one. */
  const plaintext = randomBytes(3 * chunkSize + 512);
  const sample = encrypt(plaintext, { chunkSize });

  async function parts(ciphertext?: Buffer) {
    const whole = ciphertext ?? (await sample);
    const chunks: Buffer[] = [];
    for (let at = headerBytes; at < whole.length; at += sealed) chunks.push(whole.subarray(at, at + sealed));
    return { whole, header: whole.subarray(0, headerBytes), chunks };
  }
  const flip = (buffer: Buffer, at: number) => {
    const copy = Buffer.from(buffer);
    copy[at] = copy[at]! ^ 0x01;
    return copy;
  };

  it('opens the untouched sample', async () => {
    const { chunks } = await parts();
    expect(chunks.map((chunk) => chunk.length)).toEqual([sealed, sealed, sealed, 512 + fileTagBytes]);
    expect((await decrypt(await sample)).equals(plaintext)).toBe(true);
  });

  it('truncation: the last chunk dropped, a cut mid-chunk, mid-tag or mid-header, nothing at all', async () => {
    const { whole, header, chunks } = await parts();
    await expectFailure(Buffer.concat([header, ...chunks.slice(0, 3)]), 'truncated');
    await expectFailure(Buffer.concat([header, ...chunks.slice(0, 1)]), 'truncated');
    await expectFailure(whole.subarray(0, whole.length - 100));
    await expectFailure(whole.subarray(0, whole.length - 1));
    await expectFailure(whole.subarray(0, headerBytes + 10), 'truncated');
    await expectFailure(header, 'truncated');
    await expectFailure(whole.subarray(0, 20), 'truncated');
    await expectFailure(Buffer.alloc(0), 'truncated');
  });

  it('extension: garbage or a copied chunk after the last one', async () => {
    const { whole, header, chunks } = await parts();
    await expectFailure(Buffer.concat([whole, Buffer.from([0])]));
    await expectFailure(Buffer.concat([whole, randomBytes(sealed)]));
    await expectFailure(Buffer.concat([header, ...chunks, chunks[1]!]));
    // A file whose last chunk is full: the appended chunk makes that one read as a middle chunk.
    const full = await parts(await encrypt(plaintext.subarray(0, 3 * chunkSize), { chunkSize }));
    await expectFailure(Buffer.concat([full.whole, full.chunks[0]!]), 'trailing_data');
    await expectFailure(Buffer.concat([full.whole, randomBytes(10)]));
  });

  it('reordering: swapped chunks, a duplicated chunk, a chunk from another file', async () => {
    const { header, chunks } = await parts();
    const [c0, c1, c2, c3] = chunks as [Buffer, Buffer, Buffer, Buffer];
    await expectFailure(Buffer.concat([header, c1, c0, c2, c3]), 'authentication_failed');
    await expectFailure(Buffer.concat([header, c0, c0, c2, c3]), 'authentication_failed');
    await expectFailure(Buffer.concat([header, c0, c2, c1, c3]), 'authentication_failed');
    const other = await parts(await encrypt(plaintext, { chunkSize }));
    await expectFailure(Buffer.concat([header, c0, other.chunks[1]!, c2, c3]), 'authentication_failed');
    await expectFailure(Buffer.concat([other.header, c0, c1, c2, c3]), 'authentication_failed');
  });

  it('a flipped bit anywhere: every header byte, ciphertext and tag of every chunk', async () => {
    const { whole } = await parts();
    for (let at = 0; at < headerBytes; at += 1) await expectFailure(flip(whole, at));
    for (let chunk = 0; chunk < 4; chunk += 1) {
      const start = headerBytes + chunk * sealed;
      const end = Math.min(start + sealed, whole.length);
      for (const at of [start, start + 100, end - fileTagBytes - 1, end - fileTagBytes, end - 1]) {
        await expectFailure(flip(whole, at), 'authentication_failed');
      }
    }
  });

  it('reads no hostile header into memory: a huge chunk size or a foreign format is refused first', async () => {
    const { whole } = await parts();
    const huge = Buffer.from(whole);
    huge.writeUInt32BE(0xffffffff, 10 + Buffer.byteLength(keyRef.keyId));
    await expectFailure(huge, 'malformed_header');
    await expectFailure(flip(whole, 0), 'malformed_header');
    await expectFailure(flip(whole, 4), 'unsupported_format');
    await expectFailure(Buffer.from('%PDF-1.7 not encrypted at all'), 'malformed_header');
  });

  it('the wrong context (another patient) or the wrong key', async () => {
    await expectFailure(await sample, 'authentication_failed', { aad: 'blob:org-7:patient-other:5b1f3a3c-2d7e-4a8b-9c1d-0e2f3a4b5c6d' });
    await expectFailure(await sample, 'authentication_failed', { resolveKey: () => randomBytes(32) });
  });

  it('a key that cannot be had: the resolver fails or gives a wrong-sized key', async () => {
    const gone = new Error('the key was shredded');
    const error = await failure(
      decrypt(await sample, {
        resolveKey: async () => {
          throw gone;
        },
      }),
    );
    expect(error.reason).toBe('key_unavailable');
    expect(error.cause).toBe(gone);
    await expectFailure(await sample, 'key_unavailable', { resolveKey: () => randomBytes(16) });
  });

  it('releases only authenticated chunks before failing, and its message names no secret', async () => {
    const { whole } = await parts();
    const decryptor = decryptStream(() => key, { aad });
    const released: Buffer[] = [];
    const tampered = flip(whole, headerBytes + 2 * sealed + 5);
    const run = pipeline(Readable.from(pieces(tampered, () => 300)), decryptor, async (source: AsyncIterable<Buffer>) => {
      for await (const part of source) released.push(part);
    });
    const error = await failure(run);
    // Whatever got out before the error (the stream may drop buffered output when it fails) is
    // whole authentic chunks from the start: never a byte of the tampered one.
    const out = Buffer.concat(released);
    expect(out.length % chunkSize).toBe(0);
    expect(out.length).toBeLessThanOrEqual(2 * chunkSize);
    expect(out.equals(plaintext.subarray(0, out.length))).toBe(true);
    expect(error.message).not.toContain(key.toString('hex'));
    expect(error.message).not.toContain(key.toString('base64'));
    expect(error.message).toBe('an encrypted file could not be decrypted (authentication_failed)');
  });
});
