import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, createTestPatient, patientBody, testBsn, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';

/*
 * Patients through the API: registration by the practice (validated, sealed, indexed, the creator
 * in the care team), reading and changing the details (each recorded with the patient's id and
 * field names only), and the wall between practices.
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

async function audit(query: string) {
  const page = await org.owner.agent.get(`/api/v1/audit-events?${query}&limit=200`);
  expect(page.status).toBe(200);
  return page.body.events as Array<{ action: string; actorAccountId: string; patientId: string | null; resourceId: string | null; changedFields: string[]; reason: string | null }>;
}

describe('registering a patient', () => {
  it('stores what the practice typed and gives it back, with the identifier normalised', async () => {
    const bsn = testBsn();
    const body = patientBody({ nationalId: { kind: 'bsn', value: `${bsn.slice(0, 4)}.${bsn.slice(4, 6)} ${bsn.slice(6)}` }, gender: 'non-binary', notes: 'Prefers afternoon appointments' });
    const created = await practitioner.agent.post('/api/v1/patients', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ name: body.name, birthDate: '1980-04-12', sex: 'female', gender: 'non-binary', notes: 'Prefers afternoon appointments', nationalId: { kind: 'bsn', value: bsn }, status: 'active' });
    const read = await practitioner.agent.get(`/api/v1/patients/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('records the creation and puts a practitioner who creates a patient into the care team', async () => {
    const { id } = await createTestPatient(practitioner);
    const events = await audit(`patient=${id}`);
    expect(events.map((event) => event.action).sort()).toEqual(['care_team.member_added', 'patient.created']);
    expect(events.find((event) => event.action === 'care_team.member_added')).toMatchObject({ actorAccountId: practitioner.accountId, resourceId: practitioner.membershipId, reason: 'creator' });
  });

  it("lets an assistant register patients without joining a care team (assistants read no dossiers)", async () => {
    const { id } = await createTestPatient(assistant);
    const events = await audit(`patient=${id}`);
    expect(events.map((event) => event.action)).toEqual(['patient.created']);
  });

  it('refuses a national identifier with a wrong check digit, naming the field (400)', async () => {
    const bsn = testBsn();
    const wrong = bsn.slice(0, 8) + String((Number(bsn[8]) + 1) % 10);
    const response = await practitioner.agent.post('/api/v1/patients', patientBody({ nationalId: { kind: 'bsn', value: wrong } }));
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(response.body.error.fields)).toContain('nationalId');
    expect(JSON.stringify(response.body)).not.toContain(wrong);
  });

  it('refuses a birth date in the future and an unknown field (400), and stores nothing', async () => {
    const before = await org.owner.agent.get('/api/v1/patients');
    const tomorrow = new Date(h.clock.now().getTime() + 86_400_000).toISOString().slice(0, 10);
    const future = await practitioner.agent.post('/api/v1/patients', patientBody({ birthDate: tomorrow }));
    expectError(future, 400, 'VALIDATION_FAILED');
    expect(future.body.error.fields).toEqual([{ path: 'birthDate', issue: 'in_future' }]);
    expectError(await practitioner.agent.post('/api/v1/patients', { ...patientBody(), diagnosis: 'x' }), 400, 'VALIDATION_FAILED');
    const after = await org.owner.agent.get('/api/v1/patients');
    expect(after.body.patients.map((p: { id: string }) => p.id)).toEqual(before.body.patients.map((p: { id: string }) => p.id));
  });

  it('refuses a second patient with the same identifier however it is typed (409 PATIENT_ALREADY_EXISTS)', async () => {
    const bsn = testBsn();
    await createTestPatient(practitioner, { nationalId: { kind: 'bsn', value: bsn } });
    expectError(await assistant.agent.post('/api/v1/patients', patientBody({ nationalId: { kind: 'bsn', value: ` ${bsn.slice(0, 3)} ${bsn.slice(3)} ` } })), 409, 'PATIENT_ALREADY_EXISTS');
  });
});

describe('reading and changing details', () => {
  it('records each reading with the patient id, and a change with the names of the changed fields only', async () => {
    const { id, body } = await createTestPatient(practitioner);
    expect((await assistant.agent.get(`/api/v1/patients/${id}`)).status).toBe(200);
    const changed = await assistant.agent.patch(`/api/v1/patients/${id}`, { contact: { phone: '+31 6 87654321' }, notes: 'Call first' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.contact).toEqual({ phone: '+31 6 87654321' });
    expect(changed.body.name).toEqual(body.name);

    const viewed = await audit(`patient=${id}&action=patient.viewed`);
    expect(viewed).toHaveLength(1);
    expect(viewed[0]).toMatchObject({ actorAccountId: assistant.accountId, resourceId: id });
    const [update] = await audit(`patient=${id}&action=patient.updated`);
    expect(update!.changedFields.sort()).toEqual(['contact', 'notes']);
    expect(JSON.stringify(update)).not.toContain('87654321');
  });

  it('removes an identifier with null and frees it for another patient', async () => {
    const bsn = testBsn();
    const { id } = await createTestPatient(practitioner, { nationalId: { kind: 'bsn', value: bsn } });
    const cleared = await practitioner.agent.patch(`/api/v1/patients/${id}`, { nationalId: null, gender: null });
    expect(cleared.body).toMatchObject({ nationalId: null, gender: null });
    await createTestPatient(practitioner, { nationalId: { kind: 'bsn', value: bsn } });
    expectError(await practitioner.agent.patch(`/api/v1/patients/${id}`, { nationalId: { kind: 'bsn', value: bsn } }), 409, 'PATIENT_ALREADY_EXISTS');
  });

  it('answers 404 PATIENT_NOT_FOUND for an id that names no patient', async () => {
    expectError(await practitioner.agent.get('/api/v1/patients/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f'), 404, 'PATIENT_NOT_FOUND');
    expectError(await practitioner.agent.patch('/api/v1/patients/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f', { notes: 'x' }), 404, 'PATIENT_NOT_FOUND');
  });
});

describe('across practices', () => {
  it("shows another practice's patient as absent: the same 404 as a made-up id, and the row unchanged", async () => {
    const other = await createTestOrganisation(h);
    const { id, body } = await createTestPatient(practitioner);
    const real = await other.owner.agent.get(`/api/v1/patients/${id}`);
    const madeUp = await other.owner.agent.get('/api/v1/patients/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f');
    expectError(real, 404, 'PATIENT_NOT_FOUND');
    expect({ ...real.body.error, requestId: '' }).toEqual({ ...madeUp.body.error, requestId: '' });
    expectError(await other.owner.agent.patch(`/api/v1/patients/${id}`, { name: { family: 'Changed', given: 'By B' } }), 404, 'PATIENT_NOT_FOUND');
    expect((await practitioner.agent.get(`/api/v1/patients/${id}`)).body.name).toEqual(body.name);

    const search = await other.owner.agent.post('/api/v1/patients/search', { q: body.name.family });
    expect(search.body.patients).toEqual([]);
    const list = await other.owner.agent.get('/api/v1/patients');
    expect(list.body.patients.map((p: { id: string }) => p.id)).not.toContain(id);
  });
});
