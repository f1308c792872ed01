import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, createTestPatient, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { breakGlassGrants, careTeamMembers } from '../../core/db/schema.ts';

/*
 * The dossier through the API (increment 10): writing findings, diagnoses and notes, the
 * timeline with its filters and pages, who reaches it (care team, grant; not the rest of the
 * practice, not another practice), writing for a colleague, and the audit record of each step.
 */

let h: TestHarness;
let org: TestOrganisation;
let practitioner: TestPerson; // creates the patients: their care team
let colleague: TestPerson; // added to the care team below
let outsider: TestPerson;
let withGrant: TestPerson;
let assistant: TestPerson;
let admin: TestPerson;
beforeAll(async () => {
  h = await createHarness();
  org = await createTestOrganisation(h);
  practitioner = await addMember(h, org, 'practitioner');
  colleague = await addMember(h, org, 'practitioner');
  outsider = await addMember(h, org, 'practitioner');
  withGrant = await addMember(h, org, 'practitioner');
  assistant = await addMember(h, org, 'assistant');
  admin = await addMember(h, org, 'admin');
});
afterAll(() => h.close());

const at = (day: number, hour = 9) => `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+01:00`;
const finding = (text: string, effectiveAt = at(1)) => ({ kind: 'finding', content: { title: 'Blood pressure', text }, effectiveAt });

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

/** Puts a member into a patient's care team directly (the care-team routes are tested in features/care-teams). */
async function joinCareTeam(patientId: string, member: TestPerson): Promise<void> {
  await h.db.tenant(org.orgId, (tx) =>
    tx.insert(careTeamMembers).values({ orgId: org.orgId, patientId, membershipId: member.membershipId, roleInTeam: 'member', addedByAccountId: org.owner.accountId, addedAt: h.clock.now() }),
  );
}

/** A valid break-the-glass grant, written directly as the authorisation matrix does. */
async function grant(patientId: string, member: TestPerson): Promise<{ id: string; expiresAt: Date }> {
  const id = crypto.randomUUID();
  const now = h.clock.now();
  const expiresAt = new Date(now.getTime() + 24 * 3_600_000);
  await h.db.tenant(org.orgId, (tx) =>
    tx.insert(breakGlassGrants).values({ orgId: org.orgId, id, patientId, membershipId: member.membershipId, accountId: member.accountId, reasonCode: 'emergency', grantedAt: now, expiresAt }),
  );
  return { id, expiresAt };
}

async function write(by: TestPerson, patientId: string, body: unknown): Promise<Record<string, any>> {
  const created = await by.agent.post(`/api/v1/patients/${patientId}/entries`, body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

async function audit(query: string) {
  const page = await org.owner.agent.get(`/api/v1/audit-events?${query}&limit=200`);
  expect(page.status).toBe(200);
  return page.body.events as Array<{ action: string; actorAccountId: string; patientId: string | null; resourceId: string | null; onBehalfOf: string | null; reason: string | null; outcome: string }>;
}

describe('writing and reading entries', () => {
  it('writes a finding, a diagnosis and a note, and shows them newest first with the header and who wrote them', async () => {
    const { id, body } = await createTestPatient(practitioner);
    const note = await write(practitioner, id, { kind: 'note', content: { text: 'Called back.\nAll well.' }, effectiveAt: at(3) });
    const diagnosis = await write(practitioner, id, { kind: 'diagnosis', content: { icd10Code: ' i10 ', icd10Text: 'Essential hypertension', certainty: 'G' }, effectiveAt: at(2) });
    const first = await write(practitioner, id, finding('150/95', at(1)));
    expect(diagnosis).toMatchObject({ kind: 'diagnosis', patientId: id, status: 'active', currentVersion: 1, content: { icd10Code: 'I10', icd10Text: 'Essential hypertension', certainty: 'G' } });
    expect(first.author).toMatchObject({ accountId: practitioner.accountId, role: 'practitioner' });
    expect(first.createdBy.accountId).toBe(practitioner.accountId);
    expect(first.author.name).toMatch(/^practitioner /);

    const dossier = await practitioner.agent.get(`/api/v1/patients/${id}/dossier`);
    expect(dossier.status, JSON.stringify(dossier.body)).toBe(200);
    expect(dossier.body.patient).toEqual({ id, name: body.name, birthDate: body.birthDate, nationalId: body.nationalId, status: 'active' });
    expect(dossier.body.access).toEqual({ basis: 'care_team', grantExpiresAt: null });
    expect(dossier.body.entries.map((entry: { id: string }) => entry.id)).toEqual([note.id, diagnosis.id, first.id]);
    expect(dossier.body.entries[0]).toEqual(note);
    expect(dossier.body.nextCursor).toBeNull();

    const one = await practitioner.agent.get(`/api/v1/patients/${id}/entries/${diagnosis.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(diagnosis);
  });

  it('shows a patient without entries with an empty timeline', async () => {
    const { id } = await createTestPatient(practitioner);
    const dossier = await practitioner.agent.get(`/api/v1/patients/${id}/dossier`);
    expect(dossier.status).toBe(200);
    expect(dossier.body.entries).toEqual([]);
    expect(dossier.body.nextCursor).toBeNull();
  });

  it('refuses document entries, content of another kind and unknown fields (400), and stores nothing', async () => {
    const { id } = await createTestPatient(practitioner);
    expectError(await practitioner.agent.post(`/api/v1/patients/${id}/entries`, { kind: 'document', content: { title: 'Letter' }, effectiveAt: at(1) }), 400, 'VALIDATION_FAILED');
    expectError(await practitioner.agent.post(`/api/v1/patients/${id}/entries`, { kind: 'diagnosis', content: { title: 'x', text: 'y' }, effectiveAt: at(1) }), 400, 'VALIDATION_FAILED');
    expectError(await practitioner.agent.post(`/api/v1/patients/${id}/entries`, { ...finding('x'), secret: 'y' }), 400, 'VALIDATION_FAILED');
    expect((await practitioner.agent.get(`/api/v1/patients/${id}/dossier`)).body.entries).toEqual([]);
  });

  it('revises an entry against its own kind: a new version, the head at the next number', async () => {
    const { id } = await createTestPatient(practitioner);
    const entry = await write(practitioner, id, { kind: 'diagnosis', content: { icd10Code: 'J45', icd10Text: 'Asthma' }, effectiveAt: at(1) });
    // Valid content of another kind is refused for this entry, and the head does not move.
    expectError(await practitioner.agent.put(`/api/v1/patients/${id}/entries/${entry.id}`, { expectedVersion: 1, content: { title: 'x', text: 'y' }, effectiveAt: at(1) }), 400, 'VALIDATION_FAILED');
    const revised = await colleague.agent.put(`/api/v1/patients/${id}/entries/${entry.id}`, { expectedVersion: 1, content: { icd10Code: 'J45.0', icd10Text: 'Allergic asthma' }, effectiveAt: at(2), changeReason: 'Allergy test came back' });
    expect(revised.status, JSON.stringify(revised.body)).toBe(403); // not yet in the care team
    await joinCareTeam(id, colleague);
    const again = await colleague.agent.put(`/api/v1/patients/${id}/entries/${entry.id}`, { expectedVersion: 1, content: { icd10Code: 'J45.0', icd10Text: 'Allergic asthma' }, effectiveAt: at(2), changeReason: 'Allergy test came back' });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ currentVersion: 2, content: { icd10Code: 'J45.0', icd10Text: 'Allergic asthma' }, effectiveAt: new Date(at(2)).toISOString() });
    expect(again.body.author.accountId).toBe(colleague.accountId);
    expect(again.body.createdBy.accountId).toBe(practitioner.accountId);
  });
});

describe('the timeline: filters and pages', () => {
  let patientId: string;
  const written: Array<{ id: string; kind: string; by: string; effectiveAt: string }> = [];
  beforeAll(async () => {
    patientId = (await createTestPatient(practitioner)).id;
    await joinCareTeam(patientId, colleague);
    // 25 entries; two share a time, so the id breaks the tie.
    for (let i = 0; i < 25; i += 1) {
      const by = i % 3 === 0 ? colleague : practitioner;
      const body = i % 2 === 0 ? finding(`reading ${i}`, at(1 + (i >> 1), 8 + (i % 2))) : { kind: 'note', content: { text: `note ${i}` }, effectiveAt: at(1 + ((i - 1) >> 1), 8) };
      const entry = await write(by, patientId, body);
      written.push({ id: entry.id, kind: entry.kind, by: by.accountId, effectiveAt: entry.effectiveAt });
    }
  });

  const expectedOrder = (list: typeof written) => [...list].sort((a, b) => b.effectiveAt.localeCompare(a.effectiveAt) || b.id.localeCompare(a.id)).map((entry) => entry.id);

  async function everything(query: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/patients/${patientId}/dossier?${query}${cursor ? `${query ? '&' : ''}before=${cursor}` : ''}`;
      const page = await practitioner.agent.get(url);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.entries.length).toBeLessThanOrEqual(20);
      ids.push(...page.body.entries.map((entry: { id: string }) => entry.id));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    return ids;
  }

  it('pages through all entries, newest first by clinical time then id, 20 a page', async () => {
    const first = await practitioner.agent.get(`/api/v1/patients/${patientId}/dossier`);
    expect(first.body.entries).toHaveLength(20);
    expect(first.body.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await everything('')).toEqual(expectedOrder(written));
  });

  it('filters by kind and by author (the account that wrote the entry), across pages', async () => {
    expect(await everything('kind=note')).toEqual(expectedOrder(written.filter((entry) => entry.kind === 'note')));
    expect(await everything(`author=${colleague.accountId}`)).toEqual(expectedOrder(written.filter((entry) => entry.by === colleague.accountId)));
    expect(await everything(`kind=finding&author=${practitioner.accountId}`)).toEqual(expectedOrder(written.filter((entry) => entry.kind === 'finding' && entry.by === practitioner.accountId)));
    expect(await everything(`kind=diagnosis`)).toEqual([]);
  });

  it('refuses a cursor it did not make (400, naming before)', async () => {
    const response = await practitioner.agent.get(`/api/v1/patients/${patientId}/dossier?before=${Buffer.from('yesterday|x').toString('base64url')}`);
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(response.body.error.fields).toEqual([{ path: 'before', issue: expect.any(String) }]);
  });
});

describe('who reaches a dossier', () => {
  let patientId: string;
  let entryId: string;
  beforeAll(async () => {
    patientId = (await createTestPatient(practitioner)).id;
    entryId = (await write(practitioner, patientId, finding('120/80'))).id;
  });

  it('refuses a practitioner outside the care team (403 CARE_TEAM_REQUIRED) on every route, and records the refusal', async () => {
    expectError(await outsider.agent.get(`/api/v1/patients/${patientId}/dossier`), 403, 'CARE_TEAM_REQUIRED');
    expectError(await outsider.agent.get(`/api/v1/patients/${patientId}/entries/${entryId}`), 403, 'CARE_TEAM_REQUIRED');
    expectError(await outsider.agent.get(`/api/v1/patients/${patientId}/entries/${entryId}/versions`), 403, 'CARE_TEAM_REQUIRED');
    expectError(await outsider.agent.post(`/api/v1/patients/${patientId}/entries`, finding('x')), 403, 'CARE_TEAM_REQUIRED');
    expectError(await outsider.agent.put(`/api/v1/patients/${patientId}/entries/${entryId}`, { expectedVersion: 1, content: { title: 'x', text: 'y' }, effectiveAt: at(1) }), 403, 'CARE_TEAM_REQUIRED');
    expectError(await outsider.agent.post(`/api/v1/patients/${patientId}/entries/${entryId}/entered-in-error`, { reason: 'x' }), 403, 'CARE_TEAM_REQUIRED');
    const denied = await audit(`patient=${patientId}&action=access.denied&actor=${outsider.accountId}`);
    expect(denied).toHaveLength(6);
    expect((await practitioner.agent.get(`/api/v1/patients/${patientId}/entries/${entryId}`)).body.currentVersion).toBe(1);
  });

  it('refuses assistants and admins by permission (403 FORBIDDEN), whatever the patient', async () => {
    for (const person of [assistant, admin]) {
      expectError(await person.agent.get(`/api/v1/patients/${patientId}/dossier`), 403, 'FORBIDDEN');
      expectError(await person.agent.post(`/api/v1/patients/${patientId}/entries`, finding('x')), 403, 'FORBIDDEN');
      expectError(await person.agent.get(`/api/v1/patients/${patientId}/entries/${entryId}`), 403, 'FORBIDDEN');
    }
  });

  it("hides another practice's patient and entries as absent (404 PATIENT_NOT_FOUND), and changes nothing", async () => {
    const other = await createTestOrganisation(h);
    expectError(await other.owner.agent.get(`/api/v1/patients/${patientId}/dossier`), 404, 'PATIENT_NOT_FOUND');
    expectError(await other.owner.agent.get(`/api/v1/patients/${patientId}/entries/${entryId}`), 404, 'PATIENT_NOT_FOUND');
    expectError(await other.owner.agent.post(`/api/v1/patients/${patientId}/entries`, finding('x')), 404, 'PATIENT_NOT_FOUND');
    expectError(await other.owner.agent.put(`/api/v1/patients/${patientId}/entries/${entryId}`, { expectedVersion: 1, content: { title: 'x', text: 'y' }, effectiveAt: at(1) }), 404, 'PATIENT_NOT_FOUND');
    expectError(await other.owner.agent.post(`/api/v1/patients/${patientId}/entries/${entryId}/entered-in-error`, { reason: 'x' }), 404, 'PATIENT_NOT_FOUND');
    const entry = await practitioner.agent.get(`/api/v1/patients/${patientId}/entries/${entryId}`);
    expect(entry.body).toMatchObject({ currentVersion: 1, status: 'active', content: { text: '120/80' } });
  });

  it('answers ENTRY_NOT_FOUND for an entry of another patient, on every entry route', async () => {
    const { id: otherPatient } = await createTestPatient(practitioner);
    const unknown = crypto.randomUUID();
    for (const entry of [entryId, unknown]) {
      expectError(await practitioner.agent.get(`/api/v1/patients/${otherPatient}/entries/${entry}`), 404, 'ENTRY_NOT_FOUND');
      expectError(await practitioner.agent.get(`/api/v1/patients/${otherPatient}/entries/${entry}/versions`), 404, 'ENTRY_NOT_FOUND');
      expectError(await practitioner.agent.put(`/api/v1/patients/${otherPatient}/entries/${entry}`, { expectedVersion: 1, content: { title: 'x', text: 'y' }, effectiveAt: at(1) }), 404, 'ENTRY_NOT_FOUND');
      expectError(await practitioner.agent.post(`/api/v1/patients/${otherPatient}/entries/${entry}/entered-in-error`, { reason: 'x' }), 404, 'ENTRY_NOT_FOUND');
    }
    expect((await practitioner.agent.get(`/api/v1/patients/${patientId}/entries/${entryId}`)).body).toMatchObject({ currentVersion: 1, status: 'active' });
  });

  it('lets a grant holder read and write, says so with the expiry, and records the grant on every row', async () => {
    const { id: grantId, expiresAt } = await grant(patientId, withGrant);
    const dossier = await withGrant.agent.get(`/api/v1/patients/${patientId}/dossier`);
    expect(dossier.status, JSON.stringify(dossier.body)).toBe(200);
    expect(dossier.body.access).toEqual({ basis: 'break_glass', grantExpiresAt: expiresAt.toISOString() });
    const written = await write(withGrant, patientId, finding('Seen in the emergency room'));
    expect((await withGrant.agent.get(`/api/v1/patients/${patientId}/entries/${written.id}`)).status).toBe(200);
    const events = await audit(`patient=${patientId}&actor=${withGrant.accountId}`);
    expect(events.map((event) => event.action).sort()).toEqual(['dossier.viewed', 'entry.created', 'entry.viewed']);
    for (const event of events) expect(event).toMatchObject({ patientId, reason: `break_glass:${grantId}`, outcome: 'success' });
  });

  it('records each reading and writing by the care team with the patient and no grant', async () => {
    const { id } = await createTestPatient(practitioner);
    const entry = await write(practitioner, id, finding('130/85'));
    await practitioner.agent.get(`/api/v1/patients/${id}/dossier`);
    await practitioner.agent.get(`/api/v1/patients/${id}/entries/${entry.id}`);
    await practitioner.agent.get(`/api/v1/patients/${id}/entries/${entry.id}/versions`);
    await practitioner.agent.put(`/api/v1/patients/${id}/entries/${entry.id}`, { expectedVersion: 1, content: { title: 'Blood pressure', text: '135/85' }, effectiveAt: at(1) });
    await practitioner.agent.post(`/api/v1/patients/${id}/entries/${entry.id}/entered-in-error`, { reason: 'Wrong patient' });
    const events = await audit(`patient=${id}&actor=${practitioner.accountId}`);
    const dossierEvents = events.filter((event) => event.action.startsWith('entry.') || event.action.startsWith('dossier.'));
    expect(dossierEvents.map((event) => event.action).sort()).toEqual(['dossier.viewed', 'entry.created', 'entry.entered_in_error', 'entry.history_viewed', 'entry.revised', 'entry.viewed']);
    for (const event of dossierEvents) {
      expect(event).toMatchObject({ patientId: id, reason: null, outcome: 'success' });
      expect(event.resourceId).toBe(event.action === 'dossier.viewed' ? id : entry.id);
    }
    // What entries say never reaches the audit trail.
    expect(JSON.stringify(events)).not.toMatch(/135\/85|Wrong patient/);
  });
});

describe('writing on behalf of a colleague', () => {
  let patientId: string;
  beforeAll(async () => {
    patientId = (await createTestPatient(practitioner)).id;
    await joinCareTeam(patientId, colleague);
  });

  it('stores the colleague on the version and their account on the audit row', async () => {
    const entry = await write(practitioner, patientId, { ...finding('Dictated by Dr colleague'), onBehalfOfMembershipId: colleague.membershipId });
    expect(entry.onBehalfOf).toMatchObject({ accountId: colleague.accountId });
    expect(entry.author.accountId).toBe(practitioner.accountId);
    const versions = await practitioner.agent.get(`/api/v1/patients/${patientId}/entries/${entry.id}/versions`);
    expect(versions.body.versions[0].onBehalfOf.accountId).toBe(colleague.accountId);
    // The timeline names both, as the entry itself does (names come once per person on the page).
    const timeline = await practitioner.agent.get(`/api/v1/patients/${patientId}/dossier`);
    expect(timeline.body.entries.find((shown: { id: string }) => shown.id === entry.id)).toEqual(entry);
    expect(entry.onBehalfOf.name).not.toBe(entry.author.name);
    const [created] = await audit(`patient=${patientId}&action=entry.created&resourceId=${entry.id}`);
    expect(created).toMatchObject({ actorAccountId: practitioner.accountId, onBehalfOf: colleague.accountId, patientId });
  });

  it('refuses anyone who is not an active care-team member allowed to write (400 VALIDATION_FAILED), and stores nothing', async () => {
    await joinCareTeam(patientId, assistant); // in the team, but assistants write no dossiers
    const deactivated = await addMember(h, org, 'practitioner');
    await joinCareTeam(patientId, deactivated);
    expect((await org.owner.agent.post(`/api/v1/staff/${deactivated.membershipId}/deactivate`)).status).toBe(200);
    const before = (await practitioner.agent.get(`/api/v1/patients/${patientId}/dossier`)).body.entries.length;
    for (const membershipId of [outsider.membershipId, assistant.membershipId, deactivated.membershipId, practitioner.membershipId, crypto.randomUUID()]) {
      const response = await practitioner.agent.post(`/api/v1/patients/${patientId}/entries`, { ...finding('x'), onBehalfOfMembershipId: membershipId });
      expectError(response, 400, 'VALIDATION_FAILED');
      expect(response.body.error.fields).toEqual([{ path: 'onBehalfOfMembershipId', issue: expect.any(String) }]);
    }
    expect((await practitioner.agent.get(`/api/v1/patients/${patientId}/dossier`)).body.entries).toHaveLength(before);
  });
});

describe('entered in error', () => {
  it('keeps the entry with its status, who, when and the reason; it can no longer be revised or marked again (409)', async () => {
    const { id } = await createTestPatient(practitioner);
    const entry = await write(practitioner, id, finding('Wrong chart'));
    const marked = await practitioner.agent.post(`/api/v1/patients/${id}/entries/${entry.id}/entered-in-error`, { reason: 'Belongs to another patient' });
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    expect(marked.body).toMatchObject({ status: 'entered_in_error', currentVersion: 1, enteredInError: { at: h.clock.now().toISOString(), by: { accountId: practitioner.accountId }, reason: 'Belongs to another patient' } });
    const dossier = await practitioner.agent.get(`/api/v1/patients/${id}/dossier`);
    expect(dossier.body.entries).toEqual([marked.body]);
    expectError(await practitioner.agent.put(`/api/v1/patients/${id}/entries/${entry.id}`, { expectedVersion: 1, content: { title: 'x', text: 'y' }, effectiveAt: at(1) }), 409, 'ENTRY_ENTERED_IN_ERROR');
    expectError(await practitioner.agent.post(`/api/v1/patients/${id}/entries/${entry.id}/entered-in-error`, { reason: 'again' }), 409, 'ENTRY_ENTERED_IN_ERROR');
    expect((await practitioner.agent.get(`/api/v1/patients/${id}/entries/${entry.id}`)).body).toEqual(marked.body);
  });
});
