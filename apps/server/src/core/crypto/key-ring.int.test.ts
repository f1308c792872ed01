import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
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

  it('cannot open keys wrapped under a master key it does not have', async () => {
    const stranger = new KeyRing(LocalMasterKeyProvider.fromKeys(new Map([[1, randomBytes(32)]])), h.clock);
    await expect(h.db.tenant(org.orgId, (tx) => stranger.organisationKeys(tx, org.orgId))).rejects.toThrow(/could not be decrypted/);
  });
});
