import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createTestOrganisation, createTestPatient, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { samplePdf } from '../../../test/support/sample-files.ts';
import { tamper } from '../../../test/support/tamper.ts';
import { reapplyErasures, shredPatientKey } from '../../core/crypto/erasure.ts';
import { queryRows } from '../../core/db/database.ts';
import { openEncryptedFile } from '../../core/files/encrypted-files.ts';

/*
 * Erasing a patient (docs/design/patients-and-dossiers.md §3): shredding the patient's key takes
 * the search indexes and the record's status with it in the same transaction, and the document
 * blobs after commit. Nothing of the patient can be found, opened or told apart afterwards — and
 * the same holds after a backup from before the erasure is restored and the ledger re-applied.
 */

let h: TestHarness;
let org: TestOrganisation;
let practitioner: TestPerson;
beforeAll(async () => {
  h = await createHarness();
  org = await createTestOrganisation(h);
  practitioner = await addMember(h, org, 'practitioner');
});
afterAll(() => h.close());

const hex = (value: Buffer | Uint8Array | null) => (value === null ? 'null' : `'\\x${Buffer.from(value).toString('hex')}'`);
const blobPath = (blobId: string) => path.join(h.config.blobDir, blobId.slice(0, 2), blobId);

interface IndexState {
  tokens: number;
  patient: { status: string; erased_at: unknown; birth_date_bidx: unknown; national_id_bidx: unknown };
}

async function indexState(patientId: string): Promise<IndexState> {
  return h.db.tenant(org.orgId, async (tx) => {
    const [tokens] = await queryRows<{ n: number | string }>(tx, sql`select count(*) as n from patient_name_tokens where patient_id = ${patientId}::uuid`);
    const [patient] = await queryRows<IndexState['patient']>(tx, sql`select status, erased_at, birth_date_bidx, national_id_bidx from patients where id = ${patientId}::uuid`);
    return { tokens: Number(tokens!.n), patient: patient! };
  });
}

/** A patient with a finding, a note and a document, as the practice would have them. */
async function patientWithRecord() {
  const birthDate = `19${10 + Math.floor(Math.random() * 80)}-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 9)}`;
  const patient = await createTestPatient(practitioner, { birthDate });
  for (const body of [
    { kind: 'finding', content: { title: 'Blood pressure', text: 'High' }, effectiveAt: '2026-11-02T09:00:00+01:00' },
    { kind: 'note', content: { text: 'Follow up in two weeks' }, effectiveAt: '2026-11-03T09:00:00+01:00' },
  ]) {
    expect((await practitioner.agent.post(`/api/v1/patients/${patient.id}/entries`, body)).status).toBe(201);
  }
  const boundary = `----haven-test-${randomBytes(8).toString('hex')}`;
  const rawBody = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="letter.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
    samplePdf('discharge letter'),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const document = await practitioner.agent.request('POST', `/api/v1/patients/${patient.id}/documents`, undefined, { rawBody, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
  expect(document.status, JSON.stringify(document.body)).toBe(201);
  const [row] = await h.db.tenant(org.orgId, (tx) => queryRows<{ blob_id: string }>(tx, sql`select blob_id from patient_documents where id = ${document.body.id}::uuid`));
  return { ...patient, birthDate, documentId: document.body.id as string, blobId: row!.blob_id };
}

async function searchFinds(body: Record<string, unknown>, patientId: string): Promise<boolean> {
  const response = await practitioner.agent.post('/api/v1/patients/search', body);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.patients.some((found: { id: string }) => found.id === patientId);
}

/** Everything that must hold of an erased patient. */
async function expectErased(patient: Awaited<ReturnType<typeof patientWithRecord>>, blobCopy: string): Promise<void> {
  for (const url of [`/api/v1/patients/${patient.id}`, `/api/v1/patients/${patient.id}/dossier`, `/api/v1/patients/${patient.id}/documents`, `/api/v1/patients/${patient.id}/documents/${patient.documentId}/content`]) {
    const response = await practitioner.agent.get(url);
    expect(response.status, url).toBe(404);
    expect(response.body.error.code, url).toBe('PATIENT_NOT_FOUND');
  }
  expect(await searchFinds({ q: patient.body.name.family }, patient.id)).toBe(false);
  expect(await searchFinds({ birthDate: patient.birthDate }, patient.id)).toBe(false);
  expect(await searchFinds({ nationalId: patient.body.nationalId.value }, patient.id)).toBe(false);
  const state = await indexState(patient.id);
  expect(state.tokens).toBe(0);
  expect(state.patient).toMatchObject({ status: 'erased', erased_at: expect.anything(), birth_date_bidx: null, national_id_bidx: null });
  // The blob was deleted; a copy of it (a blob-store backup) does not open either: its key is gone.
  expect(existsSync(blobPath(patient.blobId))).toBe(false);
  copyFileSync(blobCopy, blobPath(patient.blobId));
  h.services.keys.forgetAll();
  await expect(openEncryptedFile(h.services, { owner: { kind: 'patient', orgId: org.orgId, patientId: patient.id }, blobId: patient.blobId })).rejects.toThrow();
}

describe('erasing a patient', () => {
  it('leaves nothing to find, open or tell apart, and re-applying the ledger after a restore keeps it so', async () => {
    const patient = await patientWithRecord();
    const blobCopy = path.join(h.config.dataDir, `blob-backup-${patient.blobId}`);
    copyFileSync(blobPath(patient.blobId), blobCopy);
    // Found before, by every index.
    expect(await searchFinds({ q: patient.body.name.family }, patient.id)).toBe(true);
    expect(await searchFinds({ birthDate: patient.birthDate }, patient.id)).toBe(true);
    expect(await searchFinds({ nationalId: patient.body.nationalId.value }, patient.id)).toBe(true);
    expect((await practitioner.agent.get(`/api/v1/patients/${patient.id}/documents/${patient.documentId}/content`)).status).toBe(200);

    // The backup taken before the erasure: the key, the patient row and its name tokens.
    const backup = await h.db.tenant(org.orgId, async (tx) => ({
      key: (await queryRows<{ wrapped_key: Buffer }>(tx, sql`select wrapped_key from patient_keys where patient_id = ${patient.id}::uuid`))[0]!,
      patient: (await queryRows<{ birth_date_bidx: Buffer; national_id_bidx: Buffer }>(tx, sql`select birth_date_bidx, national_id_bidx from patients where id = ${patient.id}::uuid`))[0]!,
      tokens: await queryRows<{ token: Buffer }>(tx, sql`select token from patient_name_tokens where patient_id = ${patient.id}::uuid`),
    }));
    expect(backup.tokens.length).toBeGreaterThan(0);

    expect(await shredPatientKey(h.services, { orgId: org.orgId, patientId: patient.id, reason: 'patient asked for erasure' })).toBe(true);
    await expectErased(patient, blobCopy);

    // Restore the old backup's rows, as a restore would bring them back.
    await tamper(h.db, org.orgId, [
      `update patient_keys set wrapped_key = ${hex(backup.key.wrapped_key)}, shredded_at = null where org_id = '${org.orgId}' and patient_id = '${patient.id}'`,
      `update patients set status = 'active', erased_at = null, birth_date_bidx = ${hex(backup.patient.birth_date_bidx)}, national_id_bidx = ${hex(backup.patient.national_id_bidx)} where org_id = '${org.orgId}' and id = '${patient.id}'`,
      ...backup.tokens.map((row) => `insert into patient_name_tokens (org_id, token, patient_id) values ('${org.orgId}', ${hex(row.token)}, '${patient.id}')`),
    ]);
    h.services.keys.forgetAll();
    expect(await searchFinds({ q: patient.body.name.family }, patient.id)).toBe(true); // the danger a restore brings back

    expect(await reapplyErasures(h.services)).toBeGreaterThanOrEqual(1);
    await expectErased(patient, blobCopy);
  });

  it('spares the practice’s other patients', async () => {
    const erased = await patientWithRecord();
    const kept = await patientWithRecord();
    await shredPatientKey(h.services, { orgId: org.orgId, patientId: erased.id, reason: 'erasure' });
    expect((await practitioner.agent.get(`/api/v1/patients/${kept.id}`)).status).toBe(200);
    expect(await searchFinds({ q: kept.body.name.family }, kept.id)).toBe(true);
    const download = await practitioner.agent.get(`/api/v1/patients/${kept.id}/documents/${kept.documentId}/content`);
    expect(download.status).toBe(200);
    expect(download.body).toBe(samplePdf('discharge letter').toString('latin1'));
    expect((await indexState(kept.id)).patient.status).toBe('active');
  });
});
