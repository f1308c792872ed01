import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessLogEntry, AccessLogPage } from '@haven/contracts';
import { auditEvents } from '../../core/db/schema.ts';
import { addMember, createTestOrganisation, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { signInPatient, type TestPatient } from '../../../test/support/patient-fixtures.ts';

/*
 * "Who opened my record" (issue 5 §4): every event about the patient that staff caused — reads,
 * changes, refusals, emergency access with its reason — newest first, 50 a page, with names and
 * roles in words; never the patient's own actions and never another patient's.
 */

let h: TestHarness;
let org: TestOrganisation;
let practitioner: TestPerson;
let colleague: TestPerson;
let outsider: TestPerson;
let refused: TestPerson;
let assistant: TestPerson;
let patient: TestPatient;
let names: Map<string, string>;
beforeAll(async () => {
  h = await createHarness();
  org = await createTestOrganisation(h);
  practitioner = await addMember(h, org, 'practitioner');
  colleague = await addMember(h, org, 'practitioner');
  outsider = await addMember(h, org, 'practitioner');
  refused = await addMember(h, org, 'practitioner');
  assistant = await addMember(h, org, 'assistant');
  patient = await signInPatient(h, org, { by: practitioner });
  const staff = (await org.owner.agent.get('/api/v1/staff')).body.members as Array<{ accountId: string; name: string }>;
  names = new Map(staff.map((member) => [member.accountId, member.name]));
});
afterAll(() => h.close());

async function accessLog(agent = patient.agent, cursor?: string): Promise<AccessLogPage> {
  const page = await agent.get(`/api/v1/portal/access-log${cursor ? `?cursor=${cursor}` : ''}`);
  expect(page.status, JSON.stringify(page.body)).toBe(200);
  return page.body;
}

/** The newest entry of this action in the patient's log. */
async function newest(action: string): Promise<AccessLogEntry | undefined> {
  return (await accessLog()).entries.find((entry) => entry.action === action);
}

describe('who opened my record', () => {
  it('names a practitioner who opened the record, with their role, and the time', async () => {
    expect((await practitioner.agent.get(`/api/v1/patients/${patient.patientId}/dossier`)).status).toBe(200);
    const entry = await newest('dossier.viewed');
    expect(entry).toEqual({ id: expect.stringMatching(/^[0-9]+$/), occurredAt: h.clock.now().toISOString(), action: 'dossier.viewed', outcome: 'success', actor: { name: names.get(practitioner.accountId), role: 'practitioner' }, onBehalfOf: null, breakGlass: null });
    // Registering the patient and inviting them to the portal are there too.
    const actions = (await accessLog()).entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['patient.created', 'patient.invited']));
  });

  it('shows emergency access with the reason code and the reason text the staff member gave', async () => {
    const reasonText = 'Brought in unconscious; no care-team member on duty';
    const granted = await outsider.agent.post(`/api/v1/patients/${patient.patientId}/break-glass`, { reasonCode: 'other', reasonText });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    expect((await outsider.agent.get(`/api/v1/patients/${patient.patientId}/dossier`)).status).toBe(200);
    const log = await accessLog();
    const [read, grant] = [log.entries.find((e) => e.action === 'dossier.viewed'), log.entries.find((e) => e.action === 'break_glass.granted')];
    expect(read).toMatchObject({ actor: { name: names.get(outsider.accountId), role: 'practitioner' }, breakGlass: { reasonCode: 'other', reasonText } });
    expect(grant).toMatchObject({ actor: { name: names.get(outsider.accountId), role: 'practitioner' }, breakGlass: { reasonCode: 'other', reasonText } });
    // Ordinary care-team access carries no reason.
    expect(log.entries.filter((e) => e.actor?.name === names.get(practitioner.accountId)).every((e) => e.breakGlass === null)).toBe(true);
  });

  it('shows a refused attempt as refused, with who tried', async () => {
    const attempt = await refused.agent.get(`/api/v1/patients/${patient.patientId}/dossier`);
    expect(attempt.status).toBe(403);
    expect(await newest('access.denied')).toMatchObject({ outcome: 'denied', actor: { name: names.get(refused.accountId), role: 'practitioner' }, breakGlass: null });
  });

  it('names whom an entry was written for, and a custom role by its name', async () => {
    expect((await org.owner.agent.put(`/api/v1/patients/${patient.patientId}/care-team/${colleague.membershipId}`, { roleInTeam: 'member' })).status).toBe(200);
    const written = await practitioner.agent.post(`/api/v1/patients/${patient.patientId}/entries`, { kind: 'note', content: { text: 'Phoned in by Dr. colleague' }, effectiveAt: h.clock.now().toISOString(), onBehalfOfMembershipId: colleague.membershipId });
    expect(written.status, JSON.stringify(written.body)).toBe(201);
    expect(await newest('entry.created')).toMatchObject({ actor: { name: names.get(practitioner.accountId), role: 'practitioner' }, onBehalfOf: names.get(colleague.accountId) });

    const role = await org.owner.agent.post('/api/v1/roles', { name: 'Front desk', permissions: ['patient:read'] });
    expect(role.status, JSON.stringify(role.body)).toBe(201);
    expect((await org.owner.agent.patch(`/api/v1/staff/${assistant.membershipId}`, { customRoleId: role.body.id })).status).toBe(200);
    expect((await assistant.agent.get(`/api/v1/patients/${patient.patientId}`)).status).toBe(200);
    expect(await newest('patient.viewed')).toMatchObject({ actor: { name: names.get(assistant.accountId), role: 'Front desk' } });
  });

  it("leaves out the patient's own actions, and records the patient's reading of the log", async () => {
    expect((await patient.agent.get('/api/v1/portal/me')).status).toBe(200);
    expect((await patient.agent.post('/api/v1/portal/comments', { kind: 'comment', text: 'Who is Front desk?' })).status).toBe(201);
    const log = await accessLog();
    expect(log.entries.some((e) => e.action.startsWith('portal.'))).toBe(false);
    const patientName = (await patient.agent.get('/api/v1/me')).body.account.name as string;
    expect(log.entries.some((e) => e.actor?.name === patientName)).toBe(false);
    const viewed = await h.db.tenant(org.orgId, (tx) => tx.select().from(auditEvents).where(and(eq(auditEvents.patientId, patient.patientId), eq(auditEvents.action, 'portal.access_log_viewed'))));
    expect(viewed.length).toBeGreaterThan(0);
    expect(viewed.every((event) => event.actorAccountId === patient.accountId)).toBe(true);
    expect(log.entries.map((e) => e.id)).not.toEqual(expect.arrayContaining(viewed.map((event) => String(event.id))));
  });

  it("shows nothing of another patient's record", async () => {
    const other = await signInPatient(h, org, { by: practitioner });
    expect((await practitioner.agent.get(`/api/v1/patients/${other.patientId}/dossier`)).status).toBe(200);
    const otherEvents = await h.db.tenant(org.orgId, (tx) => tx.select({ id: auditEvents.id }).from(auditEvents).where(eq(auditEvents.patientId, other.patientId)));
    expect(otherEvents.length).toBeGreaterThan(0);
    const mine = (await accessLog()).entries.map((e) => e.id);
    expect(mine.some((id) => otherEvents.some((event) => String(event.id) === id))).toBe(false);
    // … and the other patient's own log has none of this patient's.
    const theirs = (await accessLog(other.agent)).entries;
    expect(theirs.some((e) => e.actor?.name === names.get(outsider.accountId))).toBe(false);
    expect(theirs.map((e) => e.action)).toContain('dossier.viewed');
  });

  it('pages 50 at a time, newest first, by the cursor of the page before', async () => {
    for (let i = 0; i < 60; i++) expect((await practitioner.agent.get(`/api/v1/patients/${patient.patientId}`)).status).toBe(200);
    const first = await accessLog();
    expect(first.entries).toHaveLength(50);
    expect(first.nextCursor).toBe(first.entries.at(-1)!.id);
    const second = await accessLog(patient.agent, first.nextCursor!);
    const ids = [...first.entries, ...second.entries].map((e) => BigInt(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    expect(new Set(ids).size).toBe(ids.length);
    // Everything staff did is there, once: the pages together hold every such event.
    let all = [...first.entries, ...second.entries];
    let cursor = second.nextCursor;
    while (cursor) {
      const page = await accessLog(patient.agent, cursor);
      all = [...all, ...page.entries];
      cursor = page.nextCursor;
    }
    const staffEvents = await h.db.tenant(org.orgId, (tx) => tx.select({ id: auditEvents.id, actor: auditEvents.actorAccountId }).from(auditEvents).where(eq(auditEvents.patientId, patient.patientId)));
    expect(all.map((e) => e.id).sort()).toEqual(staffEvents.filter((event) => event.actor !== patient.accountId).map((event) => String(event.id)).sort());
    expectCursorRefused(await patient.agent.get('/api/v1/portal/access-log?cursor=abc'));
  });

  it('is for patients only: staff get 403', async () => {
    const page = await practitioner.agent.get('/api/v1/portal/access-log');
    expect(page.status).toBe(403);
    expect(page.body.error.code).toBe('FORBIDDEN');
  });
});

function expectCursorRefused(response: { status: number; body: { error: { code: string } } }): void {
  expect(response.status).toBe(400);
  expect(response.body.error.code).toBe('VALIDATION_FAILED');
}
