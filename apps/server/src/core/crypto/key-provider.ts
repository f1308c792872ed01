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
  #keys: Map<number, Buffer>;
  #currentVersion: number;
  private constructor(
    keys: ReadonlyMap<number, Buffer>,
    readonly source: string,
    /** The key file this provider was read from, re-read for versions added later (rotation). */
    private readonly file: string | null = null,
  ) {
    this.#keys = new Map(keys);
    this.#currentVersion = Math.max(...keys.keys());
  }

  get currentVersion(): number {
    return this.#currentVersion;
  }

  /** The versions this provider holds, lowest first (for rotation reports). */
  get versions(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
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
    if (existsSync(options.file)) return { provider: LocalMasterKeyProvider.readFile(options.file), created: false };
    if (!options.createIfMissing) throw new MasterKeyError(`no master key: set HAVEN_MASTER_KEY or create ${options.file}`);
    const key = randomBytes(keyBytes);
    mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
    writeFileSync(options.file, `# Haven master key. Without it no data can be read: back it up apart from the database.\n1:${key.toString('base64')}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    return { provider: new LocalMasterKeyProvider(new Map([[1, key]]), options.file, options.file), created: true };
  }

  private static readFile(file: string): LocalMasterKeyProvider {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) throw new MasterKeyError(`${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
    const parsed = LocalMasterKeyProvider.parse(readFileSync(file, 'utf8'), file);
    return new LocalMasterKeyProvider(parsed.#keys, file, file);
  }

  /**
   * Picks up versions added to the key file since it was read: `haven keys rotate-master` appends
   * one and re-wraps keys under it while servers run, and a running server must then still open
   * them (and wrap new keys under the newest version). Versions are only ever added here; a file
   * that changed or dropped a version we hold is refused and the keys in memory stay as they were.
   * Returns whether a new version was found. Keys from the environment or memory never change.
   */
  refresh(): boolean {
    if (!this.file) return false;
    const fresh = LocalMasterKeyProvider.readFile(this.file);
    for (const [version, key] of this.#keys) {
      const other = fresh.#keys.get(version);
      if (!other || !other.equals(key)) throw new MasterKeyError(`${this.file}: master key version ${version} changed or disappeared`);
    }
    if (fresh.#keys.size === this.#keys.size) return false;
    this.#keys = new Map(fresh.#keys);
    this.#currentVersion = fresh.#currentVersion;
    return true;
  }

  private ref(version: number) {
    return { keyId: 'master', version };
  }

  async wrapKey(raw: Buffer, identity: string): Promise<Buffer> {
    if (raw.length !== keyBytes) throw new MasterKeyError('only 32-byte keys are wrapped');
    const version = this.#currentVersion;
    return seal(this.#keys.get(version)!, this.ref(version), raw, `key:${identity}`);
  }

  async unwrapKey(wrapped: Buffer, identity: string): Promise<Buffer> {
    const version = this.versionOf(wrapped);
    // A version we do not hold may have been added to the key file since we read it (rotation).
    const key = this.#keys.get(version) ?? (this.refresh() ? this.#keys.get(version) : undefined);
    if (!key) throw new MasterKeyError(`master key version ${version} is not available`);
    return open(key, this.ref(version), wrapped, `key:${identity}`);
  }

  versionOf(wrapped: Buffer): number {
    return sealedKeyRef(wrapped).version;
  }
}
