import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPatientFacts } from '../../core/authz/authorize.ts';
import { dossierPolicy } from '../../core/authz/policies.ts';
import { permissionsOfRole } from '../../core/authz/role-permissions.ts';
import type { Principal } from '../../core/context.ts';
import type { TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, createTestPatient, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';

/*
 * Care teams through the API: who may see and change a patient's team, who can be in it at all,
 * idempotent additions, the wall between practices, and that a removal takes the dossier away
 * at the member's very next request.
 */

let h: TestHarness;
let org: TestOrganisation;
let admin: TestPerson;
let practitioner: TestPerson;
let colleague: TestPerson;
let assistant: TestPerson;
beforeAll(async () => {
  h = await createHarness();
  org = await createTestOrganisation(h);
  admin = await addMember(h, org, 'admin');
  practitioner = await addMember(h, org, 'practitioner');
  colleague = await addMember(h, org, 'practitioner');
  assistant = await addMember(h, org, 'assistant');
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

const teamUrl = (patientId: string, membershipId?: string) => `/api/v1/patients/${patientId}/care-team${membershipId ? `/${membershipId}` : ''}`;

async function audit(query: string) {
  const page = await org.owner.agent.get(`/api/v1/audit-events?${query}&limit=200`);
  expect(page.status).toBe(200);
  return page.body.events as Array<{ action: string; actorAccountId: string; patientId: string | null; resourceId: string | null; changedFields: string[]; reason: string | null }>;
}

/** What the patient policy decides now for `person`'s care-team-scoped reading (the dossier's rule), straight from the database. */
async function dossierDecision(person: TestPerson, patientId: string) {
  const principal = { orgId: org.orgId, kind: 'staff', membershipId: person.membershipId, patientId: null, permissions: permissionsOfRole(person.role) } as unknown as Principal;
  const facts = await h.db.tenant(org.orgId, (tx) => loadPatientFacts(tx, principal, patientId, h.clock.now()));
  return dossierPolicy({ kind: 'staff', permissions: principal.permissions }, 'read', facts);
}

describe('reading the care team', () => {
  it("lists the members with name, role, role in the team and when they were added, for anyone who may read the patient", async () => {
    const { id } = await createTestPatient(practitioner);
    for (const reader of [practitioner, assistant, admin, colleague]) {
      const team = await reader.agent.get(teamUrl(id));
      expect(team.status, JSON.stringify(team.body)).toBe(200);
      expect(team.body.members).toEqual([
        { membershipId: practitioner.membershipId, accountId: practitioner.accountId, name: expect.stringMatching(/^practitioner /), role: 'practitioner', roleName: null, roleInTeam: 'responsible', addedAt: expect.any(String) },
      ]);
      expect(team.body.ownGrant).toBeNull();
    }
  });

  it('answers 404 PATIENT_NOT_FOUND for a made-up patient id', async () => {
    expectError(await practitioner.agent.get(teamUrl('6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f')), 404, 'PATIENT_NOT_FOUND');
  });
});

describe('changing the care team', () => {
  it('lets an owner and an admin add a practitioner; the same PUT twice adds once; a second PUT changes the role in the team', async () => {
    const { id } = await createTestPatient(practitioner);
    const added = await admin.agent.put(teamUrl(id, colleague.membershipId), { roleInTeam: 'member' });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.members.map((m: { membershipId: string; roleInTeam: string }) => [m.membershipId, m.roleInTeam])).toEqual([
      [practitioner.membershipId, 'responsible'],
      [colleague.membershipId, 'member'],
    ]);
    const again = await org.owner.agent.put(teamUrl(id, colleague.membershipId), { roleInTeam: 'member' });
    expect(again.status).toBe(200);
    expect(again.body.members).toEqual(added.body.members);
    const promoted = await org.owner.agent.put(teamUrl(id, colleague.membershipId), { roleInTeam: 'responsible' });
    expect(promoted.body.members.find((m: { membershipId: string }) => m.membershipId === colleague.membershipId)).toMatchObject({ roleInTeam: 'responsible', addedAt: added.body.members[1].addedAt });

    const events = (await audit(`patient=${id}`)).filter((event) => event.resourceId === colleague.membershipId);
    expect(events.map((event) => [event.action, event.actorAccountId, event.reason, event.changedFields])).toEqual([
      ['care_team.member_added', org.owner.accountId, 'responsible', ['roleInTeam']],
      ['care_team.member_added', admin.accountId, 'member', []],
    ]);
  });

  it('defaults the role in the team to member', async () => {
    const { id } = await createTestPatient(practitioner);
    const added = await admin.agent.put(teamUrl(id, colleague.membershipId), {});
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.members.find((m: { membershipId: string }) => m.membershipId === colleague.membershipId).roleInTeam).toBe('member');
  });

  it('refuses a practitioner or an assistant who tries to manage the team (403 FORBIDDEN), and changes nothing', async () => {
    const { id } = await createTestPatient(practitioner);
    expectError(await practitioner.agent.put(teamUrl(id, colleague.membershipId), { roleInTeam: 'member' }), 403, 'FORBIDDEN');
    expectError(await assistant.agent.put(teamUrl(id, colleague.membershipId), { roleInTeam: 'member' }), 403, 'FORBIDDEN');
    expectError(await practitioner.agent.delete(teamUrl(id, practitioner.membershipId)), 403, 'FORBIDDEN');
    expect((await org.owner.agent.get(teamUrl(id))).body.members.map((m: { membershipId: string }) => m.membershipId)).toEqual([practitioner.membershipId]);
  });

  it('refuses members whose role opens no dossier: an assistant or an admin cannot join (400 VALIDATION_FAILED)', async () => {
    const { id } = await createTestPatient(practitioner);
    for (const nonClinical of [assistant, admin]) {
      const response = await org.owner.agent.put(teamUrl(id, nonClinical.membershipId), { roleInTeam: 'member' });
      expectError(response, 400, 'VALIDATION_FAILED');
      expect(response.body.error.fields).toEqual([{ path: 'membershipId', issue: 'no_clinical_permission' }]);
    }
    expect((await org.owner.agent.get(teamUrl(id))).body.members).toHaveLength(1);
  });

  it('refuses a deactivated member (400 VALIDATION_FAILED)', async () => {
    const leaving = await addMember(h, org, 'practitioner');
    expect((await org.owner.agent.post(`/api/v1/staff/${leaving.membershipId}/deactivate`)).status).toBe(200);
    const { id } = await createTestPatient(practitioner);
    const response = await org.owner.agent.put(teamUrl(id, leaving.membershipId), { roleInTeam: 'member' });
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(response.body.error.fields).toEqual([{ path: 'membershipId', issue: 'not_active' }]);
  });

  it("answers 404 CARE_TEAM_MEMBER_NOT_FOUND for another practice's membership, as for a made-up id, and adds nobody", async () => {
    const other = await createTestOrganisation(h);
    const { id } = await createTestPatient(practitioner);
    const foreign = await org.owner.agent.put(teamUrl(id, other.owner.membershipId), { roleInTeam: 'member' });
    const madeUp = await org.owner.agent.put(teamUrl(id, '6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f'), { roleInTeam: 'member' });
    expectError(foreign, 404, 'CARE_TEAM_MEMBER_NOT_FOUND');
    expect({ ...foreign.body.error, requestId: '' }).toEqual({ ...madeUp.body.error, requestId: '' });
    expect((await org.owner.agent.get(teamUrl(id))).body.members).toHaveLength(1);
  });

  it("keeps another practice's owner away from this patient's team (404 PATIENT_NOT_FOUND), the team unchanged", async () => {
    const other = await createTestOrganisation(h);
    const { id } = await createTestPatient(practitioner);
    expectError(await other.owner.agent.get(teamUrl(id)), 404, 'PATIENT_NOT_FOUND');
    expectError(await other.owner.agent.put(teamUrl(id, other.owner.membershipId), { roleInTeam: 'member' }), 404, 'PATIENT_NOT_FOUND');
    expectError(await other.owner.agent.delete(teamUrl(id, practitioner.membershipId)), 404, 'PATIENT_NOT_FOUND');
    expect((await org.owner.agent.get(teamUrl(id))).body.members.map((m: { membershipId: string }) => m.membershipId)).toEqual([practitioner.membershipId]);
  });

  it('answers 404 CARE_TEAM_MEMBER_NOT_FOUND when removing someone who is not in the team', async () => {
    const { id } = await createTestPatient(practitioner);
    expectError(await admin.agent.delete(teamUrl(id, colleague.membershipId)), 404, 'CARE_TEAM_MEMBER_NOT_FOUND');
  });
});

describe('removal', () => {
  it("takes the dossier away at once: the removed practitioner's next care-team-scoped check is CARE_TEAM_REQUIRED", async () => {
    const { id } = await createTestPatient(practitioner);
    expect((await admin.agent.put(teamUrl(id, colleague.membershipId), { roleInTeam: 'member' })).status).toBe(200);
    expect(await dossierDecision(colleague, id)).toEqual({ allow: true, basis: 'care_team' });

    expect((await admin.agent.delete(teamUrl(id, colleague.membershipId))).status).toBe(204);
    expect(await dossierDecision(colleague, id)).toMatchObject({ allow: false, code: 'CARE_TEAM_REQUIRED' });
    expect(await dossierDecision(practitioner, id)).toEqual({ allow: true, basis: 'care_team' });
    expect((await org.owner.agent.get(teamUrl(id))).body.members.map((m: { membershipId: string }) => m.membershipId)).toEqual([practitioner.membershipId]);

    const [removed] = await audit(`patient=${id}&action=care_team.member_removed`);
    expect(removed).toMatchObject({ actorAccountId: admin.accountId, resourceId: colleague.membershipId, patientId: id });
  });
});
