import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, createTestPatient, strongPassword, unique, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';

/*
 * Inviting a patient to the portal: the only way a patient account comes to be. The practice
 * sends a single-use link (7 days) to the patient's address; the patient sets a password (or
 * proves an existing account); every step is recorded with the patient's id.
 */

const day = 24 * 3600_000;
let h: TestHarness;
let org: TestOrganisation;
let assistant: TestPerson;
beforeAll(async () => {
  h = await createHarness();
  org = await createTestOrganisation(h);
  assistant = await addMember(h, org, 'assistant');
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

async function newPatient() {
  const email = `patient-${unique()}@example.org`;
  const { id } = await createTestPatient(assistant, { contact: { email } });
  return { id, email };
}

describe('inviting a patient', () => {
  it("mails a single-use link to the patient's address and shows the invitation as pending", async () => {
    const patient = await newPatient();
    const sent = await assistant.agent.post(`/api/v1/patients/${patient.id}/invitation`, { locale: 'nl' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body).toMatchObject({ account: null, invitation: { email: patient.email } });
    const mail = h.mailer.last(patient.email, 'patient_invitation');
    expect(mail?.subject).toContain('patiëntenportaal');
    expect(mail?.text).toContain('/accept-patient-invitation#token=');
    expect((await assistant.agent.get(`/api/v1/patients/${patient.id}/portal`)).body.invitation.email).toBe(patient.email);
    const events = (await org.owner.agent.get(`/api/v1/audit-events?patient=${patient.id}&action=patient.invited`)).body.events;
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(patient.email);
  });

  it('refuses a second invitation while one is pending (409), and sends a new one after revoking', async () => {
    const patient = await newPatient();
    expect((await assistant.agent.post(`/api/v1/patients/${patient.id}/invitation`, { locale: 'en' })).status).toBe(201);
    const firstToken = h.mailer.lastToken(patient.email, 'patient_invitation');
    expectError(await assistant.agent.post(`/api/v1/patients/${patient.id}/invitation`, { locale: 'en' }), 409, 'PATIENT_INVITATION_PENDING');
    expect((await assistant.agent.delete(`/api/v1/patients/${patient.id}/invitation`)).status).toBe(204);
    expectError(await new TestAgent(h.app).post('/api/v1/patient-invitations/preview', { token: firstToken }), 400, 'TOKEN_INVALID');
    expect((await assistant.agent.post(`/api/v1/patients/${patient.id}/invitation`, { locale: 'en' })).status).toBe(201);
  });

  it('needs an address: the given one, or else the patient has none (400)', async () => {
    const { id } = await createTestPatient(assistant, { contact: {} });
    const refused = await assistant.agent.post(`/api/v1/patients/${id}/invitation`, { locale: 'en' });
    expectError(refused, 400, 'VALIDATION_FAILED');
    const other = `given-${unique()}@example.org`;
    expect((await assistant.agent.post(`/api/v1/patients/${id}/invitation`, { locale: 'en', email: other })).status).toBe(201);
    expect(h.mailer.last(other, 'patient_invitation')).toBeDefined();
  });

  it("refuses an address that belongs to someone who works in this practice (409 PATIENT_ACCOUNT_CONFLICT)", async () => {
    const { id } = await createTestPatient(assistant, { contact: { email: assistant.email } });
    expectError(await assistant.agent.post(`/api/v1/patients/${id}/invitation`, { locale: 'en' }), 409, 'PATIENT_ACCOUNT_CONFLICT');
  });

  it("answers another practice's patient with 404, as if absent", async () => {
    const other = await createTestOrganisation(h);
    const patient = await newPatient();
    expectError(await other.owner.agent.post(`/api/v1/patients/${patient.id}/invitation`, { locale: 'en' }), 404, 'PATIENT_NOT_FOUND');
    expect((await assistant.agent.get(`/api/v1/patients/${patient.id}/portal`)).body).toEqual({ account: null, invitation: null });
  });
});

describe('accepting an invitation', () => {
  it('creates the patient account once: a new person names the account and sets a password under the practice policy', async () => {
    const patient = await newPatient();
    await assistant.agent.post(`/api/v1/patients/${patient.id}/invitation`, { locale: 'en' });
    const token = h.mailer.lastToken(patient.email, 'patient_invitation');
    const invitee = new TestAgent(h.app);
    const preview = await invitee.post('/api/v1/patient-invitations/preview', { token });
    expect(preview.body).toMatchObject({ organisationName: org.name, email: patient.email, accountExists: false });
    expectError(await invitee.post('/api/v1/patient-invitations/accept', { token, password: strongPassword() }), 400, 'VALIDATION_FAILED');
    expectError(await invitee.post('/api/v1/patient-invitations/accept', { token, password: 'short', name: 'Anna Jansen' }), 400, 'PASSWORD_POLICY_VIOLATION');
    const accepted = await invitee.post('/api/v1/patient-invitations/accept', { token, password: strongPassword(), name: 'Anna Jansen' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expectError(await invitee.post('/api/v1/patient-invitations/accept', { token, password: strongPassword(), name: 'Anna Jansen' }), 400, 'TOKEN_INVALID');

    const status = (await assistant.agent.get(`/api/v1/patients/${patient.id}/portal`)).body;
    expect(status.account).toMatchObject({ status: 'active' });
    expect(status.invitation).toBeNull();
    expectError(await assistant.agent.post(`/api/v1/patients/${patient.id}/invitation`, { locale: 'en' }), 409, 'PATIENT_ALREADY_IN_PORTAL');
    const joined = (await org.owner.agent.get(`/api/v1/audit-events?patient=${patient.id}&action=patient.portal_joined`)).body.events;
    expect(joined).toHaveLength(1);
    expect(joined[0]).toMatchObject({ actorRole: 'patient' });
  });

  it("asks someone who already has a Haven account for that account's password", async () => {
    const elsewhere = await createTestOrganisation(h);
    const { id } = await createTestPatient(assistant, { contact: { email: elsewhere.owner.email } });
    await assistant.agent.post(`/api/v1/patients/${id}/invitation`, { locale: 'en' });
    const token = h.mailer.lastToken(elsewhere.owner.email, 'patient_invitation');
    const invitee = new TestAgent(h.app);
    expect((await invitee.post('/api/v1/patient-invitations/preview', { token })).body.accountExists).toBe(true);
    expectError(await invitee.post('/api/v1/patient-invitations/accept', { token, password: 'not the right one at all' }), 401, 'AUTH_INVALID_CREDENTIALS');
    expect((await invitee.post('/api/v1/patient-invitations/accept', { token, password: elsewhere.owner.password })).status).toBe(200);
  });

  // Last: moving the clock a week on ends every session of this file.
  it('expires after 7 days (still valid a minute before)', async () => {
    const patient = await newPatient();
    await assistant.agent.post(`/api/v1/patients/${patient.id}/invitation`, { locale: 'en' });
    const token = h.mailer.lastToken(patient.email, 'patient_invitation');
    h.clock.advance(7 * day - 60_000);
    expect((await new TestAgent(h.app).post('/api/v1/patient-invitations/preview', { token })).status).toBe(200);
    h.clock.advance(2 * 60_000);
    expectError(await new TestAgent(h.app).post('/api/v1/patient-invitations/accept', { token, password: strongPassword(), name: 'Late' }), 400, 'TOKEN_INVALID');
  });
});
