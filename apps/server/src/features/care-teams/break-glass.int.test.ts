import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { loadPatientFacts } from '../../core/authz/authorize.ts';
import { dossierPolicy, patientPolicy } from '../../core/authz/policies.ts';
import { permissionsOfRole } from '../../core/authz/role-permissions.ts';
import type { Principal } from '../../core/context.ts';
import { breakGlassGrants } from '../../core/db/schema.ts';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, createTestPatient, signIn, strongPassword, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';

/*
 * Break-the-glass: emergency access outside the care team. It needs a recent proof with the
 * strongest factor, lasts the practice's minutes, ends early on request, reaches only the one
 * patient, is recorded with its reason code (the free text stays sealed) and tells the care
 * team by e-mail without naming the patient or the reason.
 */

let h: TestHarness;
let org: TestOrganisation;
let treating: TestPerson;
let outsider: TestPerson;
let assistant: TestPerson;
beforeAll(async () => {
  h = await createHarness();
  org = await createTestOrganisation(h);
  treating = await addMember(h, org, 'practitioner');
  outsider = await addMember(h, org, 'practitioner');
  assistant = await addMember(h, org, 'assistant');
});
afterAll(() => h.close());
// The clock moves in these tests: the people who set things up get a fresh sign-in each time.
beforeEach(async () => {
  org.owner.agent = await fresh(org.owner);
  treating.agent = await fresh(treating);
});

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

const glassUrl = (patientId: string) => `/api/v1/patients/${patientId}/break-glass`;
const minutes = (n: number) => n * 60_000;

/** A browser of `person` signed in just now (the clock moves in these tests; sessions idle out and step-up goes stale). */
async function fresh(person: TestPerson): Promise<TestAgent> {
  const { agent, login } = await signIn(h, person, { organisationId: org.orgId });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  return agent;
}

async function audit(query: string) {
  const page = await (await fresh(org.owner)).get(`/api/v1/audit-events?${query}&limit=200`);
  expect(page.status).toBe(200);
  return page.body.events as Array<{ action: string; actorAccountId: string; patientId: string | null; resourceType: string | null; resourceId: string | null; reason: string | null; outcome: string }>;
}

/** What the policies decide now for `person` and this patient, straight from the database. */
async function decisions(person: TestPerson, patientId: string) {
  const principal = { orgId: org.orgId, kind: 'staff', membershipId: person.membershipId, patientId: null, permissions: permissionsOfRole(person.role) } as unknown as Principal;
  const facts = await h.db.tenant(org.orgId, (tx) => loadPatientFacts(tx, principal, patientId, h.clock.now()));
  const subject = { kind: 'staff' as const, permissions: principal.permissions };
  return { dossierWrite: dossierPolicy(subject, 'write', facts), dossierRead: dossierPolicy(subject, 'read', facts), manageTeam: patientPolicy(subject, 'manage_care_team', facts) };
}

describe('asking for emergency access', () => {
  it('needs a recent proof with the strongest factor (403 STEP_UP_REQUIRED after five minutes)', async () => {
    const { id } = await createTestPatient(treating);
    const agent = await fresh(outsider);
    h.clock.advance(minutes(5) + 1_000);
    expectError(await agent.post(glassUrl(id), { reasonCode: 'emergency' }), 403, 'STEP_UP_REQUIRED');
    expect((await decisions(outsider, id)).dossierRead).toMatchObject({ allow: false, code: 'CARE_TEAM_REQUIRED' });
    expect((await (await fresh(outsider)).post(glassUrl(id), { reasonCode: 'emergency' })).status).toBe(201);
  });

  it('is refused to a role without breakglass:use (403 FORBIDDEN)', async () => {
    const { id } = await createTestPatient(treating);
    expectError(await (await fresh(assistant)).post(glassUrl(id), { reasonCode: 'emergency' }), 403, 'FORBIDDEN');
  });

  it('is not needed inside the care team (409 BREAK_GLASS_NOT_NEEDED), and creates no grant', async () => {
    const { id } = await createTestPatient(treating);
    expectError(await (await fresh(treating)).post(glassUrl(id), { reasonCode: 'emergency' }), 409, 'BREAK_GLASS_NOT_NEEDED');
    const rows = await h.db.tenant(org.orgId, (tx) => tx.select().from(breakGlassGrants).where(eq(breakGlassGrants.patientId, id)));
    expect(rows).toEqual([]);
  });

  it("needs a text for the reason 'other' (400 VALIDATION_FAILED naming reasonText)", async () => {
    const { id } = await createTestPatient(treating);
    const agent = await fresh(outsider);
    const response = await agent.post(glassUrl(id), { reasonCode: 'other' });
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(response.body.error.fields)).toContain('reasonText');
    expectError(await agent.post(glassUrl(id), { reasonCode: 'curiosity' }), 400, 'VALIDATION_FAILED');
    expect((await agent.post(glassUrl(id), { reasonCode: 'other', reasonText: 'Covering the weekend shift' })).status).toBe(201);
  });

  it("answers 404 PATIENT_NOT_FOUND for a made-up id and for another practice's patient alike", async () => {
    const other = await createTestOrganisation(h);
    const theirs = await createTestPatient(other.owner);
    const agent = await fresh(outsider);
    const foreign = await agent.post(glassUrl(theirs.id), { reasonCode: 'emergency' });
    const madeUp = await agent.post(glassUrl('6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f'), { reasonCode: 'emergency' });
    expectError(foreign, 404, 'PATIENT_NOT_FOUND');
    expect({ ...foreign.body.error, requestId: '' }).toEqual({ ...madeUp.body.error, requestId: '' });
    const rows = await h.db.tenant(other.orgId, (tx) => tx.select().from(breakGlassGrants).where(eq(breakGlassGrants.patientId, theirs.id)));
    expect(rows).toEqual([]);
  });
});

describe("the practice's length of a grant", () => {
  it('is 60 minutes unless changed, takes 15 to 240 (400 VALIDATION_FAILED otherwise), and a change is recorded by name', async () => {
    const owner = org.owner.agent;
    const policy = (await owner.get('/api/v1/organisation/security-policy')).body;
    expect(policy.breakGlassMinutes).toBe(60);
    for (const wrong of [14, 241, 30.5]) expectError(await owner.put('/api/v1/organisation/security-policy', { ...policy, breakGlassMinutes: wrong }), 400, 'VALIDATION_FAILED');
    expect((await owner.get('/api/v1/organisation/security-policy')).body.breakGlassMinutes).toBe(60);
    // Omitted: unchanged (older clients send no such field).
    const { breakGlassMinutes: _omitted, ...withoutMinutes } = policy;
    expect((await owner.put('/api/v1/organisation/security-policy', withoutMinutes)).body.breakGlassMinutes).toBe(60);
    expect((await owner.put('/api/v1/organisation/security-policy', { ...policy, breakGlassMinutes: 240 })).body.breakGlassMinutes).toBe(240);
    const [changed] = (await audit('action=policy.changed')) as Array<{ changedFields?: string[] }>;
    expect(changed!.changedFields).toEqual(['breakGlassMinutes']);
    expect((await owner.put('/api/v1/organisation/security-policy', policy)).status).toBe(200);
  });
});

describe('the grant', () => {
  it("lasts the practice's minutes, counts as the care team for the dossier (read and write) but never for managing the team, and then expires", async () => {
    const owner = await fresh(org.owner);
    const policy = (await owner.get('/api/v1/organisation/security-policy')).body;
    const changed = await owner.put('/api/v1/organisation/security-policy', { ...policy, breakGlassMinutes: 30 });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.breakGlassMinutes).toBe(30);

    const { id } = await createTestPatient(treating);
    const agent = await fresh(outsider);
    const granted = await agent.post(glassUrl(id), { reasonCode: 'emergency' });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    expect(granted.body).toMatchObject({ patientId: id, reasonCode: 'emergency', reasonText: null, endedAt: null });
    expect(new Date(granted.body.expiresAt).getTime() - new Date(granted.body.grantedAt).getTime()).toBe(minutes(30));
    expect(granted.body.grantedAt).toBe(h.clock.now().toISOString());

    const during = await decisions(outsider, id);
    expect(during.dossierRead).toEqual({ allow: true, basis: 'break_glass', grantId: granted.body.id });
    expect(during.dossierWrite).toEqual({ allow: true, basis: 'break_glass', grantId: granted.body.id });
    expect(during.manageTeam).toMatchObject({ allow: false, code: 'FORBIDDEN' });
    // The web shows the caller's own grant; the others' pages show none.
    expect((await agent.get(`/api/v1/patients/${id}/care-team`)).body.ownGrant).toEqual({ id: granted.body.id, expiresAt: granted.body.expiresAt });
    expect((await (await fresh(treating)).get(`/api/v1/patients/${id}/care-team`)).body.ownGrant).toBeNull();

    // Asking again while it runs returns the same grant instead of stacking a second one.
    h.clock.advance(minutes(10));
    const again = await (await fresh(outsider)).post(glassUrl(id), { reasonCode: 'continuity_of_care' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(granted.body);

    h.clock.advance(minutes(20));
    expect((await decisions(outsider, id)).dossierRead).toMatchObject({ allow: false, code: 'CARE_TEAM_REQUIRED' });
    expect((await (await fresh(outsider)).get(`/api/v1/patients/${id}/care-team`)).body.ownGrant).toBeNull();
    const rows = await h.db.tenant(org.orgId, (tx) => tx.select().from(breakGlassGrants).where(and(eq(breakGlassGrants.patientId, id), eq(breakGlassGrants.membershipId, outsider.membershipId))));
    expect(rows).toHaveLength(1);

    expect((await (await fresh(org.owner)).put('/api/v1/organisation/security-policy', { ...policy, breakGlassMinutes: 60 })).status).toBe(200);
  });

  it('ends early on request (204, recorded); then the dossier is closed again and a second end is 404', async () => {
    const { id } = await createTestPatient(treating);
    const agent = await fresh(outsider);
    const granted = await agent.post(glassUrl(id), { reasonCode: 'patient_request' });
    expect(granted.status).toBe(201);
    expect((await agent.delete(glassUrl(id))).status).toBe(204);
    expect((await decisions(outsider, id)).dossierRead).toMatchObject({ allow: false, code: 'CARE_TEAM_REQUIRED' });
    expectError(await agent.delete(glassUrl(id)), 404, 'NOT_FOUND');
    const [ended] = await audit(`patient=${id}&action=break_glass.ended`);
    expect(ended).toMatchObject({ actorAccountId: outsider.accountId, resourceId: granted.body.id, patientId: id });
    // A new emergency is a new grant.
    const next = await agent.post(glassUrl(id), { reasonCode: 'emergency' });
    expect(next.status).toBe(201);
    expect(next.body.id).not.toBe(granted.body.id);
  });

  it('reaches only the one patient: a grant for another patient does not count', async () => {
    const first = await createTestPatient(treating);
    const second = await createTestPatient(treating);
    expect((await (await fresh(outsider)).post(glassUrl(first.id), { reasonCode: 'emergency' })).status).toBe(201);
    expect((await decisions(outsider, first.id)).dossierRead).toMatchObject({ allow: true, basis: 'break_glass' });
    expect((await decisions(outsider, second.id)).dossierRead).toMatchObject({ allow: false, code: 'CARE_TEAM_REQUIRED' });
    expect((await decisions(treating, first.id)).dossierRead).toEqual({ allow: true, basis: 'care_team' });
  });
});

describe('what is recorded and who is told', () => {
  it('records the grant with the patient and the reason code, never the text; the reason text is readable only through the patient key', async () => {
    const { id } = await createTestPatient(treating);
    const text = `Unconscious on arrival ${Math.random().toString(36).slice(2)}`;
    const granted = await (await fresh(outsider)).post(glassUrl(id), { reasonCode: 'other', reasonText: text });
    expect(granted.status).toBe(201);
    expect(granted.body.reasonText).toBe(text);
    const events = await audit(`patient=${id}&action=break_glass.granted`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorAccountId: outsider.accountId, patientId: id, resourceType: 'break_glass_grant', resourceId: granted.body.id, reason: 'other', outcome: 'success' });
    expect(JSON.stringify(events)).not.toContain(text);
    const [row] = await h.db.tenant(org.orgId, (tx) => tx.select().from(breakGlassGrants).where(eq(breakGlassGrants.id, granted.body.id)));
    expect(row!.reasonText).not.toBeNull();
    expect(Buffer.from(row!.reasonText!.bytes).includes(Buffer.from(text))).toBe(false);
  });

  it('mails every active member of the care team, without the patient name or the reason, and not the person who opened it', async () => {
    const colleague = await addMember(h, org, 'practitioner');
    const { id, body } = await createTestPatient(treating);
    expect((await (await fresh(org.owner)).put(`/api/v1/patients/${id}/care-team/${colleague.membershipId}`, { roleInTeam: 'member' })).status).toBe(200);
    const sentBefore = h.mailer.sent.length;
    const text = `Seizure at the front desk ${Math.random().toString(36).slice(2)}`;
    expect((await (await fresh(outsider)).post(glassUrl(id), { reasonCode: 'other', reasonText: text })).status).toBe(201);
    const alerts = h.mailer.sent.slice(sentBefore).filter((mail) => mail.template === 'break_glass_care_team');
    expect(alerts.map((mail) => mail.to).sort()).toEqual([treating.email, colleague.email].sort());
    for (const mail of alerts) {
      expect(mail.text).toContain(org.name);
      for (const secret of [body.name.family, body.name.given, body.nationalId.value, text]) {
        expect(mail.text).not.toContain(secret);
        expect(mail.html).not.toContain(secret);
        expect(mail.subject).not.toContain(secret);
      }
    }
    expect(alerts.some((mail) => mail.to === outsider.email)).toBe(false);
    // Without a portal account there is no patient to tell.
    expect(h.mailer.sent.slice(sentBefore).some((mail) => mail.template === 'break_glass_patient')).toBe(false);
  });

  it("mails the patient at their portal account's address, in its language, with a link to the access log and no names or reason", async () => {
    const contactEmail = `patient-${Math.random().toString(36).slice(2)}@example.org`;
    const { id, body } = await createTestPatient(treating, { contact: { email: contactEmail } });
    const owner = await fresh(org.owner);
    expect((await owner.post(`/api/v1/patients/${id}/invitation`, { locale: 'de' })).status).toBe(201);
    const token = h.mailer.lastToken(contactEmail, 'patient_invitation');
    const accepted = await new TestAgent(h.app).post('/api/v1/patient-invitations/accept', { token, password: strongPassword(), name: 'Anna Patient', locale: 'de' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    const sentBefore = h.mailer.sent.length;
    const text = `Collapsed in the waiting room ${Math.random().toString(36).slice(2)}`;
    expect((await (await fresh(outsider)).post(glassUrl(id), { reasonCode: 'other', reasonText: text })).status).toBe(201);
    const toPatient = h.mailer.sent.slice(sentBefore).filter((mail) => mail.template === 'break_glass_patient');
    expect(toPatient.map((mail) => mail.to)).toEqual([contactEmail]);
    const [mail] = toPatient;
    expect(mail!.subject).toContain('Notfallzugriff');
    expect(mail!.text).toContain(org.name);
    expect(mail!.links).toEqual([`${h.config.publicUrl}/portal/access-log`]);
    for (const secret of [body.name.family, body.nationalId.value, text, 'Anna Patient', outsider.email]) {
      expect(mail!.text).not.toContain(secret);
      expect(mail!.html).not.toContain(secret);
      expect(mail!.subject).not.toContain(secret);
    }
  });
});
