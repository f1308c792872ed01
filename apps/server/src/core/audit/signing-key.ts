import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The Ed25519 key that signs audit checkpoints. It lives outside the database (a file, mode
 * 0600), so someone who can rewrite the database cannot forge checkpoints.
 */
export class AuditSigner {
  readonly keyId: string;
  readonly publicKey: KeyObject;
  private constructor(private readonly privateKey: KeyObject) {
    this.publicKey = createPublicKey(privateKey);
    this.keyId = publicKeyId(this.publicKey);
  }

  static fromPem(pem: string | Buffer): AuditSigner {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('the audit signing key must be an Ed25519 private key');
    return new AuditSigner(key);
  }

  static generate(): AuditSigner {
    return new AuditSigner(generateKeyPairSync('ed25519').privateKey);
  }

  /**
   * Loads the key file; when `createIfMissing` (development), makes one with mode 0600.
   * Returns whether it was created so the caller can say so loudly.
   */
  static loadOrCreate(file: string, createIfMissing: boolean): { signer: AuditSigner; created: boolean } {
    if (existsSync(file)) {
      const mode = statSync(file).mode & 0o777;
      if (mode & 0o077) throw new Error(`${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
      return { signer: AuditSigner.fromPem(readFileSync(file)), created: false };
    }
    if (!createIfMissing) throw new Error(`The audit signing key ${file} does not exist`);
    const signer = AuditSigner.generate();
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, signer.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    return { signer, created: true };
  }

  sign(message: Buffer): Buffer {
    return sign(null, message, this.privateKey);
  }
}

export function publicKeyId(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function verifySignature(publicKey: KeyObject, message: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}
