import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestOrganisation, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { tamper } from '../../../test/support/tamper.ts';
import { erasureLedger, orgKeys, patientKeys } from '../db/schema.ts';
import { open, seal } from './aead.ts';
import { reapplyErasures, shredOrganisationKeys, shredPatientKey } from './erasure.ts';
import { KeyShreddedError } from './key-ring.ts';

describe('crypto-shredding and the erasure ledger', () => {
  let h: TestHarness;
  let org: TestOrganisation;
  beforeAll(async () => {
    h = await createHarness();
    org = await createTestOrganisation(h);
  });
  afterAll(() => h.close());

  async function patientWithData() {
    const patientId = randomUUID();
    await h.db.tenant(org.orgId, (tx) => h.services.keys.createPatientKey(tx, org.orgId, patientId, h.clock.now()));
    const { key, ref } = await h.db.tenant(org.orgId, (tx) => h.services.keys.patientKey(tx, org.orgId, patientId));
    const context = `dossier:note:${org.orgId}:${patientId}`;
    return { patientId, context, sealed: seal(key, ref, 'erasure-marker-5521 panic attacks since May', context), ref };
  }

  it('makes the data unreadable for good, records ids only in the file and table, and audits it', async () => {
    const { patientId } = await patientWithData();
    expect(await shredPatientKey(h.services, { orgId: org.orgId, patientId, reason: 'patient asked for erasure (art. 17 GDPR)' })).toBe(true);
    h.services.keys.forgetAll();
    await expect(h.db.tenant(org.orgId, (tx) => h.services.keys.patientKey(tx, org.orgId, patientId))).rejects.toThrow(KeyShreddedError);

    const file = readFileSync(h.services.erasureLedger.file, 'utf8');
    expect(file).toContain(patientId);
    expect(file).not.toContain('art. 17'); // the reason goes to the audit trail, not the ledger
    expect(h.services.erasureLedger.entries().filter((e) => e.subjectId === patientId)).toEqual([
      { orgId: org.orgId, keyKind: 'patient', subjectId: patientId, shreddedAt: expect.any(String) },
    ]);
    const rows = await h.db.tenant(org.orgId, (tx) => tx.select().from(erasureLedger).where(eq(erasureLedger.subjectId, patientId)));
    expect(rows).toHaveLength(1);
    const audit = await org.owner.agent.get(`/api/v1/audit-events?action=keys.patient_shredded&patient=${patientId}`);
    expect(audit.body.events).toHaveLength(1);
    expect(audit.body.events[0]).toMatchObject({ actorRole: 'operator', patientId, resourceId: patientId });
  });

  it('is idempotent: a second shred records nothing new', async () => {
    const { patientId } = await patientWithData();
    expect(await shredPatientKey(h.services, { orgId: org.orgId, patientId, reason: 'first' })).toBe(true);
    expect(await shredPatientKey(h.services, { orgId: org.orgId, patientId, reason: 'again' })).toBe(false);
    expect(h.services.erasureLedger.entries().filter((e) => e.subjectId === patientId)).toHaveLength(1);
  });

  it('reaches a backup taken before the erasure: restoring brings the key back, re-applying the ledger destroys it again', async () => {
    const { patientId, context, sealed, ref } = await patientWithData();
    const [before] = await h.db.tenant(org.orgId, (tx) => tx.select().from(patientKeys).where(eq(patientKeys.patientId, patientId)));
    await shredPatientKey(h.services, { orgId: org.orgId, patientId, reason: 'erasure' });

    // "Restore" the old backup's row: the wrapped key is back in the database.
    await tamper(h.db, org.orgId, [
      `update patient_keys set wrapped_key = '\\x${before!.wrappedKey!.toString('hex')}', shredded_at = null where org_id = '${org.orgId}' and patient_id = '${patientId}'`,
    ]);
    h.services.keys.forgetAll();
    const restored = await h.db.tenant(org.orgId, (tx) => h.services.keys.patientKey(tx, org.orgId, patientId));
    expect(open(restored.key, ref, sealed, context).toString()).toContain('erasure-marker-5521'); // the danger

    expect(await reapplyErasures(h.services)).toBeGreaterThanOrEqual(1);
    h.services.keys.forgetAll();
    await expect(h.db.tenant(org.orgId, (tx) => h.services.keys.patientKey(tx, org.orgId, patientId))).rejects.toThrow(KeyShreddedError);
    expect(await reapplyErasures(h.services)).toBe(0); // nothing left to do
  });

  it("erases a whole practice: every version of its key, its patients' keys below it, its contact details", async () => {
    const practice = await createTestOrganisation(h);
    const patientId = randomUUID();
    await h.db.tenant(practice.orgId, (tx) => h.services.keys.createPatientKey(tx, practice.orgId, patientId, h.clock.now()));
    expect(await shredOrganisationKeys(h.services, { orgId: practice.orgId, reason: 'contract ended' })).toBe(1);
    h.services.keys.forgetAll();
    await expect(h.db.tenant(practice.orgId, (tx) => h.services.keys.organisationKeys(tx, practice.orgId))).rejects.toThrow(KeyShreddedError);
    await expect(h.db.tenant(practice.orgId, (tx) => h.services.keys.patientKey(tx, practice.orgId, patientId))).rejects.toThrow(KeyShreddedError);
    expect((await practice.owner.agent.get('/api/v1/organisation')).status).toBe(500); // its address cannot be read by anyone
    expect(h.services.erasureLedger.entries().filter((e) => e.subjectId === practice.orgId)).toEqual([
      { orgId: practice.orgId, keyKind: 'organisation', subjectId: practice.orgId, shreddedAt: expect.any(String) },
    ]);
    const audit = await practice.owner.agent.get('/api/v1/audit-events?action=keys.organisation_shredded');
    expect(audit.body.events).toHaveLength(1);
    expect(await shredOrganisationKeys(h.services, { orgId: practice.orgId, reason: 'again' })).toBe(0);
    // The practice next door is untouched.
    expect((await org.owner.agent.get('/api/v1/organisation')).status).toBe(200);
  });

  it('re-applies a practice erasure to a restored backup', async () => {
    const practice = await createTestOrganisation(h);
    const [before] = await h.db.tenant(practice.orgId, (tx) => tx.select().from(orgKeys).where(eq(orgKeys.orgId, practice.orgId)));
    await shredOrganisationKeys(h.services, { orgId: practice.orgId, reason: 'contract ended' });
    await tamper(h.db, practice.orgId, [
      `update org_keys set wrapped_key = '\\x${before!.wrappedKey!.toString('hex')}', shredded_at = null where org_id = '${practice.orgId}'`,
    ]);
    h.services.keys.forgetAll();
    expect((await practice.owner.agent.get('/api/v1/organisation')).status).toBe(200); // restored: readable again
    expect(await reapplyErasures(h.services)).toBeGreaterThanOrEqual(1);
    h.services.keys.forgetAll();
    await expect(h.db.tenant(practice.orgId, (tx) => h.services.keys.organisationKeys(tx, practice.orgId))).rejects.toThrow(KeyShreddedError);
  });
});
