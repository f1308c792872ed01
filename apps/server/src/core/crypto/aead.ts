import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM from Node's crypto (OpenSSL), wrapped once for the whole server.
 *
 * A *sealed value* is self-describing, so keys can rotate and formats evolve:
 *
 * ```
 * byte 0        format version (1)
 * byte 1        n = length of the key id (1–255)
 * bytes 2..     key id, UTF-8 (e.g. "org:<uuid>", "platform", "master")
 * next 4        key version, uint32 big-endian
 * next 12       nonce, random (96 bits)
 * next 16       GCM tag
 * rest          ciphertext
 * ```
 *
 * The additional data is `haven-seal-v1|<key id>|<key version>|<context>`, where the caller's
 * context says where the value lives (`table:column:org:row`): a ciphertext copied to another
 * row, column or tenant — or relabelled with another key — fails to open.
 */
export const keyBytes = 32;
export const nonceBytes = 12;
export const tagBytes = 16;
const formatVersion = 1;

export interface KeyRef {
  keyId: string;
  version: number;
}

/** A sealed value could not be opened. The message is generic: never key material, never plaintext. */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
  constructor(readonly reason: 'malformed' | 'unsupported_format' | 'authentication_failed' | 'key_mismatch') {
    super(`a sealed value could not be decrypted (${reason})`);
  }
}

/** The bare primitive with an explicit nonce: for test vectors and the file stream only. */
export function aesGcmEncrypt(key: Buffer, nonce: Buffer, plaintext: Buffer, aad: Buffer): { ciphertext: Buffer; tag: Buffer } {
  if (key.length !== keyBytes) throw new Error('AES-256-GCM needs a 32-byte key');
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: tagBytes });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

export function aesGcmDecrypt(key: Buffer, nonce: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer): Buffer {
  if (key.length !== keyBytes) throw new Error('AES-256-GCM needs a 32-byte key');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: tagBytes });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new DecryptionError('authentication_failed');
  }
}

const additionalData = (ref: KeyRef, context: string) => Buffer.from(`haven-seal-v1|${ref.keyId}|${ref.version}|${context}`, 'utf8');

/** Encrypts under `key` (identified by `ref`) with a fresh random nonce, bound to `context`. */
export function seal(key: Buffer, ref: KeyRef, plaintext: Buffer | string, context: string): Buffer {
  const id = Buffer.from(ref.keyId, 'utf8');
  if (id.length === 0 || id.length > 255) throw new Error('key id must be 1–255 bytes');
  if (!Number.isInteger(ref.version) || ref.version < 0 || ref.version > 0xffffffff) throw new Error('key version out of range');
  const nonce = randomBytes(nonceBytes);
  const body = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const { ciphertext, tag } = aesGcmEncrypt(key, nonce, body, additionalData(ref, context));
  const header = Buffer.alloc(2 + id.length + 4);
  header.writeUInt8(formatVersion, 0);
  header.writeUInt8(id.length, 1);
  id.copy(header, 2);
  header.writeUInt32BE(ref.version, 2 + id.length);
  return Buffer.concat([header, nonce, tag, ciphertext]);
}

/** Reads which key (and version) a sealed value needs, without opening it. */
export function sealedKeyRef(sealed: Buffer): KeyRef {
  return parse(sealed).ref;
}

function parse(sealed: Buffer) {
  if (sealed.length < 2) throw new DecryptionError('malformed');
  if (sealed.readUInt8(0) !== formatVersion) throw new DecryptionError('unsupported_format');
  const idLength = sealed.readUInt8(1);
  const headerLength = 2 + idLength + 4;
  if (idLength === 0 || sealed.length < headerLength + nonceBytes + tagBytes) throw new DecryptionError('malformed');
  const ref = { keyId: sealed.subarray(2, 2 + idLength).toString('utf8'), version: sealed.readUInt32BE(2 + idLength) };
  const nonce = sealed.subarray(headerLength, headerLength + nonceBytes);
  const tag = sealed.subarray(headerLength + nonceBytes, headerLength + nonceBytes + tagBytes);
  const ciphertext = sealed.subarray(headerLength + nonceBytes + tagBytes);
  return { ref, nonce, tag, ciphertext };
}

/** Opens a sealed value with `key`, which must be the one its header names, in the same `context`. */
export function open(key: Buffer, expected: KeyRef, sealed: Buffer, context: string): Buffer {
  const parts = parse(sealed);
  if (parts.ref.keyId !== expected.keyId || parts.ref.version !== expected.version) throw new DecryptionError('key_mismatch');
  return aesGcmDecrypt(key, parts.nonce, parts.ciphertext, parts.tag, additionalData(parts.ref, context));
}
