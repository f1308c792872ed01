import { hkdfSync, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Database, Tx } from '../db/database.ts';
import { orgKeys, patientKeys, platformKeys } from '../db/schema.ts';
import { keyBytes, open, seal, type KeyRef } from './aead.ts';
import type { MasterKeyProvider } from './key-provider.ts';

/** The keys a scope (the platform, or one organisation) encrypts and indexes with. */
export interface ScopeKeys {
  /** Recorded in every value sealed with `dataKey`. */
  ref: KeyRef;
  dataKey: Buffer;
  blindIndexKey: Buffer;
}

export class KeyShreddedError extends Error {
  override name = 'KeyShreddedError';
  constructor() {
    super('the key was shredded: this data is erased');
  }
}
export class KeyMissingError extends Error {
  override name = 'KeyMissingError';
  constructor(what: string) {
    super(`no ${what} key`);
  }
}

/**
 * Separate keys for separate jobs, derived from one root per scope with HKDF-SHA-256: data
 * encryption and blind indexing never share a key, and each scope's keys say nothing about another's.
 */
function derive(root: Buffer, scope: string, version: number): { dataKey: Buffer; blindIndexKey: Buffer } {
  const salt = Buffer.from(`haven:${scope}:v${version}`);
  return {
    dataKey: Buffer.from(hkdfSync('sha256', root, salt, 'haven data encryption key v1', keyBytes)),
    blindIndexKey: Buffer.from(hkdfSync('sha256', root, salt, 'haven blind index key v1', keyBytes)),
  };
}

/** Default for `HAVEN_KEY_CACHE_ENTRIES`: room for every patient of a large practice and then some. */
export const defaultKeyCacheEntries = 20_000;

/**
 * Unwrapped keys live in memory only, in this cache, for a limited time ("unlocked for the
 * duration of the session"); evicted keys are overwritten with zeros. Never logged. Callers get
 * copies: zeroing on eviction must never pull a key out from under a request still using it
 * (it would go on encrypting under an all-zero key).
 *
 * The cache is also bounded in size: one key per patient opened would otherwise grow without
 * limit (10,000 patients in a morning's lists). Past `maxEntries` the least recently used entry
 * goes, zeroed like any other. A Map keeps insertion order, so "recently used" is kept by
 * re-inserting on every hit and the oldest entry is always the first.
 */
export class KeyCache {
  readonly #entries = new Map<string, { value: Buffer[]; expiresAt: number }>();
  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries: number = defaultKeyCacheEntries,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error('the key cache needs room for at least one entry');
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): Buffer[] | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now().getTime()) {
      this.evict(id);
      return undefined;
    }
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry.value.map((key) => Buffer.from(key));
  }

  set(id: string, value: Buffer[]): void {
    this.evict(id);
    this.#entries.set(id, { value: value.map((key) => Buffer.from(key)), expiresAt: this.clock.now().getTime() + this.ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.evict(oldest);
    }
  }

  evict(id: string): void {
    const entry = this.#entries.get(id);
    if (entry) for (const key of entry.value) key.fill(0);
    this.#entries.delete(id);
  }

  clear(): void {
    for (const id of [...this.#entries.keys()]) this.evict(id);
  }

  /** Forgets every cached key whose id contains `part` (all of one organisation's keys). */
  evictMatching(part: string): void {
    for (const id of [...this.#entries.keys()]) if (id.includes(part)) this.evict(id);
  }
}

export const orgKeyId = (orgId: string) => `org:${orgId}`;
/** The identities wrapped keys are bound to (the additional data of their wrapping). */
export const platformKeyIdentity = (version: number): string => `platform:v${version}`;
export const organisationKeyIdentity = (orgId: string, version: number): string => `org:${orgId}:v${version}`;
export const patientKeyIdentity = (orgId: string, patientId: string): string => `patient-key:${orgId}:${patientId}`;
/** What a value sealed under a patient's key names in its header (patient keys do not rotate: v1). */
export const patientKeyRef = (patientId: string): KeyRef => ({ keyId: `patient:${patientId}`, version: 1 });

/** Wraps a patient's raw key under an organisation root key (creation and rotation alike). */
export function wrapPatientKey(orgRoot: Buffer, input: { orgId: string; orgKeyVersion: number; patientId: string; raw: Buffer }): Buffer {
  return seal(orgRoot, { keyId: orgKeyId(input.orgId), version: input.orgKeyVersion }, input.raw, patientKeyIdentity(input.orgId, input.patientId));
}

/** The inverse of `wrapPatientKey`. */
export function unwrapPatientKey(orgRoot: Buffer, input: { orgId: string; orgKeyVersion: number; patientId: string; wrapped: Buffer }): Buffer {
  return open(orgRoot, { keyId: orgKeyId(input.orgId), version: input.orgKeyVersion }, input.wrapped, patientKeyIdentity(input.orgId, input.patientId));
}

/**
 * The key hierarchy below the master key: the platform key (global identity data), one
 * versioned key per organisation, one key per patient wrapped by its organisation's key.
 * Transactions come from the caller, so key creation commits with what it protects.
 */
export class KeyRing {
  readonly #cache: KeyCache;

  constructor(
    private readonly master: MasterKeyProvider,
    clock: Clock,
    options: { cacheTtlMs?: number; cacheEntries?: number } = {},
  ) {
    this.#cache = new KeyCache(clock, options.cacheTtlMs ?? 5 * 60_000, options.cacheEntries ?? defaultKeyCacheEntries);
  }

  /** Forgets every unwrapped key (tests, rotation, shutdown). */
  forgetAll(): void {
    this.#cache.clear();
  }

  // ---- platform ----

  /** Creates platform key version 1 if there is none (at start; idempotent across processes). */
  async ensurePlatformKey(db: Database, now: Date): Promise<void> {
    const wrapped = await this.master.wrapKey(randomBytes(keyBytes), platformKeyIdentity(1));
    await db.identity((tx) => tx.insert(platformKeys).values({ version: 1, wrappedKey: wrapped, createdAt: now }).onConflictDoNothing());
  }

  async platformKeys(tx: Tx, version?: number): Promise<ScopeKeys> {
    const cached = this.#cache.get(`platform:${version ?? 'current'}`);
    if (cached) return { ref: { keyId: 'platform', version: cached[2]!.readUInt32BE(0) }, dataKey: cached[0]!, blindIndexKey: cached[1]! };
    const [row] = await tx
      .select()
      .from(platformKeys)
      .where(version ? eq(platformKeys.version, version) : isNull(platformKeys.retiredAt))
      .orderBy(desc(platformKeys.version))
      .limit(1);
    if (!row) throw new KeyMissingError('platform');
    const root = await this.master.unwrapKey(row.wrappedKey, platformKeyIdentity(row.version));
    const derived = derive(root, 'platform', row.version);
    root.fill(0);
    const versionBytes = Buffer.alloc(4);
    versionBytes.writeUInt32BE(row.version);
    this.#cache.set(`platform:${version ?? 'current'}`, [derived.dataKey, derived.blindIndexKey, versionBytes]);
    return { ref: { keyId: 'platform', version: row.version }, ...derived };
  }

  /**
   * The platform keys for a caller outside any transaction (the one-statement reads): from the
   * cache without a round trip, else read in a short identity transaction of its own. Never call
   * it from inside a transaction: on PGlite it would wait for itself.
   */
  async platformKeysOutside(db: Database, version?: number): Promise<ScopeKeys> {
    const cached = this.#cache.get(`platform:${version ?? 'current'}`);
    if (cached) return { ref: { keyId: 'platform', version: cached[2]!.readUInt32BE(0) }, dataKey: cached[0]!, blindIndexKey: cached[1]! };
    return db.identity((tx) => this.platformKeys(tx, version));
  }

  // ---- organisations ----

  /** Creates version 1 of an organisation's key, in the transaction that creates the organisation. */
  async createOrganisationKey(tx: Tx, orgId: string, now: Date): Promise<void> {
    const wrapped = await this.master.wrapKey(randomBytes(keyBytes), organisationKeyIdentity(orgId, 1));
    await tx.insert(orgKeys).values({ orgId, version: 1, wrappedKey: wrapped, createdAt: now });
  }

  /** The organisation's current keys (or a given version's, to read older values). */
  async organisationKeys(tx: Tx, orgId: string, version?: number): Promise<ScopeKeys> {
    const root = await this.#organisationRoot(tx, orgId, version);
    const cacheId = `org-derived:${orgId}:${root.version}`;
    const cached = this.#cache.get(cacheId);
    if (cached) return { ref: { keyId: orgKeyId(orgId), version: root.version }, dataKey: cached[0]!, blindIndexKey: cached[1]! };
    const derived = derive(root.key, orgKeyId(orgId), root.version);
    this.#cache.set(cacheId, [derived.dataKey, derived.blindIndexKey]);
    return { ref: { keyId: orgKeyId(orgId), version: root.version }, ...derived };
  }

  async #organisationRoot(tx: Tx, orgId: string, version?: number): Promise<{ key: Buffer; version: number }> {
    const [row] = await tx
      .select()
      .from(orgKeys)
      .where(and(eq(orgKeys.orgId, orgId), version ? eq(orgKeys.version, version) : isNull(orgKeys.retiredAt)))
      .orderBy(desc(orgKeys.version))
      .limit(1);
    if (!row) throw new KeyMissingError('organisation');
    if (!row.wrappedKey) throw new KeyShreddedError();
    const cacheId = `org-root:${orgId}:${row.version}`;
    const cached = this.#cache.get(cacheId);
    if (cached) return { key: cached[0]!, version: row.version };
    const key = await this.master.unwrapKey(row.wrappedKey, organisationKeyIdentity(orgId, row.version));
    this.#cache.set(cacheId, [key]);
    return { key, version: row.version };
  }

  // ---- patients ----

  /**
   * Creates a patient's own key, wrapped by the organisation's current key, and returns it so
   * the caller can seal the patient's first fields without reading the key back. Not cached:
   * the caller's transaction may still roll back (a duplicate patient), and the key would then
   * belong to nobody.
   */
  async createPatientKey(tx: Tx, orgId: string, patientId: string, now: Date): Promise<{ ref: KeyRef; key: Buffer }> {
    const root = await this.#organisationRoot(tx, orgId);
    const raw = randomBytes(keyBytes);
    const wrapped = wrapPatientKey(root.key, { orgId, orgKeyVersion: root.version, patientId, raw });
    await tx.insert(patientKeys).values({ orgId, patientId, wrappedKey: wrapped, orgKeyVersion: root.version, createdAt: now });
    return { ref: patientKeyRef(patientId), key: raw };
  }

  /**
   * Creates keys for many patients of one organisation (seeding, imports): one organisation-root
   * lookup and one insert per 1,000 patients, in the caller's transaction. Like
   * `createPatientKey`, nothing is cached: the keys are unwrapped when first used.
   */
  async createPatientKeys(tx: Tx, orgId: string, patientIds: readonly string[], now: Date): Promise<void> {
    if (patientIds.length === 0) return;
    const root = await this.#organisationRoot(tx, orgId);
    const rows = patientIds.map((patientId) => {
      const raw = randomBytes(keyBytes);
      const wrapped = wrapPatientKey(root.key, { orgId, orgKeyVersion: root.version, patientId, raw });
      raw.fill(0);
      return { orgId, patientId, wrappedKey: wrapped, orgKeyVersion: root.version, createdAt: now };
    });
    // 5 parameters a row: well under PostgreSQL's 65,535 bind parameters per statement.
    for (let start = 0; start < rows.length; start += 1000) await tx.insert(patientKeys).values(rows.slice(start, start + 1000));
  }

  async patientKey(tx: Tx, orgId: string, patientId: string): Promise<{ ref: KeyRef; key: Buffer }> {
    const ref = patientKeyRef(patientId);
    const cached = this.#cache.get(`patient:${orgId}:${patientId}`);
    if (cached) return { ref, key: cached[0]! };
    const [row] = await tx
      .select()
      .from(patientKeys)
      .where(and(eq(patientKeys.orgId, orgId), eq(patientKeys.patientId, patientId)))
      .limit(1);
    if (!row) throw new KeyMissingError('patient');
    if (!row.wrappedKey) throw new KeyShreddedError();
    const root = await this.#organisationRoot(tx, orgId, row.orgKeyVersion);
    const key = unwrapPatientKey(root.key, { orgId, orgKeyVersion: row.orgKeyVersion, patientId, wrapped: row.wrappedKey });
    this.#cache.set(`patient:${orgId}:${patientId}`, [key]);
    return { ref, key };
  }

  /**
   * A patient's key from a `patient_keys` row the caller already read (the one-statement dossier
   * read returns it with the data): no extra round trip unless the organisation root is not
   * cached. `roots` says where that root is read then: the caller's transaction (`{ tx }`), or a
   * short tenant transaction of its own (`{ db }`, for callers outside any transaction — never
   * pass `{ db }` from inside a transaction: on PGlite it would wait for itself).
   *
   * The row is the truth about erasure: a row without a wrapped key fails with `KeyShreddedError`
   * even when this process still caches the key (another process may have shredded it), and the
   * cached copy is dropped.
   */
  async patientKeyFromRow(
    orgId: string,
    patientId: string,
    row: { wrappedKey: Buffer | Uint8Array | null; orgKeyVersion: number },
    roots: { tx: Tx } | { db: Database },
  ): Promise<{ ref: KeyRef; key: Buffer }> {
    const ref = patientKeyRef(patientId);
    const cacheId = `patient:${orgId}:${patientId}`;
    if (!row.wrappedKey) {
      this.#cache.evict(cacheId);
      throw new KeyShreddedError();
    }
    const cached = this.#cache.get(cacheId);
    if (cached) return { ref, key: cached[0]! };
    const wrapped = Buffer.isBuffer(row.wrappedKey) ? row.wrappedKey : Buffer.from(row.wrappedKey);
    // The row names the root's version, so a cached root needs no lookup at all (unlike
    // `#organisationRoot`, which reads the row first). An organisation shredded by another process
    // stays usable here for at most the cache lifetime, as every cached key does.
    const rootKey =
      this.#cache.get(`org-root:${orgId}:${row.orgKeyVersion}`)?.[0] ??
      ('tx' in roots
        ? await this.#organisationRoot(roots.tx, orgId, row.orgKeyVersion)
        : await roots.db.tenant(orgId, (tx) => this.#organisationRoot(tx, orgId, row.orgKeyVersion))
      ).key;
    const key = unwrapPatientKey(rootKey, { orgId, orgKeyVersion: row.orgKeyVersion, patientId, wrapped });
    this.#cache.set(cacheId, [key]);
    return { ref, key };
  }

  /**
   * Destroys a patient's key: its wrapped form is overwritten in the database and the unwrapped
   * copy leaves the cache. Everything sealed with it is unreadable from then on, backups included
   * once the erasure ledger re-applies it after a restore.
   */
  /**
   * Destroys every version of an organisation's key (contract end): its contact details and every
   * patient key below it become unreadable at once. Returns how many versions were destroyed.
   */
  async shredOrganisationKeys(tx: Tx, orgId: string, now: Date): Promise<number> {
    const rows = await tx
      .update(orgKeys)
      .set({ wrappedKey: sql`NULL`, shreddedAt: now })
      .where(and(eq(orgKeys.orgId, orgId), isNull(orgKeys.shreddedAt)))
      .returning({ version: orgKeys.version });
    this.#cache.evictMatching(orgId);
    return rows.length;
  }

  async shredPatientKey(tx: Tx, orgId: string, patientId: string, now: Date): Promise<boolean> {
    const rows = await tx
      .update(patientKeys)
      .set({ wrappedKey: sql`NULL`, shreddedAt: now })
      .where(and(eq(patientKeys.orgId, orgId), eq(patientKeys.patientId, patientId), isNull(patientKeys.shreddedAt)))
      .returning({ patientId: patientKeys.patientId });
    this.#cache.evict(`patient:${orgId}:${patientId}`);
    return rows.length === 1;
  }
}
