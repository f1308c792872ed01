import { randomBytes, randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestOrganisation, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, sharedMasterKeys, type TestHarness } from '../../../test/support/harness.ts';
import { orgKeys, patientKeys } from '../db/schema.ts';
import { open, seal } from './aead.ts';
import { LocalMasterKeyProvider } from './key-provider.ts';
import { KeyRing, KeyShreddedError } from './key-ring.ts';

describe('the key ring', () => {
  let h: TestHarness;
  let master: LocalMasterKeyProvider;
  let ring: KeyRing;
  let org: TestOrganisation;
  beforeAll(async () => {
    h = await createHarness();
    // Sign-up created the practice's key under the harness's master key.
    master = sharedMasterKeys;
    ring = new KeyRing(master, h.clock, { cacheTtlMs: 60_000 });
    org = await createTestOrganisation(h);
  });
  afterAll(() => h.close());

  it('stores organisation keys only wrapped, and derives separate data and blind-index keys', async () => {
    const [row] = await h.db.tenant(org.orgId, (tx) => tx.select().from(orgKeys).where(eq(orgKeys.orgId, org.orgId)));
    const keys = await h.db.tenant(org.orgId, (tx) => ring.organisationKeys(tx, org.orgId));
    expect(keys.ref).toEqual({ keyId: `org:${org.orgId}`, version: 1 });
    expect(keys.dataKey.equals(keys.blindIndexKey)).toBe(false);
    expect(row!.wrappedKey!.includes(keys.dataKey)).toBe(false);
    ring.forgetAll();
    const again = await h.db.tenant(org.orgId, (tx) => ring.organisationKeys(tx, org.orgId));
    expect(again.dataKey).toEqual(keys.dataKey);
  });

  it("cannot reach another organisation's keys (row-level security)", async () => {
    const other = await createTestOrganisation(h);
    await expect(h.db.tenant(other.orgId, (tx) => ring.organisationKeys(tx, org.orgId))).rejects.toThrow(/no organisation key/);
  });

  it('never zeroes a key a caller still holds when the cache forgets it', async () => {
    const held = await h.db.tenant(org.orgId, (tx) => ring.organisationKeys(tx, org.orgId));
    const copy = Buffer.from(held.dataKey);
    ring.forgetAll();
    expect(held.dataKey).toEqual(copy);
    expect(held.dataKey.equals(Buffer.alloc(32))).toBe(false);
  });

  it('keeps unwrapped keys only for the cache lifetime', async () => {
    const unwrap = vi.spyOn(master, 'unwrapKey');
    ring.forgetAll();
    await h.db.tenant(org.orgId, (tx) => ring.organisationKeys(tx, org.orgId));
    await h.db.tenant(org.orgId, (tx) => ring.organisationKeys(tx, org.orgId));
    expect(unwrap).toHaveBeenCalledTimes(1);
    h.clock.advance(61_000);
    await h.db.tenant(org.orgId, (tx) => ring.organisationKeys(tx, org.orgId));
    expect(unwrap).toHaveBeenCalledTimes(2);
    unwrap.mockRestore();
  });

  it('gives each patient a key wrapped by the organisation key; shredding erases it for good', async () => {
    const patientId = randomUUID();
    const now = h.clock.now();
    await h.db.tenant(org.orgId, (tx) => ring.createPatientKey(tx, org.orgId, patientId, now));
    const { key, ref } = await h.db.tenant(org.orgId, (tx) => ring.patientKey(tx, org.orgId, patientId));
    const context = `patients:notes:${org.orgId}:${patientId}`;
    const sealed = seal(key, ref, 'confidential-marker-4471', context);
    expect(open(key, ref, sealed, context).toString()).toBe('confidential-marker-4471');

    expect(await h.db.tenant(org.orgId, (tx) => ring.shredPatientKey(tx, org.orgId, patientId, h.clock.now()))).toBe(true);
    await expect(h.db.tenant(org.orgId, (tx) => ring.patientKey(tx, org.orgId, patientId))).rejects.toThrow(KeyShreddedError);
    const [row] = await h.db.tenant(org.orgId, (tx) => tx.select().from(patientKeys).where(eq(patientKeys.patientId, patientId)));
    expect(row!.wrappedKey).toBeNull();
    expect(row!.shreddedAt).not.toBeNull();
    // A fresh ring (another process, or after a restart) cannot read it either.
    const fresh = new KeyRing(master, h.clock);
    await expect(h.db.tenant(org.orgId, (tx) => fresh.patientKey(tx, org.orgId, patientId))).rejects.toThrow(KeyShreddedError);
  });

  it('opens a patient key from a row already read, with no query once the organisation root is cached', async () => {
    const patientId = randomUUID();
    await h.db.tenant(org.orgId, (tx) => ring.createPatientKey(tx, org.orgId, patientId, h.clock.now()));
    const [row] = await h.db.tenant(org.orgId, (tx) => tx.select().from(patientKeys).where(eq(patientKeys.patientId, patientId)));
    const expected = await h.db.tenant(org.orgId, (tx) => ring.patientKey(tx, org.orgId, patientId));

    // A fresh ring: cold root, read through the given source (here its own tenant transaction).
    const fresh = new KeyRing(master, h.clock);
    const tenant = vi.spyOn(h.db, 'tenant');
    const fromRow = await fresh.patientKeyFromRow(org.orgId, patientId, row!, { db: h.db });
    expect(fromRow).toEqual({ ref: { keyId: `patient:${patientId}`, version: 1 }, key: expected.key });
    expect(tenant).toHaveBeenCalledTimes(1);

    // Another patient of the same practice: the root is cached, so no database work at all.
    const second = randomUUID();
    await h.db.tenant(org.orgId, (tx) => ring.createPatientKey(tx, org.orgId, second, h.clock.now()));
    const [secondRow] = await h.db.tenant(org.orgId, (tx) => tx.select().from(patientKeys).where(eq(patientKeys.patientId, second)));
    tenant.mockClear();
    const unwrap = vi.spyOn(master, 'unwrapKey');
    const secondKey = await fresh.patientKeyFromRow(org.orgId, second, secondRow!, { db: h.db });
    expect(tenant).not.toHaveBeenCalled();
    expect(unwrap).not.toHaveBeenCalled();
    // …and it is cached like patientKey's: the next patientKey call needs no unwrap either.
    const again = await h.db.tenant(org.orgId, (tx) => fresh.patientKey(tx, org.orgId, second));
    expect(again.key).toEqual(secondKey.key);
    expect(unwrap).not.toHaveBeenCalled();
    tenant.mockRestore();
    unwrap.mockRestore();

    // Inside a transaction, the caller's transaction serves the cold root.
    const third = new KeyRing(master, h.clock);
    const inTx = await h.db.tenant(org.orgId, (tx) => third.patientKeyFromRow(org.orgId, patientId, row!, { tx }));
    expect(inTx.key).toEqual(expected.key);

    // A row copied onto another patient does not unwrap (the wrapping is bound to the patient).
    await expect(third.patientKeyFromRow(org.orgId, randomUUID(), row!, { db: h.db })).rejects.toThrow(/could not be decrypted/);
  });

  it('trusts a shredded row over its own cache', async () => {
    const patientId = randomUUID();
    await h.db.tenant(org.orgId, (tx) => ring.createPatientKey(tx, org.orgId, patientId, h.clock.now()));
    await h.db.tenant(org.orgId, (tx) => ring.patientKey(tx, org.orgId, patientId));
    // Another process shreds it; this ring still caches the key, but the row says it is gone.
    await h.db.tenant(org.orgId, (tx) => new KeyRing(master, h.clock).shredPatientKey(tx, org.orgId, patientId, h.clock.now()));
    const [row] = await h.db.tenant(org.orgId, (tx) => tx.select().from(patientKeys).where(eq(patientKeys.patientId, patientId)));
    await expect(ring.patientKeyFromRow(org.orgId, patientId, row!, { db: h.db })).rejects.toThrow(KeyShreddedError);
    await expect(h.db.tenant(org.orgId, (tx) => ring.patientKey(tx, org.orgId, patientId))).rejects.toThrow(KeyShreddedError);
  });

  it('creates many patient keys in one go, each its own and each bound to its patient', async () => {
    const ids = Array.from({ length: 1203 }, () => randomUUID());
    const unwrap = vi.spyOn(master, 'unwrapKey');
    const fresh = new KeyRing(master, h.clock);
    await h.db.tenant(org.orgId, (tx) => fresh.createPatientKeys(tx, org.orgId, ids, h.clock.now()));
    // One organisation-root lookup for all of them.
    expect(unwrap).toHaveBeenCalledTimes(1);
    unwrap.mockRestore();
    const rows = await h.db.tenant(org.orgId, (tx) => tx.select().from(patientKeys).where(inArray(patientKeys.patientId, ids)));
    expect(rows).toHaveLength(ids.length);
    expect(new Set(rows.map((row) => row.wrappedKey!.toString('base64'))).size).toBe(ids.length);
    const first = await h.db.tenant(org.orgId, (tx) => ring.patientKey(tx, org.orgId, ids[0]!));
    const last = await h.db.tenant(org.orgId, (tx) => ring.patientKey(tx, org.orgId, ids.at(-1)!));
    expect(first.key.equals(last.key)).toBe(false);
    await h.db.tenant(org.orgId, (tx) => fresh.createPatientKeys(tx, org.orgId, [], h.clock.now()));
  });

  it('cannot open keys wrapped under a master key it does not have', async () => {
    const stranger = new KeyRing(LocalMasterKeyProvider.fromKeys(new Map([[1, randomBytes(32)]])), h.clock);
    await expect(h.db.tenant(org.orgId, (tx) => stranger.organisationKeys(tx, org.orgId))).rejects.toThrow(/could not be decrypted/);
  });
});
