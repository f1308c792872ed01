import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { keyBytes, open, seal, sealedKeyRef } from './aead.ts';

/**
 * The root of the key hierarchy. Everything below it (platform and organisation keys) is stored
 * wrapped by it; it never leaves the provider. The interface is small so that an external KMS
 * or HSM can replace the built-in provider: wrap and unwrap, with versions.
 */
export interface MasterKeyProvider {
  /** Where the master key lives, for logs and docs ("file", "environment", "kms:…"). */
  readonly source: string;
  readonly currentVersion: number;
  /** Wraps a key; `identity` names what is wrapped ("org:<id>:v2") and is bound to the result. */
  wrapKey(raw: Buffer, identity: string): Promise<Buffer>;
  unwrapKey(wrapped: Buffer, identity: string): Promise<Buffer>;
  /** The master version a wrapped key was wrapped under (for rotation). */
  versionOf(wrapped: Buffer): number;
}

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

/**
 * The built-in provider: AES-256-GCM key wrapping (ASVS appendix C: AES-256 for key wrapping)
 * with the wrapped key's identity as additional data, under master keys read from
 * HAVEN_MASTER_KEY or a key file. Several versions may be present (rotation); the highest wraps.
 *
 * Key file / variable format: one key per line (or comma-separated), `<version>:<base64 of 32 bytes>`;
 * a single bare base64 key is version 1.
 */
export class LocalMasterKeyProvider implements MasterKeyProvider {
  readonly currentVersion: number;
  private constructor(
    private readonly keys: ReadonlyMap<number, Buffer>,
    readonly source: string,
  ) {
    this.currentVersion = Math.max(...keys.keys());
  }

  static fromKeys(keys: Map<number, Buffer>, source = 'memory'): LocalMasterKeyProvider {
    if (keys.size === 0) throw new MasterKeyError('no master key');
    for (const [version, key] of keys) {
      if (!Number.isInteger(version) || version < 1) throw new MasterKeyError('master key versions are positive integers');
      if (key.length !== keyBytes) throw new MasterKeyError(`master key version ${version} is not 32 bytes`);
    }
    return new LocalMasterKeyProvider(keys, source);
  }

  static parse(text: string, source: string): LocalMasterKeyProvider {
    const entries = text.split(/[\n,]/).map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
    const keys = new Map<number, Buffer>();
    for (const entry of entries) {
      const match = /^(?:(\d+):)?([A-Za-z0-9+/=_-]+)$/.exec(entry);
      if (!match) throw new MasterKeyError(`${source}: a master key line is not "<version>:<base64>"`);
      const version = match[1] ? Number(match[1]) : 1;
      if (keys.has(version)) throw new MasterKeyError(`${source}: master key version ${version} appears twice`);
      keys.set(version, Buffer.from(match[2]!, 'base64'));
    }
    return LocalMasterKeyProvider.fromKeys(keys, source);
  }

  /**
   * From HAVEN_MASTER_KEY if set, else the key file. Outside production a missing file is
   * created (mode 0600) and reported as `created`, so the caller can say so loudly; in production
   * a missing key is an error, never silently made up.
   */
  static load(options: { envValue: string | undefined; file: string; createIfMissing: boolean }): { provider: LocalMasterKeyProvider; created: boolean } {
    if (options.envValue) return { provider: LocalMasterKeyProvider.parse(options.envValue, 'HAVEN_MASTER_KEY'), created: false };
    if (existsSync(options.file)) {
      const mode = statSync(options.file).mode & 0o777;
      if (mode & 0o077) throw new MasterKeyError(`${options.file} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
      return { provider: LocalMasterKeyProvider.parse(readFileSync(options.file, 'utf8'), options.file), created: false };
    }
    if (!options.createIfMissing) throw new MasterKeyError(`no master key: set HAVEN_MASTER_KEY or create ${options.file}`);
    const key = randomBytes(keyBytes);
    mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
    writeFileSync(options.file, `# Haven master key. Without it no data can be read: back it up apart from the database.\n1:${key.toString('base64')}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    return { provider: LocalMasterKeyProvider.fromKeys(new Map([[1, key]]), options.file), created: true };
  }

  private ref(version: number) {
    return { keyId: 'master', version };
  }

  async wrapKey(raw: Buffer, identity: string): Promise<Buffer> {
    if (raw.length !== keyBytes) throw new MasterKeyError('only 32-byte keys are wrapped');
    return seal(this.keys.get(this.currentVersion)!, this.ref(this.currentVersion), raw, `key:${identity}`);
  }

  async unwrapKey(wrapped: Buffer, identity: string): Promise<Buffer> {
    const version = this.versionOf(wrapped);
    const key = this.keys.get(version);
    if (!key) throw new MasterKeyError(`master key version ${version} is not available`);
    return open(key, this.ref(version), wrapped, `key:${identity}`);
  }

  versionOf(wrapped: Buffer): number {
    return sealedKeyRef(wrapped).version;
  }
}
