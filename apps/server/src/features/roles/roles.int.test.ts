import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitations } from '../../core/db/schema.ts';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, enrolTotp, signIn, strongPassword, unique, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';

/*
 * Custom roles (docs/design/patients-and-dossiers.md §1.2): defining them without escalation,
 * names unique per practice, assigning them to members and invitees, an edit applying at the
 * member's next request, refusing to delete a role in use, and other practices' roles staying
 * out of reach.
 */

let h: TestHarness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

const newEmail = (what = 'member') => `${what}-${unique()}@example.org`;

async function createRole(agent: TestAgent, permissions: string[], name = `Role ${unique()}`) {
  const response = await agent.post('/api/v1/roles', { name, permissions });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { id: string; name: string; permissions: string[]; memberCount: number; inUse: boolean };
}

async function rolesOf(org: TestOrganisation) {
  const response = await org.owner.agent.get('/api/v1/roles');
  expect(response.status).toBe(200);
  return response.body as { builtIn: Array<{ role: string; permissions: string[] }>; roles: Array<{ id: string; name: string; permissions: string[]; memberCount: number; inUse: boolean }> };
}

async function auditOf(org: TestOrganisation, query: string) {
  const page = await org.owner.agent.get(`/api/v1/audit-events?${query}`);
  expect(page.status).toBe(200);
  return page.body.events as Array<{ action: string; outcome: string; actorRole: string | null; resourceType: string | null; resourceId: string | null; changedFields: string[]; reason: string | null }>;
}

/** Invites a new person with a custom role, lets them accept, and signs them in (with the app the practice requires). */
async function addCustomMember(org: TestOrganisation, customRoleId: string) {
  const email = newEmail();
  const password = strongPassword();
  const invited = await org.owner.agent.post('/api/v1/invitations', { email, customRoleId });
  expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  const agent = new TestAgent(h.app);
  expect((await agent.post('/api/v1/invitations/accept', { token: h.mailer.lastToken(email, 'invitation'), password, name: `Member ${unique()}` })).status).toBe(200);
  const login = await agent.post('/api/v1/auth/login', { email, password, organisationId: org.orgId });
  expect(login.status).toBe(200);
  const totpSecret = login.body.status === 'enrolment_required' ? (await enrolTotp(h, agent)).secret : null;
  const staff = await org.owner.agent.get('/api/v1/staff');
  const membership = staff.body.members.find((m: { email: string }) => m.email === email);
  return { email, password, totpSecret, agent, membershipId: membership.id as string, accountId: membership.accountId as string };
}

// ---------------------------------------------------------------------------------------------

describe('defining roles', () => {
  it('lists the built-in roles with their permissions and the practice roles with their members; audits changed field names only', async () => {
    const org = await createTestOrganisation(h);
    const role = await createRole(org.owner.agent, ['patient:create', 'patient:read'], 'Reception');
    // Kept in the catalogue's order, whatever order they were sent in.
    expect(role).toMatchObject({ name: 'Reception', permissions: ['patient:read', 'patient:create'], memberCount: 0, inUse: false });

    const listed = await rolesOf(org);
    expect(listed.builtIn.map((r) => r.role)).toEqual(['owner', 'admin', 'practitioner', 'assistant']);
    expect(listed.builtIn.find((r) => r.role === 'assistant')?.permissions).toEqual(['patient:read', 'patient:create', 'patient:update', 'patient:invite']);
    expect(listed.roles).toEqual([expect.objectContaining({ id: role.id, name: 'Reception', memberCount: 0 })]);

    const renamed = await org.owner.agent.patch(`/api/v1/roles/${role.id}`, { name: 'Front desk' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Front desk', permissions: ['patient:read', 'patient:create'] });
    expect((await org.owner.agent.patch(`/api/v1/roles/${role.id}`, { permissions: ['patient:read'] })).body.permissions).toEqual(['patient:read']);
    // Nothing changed: nothing recorded.
    expect((await org.owner.agent.patch(`/api/v1/roles/${role.id}`, { name: 'Front desk', permissions: ['patient:read'] })).status).toBe(200);

    const created = await auditOf(org, 'action=role.created');
    expect(created).toEqual([expect.objectContaining({ resourceType: 'custom_role', resourceId: role.id, changedFields: ['name', 'permissions'], actorRole: 'owner' })]);
    const updated = await auditOf(org, 'action=role.updated');
    expect(updated.map((event) => event.changedFields).sort()).toEqual([['name'], ['permissions']]);
    // Values stay out of the trail.
    expect(JSON.stringify([...created, ...updated])).not.toContain('Front desk');
  });

  it('refuses unknown permissions, an empty list and a name another role of the practice has (any case)', async () => {
    const org = await createTestOrganisation(h);
    expectError(await org.owner.agent.post('/api/v1/roles', { name: 'Anything', permissions: ['patient:everything'] }), 400, 'VALIDATION_FAILED');
    expectError(await org.owner.agent.post('/api/v1/roles', { name: 'Nothing', permissions: [] }), 400, 'VALIDATION_FAILED');

    const reception = await createRole(org.owner.agent, ['patient:read'], 'Reception');
    expectError(await org.owner.agent.post('/api/v1/roles', { name: ' RECEPTION ', permissions: ['patient:read'] }), 409, 'ROLE_NAME_TAKEN');
    const other = await createRole(org.owner.agent, ['patient:read'], 'Billing');
    expectError(await org.owner.agent.patch(`/api/v1/roles/${other.id}`, { name: 'reception' }), 409, 'ROLE_NAME_TAKEN');
    // Renaming a role to itself in another case is fine.
    expect((await org.owner.agent.patch(`/api/v1/roles/${reception.id}`, { name: 'reception' })).status).toBe(200);
    // Another practice may use the same name.
    const elsewhere = await createTestOrganisation(h);
    await createRole(elsewhere.owner.agent, ['patient:read'], 'Reception');
  });

  it('asks for a recent proof with the strongest factor', async () => {
    const org = await createTestOrganisation(h);
    h.clock.advance(6 * 60_000);
    expectError(await org.owner.agent.post('/api/v1/roles', { name: 'Late', permissions: ['patient:read'] }), 403, 'STEP_UP_REQUIRED');
    expect((await org.owner.agent.get('/api/v1/roles')).status).toBe(200);
  });
});

describe('no escalation', () => {
  it('lets an admin neither define nor widen a role with a permission the admin lacks (403, audited)', async () => {
    const org = await createTestOrganisation(h);
    const admin = await addMember(h, org, 'admin');
    expectError(await admin.agent.post('/api/v1/roles', { name: 'Clinician', permissions: ['patient:read', 'dossier:read'] }), 403, 'ROLE_EXCEEDS_OWN_PERMISSIONS');
    expect((await rolesOf(org)).roles).toEqual([]);

    const reception = await createRole(admin.agent, ['patient:read']);
    expectError(await admin.agent.patch(`/api/v1/roles/${reception.id}`, { permissions: ['patient:read', 'dossier:read'] }), 403, 'ROLE_EXCEEDS_OWN_PERMISSIONS');
    // A role an owner made with clinical permissions: the admin may narrow it, not keep or widen it.
    const clinician = await createRole(org.owner.agent, ['patient:read', 'dossier:read']);
    expectError(await admin.agent.patch(`/api/v1/roles/${clinician.id}`, { name: 'Renamed' }), 403, 'ROLE_EXCEEDS_OWN_PERMISSIONS');
    expect((await rolesOf(org)).roles.find((r) => r.id === clinician.id)).toMatchObject({ permissions: ['patient:read', 'dossier:read'] });

    const denied = await auditOf(org, `action=access.denied&actor=${admin.accountId}`);
    expect(denied).toHaveLength(3);
    expect(denied.every((event) => event.reason === 'role exceeds own permissions')).toBe(true);
  });

  it('lets an admin neither assign nor invite with a role holding more than the admin (custom or built-in)', async () => {
    const org = await createTestOrganisation(h);
    const admin = await addMember(h, org, 'admin');
    const assistant = await addMember(h, org, 'assistant');
    const clinician = await createRole(org.owner.agent, ['patient:read', 'dossier:read']);

    expectError(await admin.agent.patch(`/api/v1/staff/${assistant.membershipId}`, { customRoleId: clinician.id }), 403, 'ROLE_EXCEEDS_OWN_PERMISSIONS');
    expectError(await admin.agent.patch(`/api/v1/staff/${assistant.membershipId}`, { role: 'practitioner' }), 403, 'ROLE_EXCEEDS_OWN_PERMISSIONS');
    expectError(await admin.agent.post('/api/v1/invitations', { email: newEmail(), customRoleId: clinician.id }), 403, 'ROLE_EXCEEDS_OWN_PERMISSIONS');
    expectError(await admin.agent.post('/api/v1/invitations', { email: newEmail(), role: 'practitioner' }), 403, 'ROLE_EXCEEDS_OWN_PERMISSIONS');
    expect((await org.owner.agent.get('/api/v1/staff')).body.members.find((m: { id: string }) => m.id === assistant.membershipId)).toMatchObject({ role: 'assistant', customRoleId: null });
    expect((await org.owner.agent.get('/api/v1/invitations')).body.invitations).toEqual([]);
    expect(await auditOf(org, `action=access.denied&actor=${admin.accountId}`)).toHaveLength(4);

    // Within the admin's own permissions it works; the owner may hand out the clinical role.
    const reception = await createRole(admin.agent, ['patient:read', 'patient:create']);
    expect((await admin.agent.patch(`/api/v1/staff/${assistant.membershipId}`, { customRoleId: reception.id })).status).toBe(200);
    expect((await org.owner.agent.patch(`/api/v1/staff/${assistant.membershipId}`, { customRoleId: clinician.id })).status).toBe(200);
  });

  it('refuses a body naming both a built-in and a custom role, or neither', async () => {
    const org = await createTestOrganisation(h);
    const assistant = await addMember(h, org, 'assistant');
    const role = await createRole(org.owner.agent, ['patient:read']);
    expectError(await org.owner.agent.patch(`/api/v1/staff/${assistant.membershipId}`, { role: 'admin', customRoleId: role.id }), 400, 'VALIDATION_FAILED');
    expectError(await org.owner.agent.patch(`/api/v1/staff/${assistant.membershipId}`, {}), 400, 'VALIDATION_FAILED');
    expectError(await org.owner.agent.post('/api/v1/invitations', { email: newEmail() }), 400, 'VALIDATION_FAILED');
  });
});

describe('members with a custom role', () => {
  it('shows a role with only audit:read the audit trail and nothing else', async () => {
    const org = await createTestOrganisation(h);
    const auditor = await createRole(org.owner.agent, ['audit:read'], 'Auditor');
    const member = await addCustomMember(org, auditor.id);

    const me = (await member.agent.get('/api/v1/me')).body.organisation;
    expect(me).toMatchObject({ role: 'custom', roleName: 'Auditor', permissions: ['audit:read'] });
    expect((await member.agent.get('/api/v1/audit-events')).status).toBe(200);
    for (const url of ['/api/v1/staff', '/api/v1/invitations', '/api/v1/organisation/security-policy', '/api/v1/patients']) {
      expectError(await member.agent.get(url), 403, 'FORBIDDEN');
    }
    expectError(await member.agent.patch('/api/v1/organisation', { companyName: null }), 403, 'FORBIDDEN');
    // Role definitions are readable by every member (they hold nothing personal); changing them is not.
    expect((await member.agent.get('/api/v1/roles')).status).toBe(200);
    expectError(await member.agent.post('/api/v1/roles', { name: 'Mine', permissions: ['audit:read'] }), 403, 'FORBIDDEN');
    // What the member does is recorded with the role's id, which stays meaningful if it is renamed.
    const denied = await auditOf(org, `action=access.denied&actor=${member.accountId}`);
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.every((event) => event.actorRole === `custom:${auditor.id}`)).toBe(true);
  });

  it("applies an edit at the member's next request, and lists the member with the role", async () => {
    const org = await createTestOrganisation(h);
    const role = await createRole(org.owner.agent, ['patient:read'], 'Reception');
    const member = await addCustomMember(org, role.id);
    expectError(await member.agent.get('/api/v1/staff'), 403, 'FORBIDDEN');

    expect((await org.owner.agent.patch(`/api/v1/roles/${role.id}`, { permissions: ['patient:read', 'staff:manage'] })).status).toBe(200);
    const staff = await member.agent.get('/api/v1/staff');
    expect(staff.status).toBe(200);
    expect(staff.body.members.find((m: { id: string }) => m.id === member.membershipId)).toMatchObject({ role: 'custom', customRoleId: role.id, roleName: 'Reception' });
    // Owner and this member can manage the practice now.
    expect(staff.body.counts).toEqual({ owners: 1, managing: 2, active: 2 });
    expect((await rolesOf(org)).roles[0]).toMatchObject({ memberCount: 1, inUse: true });

    expect((await org.owner.agent.patch(`/api/v1/roles/${role.id}`, { permissions: ['patient:read'] })).status).toBe(200);
    expectError(await member.agent.get('/api/v1/staff'), 403, 'FORBIDDEN');
    expect((await member.agent.get('/api/v1/me')).body.organisation.permissions).toEqual(['patient:read']);

    // Back to a built-in role: the custom one is gone from the membership.
    expect((await org.owner.agent.patch(`/api/v1/staff/${member.membershipId}`, { role: 'assistant' })).status).toBe(200);
    expect((await member.agent.get('/api/v1/me')).body.organisation).toMatchObject({ role: 'assistant', roleName: null });
    const [change] = await auditOf(org, `action=member.role_changed&resourceId=${member.membershipId}`);
    expect(change).toMatchObject({ changedFields: ['role'], reason: `custom:${role.id} → assistant` });
  });

  it('names the custom role in the invitation, its preview and the pending list', async () => {
    const org = await createTestOrganisation(h);
    const role = await createRole(org.owner.agent, ['patient:read'], 'Reception');
    const email = newEmail();
    const invited = await org.owner.agent.post('/api/v1/invitations', { email, customRoleId: role.id });
    expect(invited.body).toMatchObject({ role: 'custom', customRoleId: role.id, roleName: 'Reception' });
    expect(h.mailer.last(email)?.text).toContain('Reception');
    expect((await org.owner.agent.get('/api/v1/invitations')).body.invitations).toEqual([expect.objectContaining({ role: 'custom', customRoleId: role.id, roleName: 'Reception' })]);
    const preview = await new TestAgent(h.app).post('/api/v1/invitations/preview', { token: h.mailer.lastToken(email, 'invitation') });
    expect(preview.body).toMatchObject({ role: 'custom', roleName: 'Reception' });
  });
});

describe('deleting roles', () => {
  it('refuses while a member (active or deactivated) or a pending invitation holds the role', async () => {
    const org = await createTestOrganisation(h);
    const role = await createRole(org.owner.agent, ['patient:read']);
    const member = await addCustomMember(org, role.id);
    expectError(await org.owner.agent.delete(`/api/v1/roles/${role.id}`), 409, 'ROLE_IN_USE');
    expect((await org.owner.agent.post(`/api/v1/staff/${member.membershipId}/deactivate`)).status).toBe(200);
    expectError(await org.owner.agent.delete(`/api/v1/roles/${role.id}`), 409, 'ROLE_IN_USE');
    expect((await org.owner.agent.patch(`/api/v1/staff/${member.membershipId}`, { role: 'assistant' })).status).toBe(200);

    const invitation = await org.owner.agent.post('/api/v1/invitations', { email: newEmail(), customRoleId: role.id });
    expect(invitation.status).toBe(201);
    expectError(await org.owner.agent.delete(`/api/v1/roles/${role.id}`), 409, 'ROLE_IN_USE');
    expect((await rolesOf(org)).roles[0]).toMatchObject({ id: role.id, memberCount: 0, inUse: true });
    expect((await org.owner.agent.delete(`/api/v1/invitations/${invitation.body.id}`)).status).toBe(204);

    expect((await org.owner.agent.delete(`/api/v1/roles/${role.id}`)).status).toBe(204);
    expect((await rolesOf(org)).roles).toEqual([]);
    expect(await auditOf(org, 'action=role.deleted')).toEqual([expect.objectContaining({ resourceId: role.id })]);
    // The accepted invitation of the first member stays as history and does not block the delete.
    expectError(await org.owner.agent.delete(`/api/v1/roles/${role.id}`), 404, 'ROLE_NOT_FOUND');
  });

  it('lets a role go once its invitation has expired, clearing the role from that invitation', async () => {
    const org = await createTestOrganisation(h);
    const role = await createRole(org.owner.agent, ['patient:read']);
    const invitation = await org.owner.agent.post('/api/v1/invitations', { email: newEmail(), customRoleId: role.id });
    expect(invitation.status).toBe(201);
    // Expired: no longer pending, so the role can go; the history row keeps role 'custom' without an id.
    h.clock.advance(8 * 24 * 3600_000);
    const fresh = await signIn(h, org.owner);
    expect((await fresh.agent.delete(`/api/v1/roles/${role.id}`)).status).toBe(204);
    const [row] = await h.db.tenant(org.orgId, (tx) => tx.select().from(invitations).where(eq(invitations.id, invitation.body.id)));
    expect(row).toMatchObject({ role: 'custom', customRoleId: null });
  });
});

describe('other practices', () => {
  it("answers ROLE_NOT_FOUND for another practice's role, and changes nothing", async () => {
    const a = await createTestOrganisation(h);
    const b = await createTestOrganisation(h);
    const role = await createRole(a.owner.agent, ['patient:read'], 'Reception');
    const bMember = await addMember(h, b, 'assistant');

    expectError(await b.owner.agent.patch(`/api/v1/roles/${role.id}`, { name: 'Taken over' }), 404, 'ROLE_NOT_FOUND');
    expectError(await b.owner.agent.delete(`/api/v1/roles/${role.id}`), 404, 'ROLE_NOT_FOUND');
    expectError(await b.owner.agent.patch(`/api/v1/staff/${bMember.membershipId}`, { customRoleId: role.id }), 404, 'ROLE_NOT_FOUND');
    expectError(await b.owner.agent.post('/api/v1/invitations', { email: newEmail(), customRoleId: role.id }), 404, 'ROLE_NOT_FOUND');
    expect((await b.owner.agent.get('/api/v1/roles')).body.roles).toEqual([]);

    expect((await rolesOf(a)).roles).toEqual([expect.objectContaining({ id: role.id, name: 'Reception', permissions: ['patient:read'] })]);
    expect((await b.owner.agent.get('/api/v1/staff')).body.members.find((m: { id: string }) => m.id === bMember.membershipId)).toMatchObject({ role: 'assistant', customRoleId: null });
  });
});
