import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../core/db/database.ts';
import type { TestAgent, TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { signInPatient, type TestPatient } from '../../../test/support/patient-fixtures.ts';
import { samplePdf } from '../../../test/support/sample-files.ts';

/*
 * The portal's walls (design §5): a patient sees only themself — not another patient of the same
 * practice, even by a real id, and nothing at all of another practice — and staff cannot use the
 * portal. Besides the services' own checks, row-level security's `portal_self` policy holds a
 * patient's transaction to the patient's own rows; the last test proves that wall directly.
 */

let h: TestHarness;
let x: TestOrganisation;
let y: TestOrganisation;
let practitionerX: TestPerson;
let practitionerY: TestPerson;
let a: TestPatient;
let b: TestPatient;
let c: TestPatient;
let docA: string;
let docB: string;
let docC: string;
let commentB: string;
beforeAll(async () => {
  h = await createHarness();
  x = await createTestOrganisation(h);
  y = await createTestOrganisation(h);
  practitionerX = await addMember(h, x, 'practitioner');
  practitionerY = await addMember(h, y, 'practitioner');
  a = await signInPatient(h, x, { by: practitionerX });
  b = await signInPatient(h, x, { by: practitionerX });
  c = await signInPatient(h, y, { by: practitionerY });
  docA = await sharedDocument(practitionerX, a.patientId, 'Letter A');
  docB = await sharedDocument(practitionerX, b.patientId, 'Letter B');
  docC = await sharedDocument(practitionerY, c.patientId, 'Letter C');
  const sent = await b.agent.post('/api/v1/portal/comments', { kind: 'comment', documentId: docB, text: 'Only B wrote this' });
  expect(sent.status).toBe(201);
  commentB = sent.body.id;
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

async function sharedDocument(by: TestPerson, patientId: string, title: string): Promise<string> {
  const boundary = `----haven-test-${randomBytes(8).toString('hex')}`;
  const rawBody = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n${title}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${title}.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
    samplePdf(title),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const uploaded = await by.agent.request('POST', `/api/v1/patients/${patientId}/documents`, undefined, { rawBody, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
  expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
  expect((await by.agent.put(`/api/v1/patients/${patientId}/documents/${uploaded.body.id}/sharing`, { shared: true })).status).toBe(200);
  return uploaded.body.id;
}

/** Everything the portal shows a patient, as one string to search for another's traces. */
async function everythingSeenBy(agent: TestAgent): Promise<string> {
  const seen = await Promise.all(['/api/v1/portal/me', '/api/v1/portal/documents', '/api/v1/portal/comments', '/api/v1/portal/access-log'].map((url) => agent.get(url)));
  for (const response of seen) expect(response.status).toBe(200);
  return JSON.stringify(seen.map((response) => response.body));
}

describe('one patient and another of the same practice', () => {
  it("cannot download the other's document or comment on it, by its real id (404 DOCUMENT_NOT_FOUND, like a made-up id)", async () => {
    expectError(await a.agent.get(`/api/v1/portal/documents/${docB}/content`), 404, 'DOCUMENT_NOT_FOUND');
    expectError(await a.agent.post('/api/v1/portal/comments', { kind: 'comment', documentId: docB, text: 'Mine now?' }), 404, 'DOCUMENT_NOT_FOUND');
    expect((await a.agent.get(`/api/v1/portal/documents/${docA}/content`)).status).toBe(200);
  });

  it("sees none of the other's documents, comments, details or accesses anywhere in the portal", async () => {
    const seenByA = await everythingSeenBy(a.agent);
    for (const trace of [b.patientId, docB, commentB, 'Letter B', 'Only B wrote this', b.email]) expect(seenByA).not.toContain(trace);
    const seenByB = await everythingSeenBy(b.agent);
    expect(seenByB).toContain(commentB);
    expect(seenByB).not.toContain(docA);
  });

  it("cannot reach the other's record through the practice's routes either (403: patients are not staff)", async () => {
    for (const url of [`/api/v1/patients/${b.patientId}`, `/api/v1/patients/${b.patientId}/comments`, `/api/v1/patients/${b.patientId}/documents/${docB}/content`, `/api/v1/patients/${a.patientId}/dossier`]) {
      expectError(await a.agent.get(url), 403, 'FORBIDDEN');
    }
    expectError(await a.agent.post(`/api/v1/patients/${b.patientId}/comments/${commentB}/resolve`, { resolution: 'Closed by A' }), 403, 'FORBIDDEN');
    expect((await practitionerX.agent.get(`/api/v1/patients/${b.patientId}/comments`)).body.comments).toEqual([expect.objectContaining({ id: commentB, status: 'open' })]);
  });

  it("leaves the other's details alone when one corrects their own", async () => {
    const before = (await practitionerX.agent.get(`/api/v1/patients/${b.patientId}`)).body;
    expect((await a.agent.patch('/api/v1/portal/me/contact', { phone: '+31 6 22222222' })).status).toBe(200);
    expect((await practitionerX.agent.get(`/api/v1/patients/${b.patientId}`)).body).toEqual(before);
    expect((await practitionerX.agent.get(`/api/v1/patients/${a.patientId}`)).body.contact).toEqual({ phone: '+31 6 22222222' });
  });
});

describe('a patient of one practice and another practice', () => {
  it('finds nothing of the other practice: its document is 404, and the portal shows only their own practice', async () => {
    expectError(await a.agent.get(`/api/v1/portal/documents/${docC}/content`), 404, 'DOCUMENT_NOT_FOUND');
    expectError(await a.agent.post('/api/v1/portal/comments', { kind: 'comment', documentId: docC, text: 'Hello?' }), 404, 'DOCUMENT_NOT_FOUND');
    expect((await a.agent.get('/api/v1/portal/me')).body.organisation).toEqual({ id: x.orgId, name: x.name });
    const seenByA = await everythingSeenBy(a.agent);
    for (const trace of [y.orgId, y.name, c.patientId, docC, 'Letter C']) expect(seenByA).not.toContain(trace);
    expectError(await a.agent.get(`/api/v1/patients/${c.patientId}`), 403, 'FORBIDDEN');
  });
});

describe('staff and the portal', () => {
  const portalCalls: Array<[string, string, unknown?]> = [
    ['GET', '/api/v1/portal/me'],
    ['PATCH', '/api/v1/portal/me/contact', { phone: '+31 6 33333333' }],
    ['GET', '/api/v1/portal/documents'],
    ['GET', '/api/v1/portal/documents/:doc/content'],
    ['GET', '/api/v1/portal/comments'],
    ['POST', '/api/v1/portal/comments', { kind: 'comment', text: 'Staff pretending' }],
    ['GET', '/api/v1/portal/access-log'],
  ];

  it('are refused every portal route (403 FORBIDDEN), the owner and the care team alike', async () => {
    for (const person of [x.owner, practitionerX]) {
      for (const [method, url, body] of portalCalls) {
        expectError(await person.agent.request(method as 'GET', url.replace(':doc', docA), body), 403, 'FORBIDDEN');
      }
    }
    expect((await a.agent.get('/api/v1/portal/comments')).body.comments).toEqual([]);
  });
});

describe('the row-level-security wall', () => {
  it("shows a patient's transaction nothing of another patient, whatever it asks for", async () => {
    const rowsOf = (patientId: string) =>
      h.db.tenant(
        x.orgId,
        async (tx) => ({
          patients: await queryRows<{ id: string }>(tx, sql`select id from patients where id = ${b.patientId}::uuid`),
          documents: await queryRows<{ id: string }>(tx, sql`select id from patient_documents where id = ${docB}::uuid`),
          comments: await queryRows<{ id: string }>(tx, sql`select id from patient_comments where id = ${commentB}::uuid`),
          audit: await queryRows<{ id: string }>(tx, sql`select id from audit_events where patient_id = ${b.patientId}::uuid`),
          keys: await queryRows<{ patient_id: string }>(tx, sql`select patient_id from patient_keys where patient_id = ${b.patientId}::uuid`),
        }),
        { patientId },
      );
    expect(await rowsOf(a.patientId)).toEqual({ patients: [], documents: [], comments: [], audit: [], keys: [] });
    const own = await rowsOf(b.patientId);
    for (const rows of Object.values(own)) expect(rows.length).toBeGreaterThan(0);
  });
});
