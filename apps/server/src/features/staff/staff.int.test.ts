import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, signIn as signInWithFactors, strongPassword, unique, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';

/*
 * Staff management through the API: invitations (mail, expiry, revocation, people who already
 * have an account), roles (who may make owners, the last owner, role changes and deactivation
 * taking effect at once) and the organisation's details and security policy.
 */

const day = 24 * 3600_000;
const minute = 60_000;

let h: TestHarness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

/** Password, then the authenticator-app code when the person has one. */
function signIn(harness: TestHarness, person: { email: string; password: string; totpSecret?: string | null }, organisationId?: string): Promise<{ agent: TestAgent; login: TestResponse }> {
  return signInWithFactors(harness, person, organisationId ? { organisationId } : {});
}

async function invite(org: TestOrganisation, email: string, role: string, by: TestAgent = org.owner.agent) {
  return by.post('/api/v1/invitations', { email, role });
}

async function auditOf(org: TestOrganisation, query: string) {
  const page = await org.owner.agent.get(`/api/v1/audit-events?${query}`);
  expect(page.status).toBe(200);
  return page.body.events as Array<{ action: string; outcome: string; actorAccountId: string | null; resourceType: string | null; resourceId: string | null; changedFields: string[]; reason: string | null }>;
}

async function staffOf(org: TestOrganisation) {
  const staff = await org.owner.agent.get('/api/v1/staff');
  expect(staff.status).toBe(200);
  return staff.body as {
    members: Array<{ id: string; accountId: string; email: string; role: string; status: string }>;
    counts: { owners: number; managing: number; active: number };
  };
}

const memberIn = async (org: TestOrganisation, membershipId: string) => (await staffOf(org)).members.find((m) => m.id === membershipId);
const newEmail = (what = 'invitee') => `${what}-${unique()}@example.org`;

// ---------------------------------------------------------------------------------------------

describe('invitations', () => {
  it('sends the invitee a single link valid for 7 days, lists it as pending and audits it', async () => {
    const org = await createTestOrganisation(h);
    const email = newEmail();
    const response = await invite(org, email.toUpperCase(), 'practitioner');
    expect(response.status).toBe(201);
    const invitation = response.body;
    expect(invitation).toMatchObject({ email, role: 'practitioner' });
    expect(Date.parse(invitation.expiresAt) - Date.parse(invitation.createdAt)).toBe(7 * day);

    const mail = h.mailer.last(email, 'invitation');
    expect(mail?.subject).toContain(org.name);
    expect(mail?.links).toHaveLength(1);
    expect(mail!.links[0]).toMatch(new RegExp(`^${h.config.publicUrl}/accept-invitation#token=[A-Za-z0-9_-]{20,}$`));

    const pending = await org.owner.agent.get('/api/v1/invitations');
    expect(pending.body.invitations).toEqual([expect.objectContaining({ id: invitation.id, email, role: 'practitioner' })]);

    const preview = await new TestAgent(h.app).post('/api/v1/invitations/preview', { token: h.mailer.lastToken(email, 'invitation') });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ organisationName: org.name, email, role: 'practitioner', accountExists: false });

    const [sent] = await auditOf(org, 'action=invitation.sent');
    expect(sent).toMatchObject({ outcome: 'success', actorAccountId: org.owner.accountId, resourceType: 'invitation', resourceId: invitation.id, reason: 'role practitioner' });
  });

  it('lets a new person accept with a name and a password under the practice policy, once', async () => {
    const org = await createTestOrganisation(h);
    const email = newEmail();
    const invitation = (await invite(org, email, 'assistant')).body;
    const token = h.mailer.lastToken(email, 'invitation');
    const person = new TestAgent(h.app);
    const password = strongPassword();

    expectError(await person.post('/api/v1/invitations/accept', { token, password }), 400, 'VALIDATION_FAILED'); // no name
    expectError(await person.post('/api/v1/invitations/accept', { token, password: 'short', name: 'Ann Assistant' }), 400, 'PASSWORD_POLICY_VIOLATION');
    const accepted = await person.post('/api/v1/invitations/accept', { token, password, name: 'Ann Assistant', phone: '+31 6 1234 5678' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expectError(await person.post('/api/v1/invitations/accept', { token, password, name: 'Ann Assistant' }), 400, 'TOKEN_INVALID');

    const { login } = await signIn(h, { email, password });
    expect(login.status).toBe(200);
    // The practice requires a second factor: the newcomer sets one up before anything else.
    expect(login.body).toMatchObject({ status: 'enrolment_required', me: { organisation: { id: org.orgId, role: 'assistant' }, account: { name: 'Ann Assistant' } } });
    expect((await org.owner.agent.get('/api/v1/invitations')).body.invitations).toEqual([]);
    const [event] = await auditOf(org, 'action=invitation.accepted');
    expect(event).toMatchObject({ resourceId: invitation.id, actorAccountId: login.body.me.account.id });
  });

  it('expires the link after 7 days (still valid a minute before)', async () => {
    const timed = await createHarness();
    try {
      const org = await createTestOrganisation(timed);
      const email = newEmail();
      expect((await invite(org, email, 'practitioner')).status).toBe(201);
      const token = timed.mailer.lastToken(email, 'invitation');
      const anyone = new TestAgent(timed.app);

      timed.clock.advance(7 * day - minute);
      expect((await anyone.post('/api/v1/invitations/preview', { token })).status).toBe(200);

      timed.clock.advance(2 * minute); // 7 days + 1 minute
      expectError(await anyone.post('/api/v1/invitations/preview', { token }), 400, 'TOKEN_INVALID');
      expectError(await anyone.post('/api/v1/invitations/accept', { token, password: strongPassword(), name: 'Late Larry' }), 400, 'TOKEN_INVALID');

      // The owner's session is long gone after a week: sign in again.
      const { agent: owner } = await signIn(timed, org.owner);
      expect((await owner.get('/api/v1/invitations')).body.invitations).toEqual([]);
      // An expired invitation is no longer pending: the address can be invited afresh.
      expect((await owner.post('/api/v1/invitations', { email, role: 'practitioner' })).status).toBe(201);
    } finally {
      await timed.close();
    }
  });

  it('revokes a pending invitation: its link stops working, and it cannot be revoked twice', async () => {
    const org = await createTestOrganisation(h);
    const email = newEmail();
    const invitation = (await invite(org, email, 'admin')).body;
    const token = h.mailer.lastToken(email, 'invitation');

    expect((await org.owner.agent.delete(`/api/v1/invitations/${invitation.id}`)).status).toBe(204);
    const anyone = new TestAgent(h.app);
    expectError(await anyone.post('/api/v1/invitations/preview', { token }), 400, 'TOKEN_INVALID');
    expectError(await anyone.post('/api/v1/invitations/accept', { token, password: strongPassword(), name: 'Revoked Rita' }), 400, 'TOKEN_INVALID');
    expect((await org.owner.agent.get('/api/v1/invitations')).body.invitations).toEqual([]);
    expectError(await org.owner.agent.delete(`/api/v1/invitations/${invitation.id}`), 404, 'INVITATION_NOT_FOUND');

    const [revoked] = await auditOf(org, 'action=invitation.revoked');
    expect(revoked).toMatchObject({ resourceId: invitation.id, actorAccountId: org.owner.accountId });
    // Revoked, the address may be invited again.
    expect((await invite(org, email, 'admin')).status).toBe(201);
  });

  it('refuses a second invitation while one is pending (409 INVITATION_PENDING), whatever the case of the address', async () => {
    const org = await createTestOrganisation(h);
    const email = newEmail();
    expect((await invite(org, email, 'practitioner')).status).toBe(201);
    expectError(await invite(org, email, 'admin'), 409, 'INVITATION_PENDING');
    expectError(await invite(org, email.toUpperCase(), 'practitioner'), 409, 'INVITATION_PENDING');
    expect(h.mailer.sent.filter((mail) => mail.to === email)).toHaveLength(1);
    expect((await org.owner.agent.get('/api/v1/invitations')).body.invitations).toHaveLength(1);
  });

  it('refuses to invite an active member (409 ALREADY_MEMBER), but re-invites a deactivated one', async () => {
    const org = await createTestOrganisation(h);
    const admin = await addMember(h, org, 'admin');
    const before = h.mailer.sent.length;
    expectError(await invite(org, admin.email, 'practitioner'), 409, 'ALREADY_MEMBER');
    expectError(await invite(org, org.owner.email, 'admin'), 409, 'ALREADY_MEMBER');
    expect(h.mailer.sent.length).toBe(before);

    expect((await org.owner.agent.post(`/api/v1/staff/${admin.membershipId}/deactivate`)).status).toBe(200);
    expect((await invite(org, admin.email, 'assistant')).status).toBe(201);
    const token = h.mailer.lastToken(admin.email, 'invitation');
    expect((await new TestAgent(h.app).post('/api/v1/invitations/accept', { token, password: admin.password })).status).toBe(200);
    expect(await memberIn(org, admin.membershipId)).toMatchObject({ role: 'assistant', status: 'active' });
  });

  it("asks someone who already has a Haven account for that account's password; then they work in two practices", async () => {
    const a = await createTestOrganisation(h);
    const b = await createTestOrganisation(h);
    const person = b.owner; // owner of practice B, invited to practice A
    const invitation = (await invite(a, person.email, 'practitioner')).body;
    const token = h.mailer.lastToken(person.email, 'invitation');
    const browser = new TestAgent(h.app);

    const preview = await browser.post('/api/v1/invitations/preview', { token });
    expect(preview.body).toMatchObject({ accountExists: true, organisationName: a.name });

    // A wrong password is refused and spends nothing: the invitation stays pending and usable.
    expectError(await browser.post('/api/v1/invitations/accept', { token, password: strongPassword(), name: 'Someone Else' }), 401, 'AUTH_INVALID_CREDENTIALS');
    expect((await browser.post('/api/v1/invitations/preview', { token })).status).toBe(200);
    expect((await a.owner.agent.get('/api/v1/invitations')).body.invitations.map((i: { id: string }) => i.id)).toEqual([invitation.id]);
    expect((await staffOf(a)).members.map((m) => m.email)).not.toContain(person.email);

    expect((await browser.post('/api/v1/invitations/accept', { token, password: person.password, name: 'Someone Else' })).status).toBe(200);
    const joined = (await staffOf(a)).members.find((m) => m.email === person.email);
    expect(joined).toMatchObject({ accountId: person.accountId, role: 'practitioner', status: 'active' });

    // Two practices: login asks which one, and practice routes wait for the choice.
    const { agent, login } = await signIn(h, person);
    expect(login.status).toBe(200);
    expect(login.body.status).toBe('choose_organisation');
    expect(login.body.me.organisation).toBeNull();
    expect(login.body.me.organisations.map((o: { id: string; role: string }) => [o.id, o.role]).sort()).toEqual(
      [[a.orgId, 'practitioner'], [b.orgId, 'owner']].sort(),
    );
    expect((await agent.get('/api/v1/me')).status).toBe(200);
    expectError(await agent.get('/api/v1/organisation'), 409, 'AUTH_ORGANISATION_REQUIRED');
    expectError(await agent.get('/api/v1/staff'), 409, 'AUTH_ORGANISATION_REQUIRED');

    const chosen = await agent.post('/api/v1/auth/select-organisation', { organisationId: a.orgId });
    expect(chosen.status).toBe(200);
    expect(chosen.body.me.organisation).toMatchObject({ id: a.orgId, role: 'practitioner' });
    expect((await agent.get('/api/v1/organisation')).body.id).toBe(a.orgId);
    expectError(await agent.get('/api/v1/staff'), 403, 'FORBIDDEN'); // a practitioner in A

    expect((await agent.post('/api/v1/auth/select-organisation', { organisationId: b.orgId })).status).toBe(200);
    expect((await agent.get('/api/v1/staff')).status).toBe(200); // the owner in B

    const direct = await signIn(h, person, a.orgId);
    expect(direct.login.body).toMatchObject({ status: 'authenticated', me: { organisation: { id: a.orgId } } });
    // The link worked once.
    expectError(await browser.post('/api/v1/invitations/accept', { token, password: person.password }), 400, 'TOKEN_INVALID');
  });
});

// ---------------------------------------------------------------------------------------------

describe('roles', () => {
  it('lets an admin invite staff but not owners (403, audited as access.denied)', async () => {
    const org = await createTestOrganisation(h);
    const admin = await addMember(h, org, 'admin');
    const email = newEmail();
    expectError(await invite(org, email, 'owner', admin.agent), 403, 'FORBIDDEN');
    expect(h.mailer.last(email)).toBeUndefined();
    expect((await org.owner.agent.get('/api/v1/invitations')).body.invitations).toEqual([]);
    const [denied] = await auditOf(org, `action=access.denied&actor=${admin.accountId}`);
    expect(denied).toMatchObject({ outcome: 'denied', resourceType: 'invitation', reason: 'only owners invite owners' });

    expect((await invite(org, email, 'admin', admin.agent)).status).toBe(201);
    expect((await invite(org, newEmail(), 'owner')).status).toBe(201); // an owner may
  });

  it('lets an admin neither make owners nor demote, deactivate or reactivate one (403, audited)', async () => {
    const org = await createTestOrganisation(h);
    const admin = await addMember(h, org, 'admin');
    const practitioner = await addMember(h, org, 'practitioner');
    const secondOwner = await addMember(h, org, 'owner');

    expectError(await admin.agent.patch(`/api/v1/staff/${practitioner.membershipId}`, { role: 'owner' }), 403, 'FORBIDDEN');
    expectError(await admin.agent.patch(`/api/v1/staff/${admin.membershipId}`, { role: 'owner' }), 403, 'FORBIDDEN');
    expectError(await admin.agent.patch(`/api/v1/staff/${org.owner.membershipId}`, { role: 'admin' }), 403, 'FORBIDDEN');
    expectError(await admin.agent.post(`/api/v1/staff/${org.owner.membershipId}/deactivate`), 403, 'FORBIDDEN');
    expect((await org.owner.agent.post(`/api/v1/staff/${secondOwner.membershipId}/deactivate`)).status).toBe(200);
    expectError(await admin.agent.post(`/api/v1/staff/${secondOwner.membershipId}/reactivate`), 403, 'FORBIDDEN');

    expect(await memberIn(org, practitioner.membershipId)).toMatchObject({ role: 'practitioner', status: 'active' });
    expect(await memberIn(org, admin.membershipId)).toMatchObject({ role: 'admin', status: 'active' });
    expect(await memberIn(org, org.owner.membershipId)).toMatchObject({ role: 'owner', status: 'active' });
    expect(await memberIn(org, secondOwner.membershipId)).toMatchObject({ role: 'owner', status: 'deactivated' });
    const denied = await auditOf(org, `action=access.denied&actor=${admin.accountId}`);
    expect(denied).toHaveLength(5);
    expect(denied.every((event) => event.reason === 'only owners manage owners')).toBe(true);

    // What an admin may do: manage the other roles.
    expect((await admin.agent.patch(`/api/v1/staff/${practitioner.membershipId}`, { role: 'admin' })).status).toBe(200);
    expect((await admin.agent.post(`/api/v1/staff/${practitioner.membershipId}/deactivate`)).status).toBe(200);
  });

  it('keeps the last active owner: neither demoted nor deactivated (409 LAST_OWNER)', async () => {
    const org = await createTestOrganisation(h);
    expectError(await org.owner.agent.patch(`/api/v1/staff/${org.owner.membershipId}`, { role: 'admin' }), 409, 'LAST_OWNER');
    expectError(await org.owner.agent.post(`/api/v1/staff/${org.owner.membershipId}/deactivate`), 409, 'LAST_OWNER');
    // A deactivated owner does not count: the active one is still the last.
    const other = await addMember(h, org, 'owner');
    expect((await org.owner.agent.post(`/api/v1/staff/${other.membershipId}/deactivate`)).status).toBe(200);
    expectError(await org.owner.agent.patch(`/api/v1/staff/${org.owner.membershipId}`, { role: 'practitioner' }), 409, 'LAST_OWNER');
    expect(await memberIn(org, org.owner.membershipId)).toMatchObject({ role: 'owner', status: 'active' });
    expect((await staffOf(org)).counts.owners).toBe(1);
  });

  it('lets an owner be demoted or deactivated once there is a second owner', async () => {
    const org = await createTestOrganisation(h);
    const admin = await addMember(h, org, 'admin');
    expect((await org.owner.agent.patch(`/api/v1/staff/${admin.membershipId}`, { role: 'owner' })).status).toBe(200);
    expect((await staffOf(org)).counts).toMatchObject({ owners: 2, managing: 2 });

    // The first owner steps down to admin; the new owner is now the last one.
    expect((await org.owner.agent.patch(`/api/v1/staff/${org.owner.membershipId}`, { role: 'admin' })).status).toBe(200);
    expectError(await admin.agent.patch(`/api/v1/staff/${admin.membershipId}`, { role: 'admin' }), 409, 'LAST_OWNER');
    expectError(await admin.agent.post(`/api/v1/staff/${admin.membershipId}/deactivate`), 409, 'LAST_OWNER');

    // Made owner again, the first can deactivate the second.
    expect((await admin.agent.patch(`/api/v1/staff/${org.owner.membershipId}`, { role: 'owner' })).status).toBe(200);
    expect((await org.owner.agent.post(`/api/v1/staff/${admin.membershipId}/deactivate`)).status).toBe(200);
    expect((await staffOf(org)).counts).toMatchObject({ owners: 1, managing: 1, active: 1 });
    const changes = await auditOf(org, 'action=member.role_changed');
    expect(changes.map((event) => event.reason)).toEqual(['admin → owner', 'owner → admin', 'admin → owner']);
    expect(changes.every((event) => event.changedFields.join() === 'role')).toBe(true);
  });

  it('leaves exactly one owner when two owners demote each other at the same moment', async () => {
    const org = await createTestOrganisation(h);
    const second = await addMember(h, org, 'owner');
    const results = await Promise.all([
      org.owner.agent.patch(`/api/v1/staff/${second.membershipId}`, { role: 'admin' }),
      second.agent.patch(`/api/v1/staff/${org.owner.membershipId}`, { role: 'admin' }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    // The loser either lost the race for the last owner (409) or had already been demoted (403).
    expect([403, 409]).toContain(statuses.find((s) => s !== 200));
    expect((await staffOf(org)).counts.owners).toBe(1);
  });

  it("ends a deactivated member's sessions at once; they cannot sign in to that practice until reactivated", async () => {
    const org = await createTestOrganisation(h);
    const member = await addMember(h, org, 'practitioner');
    const phone = (await signIn(h, member)).agent; // a second device
    expect((await phone.get('/api/v1/organisation')).status).toBe(200);

    expect((await org.owner.agent.post(`/api/v1/staff/${member.membershipId}/deactivate`)).status).toBe(200);
    expectError(await member.agent.get('/api/v1/organisation'), 401, 'AUTH_REQUIRED');
    expectError(await phone.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
    expectError((await signIn(h, member)).login, 403, 'FORBIDDEN');
    expectError((await signIn(h, member, org.orgId)).login, 403, 'FORBIDDEN');
    expect(await memberIn(org, member.membershipId)).toMatchObject({ status: 'deactivated', role: 'practitioner' });
    expect((await auditOf(org, 'action=member.deactivated'))[0]).toMatchObject({ resourceId: member.membershipId, actorAccountId: org.owner.accountId });

    expect((await org.owner.agent.post(`/api/v1/staff/${member.membershipId}/reactivate`)).status).toBe(200);
    const back = await signIn(h, member);
    expect(back.login.body).toMatchObject({ status: 'authenticated', me: { organisation: { id: org.orgId, role: 'practitioner' } } });
    expect((await auditOf(org, 'action=member.reactivated'))[0]).toMatchObject({ resourceId: member.membershipId });
  });

  it('deactivation in one practice leaves the person’s sessions and membership in another practice alone', async () => {
    const a = await createTestOrganisation(h);
    const b = await createTestOrganisation(h);
    const person = await addMember(h, b, 'practitioner');
    expect((await invite(a, person.email, 'assistant')).status).toBe(201);
    expect((await new TestAgent(h.app).post('/api/v1/invitations/accept', { token: h.mailer.lastToken(person.email, 'invitation'), password: person.password })).status).toBe(200);
    const inA = (await signIn(h, person, a.orgId)).agent;
    const membershipInA = (await staffOf(a)).members.find((m) => m.email === person.email)!;

    expect((await a.owner.agent.post(`/api/v1/staff/${membershipInA.id}/deactivate`)).status).toBe(200);
    expectError(await inA.get('/api/v1/organisation'), 401, 'AUTH_REQUIRED');
    expect((await person.agent.get('/api/v1/organisation')).body.id).toBe(b.orgId); // session in B lives on
    const login = (await signIn(h, person)).login;
    expect(login.body).toMatchObject({ status: 'authenticated', me: { organisation: { id: b.orgId } } });
    expect(login.body.me.organisations.map((o: { id: string }) => o.id)).toEqual([b.orgId]);
  });

  it("applies a role change on the member's very next request, without signing in again", async () => {
    const org = await createTestOrganisation(h);
    const member = await addMember(h, org, 'practitioner');
    expectError(await member.agent.get('/api/v1/staff'), 403, 'FORBIDDEN');

    expect((await org.owner.agent.patch(`/api/v1/staff/${member.membershipId}`, { role: 'admin' })).status).toBe(200);
    expect((await member.agent.get('/api/v1/staff')).status).toBe(200);
    const asAdmin = (await member.agent.get('/api/v1/me')).body.organisation;
    expect(asAdmin.role).toBe('admin');
    // What the web shows follows these: practice management and the patient directory, no dossiers.
    expect(asAdmin.permissions).toEqual(expect.arrayContaining(['staff:manage', 'policy:manage', 'audit:read', 'patient:read', 'careteam:manage']));
    expect(asAdmin.permissions).not.toContain('dossier:read');

    expect((await org.owner.agent.patch(`/api/v1/staff/${member.membershipId}`, { role: 'assistant' })).status).toBe(200);
    expectError(await member.agent.get('/api/v1/staff'), 403, 'FORBIDDEN');
    expect((await member.agent.get('/api/v1/me')).body.organisation.permissions).toEqual(['patient:read', 'patient:create', 'patient:update', 'patient:invite']);
    const [change] = await auditOf(org, `action=member.role_changed&resourceId=${member.membershipId}`);
    expect(change).toMatchObject({ changedFields: ['role'], reason: 'admin → assistant', actorAccountId: org.owner.accountId });
  });

  it('counts active owners and members with managing permissions in the staff list', async () => {
    const org = await createTestOrganisation(h);
    const admin1 = await addMember(h, org, 'admin');
    await addMember(h, org, 'admin');
    const practitioner = await addMember(h, org, 'practitioner');
    await addMember(h, org, 'assistant');
    expect((await staffOf(org)).counts).toEqual({ owners: 1, managing: 3, active: 5 });

    expect((await org.owner.agent.post(`/api/v1/staff/${admin1.membershipId}/deactivate`)).status).toBe(200);
    expect((await staffOf(org)).counts).toEqual({ owners: 1, managing: 2, active: 4 });
    expect((await org.owner.agent.patch(`/api/v1/staff/${practitioner.membershipId}`, { role: 'owner' })).status).toBe(200);
    const staff = await staffOf(org);
    expect(staff.counts).toEqual({ owners: 2, managing: 3, active: 4 });
    expect(staff.members).toHaveLength(5); // the deactivated admin is listed, not counted
    expect(staff.members.find((m) => m.id === admin1.membershipId)).toMatchObject({ role: 'admin', status: 'deactivated' });
  });

  it("ends a member's sessions on request, tells them, and lets them sign in again", async () => {
    const org = await createTestOrganisation(h);
    const member = await addMember(h, org, 'assistant');
    await signIn(h, member);
    const ended = await org.owner.agent.post(`/api/v1/staff/${member.membershipId}/end-sessions`);
    expect(ended.body).toEqual({ ended: 2 });
    expectError(await member.agent.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
    expect(h.mailer.last(member.email, 'sessions_ended_by_admin')).toBeDefined();
    expect((await auditOf(org, 'action=session.ended_by_admin'))[0]).toMatchObject({ resourceId: member.membershipId, reason: '2 sessions' });
    expect((await signIn(h, member)).login.status).toBe(200);
    expect(await memberIn(org, member.membershipId)).toMatchObject({ status: 'active' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('organisation', () => {
  it('audits org.updated with the names of the fields that changed, never their values', async () => {
    const org = await createTestOrganisation(h);
    const before = (await org.owner.agent.get('/api/v1/organisation')).body;
    const name = `Praktijk Nieuw ${unique()}`;
    const changed = await org.owner.agent.patch('/api/v1/organisation', { name, city: before.city, companyName: 'Nieuw B.V.' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ ...before, name, companyName: 'Nieuw B.V.' });
    expect((await org.owner.agent.get('/api/v1/organisation')).body).toEqual(changed.body);

    const [event] = await auditOf(org, 'action=org.updated');
    expect(event).toMatchObject({ outcome: 'success', resourceType: 'organisation', resourceId: org.orgId, actorAccountId: org.owner.accountId, reason: null });
    expect(event!.changedFields.sort()).toEqual(['companyName', 'name']);
    expect(JSON.stringify(event)).not.toContain(name);

    // Sending the same values again changes nothing and records nothing.
    expect((await org.owner.agent.patch('/api/v1/organisation', { name, companyName: 'Nieuw B.V.' })).status).toBe(200);
    expect(await auditOf(org, 'action=org.updated')).toHaveLength(1);
    // An admin may change it too; a practitioner may only read it.
    const admin = await addMember(h, org, 'admin');
    const practitioner = await addMember(h, org, 'practitioner');
    expect((await admin.agent.patch('/api/v1/organisation', { companyName: null })).status).toBe(200);
    expectError(await practitioner.agent.patch('/api/v1/organisation', { city: 'Elsewhere' }), 403, 'FORBIDDEN');
    expect((await practitioner.agent.get('/api/v1/organisation')).body.city).toBe(before.city);
  });

  it('refuses security policies outside the rules (400 VALIDATION_FAILED) and keeps the old one', async () => {
    const org = await createTestOrganisation(h);
    const before = (await org.owner.agent.get('/api/v1/organisation/security-policy')).body;
    const invalid: Array<[unknown, string]> = [
      [{ password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes: 1 }, 'idleTimeoutMinutes'],
      [{ password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes: 61 }, 'idleTimeoutMinutes'],
      [{ password: { mode: 'nist', minLength: 8 }, idleTimeoutMinutes: 15 }, 'password.minLength'],
      [{ password: { mode: 'nist', minLength: 11 }, idleTimeoutMinutes: 15 }, 'password.minLength'],
      [{ password: { mode: 'classes', minLength: 20 }, idleTimeoutMinutes: 15 }, 'password.minLength'],
      [{ password: { mode: 'classes', minLength: 17 }, idleTimeoutMinutes: 15 }, 'password.minLength'],
      [{ password: { mode: 'classes', minLength: 7 }, idleTimeoutMinutes: 15 }, 'password.minLength'],
      [{ password: { mode: 'nist', minLength: 65 }, idleTimeoutMinutes: 15 }, 'password.minLength'],
      [{ password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes: 15.5 }, 'idleTimeoutMinutes'],
    ];
    for (const [policy, path] of invalid) {
      const response = await org.owner.agent.put('/api/v1/organisation/security-policy', policy);
      expectError(response, 400, 'VALIDATION_FAILED');
      expect(response.body.error.fields.map((f: { path: string }) => f.path), JSON.stringify(policy)).toContain(path);
    }
    expect((await org.owner.agent.get('/api/v1/organisation/security-policy')).body).toEqual(before);
    expect(await auditOf(org, 'action=policy.changed')).toEqual([]);
  });

  it('accepts policies at the limits and audits policy.changed with the changed fields', async () => {
    const org = await createTestOrganisation(h);
    const valid = [
      { password: { mode: 'classes', minLength: 8 }, idleTimeoutMinutes: 2 },
      { password: { mode: 'classes', minLength: 16 }, idleTimeoutMinutes: 60 },
      { password: { mode: 'nist', minLength: 64 }, idleTimeoutMinutes: 60 },
      { password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes: 30 },
    ];
    for (const policy of valid) {
      const response = await org.owner.agent.put('/api/v1/organisation/security-policy', policy);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect((await org.owner.agent.get('/api/v1/organisation/security-policy')).body).toMatchObject({ ...policy, secondFactorRequired: true, ipAllowlist: [], trustedDeviceHours: 12 });
    }
    const events = await auditOf(org, 'action=policy.changed');
    expect(events.map((event) => event.changedFields).reverse()).toEqual([
      ['password.mode', 'password.minLength', 'idleTimeoutMinutes'],
      ['password.minLength', 'idleTimeoutMinutes'],
      ['password.mode', 'password.minLength'],
      ['password.minLength', 'idleTimeoutMinutes'],
    ]);
  });

  it('applies a shorter idle timeout to open sessions at once', async () => {
    const timed = await createHarness();
    try {
      const org = await createTestOrganisation(timed);
      const member = await addMember(timed, org, 'practitioner');
      expect((await org.owner.agent.put('/api/v1/organisation/security-policy', { password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes: 2 })).status).toBe(200);
      timed.clock.advance(3 * minute);
      expectError(await member.agent.get('/api/v1/organisation'), 401, 'SESSION_LOCKED');
    } finally {
      await timed.close();
    }
  });
});
