import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestAgent, TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, createTestPatient, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { samplePdf, sampleFiles } from '../../../test/support/sample-files.ts';
import { queryRows } from '../../core/db/database.ts';
import { breakGlassGrants } from '../../core/db/schema.ts';

/*
 * A patient's documents through the API (increment 12): upload (with title and description) into
 * the patient's key, the document entry it creates in the dossier, list, download, sharing with
 * the patient — and who reaches them: the care team, not the rest of the practice, not another
 * practice; an assistant's role does not hold the permission at all.
 */

let h: TestHarness;
let org: TestOrganisation;
let other: TestOrganisation;
let practitioner: TestPerson; // creates the patients: their care team
let outsider: TestPerson;
let assistant: TestPerson;
let withGrant: TestPerson;
beforeAll(async () => {
  h = await createHarness();
  org = await createTestOrganisation(h);
  other = await createTestOrganisation(h);
  practitioner = await addMember(h, org, 'practitioner');
  outsider = await addMember(h, org, 'practitioner');
  assistant = await addMember(h, org, 'assistant');
  withGrant = await addMember(h, org, 'practitioner');
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

/** A multipart body as the documents tab sends it: text fields first, then the file. */
function uploadBody(file: { name: string; content: Buffer; type?: string }, fields: Record<string, string> = {}) {
  const boundary = `----haven-test-${randomBytes(8).toString('hex')}`;
  const parts = [
    ...Object.entries(fields).map(([name, value]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/pdf'}\r\n\r\n`),
    file.content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ];
  return { rawBody: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

function upload(agent: TestAgent, patientId: string, file: { name: string; content: Buffer; type?: string }, fields: Record<string, string> = {}) {
  return agent.request('POST', `/api/v1/patients/${patientId}/documents`, undefined, uploadBody(file, fields));
}

async function documentRows(patientId: string) {
  return h.db.tenant(org.orgId, (tx) => queryRows<{ id: string; blob_id: string }>(tx, sql`select id, blob_id from patient_documents where patient_id = ${patientId}::uuid`));
}

function blobCount(): number {
  try {
    return readdirSync(h.config.blobDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;
  } catch {
    return 0;
  }
}

async function auditOf(action: string, patientId: string) {
  const page = await org.owner.agent.get(`/api/v1/audit-events?action=${action}&patient=${patientId}`);
  expect(page.status).toBe(200);
  return page.body.events as Array<Record<string, unknown>>;
}

describe('patient documents', () => {
  it('uploads into the patient record, lists it and downloads the same bytes, recording each step', async () => {
    const patient = await createTestPatient(practitioner);
    const content = samplePdf('referral letter', 4_000);
    const uploaded = await upload(practitioner.agent, patient.id, { name: 'Referral letter.pdf', content }, { title: 'Referral to cardiology', description: 'From Dr. Visser' });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    expect(uploaded.body).toMatchObject({
      patientId: patient.id,
      title: 'Referral to cardiology',
      description: 'From Dr. Visser',
      name: 'Referral letter.pdf',
      contentType: 'application/pdf',
      sizeBytes: content.length,
      uploadedBy: { accountId: practitioner.accountId },
      entryStatus: 'active',
      sharedWithPatientAt: null,
      sharedBy: null,
    });

    const list = await practitioner.agent.get(`/api/v1/patients/${patient.id}/documents`);
    expect(list.status).toBe(200);
    expect(list.body.documents).toEqual([uploaded.body]);
    expect(list.body.limits).toMatchObject({ maxBytes: h.config.uploadMaxBytes, types: expect.arrayContaining(['application/pdf']) });

    const download = await practitioner.agent.get(`/api/v1/patients/${patient.id}/documents/${uploaded.body.id}/content`);
    expect(download.status).toBe(200);
    expect(download.body).toBe(content.toString('latin1')); // an ASCII sample: the text is the bytes
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="Referral letter.pdf"/);
    expect(download.headers['content-security-policy']).toBe("default-src 'none'; sandbox");

    expect(await auditOf('document.uploaded', patient.id)).toEqual([expect.objectContaining({ resourceId: uploaded.body.id, patientId: patient.id, actorAccountId: practitioner.accountId })]);
    expect(await auditOf('document.downloaded', patient.id)).toEqual([expect.objectContaining({ resourceId: uploaded.body.id, patientId: patient.id })]);
    // The list shows titles and descriptions: reading it is recorded too.
    expect(await auditOf('document.list_viewed', patient.id)).toEqual([expect.objectContaining({ resourceId: patient.id, patientId: patient.id, actorAccountId: practitioner.accountId })]);
    expect(await auditOf('entry.created', patient.id)).toEqual([expect.objectContaining({ resourceId: uploaded.body.entryId })]);
  });

  it('is a document entry (version 1) in the dossier, pointing at the file; a missing title is the file name', async () => {
    const patient = await createTestPatient(practitioner);
    const uploaded = await upload(practitioner.agent, patient.id, { name: 'lab-results.pdf', content: samplePdf('lab') });
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ title: 'lab-results.pdf', description: null });
    const dossier = await practitioner.agent.get(`/api/v1/patients/${patient.id}/dossier`);
    expect(dossier.status).toBe(200);
    expect(dossier.body.entries).toEqual([
      expect.objectContaining({ id: uploaded.body.entryId, kind: 'document', currentVersion: 1, documentId: uploaded.body.id, content: { title: 'lab-results.pdf' }, author: expect.objectContaining({ accountId: practitioner.accountId }) }),
    ]);
    const history = await practitioner.agent.get(`/api/v1/patients/${patient.id}/entries/${uploaded.body.entryId}/versions`);
    expect(history.body.versions).toEqual([expect.objectContaining({ version: 1, documentId: uploaded.body.id })]);
  });

  it('shares a document with the patient and stops sharing it, recording each change once', async () => {
    const patient = await createTestPatient(practitioner);
    const uploaded = await upload(practitioner.agent, patient.id, { name: 'plan.pdf', content: samplePdf('plan') });
    const url = `/api/v1/patients/${patient.id}/documents/${uploaded.body.id}/sharing`;
    const shared = await practitioner.agent.put(url, { shared: true });
    expect(shared.status, JSON.stringify(shared.body)).toBe(200);
    expect(shared.body).toMatchObject({ id: uploaded.body.id, sharedWithPatientAt: expect.any(String), sharedBy: { accountId: practitioner.accountId } });
    expect((await practitioner.agent.put(url, { shared: true })).body.sharedWithPatientAt).toBe(shared.body.sharedWithPatientAt); // already shared: unchanged
    expect(await auditOf('document.shared', patient.id)).toHaveLength(1);

    const unshared = await practitioner.agent.put(url, { shared: false });
    expect(unshared.status).toBe(200);
    expect(unshared.body).toMatchObject({ sharedWithPatientAt: null, sharedBy: null });
    expect(await auditOf('document.unshared', patient.id)).toHaveLength(1);
    expectError(await practitioner.agent.put(url, { shared: 'yes' }), 400, 'VALIDATION_FAILED');
  });

  it('refuses a file of a type it does not accept, and keeps nothing of it', async () => {
    const patient = await createTestPatient(practitioner);
    const before = blobCount();
    expectError(await upload(practitioner.agent, patient.id, { name: 'setup.pdf', content: sampleFiles.exe }), 415, 'FILE_TYPE_NOT_ALLOWED');
    expectError(await upload(practitioner.agent, patient.id, { name: 'notes.zip', content: sampleFiles.zip, type: 'application/zip' }), 415, 'FILE_TYPE_NOT_ALLOWED');
    expect(blobCount()).toBe(before);
    expect(await documentRows(patient.id)).toEqual([]);
    expect((await practitioner.agent.get(`/api/v1/patients/${patient.id}/dossier`)).body.entries).toEqual([]);
  });

  it('refuses unknown or invalid form fields before storing anything', async () => {
    const patient = await createTestPatient(practitioner);
    const before = blobCount();
    expectError(await upload(practitioner.agent, patient.id, { name: 'a.pdf', content: samplePdf('a') }, { note: 'x' }), 400, 'FILE_REQUIRED');
    expectError(await upload(practitioner.agent, patient.id, { name: 'a.pdf', content: samplePdf('a') }, { title: 't'.repeat(201) }), 400, 'VALIDATION_FAILED');
    expect(blobCount()).toBe(before);
    expect(await documentRows(patient.id)).toEqual([]);
  });

  it('answers DOCUMENT_NOT_FOUND for a document of another patient', async () => {
    const first = await createTestPatient(practitioner);
    const second = await createTestPatient(practitioner);
    const uploaded = await upload(practitioner.agent, first.id, { name: 'x.pdf', content: samplePdf('x') });
    expectError(await practitioner.agent.get(`/api/v1/patients/${second.id}/documents/${uploaded.body.id}/content`), 404, 'DOCUMENT_NOT_FOUND');
    expectError(await practitioner.agent.put(`/api/v1/patients/${second.id}/documents/${uploaded.body.id}/sharing`, { shared: true }), 404, 'DOCUMENT_NOT_FOUND');
    expectError(await practitioner.agent.get(`/api/v1/patients/${first.id}/documents/${crypto.randomUUID()}/content`), 404, 'DOCUMENT_NOT_FOUND');
    expect((await practitioner.agent.get(`/api/v1/patients/${first.id}/documents`)).body.documents[0].sharedWithPatientAt).toBeNull();
  });

  it('refuses practitioners outside the care team (the owner too) with CARE_TEAM_REQUIRED, and records it', async () => {
    const patient = await createTestPatient(practitioner);
    const uploaded = await upload(practitioner.agent, patient.id, { name: 'y.pdf', content: samplePdf('y') });
    const before = blobCount();
    for (const who of [outsider, org.owner]) {
      expectError(await who.agent.get(`/api/v1/patients/${patient.id}/documents`), 403, 'CARE_TEAM_REQUIRED');
      expectError(await upload(who.agent, patient.id, { name: 'z.pdf', content: samplePdf('z') }), 403, 'CARE_TEAM_REQUIRED');
      expectError(await who.agent.get(`/api/v1/patients/${patient.id}/documents/${uploaded.body.id}/content`), 403, 'CARE_TEAM_REQUIRED');
      expectError(await who.agent.put(`/api/v1/patients/${patient.id}/documents/${uploaded.body.id}/sharing`, { shared: true }), 403, 'CARE_TEAM_REQUIRED');
    }
    expect(blobCount()).toBe(before);
    expect(await documentRows(patient.id)).toHaveLength(1);
    expect(await auditOf('access.denied', patient.id)).toHaveLength(8);
    expect((await practitioner.agent.get(`/api/v1/patients/${patient.id}/documents`)).body.documents[0].sharedWithPatientAt).toBeNull();
  });

  it('lets a practitioner with a break-the-glass grant read and download, recording the grant as the basis', async () => {
    const patient = await createTestPatient(practitioner);
    const uploaded = await upload(practitioner.agent, patient.id, { name: 'urgent.pdf', content: samplePdf('urgent') });
    const grantId = crypto.randomUUID();
    const now = h.clock.now();
    await h.db.tenant(org.orgId, (tx) =>
      tx.insert(breakGlassGrants).values({ orgId: org.orgId, id: grantId, patientId: patient.id, membershipId: withGrant.membershipId, accountId: withGrant.accountId, reasonCode: 'emergency', grantedAt: now, expiresAt: new Date(now.getTime() + 3_600_000) }),
    );
    expect((await withGrant.agent.get(`/api/v1/patients/${patient.id}/documents`)).body.documents).toEqual([uploaded.body]);
    expect((await withGrant.agent.get(`/api/v1/patients/${patient.id}/documents/${uploaded.body.id}/content`)).status).toBe(200);
    const downloads = await auditOf('document.downloaded', patient.id);
    expect(downloads).toEqual([expect.objectContaining({ actorAccountId: withGrant.accountId, reason: `break_glass:${grantId}` })]);
    expect(await auditOf('document.list_viewed', patient.id)).toEqual([expect.objectContaining({ actorAccountId: withGrant.accountId, reason: `break_glass:${grantId}` })]);
  });

  it('refuses an assistant (the role does not hold document permissions) with FORBIDDEN', async () => {
    const patient = await createTestPatient(practitioner);
    const uploaded = await upload(practitioner.agent, patient.id, { name: 'w.pdf', content: samplePdf('w') });
    expectError(await assistant.agent.get(`/api/v1/patients/${patient.id}/documents`), 403, 'FORBIDDEN');
    expectError(await upload(assistant.agent, patient.id, { name: 'z.pdf', content: samplePdf('z') }), 403, 'FORBIDDEN');
    expectError(await assistant.agent.get(`/api/v1/patients/${patient.id}/documents/${uploaded.body.id}/content`), 403, 'FORBIDDEN');
    expectError(await assistant.agent.put(`/api/v1/patients/${patient.id}/documents/${uploaded.body.id}/sharing`, { shared: true }), 403, 'FORBIDDEN');
  });

  it("shows another practice nothing: its owner gets 404 for this practice's patient and document", async () => {
    const patient = await createTestPatient(practitioner);
    const uploaded = await upload(practitioner.agent, patient.id, { name: 'v.pdf', content: samplePdf('v') });
    const before = blobCount();
    expectError(await other.owner.agent.get(`/api/v1/patients/${patient.id}/documents`), 404, 'PATIENT_NOT_FOUND');
    expectError(await upload(other.owner.agent, patient.id, { name: 'z.pdf', content: samplePdf('z') }), 404, 'PATIENT_NOT_FOUND');
    expectError(await other.owner.agent.get(`/api/v1/patients/${patient.id}/documents/${uploaded.body.id}/content`), 404, 'PATIENT_NOT_FOUND');
    expectError(await other.owner.agent.put(`/api/v1/patients/${patient.id}/documents/${uploaded.body.id}/sharing`, { shared: true }), 404, 'PATIENT_NOT_FOUND');
    // Its own patient id with this document's id: still nothing.
    const own = await createTestPatient(other.owner);
    expectError(await other.owner.agent.get(`/api/v1/patients/${own.id}/documents/${uploaded.body.id}/content`), 404, 'DOCUMENT_NOT_FOUND');
    expect(blobCount()).toBe(before);
    // Re-read through the care team: unchanged.
    const list = await practitioner.agent.get(`/api/v1/patients/${patient.id}/documents`);
    expect(list.body.documents).toEqual([uploaded.body]);
  });
});
