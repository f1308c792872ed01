import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { KeyRef } from './aead.ts';

/**
 * Chunked streaming encryption for files ("HVNF" format, version 1): online authenticated
 * encryption in the manner of the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár,
 * "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO 2015), with
 * AES-256-GCM from Node's crypto as the AEAD and a per-file key as in Tink's AES-GCM-HKDF
 * streaming AEAD. A file is never held whole in memory: each chunk is sealed and opened on its
 * own, and the nonce and additional data of each chunk carry its position and whether it is the
 * last, so reordered, dropped, truncated, extended or altered chunks all fail to open.
 *
 * ## Layout (all integers big-endian)
 *
 * ```
 * header
 *   offset  size  field
 *   0       4     magic "HVNF" (0x48 0x56 0x4e 0x46)
 *   4       1     format version = 0x01
 *   5       1     L = length of the key id in bytes, 1–255
 *   6       L     key id, UTF-8 (e.g. "patient:<uuid>")
 *   6+L     4     key version, uint32
 *   10+L    4     C = chunk size in plaintext bytes, uint32, 256 ≤ C ≤ 8 MiB (default 64 KiB)
 *   14+L    32    salt, random
 *   46+L    7     nonce prefix P, random
 *   header length H = 53 + L
 *
 * then n ≥ 1 sealed chunks, i = 0 … n−1
 *   ciphertext of plaintext chunk i   C bytes for every chunk but the last; 0–C bytes for the last
 *   GCM tag                           16 bytes
 * ```
 *
 * Only the last chunk may be shorter than C + 16 bytes; it may be full, and an empty file is one
 * empty last chunk (just its tag). Encrypted size = H + plaintext size + 16 × max(1, ⌈size / C⌉).
 *
 * ## Keys, nonces and additional data
 *
 * ```
 * K_file = HKDF-SHA-256(ikm = the 32-byte key named in the header, salt = salt,
 *                       info = "haven file-stream v1", length = 32)
 * nonce_i = P (7 bytes) ‖ uint32 i ‖ last_i (1 byte: 0x01 for the last chunk, else 0x00)
 * AAD_i   = uint32 byte length of A ‖ A (UTF-8) ‖ header (all H bytes) ‖ uint32 i ‖ last_i
 * chunk i = AES-256-GCM(K_file, nonce_i, AAD_i, plaintext_i), 128-bit tag appended
 * ```
 *
 * `A` is the caller's context string, which binds the file to where it belongs (for example
 * `blob:<org>:<patient>:<blob id>`): a blob copied to another patient or organisation does not
 * open. The whole header is in every chunk's additional data, so a changed key reference, chunk
 * size, salt or prefix is detected at the first chunk. The per-file key means GCM nonces never
 * repeat under one key even across millions of files (a random 7-byte prefix alone would make a
 * collision between files merely unlikely; with a fresh 256-bit salt it is negligible); the
 * counter allows 2³² chunks per file.
 *
 * ## What a reader sees
 *
 * Decryption is online: chunks are released as soon as their tag verifies, so a reader may get
 * authentic leading chunks before a later chunk fails. A stream that ends in an error is
 * therefore a failed file as a whole — send it through `stream.pipeline` so a failure aborts
 * the destination (an HTTP response is cut off, a temporary file discarded). Every failure is a
 * {@link FileDecryptionError} with a generic message.
 */

/** Magic bytes at the start of every encrypted file. */
export const fileMagic = Buffer.from('HVNF', 'ascii');
export const fileFormatVersion = 1;
export const defaultChunkSize = 64 * 1024;
export const minChunkSize = 256;
/** Bounds what a reader buffers per chunk, whatever a (hostile) header says. */
export const maxChunkSize = 8 * 1024 * 1024;
export const fileTagBytes = 16;

const keyBytes = 32;
const saltBytes = 32;
const prefixBytes = 7;
const fixedHeaderBytes = 4 + 1 + 1 + 4 + 4 + saltBytes + prefixBytes;
const maxChunkIndex = 0xffffffff;
const hkdfInfo = Buffer.from('haven file-stream v1', 'utf8');

/** A key as given to the streams: 32 raw bytes or a 32-byte secret `KeyObject`. */
export type FileKey = Buffer | KeyObject;

export interface EncryptStreamOptions {
  /** Recorded in the header so the reader can ask for the same key (and version). */
  keyRef: KeyRef;
  /** Where the file belongs (e.g. `blob:<org>:<patient>:<blob id>`); the reader must give the same. */
  aad: string;
  /** Plaintext bytes per chunk; default 64 KiB. */
  chunkSize?: number;
}

export interface DecryptStreamOptions {
  aad: string;
}

/** Finds the key a file's header names; may look it up asynchronously (key ring, KMS). */
export type FileKeyResolver = (keyRef: KeyRef) => FileKey | Promise<FileKey>;

export type FileDecryptionFailure =
  | 'malformed_header'
  | 'unsupported_format'
  | 'key_unavailable'
  | 'truncated'
  | 'trailing_data'
  | 'authentication_failed'
  | 'too_many_chunks';

/**
 * An encrypted file could not be decrypted: damaged, truncated, extended, reordered, encrypted
 * for another place (`aad`) or under another key. The message is generic — never key material,
 * never plaintext; `reason` is for logs, `cause` is set only when the key could not be resolved.
 */
export class FileDecryptionError extends Error {
  override name = 'FileDecryptionError';
  constructor(
    readonly reason: FileDecryptionFailure,
    options: { cause?: unknown } = {},
  ) {
    super(`an encrypted file could not be decrypted (${reason})`, options);
  }
}

/**
 * A Transform that turns plaintext (written in pieces of any size) into the HVNF format: the
 * header, then one sealed chunk per push. `key` is copied into a per-file key at once, so the
 * caller may wipe or evict its buffer while the stream runs.
 */
export function encryptStream(key: FileKey, options: EncryptStreamOptions): Transform {
  const chunkSize = options.chunkSize ?? defaultChunkSize;
  if (!Number.isInteger(chunkSize) || chunkSize < minChunkSize || chunkSize > maxChunkSize) {
    throw new RangeError(`chunkSize must be an integer from ${minChunkSize} to ${maxChunkSize}`);
  }
  const aad = contextBytes(options.aad);
  const salt = randomBytes(saltBytes);
  const prefix = randomBytes(prefixBytes);
  const header = encodeHeader(options.keyRef, chunkSize, salt, prefix);
  const fileKey = deriveFileKey(checkKey(key), salt);
  if (!fileKey) throw new TypeError('the file key must be 32 bytes');
  const sealer = new ChunkSealer(fileKey, prefix, aadPrefix(aad, header));
  const pending = new ByteQueue();
  let headerSent = false;
  let index = 0;

  const sendHeader = (stream: Transform) => {
    if (headerSent) return;
    headerSent = true;
    stream.push(header);
  };
  const sealNext = (stream: Transform, last: boolean) => {
    if (index > maxChunkIndex) throw new RangeError('the file is too large for its chunk size');
    stream.push(sealer.seal(index, last, pending.take(last ? pending.length : chunkSize)));
    index += 1;
  };

  return new Transform({
    transform(chunk: unknown, _encoding, callback: TransformCallback) {
      try {
        sendHeader(this);
        pending.push(asBuffer(chunk));
        // Seal a full chunk only once a byte beyond it has arrived: until the input ends we
        // cannot know whether it is the last one.
        while (pending.length > chunkSize) sealNext(this, false);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        sendHeader(this);
        sealNext(this, true);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/**
 * A Transform that reads the HVNF format (split at any byte boundaries), asks `resolveKey` for
 * the key its header names, and pushes each chunk's plaintext only after its tag verified.
 * Fails with {@link FileDecryptionError}.
 */
export function decryptStream(resolveKey: FileKeyResolver, options: DecryptStreamOptions): Transform {
  const aad = contextBytes(options.aad);
  const pending = new ByteQueue();
  let opener: ChunkSealer | null = null;
  let chunkSize = 0;
  let index = 0;

  /** Parses the header once it is all queued and resolves its key; null while bytes are missing. */
  const readHeader = async (): Promise<ChunkSealer | null> => {
    if (pending.length < 6) return null;
    const start = pending.peek(6);
    if (!start.subarray(0, 4).equals(fileMagic)) throw new FileDecryptionError('malformed_header');
    if (start.readUInt8(4) !== fileFormatVersion) throw new FileDecryptionError('unsupported_format');
    const idLength = start.readUInt8(5);
    if (idLength === 0) throw new FileDecryptionError('malformed_header');
    if (pending.length < fixedHeaderBytes + idLength) return null;
    const header = pending.take(fixedHeaderBytes + idLength);
    const parsed = decodeHeader(header, idLength);
    let key: FileKey;
    try {
      key = await resolveKey(parsed.keyRef);
    } catch (error) {
      throw new FileDecryptionError('key_unavailable', { cause: error });
    }
    const fileKey = deriveFileKey(checkKey(key), parsed.salt);
    if (!fileKey) throw new FileDecryptionError('key_unavailable');
    chunkSize = parsed.chunkSize;
    return new ChunkSealer(fileKey, parsed.prefix, aadPrefix(aad, header));
  };

  const openNext = (stream: Transform, sealer: ChunkSealer, last: boolean) => {
    if (index > maxChunkIndex) throw new FileDecryptionError('too_many_chunks');
    const sealed = pending.take(last ? pending.length : chunkSize + fileTagBytes);
    const plaintext = sealer.open(index, last, sealed);
    if (!plaintext) {
      // Name the likely cause for the logs. Only the other reading of the same bytes is tried,
      // and nothing it yields is released.
      const alternative = sealer.open(index, !last, sealed) !== null;
      if (last) throw new FileDecryptionError(alternative ? 'truncated' : 'authentication_failed');
      throw new FileDecryptionError(alternative ? 'trailing_data' : 'authentication_failed');
    }
    index += 1;
    stream.push(plaintext);
  };

  return new Transform({
    transform(chunk: unknown, _encoding, callback: TransformCallback) {
      const run = async () => {
        pending.push(asBuffer(chunk));
        opener ??= await readHeader();
        const sealer = opener;
        if (!sealer) return;
        // A full-size sealed chunk is a middle chunk only if more bytes follow it; the last
        // one is opened in flush, once the input has ended.
        while (pending.length > chunkSize + fileTagBytes) openNext(this, sealer, false);
      };
      run().then(() => callback(), callback);
    },
    flush(callback: TransformCallback) {
      try {
        if (!opener) throw new FileDecryptionError('truncated');
        if (pending.length < fileTagBytes) throw new FileDecryptionError('truncated');
        openNext(this, opener, true);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Seals and opens the chunks of one file: one file key, one nonce prefix, one header. */
class ChunkSealer {
  constructor(
    private readonly key: KeyObject,
    private readonly prefix: Buffer,
    private readonly aadStart: Buffer,
  ) {}

  seal(index: number, last: boolean, plaintext: Buffer): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.key, this.nonce(index, last), { authTagLength: fileTagBytes });
    cipher.setAAD(this.aad(index, last));
    const body = cipher.update(plaintext);
    const tail = cipher.final();
    return Buffer.concat([body, tail, cipher.getAuthTag()]);
  }

  /** The plaintext, or null when the chunk does not authenticate (nothing of it is returned then). */
  open(index: number, last: boolean, sealed: Buffer): Buffer | null {
    if (sealed.length < fileTagBytes) return null;
    try {
      // authTagLength pins the tag to 16 bytes: GCM would otherwise accept a shortened tag.
      const decipher = createDecipheriv('aes-256-gcm', this.key, this.nonce(index, last), { authTagLength: fileTagBytes });
      decipher.setAAD(this.aad(index, last));
      decipher.setAuthTag(sealed.subarray(sealed.length - fileTagBytes));
      const body = decipher.update(sealed.subarray(0, sealed.length - fileTagBytes));
      return Buffer.concat([body, decipher.final()]);
    } catch {
      return null;
    }
  }

  private nonce(index: number, last: boolean): Buffer {
    const nonce = Buffer.alloc(prefixBytes + 5);
    this.prefix.copy(nonce, 0);
    nonce.writeUInt32BE(index, prefixBytes);
    nonce.writeUInt8(last ? 1 : 0, prefixBytes + 4);
    return nonce;
  }

  private aad(index: number, last: boolean): Buffer {
    const position = Buffer.alloc(5);
    position.writeUInt32BE(index, 0);
    position.writeUInt8(last ? 1 : 0, 4);
    return Buffer.concat([this.aadStart, position]);
  }
}

function encodeHeader(keyRef: KeyRef, chunkSize: number, salt: Buffer, prefix: Buffer): Buffer {
  const id = Buffer.from(keyRef.keyId, 'utf8');
  if (id.length === 0 || id.length > 255 || id.toString('utf8') !== keyRef.keyId) {
    throw new TypeError('the key id must be 1–255 bytes of well-formed UTF-8');
  }
  if (!Number.isInteger(keyRef.version) || keyRef.version < 0 || keyRef.version > 0xffffffff) {
    throw new RangeError('the key version must be a uint32');
  }
  const header = Buffer.alloc(fixedHeaderBytes + id.length);
  let at = fileMagic.copy(header, 0);
  at = header.writeUInt8(fileFormatVersion, at);
  at = header.writeUInt8(id.length, at);
  at += id.copy(header, at);
  at = header.writeUInt32BE(keyRef.version, at);
  at = header.writeUInt32BE(chunkSize, at);
  at += salt.copy(header, at);
  prefix.copy(header, at);
  return header;
}

function decodeHeader(header: Buffer, idLength: number) {
  let keyId: string;
  try {
    keyId = new TextDecoder('utf-8', { fatal: true }).decode(header.subarray(6, 6 + idLength));
  } catch {
    throw new FileDecryptionError('malformed_header');
  }
  let at = 6 + idLength;
  const version = header.readUInt32BE(at);
  const chunkSize = header.readUInt32BE((at += 4));
  if (chunkSize < minChunkSize || chunkSize > maxChunkSize) throw new FileDecryptionError('malformed_header');
  const salt = header.subarray((at += 4), (at += saltBytes));
  const prefix = header.subarray(at, at + prefixBytes);
  return { keyRef: { keyId, version }, chunkSize, salt, prefix };
}

/** The 32-byte input key, or null when it is not one. */
function checkKey(key: FileKey): Buffer | KeyObject | null {
  if (Buffer.isBuffer(key)) return key.length === keyBytes ? key : null;
  return key.type === 'secret' && key.symmetricKeySize === keyBytes ? key : null;
}

function deriveFileKey(key: Buffer | KeyObject | null, salt: Buffer): KeyObject | null {
  if (!key) return null;
  return createSecretKey(Buffer.from(hkdfSync('sha256', key, salt, hkdfInfo, keyBytes)));
}

function contextBytes(aad: string): Buffer {
  const bytes = Buffer.from(aad, 'utf8');
  // Lone surrogates would all encode as U+FFFD, letting two different contexts collide.
  if (aad.length === 0 || bytes.toString('utf8') !== aad) throw new TypeError('aad must be a non-empty, well-formed string');
  return bytes;
}

function aadPrefix(aad: Buffer, header: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(aad.length, 0);
  return Buffer.concat([length, aad, header]);
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('file streams take bytes');
}

/** A FIFO of byte pieces that hands out exact lengths without joining everything it holds. */
class ByteQueue {
  #pieces: Buffer[] = [];
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(piece: Buffer): void {
    if (piece.length === 0) return;
    this.#pieces.push(piece);
    this.#length += piece.length;
  }

  /** The first `count` bytes, left in the queue (for the few bytes of a header). */
  peek(count: number): Buffer {
    const out: Buffer[] = [];
    let needed = count;
    for (let i = this.#head; needed > 0 && i < this.#pieces.length; i += 1) {
      const piece = this.#pieces[i]!;
      out.push(piece.subarray(0, needed));
      needed -= Math.min(piece.length, needed);
    }
    if (needed > 0) throw new RangeError('not enough bytes queued');
    return Buffer.concat(out, count);
  }

  take(count: number): Buffer {
    if (count > this.#length) throw new RangeError('not enough bytes queued');
    const out: Buffer[] = [];
    let needed = count;
    while (needed > 0) {
      const piece = this.#pieces[this.#head]!;
      if (piece.length <= needed) {
        out.push(piece);
        needed -= piece.length;
        this.#head += 1;
      } else {
        out.push(piece.subarray(0, needed));
        this.#pieces[this.#head] = piece.subarray(needed);
        needed = 0;
      }
    }
    this.#length -= count;
    // Drop consumed pieces now and then rather than shifting the array on every piece.
    if (this.#head > 64 && this.#head * 2 > this.#pieces.length) {
      this.#pieces = this.#pieces.slice(this.#head);
      this.#head = 0;
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out, count);
  }
}
