import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestOrganisation, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { patientKeys } from '../db/schema.ts';
import { DecryptionError, sealedKeyRef } from './aead.ts';
import { shredPatientKey } from './erasure.ts';
import { KeyShreddedError } from './key-ring.ts';
import { PatientCipher, type PatientPlace } from './patient-cipher.ts';
import { Sealed } from './sealed-column.ts';

describe('the patient cipher', () => {
  let h: TestHarness;
  let org: TestOrganisation;
  let other: TestOrganisation;
  const patientA = randomUUID();
  const patientB = randomUUID();
  const place: PatientPlace = { table: 'patients', column: 'name', rowId: patientA };

  beforeAll(async () => {
    h = await createHarness();
    org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    other = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const now = h.clock.now();
    await h.db.tenant(org.orgId, async (tx) => {
      await h.services.keys.createPatientKey(tx, org.orgId, patientA, now);
      await h.services.keys.createPatientKey(tx, org.orgId, patientB, now);
    });
  });
  afterAll(() => h.close());

  const cipherFor = (patientId: string, orgId = org.orgId) => h.db.tenant(orgId, (tx) => h.services.fields.forPatient(tx, orgId, patientId));

  it('round-trips synchronously under the patient key (patient:<id> v1)', async () => {
    const cipher = await cipherFor(patientA);
    const sealed = cipher.seal(place, 'Marieke de Vries – cipher-marker-8812');
    expect(sealedKeyRef(sealed.bytes)).toEqual({ keyId: `patient:${patientA}`, version: 1 });
    expect(sealed.bytes.includes(Buffer.from('cipher-marker-8812'))).toBe(false);
    expect(cipher.open(place, sealed)).toBe('Marieke de Vries – cipher-marker-8812');
    expect(cipher.sealOptional(place, '')).toBeNull();
    expect(cipher.sealOptional(place, undefined)).toBeNull();
    expect(cipher.openOptional(place, null)).toBeNull();
    expect(cipher.openOptional(place, cipher.sealOptional(place, 'x'))).toBe('x');
    // A second cipher for the same patient (cached key) opens it too.
    expect((await cipherFor(patientA)).open(place, sealed)).toBe('Marieke de Vries – cipher-marker-8812');
  });

  it('does not open as another patient, in another place, or in another practice', async () => {
    const a = await cipherFor(patientA);
    const b = await cipherFor(patientB);
    const sealed = a.seal(place, 'only for A');
    expect(() => b.open(place, sealed)).toThrow(DecryptionError);
    expect(() => a.open({ ...place, column: 'birth_date' }, sealed)).toThrow(DecryptionError);
    expect(() => a.open({ ...place, table: 'dossier_entries' }, sealed)).toThrow(DecryptionError);
    expect(() => a.open({ ...place, rowId: patientB }, sealed)).toThrow(DecryptionError);
    // The same key claimed for another practice (a copied row) fails on the bound context.
    const resolved = await h.db.tenant(org.orgId, (tx) => h.services.keys.patientKey(tx, org.orgId, patientA));
    const elsewhere = PatientCipher.fromKey(other.orgId, patientA, resolved);
    expect(() => elsewhere.open(place, sealed)).toThrow(DecryptionError);
    // And the other practice cannot even get at the key (row-level security).
    await expect(cipherFor(patientA, other.orgId)).rejects.toThrow(/no patient key/);
  });

  it('fails on any tampered byte', async () => {
    const cipher = await cipherFor(patientA);
    const sealed = cipher.seal(place, 'tamper me');
    for (let i = 0; i < sealed.bytes.length; i += 1) {
      const bytes = Buffer.from(sealed.bytes);
      bytes[i]! ^= 0x01;
      expect(() => cipher.open(place, Sealed.fromBytes(bytes))).toThrow(DecryptionError);
    }
  });

  it('opens from a patient_keys row (the one-statement path) like from the key ring', async () => {
    const sealed = (await cipherFor(patientA)).seal(place, 'from a row');
    const [row] = await h.db.tenant(org.orgId, (tx) => tx.select().from(patientKeys).where(eq(patientKeys.patientId, patientA)));
    const fromRow = await PatientCipher.fromRow(h.services.keys, org.orgId, patientA, row!, { db: h.db });
    expect(fromRow.open(place, sealed)).toBe('from a row');
    const resolved = await h.services.keys.patientKeyFromRow(org.orgId, patientA, row!, { db: h.db });
    expect(PatientCipher.fromKey(org.orgId, patientA, resolved).open(place, sealed)).toBe('from a row');
    expect(() => PatientCipher.fromKey(org.orgId, patientB, resolved)).toThrow(/not this patient/);
  });

  it('cannot be had for a shredded patient, from the key ring or from a row', async () => {
    const patientId = randomUUID();
    await h.db.tenant(org.orgId, (tx) => h.services.keys.createPatientKey(tx, org.orgId, patientId, h.clock.now()));
    (await cipherFor(patientId)).seal({ ...place, rowId: patientId }, 'to be erased');
    expect(await shredPatientKey(h.services, { orgId: org.orgId, patientId, reason: 'test erasure' })).toBe(true);
    await expect(cipherFor(patientId)).rejects.toThrow(KeyShreddedError);
    const [row] = await h.db.tenant(org.orgId, (tx) => tx.select().from(patientKeys).where(eq(patientKeys.patientId, patientId)));
    await expect(PatientCipher.fromRow(h.services.keys, org.orgId, patientId, row!, { db: h.db })).rejects.toThrow(KeyShreddedError);
  });
});
