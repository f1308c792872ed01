import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, freshTotpCode, signIn, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { signInPatient } from '../../../test/support/patient-fixtures.ts';
import { shredPatientKey } from '../../core/crypto/erasure.ts';
import { patientAccounts } from '../../core/db/schema.ts';

/*
 * Patients sign in (issue 5 §7.1, increment 13): a portal account is listed as a practice beside
 * staff memberships, the practice's *patient* factor rules apply to it, its network allowlist
 * does not, and the session's principal is the patient — refused on every staff route.
 */

const policyUrl = '/api/v1/organisation/security-policy';
let h: TestHarness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.error?.code }, JSON.stringify(response.body)).toEqual({ status, code });
}

/** The owner, freshly signed in (a fresh second factor also counts as step-up for policy changes). */
async function ownerAgent(org: TestOrganisation): Promise<TestAgent> {
  const { agent, login } = await signIn(h, org.owner, { organisationId: org.orgId });
  expect(login.body.status).toBe('authenticated');
  return agent;
}

async function setPolicy(org: TestOrganisation, changes: Record<string, unknown>): Promise<void> {
  const owner = await ownerAgent(org);
  const current = (await owner.get(policyUrl)).body;
  const saved = await owner.put(policyUrl, { ...current, ...changes });
  expect(saved.status, JSON.stringify(saved.body)).toBe(200);
}

const loginAs = (patient: { email: string; password: string }, organisationId?: string) =>
  new TestAgent(h.app).post('/api/v1/auth/login', { email: patient.email, password: patient.password, ...(organisationId ? { organisationId } : {}) });

describe('a patient signs in', () => {
  let org: TestOrganisation;
  beforeAll(async () => {
    org = await createTestOrganisation(h);
  });

  it("opens the portal: Me says kind 'patient', role 'patient', which patient, and no permissions", async () => {
    const patient = await signInPatient(h, org);
    const me = await patient.agent.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.organisation).toEqual({ id: org.orgId, name: org.name, kind: 'patient', role: 'patient', roleName: null, patientId: patient.patientId, permissions: [] });
    expect(me.body.organisations).toEqual([{ id: org.orgId, name: org.name, kind: 'patient', role: 'patient', roleName: null }]);
    // The only practice: no choice to make, signed straight in.
    const again = await loginAs(patient);
    expect(again.body.status).toBe('authenticated');
    expect(again.body.me.organisation.kind).toBe('patient');
    // Account routes serve patients as they are.
    expect((await patient.agent.get('/api/v1/sessions')).status).toBe(200);
    expect((await patient.agent.get('/api/v1/me/security')).status).toBe(200);
  });

  it("follows the patients' second-factor rule, not the staff's: off by default though staff must use one", async () => {
    expect((await (await ownerAgent(org)).get(policyUrl)).body).toMatchObject({ secondFactorRequired: true, patientSecondFactorRequired: false });
    const patient = await signInPatient(h, org);
    expect(patient.totpSecret).toBeNull();
    expect((await loginAs(patient, org.orgId)).body.status).toBe('authenticated');
  });

  it('refuses a patient every staff route (403 FORBIDDEN), audited with actor role patient', async () => {
    const patient = await signInPatient(h, org);
    expectError(await patient.agent.get('/api/v1/organisation'), 403, 'FORBIDDEN');
    expectError(await patient.agent.get(`/api/v1/patients/${patient.patientId}`), 403, 'FORBIDDEN');
    expectError(await patient.agent.get(`/api/v1/patients/${patient.patientId}/dossier`), 403, 'FORBIDDEN');
    expectError(await patient.agent.post('/api/v1/patients/search', { q: 'Jansen' }), 403, 'FORBIDDEN');
    const events = (await (await ownerAgent(org)).get(`/api/v1/audit-events?action=access.denied&actor=${patient.accountId}`)).body.events;
    expect(events).toHaveLength(4);
    for (const event of events) expect(event).toMatchObject({ outcome: 'denied', resourceType: 'route', actorRole: 'patient' });
  });

  it('cannot sign in to the practice once the portal account is deactivated; an open session loses the practice at once', async () => {
    const patient = await signInPatient(h, org);
    await h.db.tenant(org.orgId, (tx) =>
      tx.update(patientAccounts).set({ status: 'deactivated', deactivatedAt: h.clock.now() }).where(and(eq(patientAccounts.orgId, org.orgId), eq(patientAccounts.patientId, patient.patientId))),
    );
    const me = await patient.agent.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.organisation).toBeNull();
    expect(me.body.organisations).toEqual([]);
    expectError(await loginAs(patient, org.orgId), 403, 'FORBIDDEN');
  });

  it('cannot sign in once the patient is erased (the erasure deactivates the portal account)', async () => {
    const patient = await signInPatient(h, org);
    expect(await shredPatientKey(h.services, { orgId: org.orgId, patientId: patient.patientId, reason: 'patient asked for erasure' })).toBe(true);
    expect((await patient.agent.get('/api/v1/me')).body.organisation).toBeNull();
    expectError(await loginAs(patient, org.orgId), 403, 'FORBIDDEN');
  });
});

describe("the practice's rules for patients", () => {
  it('requires a second factor of patients when the practice turns it on (an audited policy change)', async () => {
    const org = await createTestOrganisation(h);
    await setPolicy(org, { patientSecondFactorRequired: true });
    const owner = await ownerAgent(org);
    expect((await owner.get(policyUrl)).body.patientSecondFactorRequired).toBe(true);
    const changes = (await owner.get('/api/v1/audit-events?action=policy.changed')).body.events;
    expect(changes.map((event: { changedFields: string[] }) => event.changedFields)).toContainEqual(['patientSecondFactorRequired']);

    // The fixture had to set up an authenticator app at the first sign-in; the next asks for it.
    const patient = await signInPatient(h, org);
    expect(patient.totpSecret).not.toBeNull();
    const login = await loginAs(patient, org.orgId);
    expect(login.body.status).toBe('second_factor_required');
    // And the patients' factor list decides what a patient may set up: e-mail codes are off by default.
    expectError(await patient.agent.post('/api/v1/me/email-code/setup'), 409, 'FACTOR_NOT_ALLOWED');
  });

  it("does not hold patients to the practice's network allowlist (they sign in from home)", async () => {
    const org = await createTestOrganisation(h);
    const patient = await signInPatient(h, org);
    // The practice's staff may only work from 192.0.2.0/24; the tests' browsers come from 127.0.0.1.
    const owner = await ownerAgent(org);
    const current = (await owner.get(policyUrl)).body;
    expect((await owner.put(policyUrl, { ...current, ipAllowlist: ['192.0.2.0/24'], acknowledgeOwnAddressExcluded: true })).status).toBe(200);
    expectError(await owner.get('/api/v1/organisation'), 403, 'IP_NOT_ALLOWED');

    // The patient's open session goes on, and a new sign-in from the same address succeeds.
    const me = await patient.agent.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.organisation).toMatchObject({ id: org.orgId, kind: 'patient' });
    const login = await loginAs(patient, org.orgId);
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body.status).toBe('authenticated');
  });

  it('gives staff the staff role where a person is both (the invitation refuses it, a later staff invitation does not)', async () => {
    const org = await createTestOrganisation(h);
    const patient = await signInPatient(h, org);
    const owner = await ownerAgent(org);
    expect((await owner.post('/api/v1/invitations', { email: patient.email, role: 'assistant' })).status).toBe(201);
    const accepted = await new TestAgent(h.app).post('/api/v1/invitations/accept', { token: h.mailer.lastToken(patient.email, 'invitation'), password: patient.password });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    const login = await loginAs(patient, org.orgId);
    // Staff of this practice must use a second factor: the assistant sets one up first.
    expect(login.body.me.organisations).toEqual([expect.objectContaining({ id: org.orgId, kind: 'staff', role: 'assistant' })]);
  });
});

describe('a person who is staff in one practice and a patient in another', () => {
  it('sees both practices and gets the right principal in each', async () => {
    const a = await createTestOrganisation(h);
    const b = await createTestOrganisation(h);
    const person = await addMember(h, a, 'practitioner');
    const patient = await signInPatient(h, b, { account: person });
    expect(patient.accountId).toBe(person.accountId);

    const agent = new TestAgent(h.app);
    const first = await agent.post('/api/v1/auth/login', { email: person.email, password: person.password });
    expect(first.body.status).toBe('second_factor_required');
    const login = await agent.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, person.totpSecret!) });
    expect(login.body.status).toBe('choose_organisation');
    const choices = login.body.me.organisations as Array<{ id: string; kind: string; role: string }>;
    expect(choices.map(({ id, kind, role }) => ({ id, kind, role })).sort((x, y) => x.kind.localeCompare(y.kind))).toEqual([
      { id: b.orgId, kind: 'patient', role: 'patient' },
      { id: a.orgId, kind: 'staff', role: 'practitioner' },
    ]);

    const inA = await agent.post('/api/v1/auth/select-organisation', { organisationId: a.orgId });
    expect(inA.status).toBe(200);
    expect(inA.body.me.organisation).toMatchObject({ id: a.orgId, kind: 'staff', role: 'practitioner', patientId: null });
    expect((await agent.get('/api/v1/organisation')).status).toBe(200);

    const inB = await agent.post('/api/v1/auth/select-organisation', { organisationId: b.orgId });
    expect(inB.status).toBe(200);
    expect(inB.body.me.organisation).toMatchObject({ id: b.orgId, kind: 'patient', role: 'patient', patientId: patient.patientId, permissions: [] });
    expectError(await agent.get('/api/v1/organisation'), 403, 'FORBIDDEN');
    // B's staff records the refusal with the patient's role; A records nothing of it.
    const inBRecords = (await (await ownerAgent(b)).get(`/api/v1/audit-events?action=access.denied&actor=${person.accountId}`)).body.events;
    expect(inBRecords).toMatchObject([{ actorRole: 'patient' }]);
    expect((await (await ownerAgent(a)).get(`/api/v1/audit-events?action=access.denied&actor=${person.accountId}`)).body.events).toEqual([]);
  });
});
