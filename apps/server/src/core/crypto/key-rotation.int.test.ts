import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.ts';
import { TestAgent } from '../../../test/support/agent.ts';
import { createTestOrganisation, signIn, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, sharedMasterKeys, type TestHarness } from '../../../test/support/harness.ts';
import { AuditSigner } from '../audit/signing-key.ts';
import { ManualClock } from '../clock.ts';
import { loadConfig } from '../config.ts';
import { openDatabase, platformOrgId, type Database } from '../db/database.ts';
import { auditEvents, orgKeys, organisations, patientKeys, platformKeys } from '../db/schema.ts';
import { createLogger } from '../logger.ts';
import { MemoryMailer } from '../mail/mailer.ts';
import { MemorySmsGateway } from '../sms/memory-sms-gateway.ts';
import { createServices } from '../services.ts';
import { open, seal } from './aead.ts';
import { LocalMasterKeyProvider, type MasterKeyProvider } from './key-provider.ts';
import { KeyRing } from './key-ring.ts';
import {
  addMasterKeyVersion,
  KeyRotationRefused,
  rewrapOrganisationUnderMasterKey,
  rotateMasterKey,
  rotateOrganisationKey,
  UnknownOrganisationError,
  type RotationActor,
} from './key-rotation.ts';

const actor = (): RotationActor => ({ actorAccountId: null, actorRole: 'operator', requestId: `test:${randomUUID()}`, ip: null, userAgent: 'haven-cli' });

/** Something sealed with an organisation's data key, and with one of its patients' keys. */
async function sealSamples(db: Database, keys: KeyRing, orgId: string, now: Date) {
  const patientId = randomUUID();
  await db.tenant(orgId, (tx) => keys.createPatientKey(tx, orgId, patientId, now));
  const orgValue = await db.tenant(orgId, async (tx) => {
    const scope = await keys.organisationKeys(tx, orgId);
    const context = `patients:name:${orgId}:${patientId}`;
    return { context, ref: scope.ref, sealed: seal(scope.dataKey, scope.ref, `org-marker-${patientId}`, context) };
  });
  const patientValue = await db.tenant(orgId, async (tx) => {
    const { key, ref } = await keys.patientKey(tx, orgId, patientId);
    const context = `dossier:note:${orgId}:${patientId}`;
    return { context, raw: Buffer.from(key), sealed: seal(key, ref, `patient-marker-${patientId}`, context) };
  });
  return { patientId, orgValue, patientValue };
}
type Samples = Awaited<ReturnType<typeof sealSamples>>;

/** Opens both samples through a fresh key ring (nothing cached), as another process would. */
async function expectSamplesOpen(db: Database, master: MasterKeyProvider, orgId: string, samples: Samples) {
  const ring = new KeyRing(master, new ManualClock());
  await db.tenant(orgId, async (tx) => {
    const old = await ring.organisationKeys(tx, orgId, samples.orgValue.ref.version);
    expect(open(old.dataKey, old.ref, samples.orgValue.sealed, samples.orgValue.context).toString()).toBe(`org-marker-${samples.patientId}`);
    const { key, ref } = await ring.patientKey(tx, orgId, samples.patientId);
    expect(key).toEqual(samples.patientValue.raw);
    expect(open(key, ref, samples.patientValue.sealed, samples.patientValue.context).toString()).toBe(`patient-marker-${samples.patientId}`);
  });
}

const orgKeyRows = (db: Database, orgId: string) =>
  db.tenant(orgId, (tx) => tx.select().from(orgKeys).where(eq(orgKeys.orgId, orgId)).orderBy(asc(orgKeys.version)));
const patientKeyRows = (db: Database, orgId: string) =>
  db.tenant(orgId, (tx) => tx.select().from(patientKeys).where(eq(patientKeys.orgId, orgId)).orderBy(asc(patientKeys.patientId)));
const auditOf = (db: Database, orgId: string, action: string) =>
  db.tenant(orgId, (tx) => tx.select().from(auditEvents).where(and(eq(auditEvents.orgId, orgId), eq(auditEvents.action, action))).orderBy(asc(auditEvents.id)));

describe('organisation key rotation', () => {
  let h: TestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());
  const deps = () => ({ db: h.db, clock: h.clock, keys: h.services.keys, master: sharedMasterKeys });

  it('seals new values under version 2, keeps version 1 readable and patient keys opening, and audits it', async () => {
    const org = await createTestOrganisation(h);
    const samples = await sealSamples(h.db, h.services.keys, org.orgId, h.clock.now());
    expect(samples.orgValue.ref.version).toBe(1);

    const result = await rotateOrganisationKey(deps(), { orgId: org.orgId, actor: actor() });
    expect(result).toMatchObject({ previousVersion: 1, newVersion: 2, patientKeysRewrapped: 1, patientKeysUnreadable: 0 });

    const current = await h.db.tenant(org.orgId, (tx) => h.services.keys.organisationKeys(tx, org.orgId));
    expect(current.ref.version).toBe(2);
    const fresh = seal(current.dataKey, current.ref, 'new value', 'patients:name:x');
    expect(fresh.includes(Buffer.from(`org:${org.orgId}`))).toBe(true);
    const v1 = await h.db.tenant(org.orgId, (tx) => h.services.keys.organisationKeys(tx, org.orgId, 1));
    expect(v1.dataKey.equals(current.dataKey)).toBe(false);
    await expectSamplesOpen(h.db, sharedMasterKeys, org.orgId, samples);

    const rows = await orgKeyRows(h.db, org.orgId);
    expect(rows.map((row) => [row.version, row.retiredAt !== null])).toEqual([[1, true], [2, false]]);
    const [patient] = await patientKeyRows(h.db, org.orgId);
    expect(patient!.orgKeyVersion).toBe(2);

    const events = await auditOf(h.db, org.orgId, 'keys.org_rotated');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'v1 → v2', outcome: 'success', actorAccountId: null, actorRole: 'operator', userAgent: 'haven-cli', resourceId: org.orgId });
  });

  it('rotates again: version 3, every older version still opens, the patient key follows', async () => {
    const org = await createTestOrganisation(h);
    const samples = await sealSamples(h.db, h.services.keys, org.orgId, h.clock.now());
    await rotateOrganisationKey(deps(), { orgId: org.orgId, actor: actor() });
    const second = await sealSamples(h.db, h.services.keys, org.orgId, h.clock.now());
    expect(second.orgValue.ref.version).toBe(2);
    const result = await rotateOrganisationKey(deps(), { orgId: org.orgId, actor: actor() });
    expect(result).toMatchObject({ previousVersion: 2, newVersion: 3, patientKeysRewrapped: 2 });

    await expectSamplesOpen(h.db, sharedMasterKeys, org.orgId, samples);
    await expectSamplesOpen(h.db, sharedMasterKeys, org.orgId, second);
    expect((await patientKeyRows(h.db, org.orgId)).map((row) => row.orgKeyVersion)).toEqual([3, 3]);
    expect((await orgKeyRows(h.db, org.orgId)).filter((row) => row.retiredAt === null).map((row) => row.version)).toEqual([3]);
    expect((await auditOf(h.db, org.orgId, 'keys.org_rotated')).map((event) => event.reason)).toEqual(['v1 → v2', 'v2 → v3']);
  });

  it("leaves another organisation's keys alone, byte for byte", async () => {
    const org = await createTestOrganisation(h);
    const other = await createTestOrganisation(h);
    await sealSamples(h.db, h.services.keys, other.orgId, h.clock.now());
    const before = { org: await orgKeyRows(h.db, other.orgId), patients: await patientKeyRows(h.db, other.orgId) };
    await rotateOrganisationKey(deps(), { orgId: org.orgId, actor: actor() });
    expect(await orgKeyRows(h.db, other.orgId)).toEqual(before.org);
    expect(await patientKeyRows(h.db, other.orgId)).toEqual(before.patients);
    expect(await auditOf(h.db, other.orgId, 'keys.org_rotated')).toHaveLength(0);
  });

  it('never brings a shredded patient key back', async () => {
    const org = await createTestOrganisation(h);
    const shredded = await sealSamples(h.db, h.services.keys, org.orgId, h.clock.now());
    await h.db.tenant(org.orgId, (tx) => h.services.keys.shredPatientKey(tx, org.orgId, shredded.patientId, h.clock.now()));
    const result = await rotateOrganisationKey(deps(), { orgId: org.orgId, actor: actor() });
    expect(result.patientKeysRewrapped).toBe(0);
    const [row] = await patientKeyRows(h.db, org.orgId);
    expect(row).toMatchObject({ wrappedKey: null, orgKeyVersion: 1 });
  });

  it('refuses an organisation that does not exist, and records nothing', async () => {
    const unknown = randomUUID();
    await expect(rotateOrganisationKey(deps(), { orgId: unknown, actor: actor() })).rejects.toThrow(UnknownOrganisationError);
    await expect(rotateOrganisationKey(deps(), { orgId: 'not-an-id', actor: actor() })).rejects.toThrow(UnknownOrganisationError);
    expect(await auditOf(h.db, unknown, 'keys.org_rotated')).toHaveLength(0);
  });

  it('two rotations at once: versions stay 1..n with one current, no patient key lost or wrapped twice', async () => {
    const org = await createTestOrganisation(h);
    const samples = await Promise.all([0, 1, 2].map(() => sealSamples(h.db, h.services.keys, org.orgId, h.clock.now())));
    const results = await Promise.allSettled([
      rotateOrganisationKey(deps(), { orgId: org.orgId, actor: actor() }),
      rotateOrganisationKey(deps(), { orgId: org.orgId, actor: actor() }),
    ]);
    const done = results.filter((result) => result.status === 'fulfilled').length;
    // The organisation row lock serialises them, so on both engines both succeed: 1 → 2 → 3.
    expect(done).toBe(2);
    const rows = await orgKeyRows(h.db, org.orgId);
    expect(rows.map((row) => row.version)).toEqual([1, 2, 3]);
    expect(rows.filter((row) => row.retiredAt === null).map((row) => row.version)).toEqual([3]);
    expect((await patientKeyRows(h.db, org.orgId)).map((row) => row.orgKeyVersion)).toEqual([3, 3, 3]);
    for (const sample of samples) await expectSamplesOpen(h.db, sharedMasterKeys, org.orgId, sample);
    expect((await auditOf(h.db, org.orgId, 'keys.org_rotated')).map((event) => event.reason).sort()).toEqual(['v1 → v2', 'v2 → v3']);
  });
});

/**
 * The harness's master key (version 1) plus a version 2 of our own, so one test organisation's
 * keys can be re-wrapped in the shared database without touching anyone else's.
 */
class TwoVersionProvider implements MasterKeyProvider {
  readonly source = 'test';
  readonly currentVersion = 2;
  readonly #v2 = LocalMasterKeyProvider.fromKeys(new Map([[2, randomBytes(32)]]));
  wrapKey(raw: Buffer, identity: string) {
    return this.#v2.wrapKey(raw, identity);
  }
  unwrapKey(wrapped: Buffer, identity: string) {
    return this.versionOf(wrapped) === 2 ? this.#v2.unwrapKey(wrapped, identity) : sharedMasterKeys.unwrapKey(wrapped, identity);
  }
  versionOf(wrapped: Buffer) {
    return this.#v2.versionOf(wrapped);
  }
}

describe("re-wrapping an organisation's keys under a new master key version", () => {
  let h: TestHarness;
  let org: TestOrganisation;
  beforeAll(async () => {
    h = await createHarness();
    org = await createTestOrganisation(h);
  });
  afterAll(() => h.close());

  it('re-wraps every version conditionally, keeps everything open, audits once and is idempotent', async () => {
    const master = new TwoVersionProvider();
    const samples = await sealSamples(h.db, h.services.keys, org.orgId, h.clock.now());
    await rotateOrganisationKey({ db: h.db, clock: h.clock, master: sharedMasterKeys }, { orgId: org.orgId, actor: actor() });
    const patientsBefore = await patientKeyRows(h.db, org.orgId);

    const first = await rewrapOrganisationUnderMasterKey({ db: h.db, clock: h.clock }, { master, orgId: org.orgId, actor: actor() });
    expect(first).toEqual({ rewrapped: 2, versions: [2, 2] });
    for (const row of await orgKeyRows(h.db, org.orgId)) expect(master.versionOf(row.wrappedKey!)).toBe(2);
    expect(await patientKeyRows(h.db, org.orgId)).toEqual(patientsBefore); // patient keys hang off the org key, not the master
    await expectSamplesOpen(h.db, master, org.orgId, samples);
    await expect(expectSamplesOpen(h.db, sharedMasterKeys, org.orgId, samples)).rejects.toThrow(/version 2 is not available/);

    const again = await rewrapOrganisationUnderMasterKey({ db: h.db, clock: h.clock }, { master, orgId: org.orgId, actor: actor() });
    expect(again).toEqual({ rewrapped: 0, versions: [2, 2] });
    expect((await auditOf(h.db, org.orgId, 'keys.master_rotated')).map((event) => event.reason)).toEqual(['v1 → v2']);
  });

  it('racing an organisation rotation loses no key', async () => {
    const other = await createTestOrganisation(h);
    const samples = await sealSamples(h.db, h.services.keys, other.orgId, h.clock.now());
    const master = new TwoVersionProvider();
    const results = await Promise.allSettled([
      rewrapOrganisationUnderMasterKey({ db: h.db, clock: h.clock }, { master, orgId: other.orgId, actor: actor() }),
      rotateOrganisationKey({ db: h.db, clock: h.clock, master }, { orgId: other.orgId, actor: actor() }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
    // Whatever the order, every key is wrapped under a version the provider holds and opens.
    const rows = await orgKeyRows(h.db, other.orgId);
    expect(rows.map((row) => row.version)).toEqual([1, 2]);
    const ring = new KeyRing(master, h.clock);
    for (const row of rows) await h.db.tenant(other.orgId, (tx) => ring.organisationKeys(tx, other.orgId, row.version));
    await expectSamplesOpen(h.db, master, other.orgId, samples);
  });
});

/**
 * The whole-database master rotation runs on a private embedded database: on the shared one it
 * would re-wrap every other test's keys under a version their key ring does not have.
 */
describe('master key rotation with a key file', () => {
  let dir: string;
  let file: string;
  let db: Database;
  let h: TestHarness;
  let loaded: LocalMasterKeyProvider;
  let before: TestOrganisation;
  let beforeSamples: Samples;

  async function harnessOn(master: MasterKeyProvider): Promise<TestHarness> {
    const config = loadConfig({ NODE_ENV: 'test', HAVEN_DATA_DIR: dir, HAVEN_PUBLIC_URL: 'http://haven.test', HAVEN_LOG_LEVEL: 'silent', HAVEN_SERVE_WEB: 'false', HAVEN_RATE_LIMIT_PER_MINUTE: '100000', HAVEN_LOGIN_RATE_LIMIT_PER_MINUTE: '10000' });
    const clock = new ManualClock();
    const mailer = new MemoryMailer();
    const sms = new MemorySmsGateway();
    const services = await createServices(config, { db, clock, mailer, sms, masterKeys: master, signer: AuditSigner.generate(), logger: createLogger('silent') });
    const app = await buildApp(services);
    await app.ready();
    return { app, services, db, clock, mailer, sms, geo: services.geo, config, close: () => app.close() };
  }

  /** Every unshredded platform and organisation key in the database, with its master version. */
  async function everyWrappedKey(master: MasterKeyProvider): Promise<number[]> {
    const versions = (await db.identity((tx) => tx.select().from(platformKeys))).map((row) => master.versionOf(row.wrappedKey));
    const orgIds = (await db.systemDb((tx) => tx.select({ id: organisations.id }).from(organisations))).map((row) => row.id);
    for (const orgId of orgIds) {
      for (const row of await orgKeyRows(db, orgId)) if (row.wrappedKey) versions.push(master.versionOf(row.wrappedKey));
    }
    return versions;
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'haven-rotation-'));
    file = path.join(dir, 'keys', 'master.key');
    loaded = LocalMasterKeyProvider.load({ envValue: undefined, file, createIfMissing: true }).provider;
    db = await openDatabase({ engine: 'pglite', dataDir: null, migrate: true });
    h = await harnessOn(loaded);
    before = await createTestOrganisation(h);
    beforeSamples = await sealSamples(db, h.services.keys, before.orgId, h.clock.now());
    await rotateOrganisationKey({ db, clock: h.clock, master: loaded }, { orgId: before.orgId, actor: actor() });
  });
  afterAll(async () => {
    await h.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with HAVEN_MASTER_KEY, refuses and tells the operator what to set; nothing changes', async () => {
    const fromEnv = LocalMasterKeyProvider.parse(readFileSync(file, 'utf8'), 'HAVEN_MASTER_KEY');
    const fileBefore = readFileSync(file, 'utf8');
    const platformEvents = (await auditOf(db, platformOrgId, 'keys.master_rotated')).length;
    const refused = rotateMasterKey({ db, clock: h.clock }, { master: fromEnv, keyFile: null, actor: actor() });
    await expect(refused).rejects.toThrow(KeyRotationRefused);
    await expect(refused).rejects.toThrow('HAVEN_MASTER_KEY=1:<old key>,2:<new key>');
    await expect(refused).rejects.toThrow('rotate-master --rewrap-only');
    expect(readFileSync(file, 'utf8')).toBe(fileBefore);
    expect(await auditOf(db, platformOrgId, 'keys.master_rotated')).toHaveLength(platformEvents);
    expect(await everyWrappedKey(loaded)).toEqual(expect.arrayContaining([1]));
  });

  it('adds version 2 to the file (0600), re-wraps every key under it, and everything still opens', async () => {
    const result = await rotateMasterKey({ db, clock: h.clock, keys: h.services.keys }, { master: loaded, keyFile: file, actor: actor() });
    expect(result.added).toEqual({ version: 2, file });
    expect(result).toMatchObject({ targetVersion: 2, versionsHeld: [1, 2], platformKeysRewrapped: 1, orgKeysRewrapped: 2, organisationsRewrapped: 1, failures: [] });
    expect([...result.wrappedPerVersion]).toEqual([[2, 3]]);

    expect(readFileSync(file, 'utf8').match(/^\d+:/gm)).toEqual(['1:', '2:']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(['master.key']); // no temp or lock file left behind

    const reread = LocalMasterKeyProvider.load({ envValue: undefined, file, createIfMissing: false }).provider;
    expect(reread.versions).toEqual([1, 2]);
    expect(await everyWrappedKey(reread)).toEqual([2, 2, 2]);
    await expectSamplesOpen(db, reread, before.orgId, beforeSamples);

    expect((await auditOf(db, platformOrgId, 'keys.master_rotated')).map((event) => event.reason)).toEqual(['v1 → v2']);
    expect((await auditOf(db, before.orgId, 'keys.master_rotated')).map((event) => event.reason)).toEqual(['v1 → v2']);
  });

  it('the running server picks the new version up from the file; organisations from before and after both work', async () => {
    // Same services, same provider object as before the rotation: it re-reads the file on meeting version 2.
    h.services.keys.forgetAll();
    const login = await new TestAgent(h.app).post('/api/v1/auth/login', { email: before.owner.email, password: before.owner.password });
    expect(login.status).toBe(200);
    expect(loaded.currentVersion).toBe(2);
    const after = await createTestOrganisation(h);
    const afterSamples = await sealSamples(db, h.services.keys, after.orgId, h.clock.now());
    const [afterKey] = await orgKeyRows(db, after.orgId);
    expect(loaded.versionOf(afterKey!.wrappedKey!)).toBe(2);

    // And after a restart with a freshly read key file.
    const reread = LocalMasterKeyProvider.load({ envValue: undefined, file, createIfMissing: false }).provider;
    const restarted = await harnessOn(reread);
    try {
      for (const org of [before, after]) {
        const { agent, login } = await signIn(restarted, org.owner);
        expect(login.status).toBe(200);
        expect((await agent.get('/api/v1/staff')).status).toBe(200);
      }
      await expectSamplesOpen(db, reread, before.orgId, beforeSamples);
      await expectSamplesOpen(db, reread, after.orgId, afterSamples);
    } finally {
      await restarted.close();
    }
  });

  it('rotates again to version 3, keeping every version in the file', async () => {
    const result = await rotateMasterKey({ db, clock: h.clock, keys: h.services.keys }, { master: loaded, keyFile: file, actor: actor() });
    expect(result.added?.version).toBe(3);
    expect(result.versionsHeld).toEqual([1, 2, 3]);
    expect([...result.wrappedPerVersion.keys()]).toEqual([3]);
    expect(readFileSync(file, 'utf8').match(/^\d+:/gm)).toEqual(['1:', '2:', '3:']);
    await expectSamplesOpen(db, loaded, before.orgId, beforeSamples);
  });

  it('--rewrap-only re-wraps under the highest version the operator configured', async () => {
    const fromEnv = LocalMasterKeyProvider.parse(`${readFileSync(file, 'utf8')}\n7:${randomBytes(32).toString('base64')}`, 'HAVEN_MASTER_KEY');
    const result = await rotateMasterKey({ db, clock: h.clock }, { master: fromEnv, keyFile: null, rewrapOnly: true, actor: actor() });
    expect(result.added).toBeNull();
    expect([...result.wrappedPerVersion.keys()]).toEqual([7]);
    expect(result.failures).toEqual([]);
    expect(new Set(await everyWrappedKey(fromEnv))).toEqual(new Set([7]));
    await expectSamplesOpen(db, fromEnv, before.orgId, beforeSamples);
    expect((await auditOf(db, platformOrgId, 'keys.master_rotated')).map((event) => event.reason).at(-1)).toBe('re-wrap under v7');
  });

  it('a running provider takes only added versions from its file, never a changed one', async () => {
    const otherDir = mkdtempSync(path.join(os.tmpdir(), 'haven-rotation-refresh-'));
    const keys = path.join(otherDir, 'master.key');
    writeFileSync(keys, `1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    try {
      const running = LocalMasterKeyProvider.load({ envValue: undefined, file: keys, createIfMissing: false }).provider;
      const next = addMasterKeyVersion(keys);
      const wrapped = await next.wrapKey(randomBytes(32), 'org:x:v1');
      await expect(running.unwrapKey(wrapped, 'org:x:v1')).resolves.toHaveLength(32);
      expect(running.currentVersion).toBe(2);
      writeFileSync(keys, `1:${randomBytes(32).toString('base64')}\n3:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      await expect(running.unwrapKey(await LocalMasterKeyProvider.load({ envValue: undefined, file: keys, createIfMissing: false }).provider.wrapKey(randomBytes(32), 'k'), 'k')).rejects.toThrow(
        /version 1 changed or disappeared/,
      );
      await expect(running.unwrapKey(wrapped, 'org:x:v1')).resolves.toHaveLength(32); // what it holds stays
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('two rotations of one key file cannot both add the same version', () => {
    const lockDir = mkdtempSync(path.join(os.tmpdir(), 'haven-rotation-lock-'));
    const lonely = path.join(lockDir, 'master.key');
    writeFileSync(lonely, `1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    try {
      // A live process holds the lock: refused.
      writeFileSync(`${lonely}.lock`, String(process.ppid));
      expect(() => addMasterKeyVersion(lonely)).toThrow(/another master key rotation is running/);
      // Its process is gone: the stale lock is taken over.
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
      writeFileSync(`${lonely}.lock`, gone);
      expect(addMasterKeyVersion(lonely).versions).toEqual([1, 2]);
      expect(existsSync(`${lonely}.lock`)).toBe(false);
    } finally {
      rmSync(lockDir, { recursive: true, force: true });
    }
  });
});
