import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { and, desc, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { AuditEventInput, AuditMeta } from '../audit/record.ts';
import { appendAudit } from '../audit/record.ts';
import type { Clock } from '../clock.ts';
import { platformOrgId, queryRows, type Database } from '../db/database.ts';
import { orgKeys, organisations, patientKeys, platformKeys } from '../db/schema.ts';
import { keyBytes } from './aead.ts';
import { LocalMasterKeyProvider, MasterKeyError, type MasterKeyProvider } from './key-provider.ts';
import {
  KeyMissingError,
  KeyShreddedError,
  organisationKeyIdentity,
  platformKeyIdentity,
  unwrapPatientKey,
  wrapPatientKey,
  type KeyRing,
} from './key-ring.ts';

/**
 * Key rotation (docs/encryption.md, "Rotation"). Nothing here re-encrypts data: a rotation
 * re-wraps keys. A new organisation key version seals new values while retired versions keep
 * opening old ones; a new master key version re-wraps the platform and organisation keys.
 *
 * Every re-wrap is a conditional UPDATE on the wrapped bytes (or version) it read, so a
 * concurrent rotation, shredding or second operator can make a step skip a row, never lose one
 * or write a stale key over a newer one.
 */

/** Who rotates, for the audit trail (the time is taken per transaction). */
export type RotationActor = Omit<AuditMeta, 'now'>;

export interface RotationDeps {
  db: Database;
  clock: Clock;
  /** The running key ring, whose cache is cleared after a rotation. */
  keys?: KeyRing;
}

/** A rotation that must not run as asked; the message tells the operator what to do instead. */
export class KeyRotationRefused extends Error {
  override name = 'KeyRotationRefused';
}

export class UnknownOrganisationError extends Error {
  override name = 'UnknownOrganisationError';
  constructor(readonly orgId: string) {
    super(`there is no organisation ${orgId}`);
  }
}

const versionList = (versions: Iterable<number>) => [...new Set(versions)].sort((a, b) => a - b).map((v) => `v${v}`).join(', ');

// ---- organisation keys ----

export interface OrganisationRotation {
  orgId: string;
  previousVersion: number;
  newVersion: number;
  patientKeysRewrapped: number;
  /** Patient keys wrapped by an organisation key version that was itself shredded: unreadable, left alone. */
  patientKeysUnreadable: number;
}

/**
 * Gives an organisation key version N+1 (random, wrapped by the current master version), retires
 * the current version (it still opens what it sealed: nothing is re-encrypted) and re-wraps every
 * unshredded patient key under the new version. One transaction, audited `keys.org_rotated`.
 */
export async function rotateOrganisationKey(
  deps: RotationDeps & { master: MasterKeyProvider },
  input: { orgId: string; actor: RotationActor },
): Promise<OrganisationRotation> {
  const { orgId } = input;
  if (!/^[0-9a-f-]{36}$/i.test(orgId)) throw new UnknownOrganisationError(orgId);
  const roots = new Map<number, Buffer | null>();
  try {
    const result = await deps.db.tenant(orgId, async (tx) => {
      // Locking the organisation's row makes concurrent rotations of one organisation run one
      // after the other (the second then rotates N+1 → N+2); NO KEY UPDATE leaves inserts that
      // reference the organisation (new patients, audit events) unblocked.
      const found = await queryRows<{ id: string }>(tx, sql`select id from organisations where id = ${orgId} for no key update`);
      if (found.length === 0) throw new UnknownOrganisationError(orgId);
      const now = deps.clock.now();
      const versions = await tx.select().from(orgKeys).where(eq(orgKeys.orgId, orgId)).orderBy(desc(orgKeys.version));
      const current = versions.find((row) => row.retiredAt === null);
      if (!current) throw new KeyMissingError('current organisation');
      if (!current.wrappedKey) throw new KeyShreddedError();
      const newVersion = versions[0]!.version + 1;

      const newRoot = randomBytes(keyBytes);
      roots.set(newVersion, newRoot);
      await tx.insert(orgKeys).values({ orgId, version: newVersion, wrappedKey: await deps.master.wrapKey(newRoot, organisationKeyIdentity(orgId, newVersion)), createdAt: now });
      await tx
        .update(orgKeys)
        .set({ retiredAt: now })
        .where(and(eq(orgKeys.orgId, orgId), isNull(orgKeys.retiredAt), lt(orgKeys.version, newVersion)));

      const rootOf = async (version: number): Promise<Buffer | null> => {
        if (!roots.has(version)) {
          const row = versions.find((candidate) => candidate.version === version);
          if (!row) throw new KeyMissingError(`organisation (version ${version})`);
          roots.set(version, row.wrappedKey ? await deps.master.unwrapKey(row.wrappedKey, organisationKeyIdentity(orgId, version)) : null);
        }
        return roots.get(version)!;
      };

      const patients = await tx
        .select({ patientId: patientKeys.patientId, wrappedKey: patientKeys.wrappedKey, orgKeyVersion: patientKeys.orgKeyVersion })
        .from(patientKeys)
        .where(and(eq(patientKeys.orgId, orgId), isNull(patientKeys.shreddedAt)));
      let rewrapped = 0;
      let unreadable = 0;
      for (const patient of patients) {
        const oldRoot = await rootOf(patient.orgKeyVersion);
        if (!oldRoot || !patient.wrappedKey) {
          unreadable += 1;
          continue;
        }
        const raw = unwrapPatientKey(oldRoot, { orgId, orgKeyVersion: patient.orgKeyVersion, patientId: patient.patientId, wrapped: patient.wrappedKey });
        const wrapped = wrapPatientKey(newRoot, { orgId, orgKeyVersion: newVersion, patientId: patient.patientId, raw });
        raw.fill(0);
        // Conditional on the version read and on not being shredded meanwhile: a shredding that
        // commits first wins, and a shredded key is never written back.
        const updated = await tx
          .update(patientKeys)
          .set({ wrappedKey: wrapped, orgKeyVersion: newVersion })
          .where(
            and(
              eq(patientKeys.orgId, orgId),
              eq(patientKeys.patientId, patient.patientId),
              eq(patientKeys.orgKeyVersion, patient.orgKeyVersion),
              isNull(patientKeys.shreddedAt),
            ),
          )
          .returning({ patientId: patientKeys.patientId });
        rewrapped += updated.length;
      }

      await appendAudit(tx, orgId, { ...input.actor, now }, {
        action: 'keys.org_rotated',
        outcome: 'success',
        resourceType: 'organisation',
        resourceId: orgId,
        reason: `v${current.version} → v${newVersion}`,
      });
      return { orgId, previousVersion: current.version, newVersion, patientKeysRewrapped: rewrapped, patientKeysUnreadable: unreadable };
    });
    deps.keys?.forgetAll();
    return result;
  } finally {
    for (const root of roots.values()) root?.fill(0);
  }
}

// ---- the master key ----

export interface MasterRotation {
  /** The version added to the key file, or null for `--rewrap-only`. */
  added: { version: number; file: string } | null;
  targetVersion: number;
  /** Master key versions the provider holds; older ones stay for backups. */
  versionsHeld: number[];
  platformKeysRewrapped: number;
  orgKeysRewrapped: number;
  organisationsRewrapped: number;
  organisationsSeen: number;
  /** Master version → unshredded keys (platform and organisation) wrapped under it after the run. */
  wrappedPerVersion: Map<number, number>;
  /** Organisations whose keys could not be re-wrapped (e.g. wrapped under a version we do not hold). */
  failures: { orgId: string; message: string }[];
}

/**
 * Throws `KeyRotationRefused` if a rotation cannot add a master key version: Haven cannot change
 * HAVEN_MASTER_KEY (`keyFile` null), so the operator adds the version and asks for `rewrapOnly`.
 */
export function checkMasterRotation(input: { master: MasterKeyProvider; keyFile: string | null; rewrapOnly?: boolean }): void {
  if (input.rewrapOnly || input.keyFile) return;
  const next = input.master.currentVersion + 1;
  const setting = next === 2 ? '1:<old key>,2:<new key>' : `<your current versions>,${next}:<new key>`;
  throw new KeyRotationRefused(
    'The master key comes from HAVEN_MASTER_KEY, which Haven cannot change. To rotate it: generate a new key ' +
      `(openssl rand -base64 32), set HAVEN_MASTER_KEY=${setting} for every Haven process and restart them, ` +
      'then run `haven keys rotate-master --rewrap-only`.',
  );
}

/**
 * Rotates the master key. With a key file (`keyFile`), appends version N+1 (random) to it; with
 * HAVEN_MASTER_KEY (`keyFile` null) that is the operator's job and only `rewrapOnly` is allowed.
 * Then re-wraps, online, every platform and organisation key under the newest version: the
 * platform keys in one transaction, each organisation in its own. Audited `keys.master_rotated`
 * in the platform chain and in every organisation whose keys were re-wrapped.
 */
export async function rotateMasterKey(
  deps: RotationDeps,
  input: { master: MasterKeyProvider; keyFile: string | null; rewrapOnly?: boolean; actor: RotationActor },
): Promise<MasterRotation> {
  checkMasterRotation(input);
  let master = input.master;
  let added: MasterRotation['added'] = null;
  let reason = `re-wrap under v${master.currentVersion}`;
  if (!input.rewrapOnly && input.keyFile) {
    master = addMasterKeyVersion(input.keyFile);
    added = { version: master.currentVersion, file: input.keyFile };
    reason = `v${master.currentVersion - 1} → v${master.currentVersion}`;
  }
  try {
    return { added, ...(await rewrapUnderMasterKey(deps, { master, actor: input.actor, platformReason: reason })) };
  } catch (error) {
    if (!added) throw error;
    throw new MasterKeyError(
      `master key version ${added.version} was added to ${added.file}, but re-wrapping failed (${(error as Error).message}); ` +
        'fix the cause and run `haven keys rotate-master --rewrap-only` to finish',
    );
  }
}

async function rewrapUnderMasterKey(
  deps: RotationDeps,
  input: { master: MasterKeyProvider; actor: RotationActor; platformReason: string },
): Promise<Omit<MasterRotation, 'added'>> {
  const { master } = input;
  const wrappedPerVersion = new Map<number, number>();
  const count = (versions: number[]) => {
    for (const version of versions) wrappedPerVersion.set(version, (wrappedPerVersion.get(version) ?? 0) + 1);
  };

  const platform = await deps.db.tenant(platformOrgId, async (tx) => {
    const rows = await tx.select({ version: platformKeys.version, wrappedKey: platformKeys.wrappedKey }).from(platformKeys);
    let rewrapped = 0;
    for (const row of rows) {
      if (await rewrapOne(master, row.wrappedKey, platformKeyIdentity(row.version), (wrapped) =>
        tx
          .update(platformKeys)
          .set({ wrappedKey: wrapped })
          .where(and(eq(platformKeys.version, row.version), eq(platformKeys.wrappedKey, row.wrappedKey)))
          .returning({ version: platformKeys.version }),
      )) rewrapped += 1;
    }
    await appendAudit(tx, platformOrgId, { ...input.actor, now: deps.clock.now() }, { ...masterEvent(input.platformReason), resourceType: 'master_key' });
    const after = await tx.select({ wrappedKey: platformKeys.wrappedKey }).from(platformKeys);
    return { rewrapped, versions: after.map((row) => master.versionOf(row.wrappedKey)) };
  });
  count(platform.versions);

  let orgKeysRewrapped = 0;
  let organisationsRewrapped = 0;
  const failures: MasterRotation['failures'] = [];
  // Organisations created while this runs are picked up by listing again until nothing is new.
  const seen = new Set<string>();
  for (;;) {
    const ids = (await deps.db.systemDb((tx) => tx.select({ id: organisations.id }).from(organisations))).map((row) => row.id).filter((id) => !seen.has(id));
    if (ids.length === 0) break;
    for (const orgId of ids) {
      seen.add(orgId);
      try {
        const result = await rewrapOrganisationUnderMasterKey(deps, { master, orgId, actor: input.actor });
        orgKeysRewrapped += result.rewrapped;
        if (result.rewrapped > 0) organisationsRewrapped += 1;
        count(result.versions);
      } catch (error) {
        // One organisation's broken key must not stop the others; the report names it.
        failures.push({ orgId, message: (error as Error).message });
      }
    }
  }
  deps.keys?.forgetAll();
  return {
    targetVersion: master.currentVersion,
    versionsHeld: master instanceof LocalMasterKeyProvider ? master.versions : [master.currentVersion],
    platformKeysRewrapped: platform.rewrapped,
    orgKeysRewrapped,
    organisationsRewrapped,
    organisationsSeen: seen.size,
    wrappedPerVersion,
    failures,
  };
}

/**
 * Re-wraps one organisation's unshredded keys (every version) under the master's current
 * version, in one transaction with its `keys.master_rotated` event. Returns how many it
 * re-wrapped and the master version of each of its keys afterwards.
 */
export async function rewrapOrganisationUnderMasterKey(
  deps: RotationDeps,
  input: { master: MasterKeyProvider; orgId: string; actor: RotationActor },
): Promise<{ rewrapped: number; versions: number[] }> {
  const { master, orgId } = input;
  return deps.db.tenant(orgId, async (tx) => {
    const live = () =>
      tx
        .select({ version: orgKeys.version, wrappedKey: orgKeys.wrappedKey })
        .from(orgKeys)
        .where(and(eq(orgKeys.orgId, orgId), isNotNull(orgKeys.wrappedKey)));
    const from: number[] = [];
    for (const row of await live()) {
      const old = row.wrappedKey!;
      const was = master.versionOf(old);
      if (await rewrapOne(master, old, organisationKeyIdentity(orgId, row.version), (wrapped) =>
        tx
          .update(orgKeys)
          .set({ wrappedKey: wrapped })
          .where(and(eq(orgKeys.orgId, orgId), eq(orgKeys.version, row.version), eq(orgKeys.wrappedKey, old)))
          .returning({ version: orgKeys.version }),
      )) from.push(was);
    }
    if (from.length > 0) {
      await appendAudit(tx, orgId, { ...input.actor, now: deps.clock.now() }, {
        ...masterEvent(`${versionList(from)} → v${master.currentVersion}`),
        resourceId: orgId,
      });
    }
    return { rewrapped: from.length, versions: (await live()).map((row) => master.versionOf(row.wrappedKey!)) };
  });
}

/** Re-wraps one key unless it already is under the current version; true if the conditional update took. */
async function rewrapOne(master: MasterKeyProvider, wrapped: Buffer, identity: string, update: (rewrapped: Buffer) => Promise<unknown[]>): Promise<boolean> {
  if (master.versionOf(wrapped) === master.currentVersion) return false;
  const raw = await master.unwrapKey(wrapped, identity);
  try {
    return (await update(await master.wrapKey(raw, identity))).length === 1;
  } finally {
    raw.fill(0);
  }
}

const masterEvent = (reason: string): AuditEventInput => ({ action: 'keys.master_rotated', outcome: 'success', resourceType: 'organisation', reason });

// ---- the key file ----

/**
 * Appends version N+1 (32 random bytes) to a master key file and returns a provider for the
 * result. The file is rewritten whole into a temporary file (0600, same owner), fsynced and
 * renamed over the old one, then the directory is fsynced: a crash leaves the old file or the
 * new one, never a torn or missing one. A lock file keeps two rotations from both adding
 * "version N+1" (the second would silently replace the first's key).
 */
export function addMasterKeyVersion(file: string): LocalMasterKeyProvider {
  const release = lockKeyFile(file);
  try {
    const before = LocalMasterKeyProvider.load({ envValue: undefined, file, createIfMissing: false }).provider;
    const text = readFileSync(file, 'utf8');
    const version = before.currentVersion + 1;
    const key = randomBytes(keyBytes);
    const added = `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}# version ${version} added ${new Date().toISOString()} by haven keys rotate-master; keep the older versions for backups\n${version}:${key.toString('base64')}\n`;
    key.fill(0);
    writeFileAtomically(file, added);
    const after = LocalMasterKeyProvider.load({ envValue: undefined, file, createIfMissing: false }).provider;
    if (after.currentVersion !== version || after.versions.length !== before.versions.length + 1) {
      throw new MasterKeyError(`${file}: the new master key version did not read back`);
    }
    return after;
  } finally {
    release();
  }
}

function writeFileAtomically(file: string, text: string): void {
  const dir = path.dirname(file);
  const original = statSync(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    try {
      fchmodSync(fd, 0o600); // whatever the umask
      // Run as root for a server that runs as its own user: the file must stay that user's.
      if (process.getuid?.() === 0) fchownSync(fd, original.uid, original.gid);
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  if (process.platform !== 'win32') {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}

function lockKeyFile(file: string): () => void {
  const lock = `${file}.lock`;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lock, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new KeyRotationRefused(`another master key rotation is running (pid ${holder}, lock ${lock})`);
      }
      rmSync(lock, { force: true }); // stale: its process is gone
    }
  }
  throw new KeyRotationRefused(`could not lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
