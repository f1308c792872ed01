import { randomBytes } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../core/db/schema.ts';
import type { TestAgent, TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { signInPatient, type TestPatient } from '../../../test/support/patient-fixtures.ts';
import { samplePdf } from '../../../test/support/sample-files.ts';

/*
 * The patient portal (issue 5 §4): the patient's own details and contact correction, the
 * documents the practice shared (and only those), comments and correction requests with the
 * practice's answer. Every portal request is recorded with the patient's id.
 */

let h: TestHarness;
let org: TestOrganisation;
let practitioner: TestPerson;
let assistant: TestPerson;
beforeAll(async () => {
  h = await createHarness();
  org = await createTestOrganisation(h);
  practitioner = await addMember(h, org, 'practitioner');
  assistant = await addMember(h, org, 'assistant');
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

/** A patient of the practice, registered by the practitioner (their care team), signed in to the portal. */
const newPatient = (): Promise<TestPatient> => signInPatient(h, org, { by: practitioner });

async function recorded(patientId: string, action: string) {
  return h.db.tenant(org.orgId, (tx) => tx.select().from(auditEvents).where(and(eq(auditEvents.patientId, patientId), eq(auditEvents.action, action))).orderBy(asc(auditEvents.id)));
}

function uploadBody(file: { name: string; content: Buffer }, fields: Record<string, string>) {
  const boundary = `----haven-test-${randomBytes(8).toString('hex')}`;
  const parts = [
    ...Object.entries(fields).map(([name, value]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/pdf\r\n\r\n`),
    file.content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ];
  return { rawBody: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Uploads a PDF to the patient's record as the practitioner; shares it when `shared`. */
async function document(patientId: string, title: string, options: { shared: boolean }) {
  const content = samplePdf(title);
  const uploaded = await practitioner.agent.request('POST', `/api/v1/patients/${patientId}/documents`, undefined, uploadBody({ name: `${title}.pdf`, content }, { title, description: `About ${title}` }));
  expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
  if (options.shared) expect((await practitioner.agent.put(`/api/v1/patients/${patientId}/documents/${uploaded.body.id}/sharing`, { shared: true })).status).toBe(200);
  return { id: uploaded.body.id as string, entryId: uploaded.body.entryId as string, content, title };
}

describe('my details', () => {
  it('shows the patient their details as the practice registered them, with the practice, and records the view', async () => {
    const patient = await newPatient();
    const seen = await patient.agent.get('/api/v1/portal/me');
    expect(seen.status, JSON.stringify(seen.body)).toBe(200);
    const registered = (await practitioner.agent.get(`/api/v1/patients/${patient.patientId}`)).body;
    expect(seen.body).toEqual({
      organisation: { id: org.orgId, name: org.name },
      patient: { id: patient.patientId, name: registered.name, birthDate: registered.birthDate, sex: registered.sex, gender: registered.gender, contact: registered.contact, nationalId: registered.nationalId },
      sharedDocuments: 0,
      openComments: 0,
    });
    // The practice's own notes are not the patient's to read.
    expect(seen.body.patient).not.toHaveProperty('notes');
    const [event] = await recorded(patient.patientId, 'portal.details_viewed');
    expect(event).toMatchObject({ actorAccountId: patient.accountId, patientId: patient.patientId, resourceId: patient.patientId, outcome: 'success' });
  });

  it('lets the patient correct their contact details; the practice sees the correction, recorded by field name only', async () => {
    const patient = await newPatient();
    const before = (await practitioner.agent.get(`/api/v1/patients/${patient.patientId}`)).body;
    const contact = { email: before.contact.email, phone: '+31 6 87654321', address: { street: 'Keizersgracht 1', postalCode: '1015 CJ', city: 'Amsterdam', country: 'NL' } };
    const changed = await patient.agent.patch('/api/v1/portal/me/contact', contact);
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.patient.contact).toEqual(contact);

    const after = (await practitioner.agent.get(`/api/v1/patients/${patient.patientId}`)).body;
    expect(after.contact).toEqual(contact);
    expect({ ...after, contact: before.contact, updatedAt: before.updatedAt }).toEqual(before);
    // The name's search tokens are kept in step: the practice still finds the patient by name.
    const found = await practitioner.agent.post('/api/v1/patients/search', { q: before.name.family });
    expect(found.body.patients.map((p: { id: string }) => p.id)).toContain(patient.patientId);

    const events = await recorded(patient.patientId, 'portal.contact_updated');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorAccountId: patient.accountId, changedFields: ['contact.phone', 'contact.address'] });
    expect(JSON.stringify(events)).not.toContain('87654321');
    expect(JSON.stringify(events)).not.toContain('Keizersgracht');

    // The same details again change and record nothing.
    expect((await patient.agent.patch('/api/v1/portal/me/contact', contact)).status).toBe(200);
    expect(await recorded(patient.patientId, 'portal.contact_updated')).toHaveLength(1);
  });

  it('changes nothing but the contact details (400 VALIDATION_FAILED for anything else)', async () => {
    const patient = await newPatient();
    expectError(await patient.agent.patch('/api/v1/portal/me/contact', { phone: '+31 6 11111111', notes: 'mine now' }), 400, 'VALIDATION_FAILED');
    expectError(await patient.agent.patch('/api/v1/portal/me/contact', { email: 'not an address' }), 400, 'VALIDATION_FAILED');
    expect((await practitioner.agent.get(`/api/v1/patients/${patient.patientId}`)).body.contact.phone).not.toBe('+31 6 11111111');
  });
});

describe('my documents', () => {
  it('lists only documents the practice shared and did not mark entered in error, and downloads the same bytes', async () => {
    const patient = await newPatient();
    const shared = await document(patient.patientId, 'Discharge letter', { shared: true });
    const unshared = await document(patient.patientId, 'Internal note', { shared: false });
    const withdrawn = await document(patient.patientId, 'Wrong letter', { shared: true });
    expect((await practitioner.agent.post(`/api/v1/patients/${patient.patientId}/entries/${withdrawn.entryId}/entered-in-error`, { reason: 'Wrong patient' })).status).toBe(200);

    const list = await patient.agent.get('/api/v1/portal/documents');
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.documents).toEqual([
      { id: shared.id, title: 'Discharge letter', description: 'About Discharge letter', name: 'Discharge letter.pdf', contentType: 'application/pdf', sizeBytes: shared.content.length, createdAt: expect.any(String), sharedAt: expect.any(String) },
    ]);
    expect((await patient.agent.get('/api/v1/portal/me')).body.sharedDocuments).toBe(1);
    expect(await recorded(patient.patientId, 'document.list_viewed')).toEqual([expect.objectContaining({ actorAccountId: patient.accountId, actorRole: 'patient', resourceId: patient.patientId, outcome: 'success' })]);

    const download = await patient.agent.get(`/api/v1/portal/documents/${shared.id}/content`);
    expect(download.status).toBe(200);
    expect(download.body).toBe(shared.content.toString('latin1'));
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="Discharge letter.pdf"/);
    expect(download.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(await recorded(patient.patientId, 'document.downloaded')).toEqual([expect.objectContaining({ actorAccountId: patient.accountId, resourceId: shared.id })]);

    expectError(await patient.agent.get(`/api/v1/portal/documents/${unshared.id}/content`), 404, 'DOCUMENT_NOT_FOUND');
    expectError(await patient.agent.get(`/api/v1/portal/documents/${withdrawn.id}/content`), 404, 'DOCUMENT_NOT_FOUND');
    expectError(await patient.agent.get(`/api/v1/portal/documents/${crypto.randomUUID()}/content`), 404, 'DOCUMENT_NOT_FOUND');
    expect(await recorded(patient.patientId, 'document.downloaded')).toHaveLength(1);

    // Unsharing takes it away again.
    expect((await practitioner.agent.put(`/api/v1/patients/${patient.patientId}/documents/${shared.id}/sharing`, { shared: false })).status).toBe(200);
    expect((await patient.agent.get('/api/v1/portal/documents')).body.documents).toEqual([]);
    expectError(await patient.agent.get(`/api/v1/portal/documents/${shared.id}/content`), 404, 'DOCUMENT_NOT_FOUND');
  });
});

describe('comments and correction requests', () => {
  it('goes from the patient to the care team and back: the practice answers, the patient reads the answer', async () => {
    const patient = await newPatient();
    const letter = await document(patient.patientId, 'Referral', { shared: true });
    const text = 'My date of birth in this letter is wrong.';
    const sent = await patient.agent.post('/api/v1/portal/comments', { kind: 'correction_request', documentId: letter.id, text });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body).toEqual({ id: expect.any(String), kind: 'correction_request', documentId: letter.id, documentTitle: 'Referral', text, createdAt: expect.any(String), status: 'open', resolvedAt: null, resolvedBy: null, resolution: null });
    // Newest first: the second comment a minute later (the test clock stands still otherwise).
    h.clock.advance(60_000);
    const general = await patient.agent.post('/api/v1/portal/comments', { kind: 'comment', text: 'Thank you for the quick appointment.' });
    expect(general.status).toBe(201);
    expect(general.body).toMatchObject({ documentId: null, documentTitle: null });
    expect((await patient.agent.get('/api/v1/portal/me')).body.openComments).toBe(2);
    const added = await recorded(patient.patientId, 'portal.comment_added');
    expect(added.map((event) => event.reason)).toEqual(['correction_request', 'comment']);
    expect(JSON.stringify(added)).not.toContain('date of birth');

    const practiceView = await practitioner.agent.get(`/api/v1/patients/${patient.patientId}/comments`);
    expect(practiceView.status).toBe(200);
    expect(practiceView.body.comments).toEqual([general.body, sent.body]);
    expect(await recorded(patient.patientId, 'comment.list_viewed')).toEqual([expect.objectContaining({ actorAccountId: practitioner.accountId })]);

    const answer = 'Corrected in the letter; a new version is shared with you.';
    const resolved = await practitioner.agent.post(`/api/v1/patients/${patient.patientId}/comments/${sent.body.id}/resolve`, { resolution: answer });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body).toMatchObject({ id: sent.body.id, status: 'resolved', resolution: answer, resolvedAt: expect.any(String), resolvedBy: { accountId: practitioner.accountId, name: expect.any(String) } });
    expect(await recorded(patient.patientId, 'comment.resolved')).toEqual([expect.objectContaining({ actorAccountId: practitioner.accountId, resourceId: sent.body.id })]);
    // The first answer stands: a second one changes and records nothing.
    const again = await practitioner.agent.post(`/api/v1/patients/${patient.patientId}/comments/${sent.body.id}/resolve`, { resolution: 'Something else' });
    expect(again.body).toEqual(resolved.body);
    expect(await recorded(patient.patientId, 'comment.resolved')).toHaveLength(1);

    const mine = await patient.agent.get('/api/v1/portal/comments');
    expect(mine.status).toBe(200);
    expect(mine.body.comments).toEqual([general.body, resolved.body]);
    // The patient's reading is in the practice's trail too (never in their own access log).
    expect((await recorded(patient.patientId, 'comment.list_viewed')).map((event) => event.actorAccountId)).toEqual([practitioner.accountId, patient.accountId]);
    expect((await patient.agent.get('/api/v1/portal/me')).body.openComments).toBe(1);
  });

  it('takes a document only if the practice shared it with this patient (404 DOCUMENT_NOT_FOUND), and text only within limits', async () => {
    const patient = await newPatient();
    const unshared = await document(patient.patientId, 'Private', { shared: false });
    expectError(await patient.agent.post('/api/v1/portal/comments', { kind: 'comment', documentId: unshared.id, text: 'About this one' }), 404, 'DOCUMENT_NOT_FOUND');
    expectError(await patient.agent.post('/api/v1/portal/comments', { kind: 'comment', documentId: crypto.randomUUID(), text: 'About this one' }), 404, 'DOCUMENT_NOT_FOUND');
    expectError(await patient.agent.post('/api/v1/portal/comments', { kind: 'comment', text: '   ' }), 400, 'VALIDATION_FAILED');
    expectError(await patient.agent.post('/api/v1/portal/comments', { kind: 'complaint', text: 'x' }), 400, 'VALIDATION_FAILED');
    expectError(await patient.agent.post('/api/v1/portal/comments', { kind: 'comment', text: 'x'.repeat(4001) }), 400, 'VALIDATION_FAILED');
    expect((await patient.agent.get('/api/v1/portal/comments')).body.comments).toEqual([]);
  });

  it('is read and answered by the practice under the dossier rules: not by an assistant (403), not outside the care team (403 CARE_TEAM_REQUIRED), 404 for an unknown comment', async () => {
    const patient = await newPatient();
    const sent = await patient.agent.post('/api/v1/portal/comments', { kind: 'comment', text: 'Please call me back.' });
    const base = `/api/v1/patients/${patient.patientId}/comments`;
    expectError(await assistant.agent.get(base), 403, 'FORBIDDEN');
    expectError(await assistant.agent.post(`${base}/${sent.body.id}/resolve`, { resolution: 'Done' }), 403, 'FORBIDDEN');
    const outsider = await addMember(h, org, 'practitioner');
    expectError(await outsider.agent.get(base), 403, 'CARE_TEAM_REQUIRED');
    expectError(await outsider.agent.post(`${base}/${sent.body.id}/resolve`, { resolution: 'Done' }), 403, 'CARE_TEAM_REQUIRED');
    expectError(await practitioner.agent.post(`${base}/${crypto.randomUUID()}/resolve`, { resolution: 'Done' }), 404, 'COMMENT_NOT_FOUND');
    expectError(await practitioner.agent.post(`${base}/${sent.body.id}/resolve`, { resolution: '' }), 400, 'VALIDATION_FAILED');
    expect((await patient.agent.get('/api/v1/portal/comments')).body.comments[0]).toMatchObject({ status: 'open', resolution: null });
  });
});
