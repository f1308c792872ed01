import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createTestOrganisation, createTestPatient, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { Sealed } from '../../core/crypto/sealed-column.ts';
import { queryRows } from '../../core/db/database.ts';
import { careTeamMembers } from '../../core/db/schema.ts';
import { versionPlace } from './repository.ts';

/*
 * The history of an entry is kept, not rewritten (§630f BGB; docs/design/patients-and-dossiers.md
 * §2): every version stays readable with who wrote it and when, the request role cannot change
 * or delete a version even with raw SQL, a version's ciphertext does not open as another
 * version's, and two editors starting from the same version cannot both save.
 */

let h: TestHarness;
let org: TestOrganisation;
let practitioner: TestPerson;
let colleague: TestPerson;
let patientId: string;
beforeAll(async () => {
  h = await createHarness();
  org = await createTestOrganisation(h);
  practitioner = await addMember(h, org, 'practitioner');
  colleague = await addMember(h, org, 'practitioner');
  patientId = (await createTestPatient(practitioner)).id;
  await h.db.tenant(org.orgId, (tx) =>
    tx.insert(careTeamMembers).values({ orgId: org.orgId, patientId, membershipId: colleague.membershipId, roleInTeam: 'member', addedByAccountId: org.owner.accountId, addedAt: h.clock.now() }),
  );
});
afterAll(() => h.close());

const effectiveAt = '2026-11-20T10:00:00+01:00';
const note = (text: string) => ({ kind: 'note', content: { text }, effectiveAt });

async function newEntry(text: string): Promise<{ id: string }> {
  const created = await practitioner.agent.post(`/api/v1/patients/${patientId}/entries`, note(text));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

/** The database error code of a failed statement (drizzle wraps the driver's error). */
function pgCode(error: unknown): string | undefined {
  const found = error as { code?: string; cause?: { code?: string } } | null;
  return found?.code ?? found?.cause?.code;
}

describe('the history of an entry', () => {
  it('lists every version, oldest first, with author, role, time, clinical time and change reason', async () => {
    const t0 = h.clock.now();
    const entry = await newEntry('First impression: tension headache.');
    h.clock.advance(120_000);
    const t1 = h.clock.now();
    const second = await colleague.agent.put(`/api/v1/patients/${patientId}/entries/${entry.id}`, {
      expectedVersion: 1,
      content: { title: 'Headache', text: 'Migraine without aura.' },
      effectiveAt: '2026-11-20T11:00:00+01:00',
      changeReason: 'Second opinion',
    });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    h.clock.advance(60_000);
    const t2 = h.clock.now();
    expect((await practitioner.agent.put(`/api/v1/patients/${patientId}/entries/${entry.id}`, { expectedVersion: 2, content: { text: 'Migraine without aura; triptan prescribed.' }, effectiveAt })).status).toBe(200);

    const history = await practitioner.agent.get(`/api/v1/patients/${patientId}/entries/${entry.id}/versions`);
    expect(history.status, JSON.stringify(history.body)).toBe(200);
    expect(history.body.entryId).toBe(entry.id);
    expect(history.body.kind).toBe('note');
    expect(history.body.versions).toEqual([
      {
        version: 1,
        content: { text: 'First impression: tension headache.' },
        documentId: null,
        effectiveAt: new Date(effectiveAt).toISOString(),
        author: { accountId: practitioner.accountId, name: expect.stringMatching(/^practitioner /), role: 'practitioner' },
        onBehalfOf: null,
        changeReason: null,
        recordedAt: t0.toISOString(),
      },
      {
        version: 2,
        content: { title: 'Headache', text: 'Migraine without aura.' },
        documentId: null,
        effectiveAt: new Date('2026-11-20T11:00:00+01:00').toISOString(),
        author: { accountId: colleague.accountId, name: expect.stringMatching(/^practitioner /), role: 'practitioner' },
        onBehalfOf: null,
        changeReason: 'Second opinion',
        recordedAt: t1.toISOString(),
      },
      expect.objectContaining({ version: 3, author: expect.objectContaining({ accountId: practitioner.accountId }), changeReason: null, recordedAt: t2.toISOString() }),
    ]);
    // The timeline shows the entry at its newest version, created by its first author.
    const current = await practitioner.agent.get(`/api/v1/patients/${patientId}/entries/${entry.id}`);
    expect(current.body).toMatchObject({ currentVersion: 3, content: { text: 'Migraine without aura; triptan prescribed.' }, createdBy: { accountId: practitioner.accountId }, createdAt: t0.toISOString(), updatedAt: t2.toISOString() });
  });

  it('keeps the versions of an entry entered in error', async () => {
    const entry = await newEntry('Meant for another patient');
    expect((await practitioner.agent.post(`/api/v1/patients/${patientId}/entries/${entry.id}/entered-in-error`, { reason: 'Wrong chart' })).status).toBe(200);
    const history = await practitioner.agent.get(`/api/v1/patients/${patientId}/entries/${entry.id}/versions`);
    expect(history.body.versions.map((version: { content: unknown }) => version.content)).toEqual([{ text: 'Meant for another patient' }]);
  });
});

describe('versions are append-only', () => {
  it('refuses a raw UPDATE or DELETE of a version, or a DELETE of an entry, as the request role (permission denied)', async () => {
    const entry = await newEntry('Not to be rewritten');
    const attempts = [
      sql`update entry_versions set recorded_at = now() where entry_id = ${entry.id}::uuid`,
      sql`update entry_versions set content = content where entry_id = ${entry.id}::uuid`,
      sql`delete from entry_versions where entry_id = ${entry.id}::uuid`,
      sql`delete from dossier_entries where id = ${entry.id}::uuid`,
    ];
    for (const statement of attempts) {
      const failure = await h.db.tenant(org.orgId, (tx) => tx.execute(statement)).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure, 'the statement should have been refused').not.toBeNull();
      expect(pgCode(failure)).toBe('42501'); // insufficient_privilege
    }
    const history = await practitioner.agent.get(`/api/v1/patients/${patientId}/entries/${entry.id}/versions`);
    expect(history.body.versions).toEqual([expect.objectContaining({ version: 1, content: { text: 'Not to be rewritten' } })]);
  });

  it("seals each version for its own place: one version's ciphertext does not open as another's", async () => {
    const entry = await newEntry('Version one');
    expect((await practitioner.agent.put(`/api/v1/patients/${patientId}/entries/${entry.id}`, { expectedVersion: 1, content: { text: 'Version two' }, effectiveAt })).status).toBe(200);
    await h.db.tenant(org.orgId, async (tx) => {
      const rows = await queryRows<{ version: number; content: Buffer | Uint8Array }>(tx, sql`select version, content from entry_versions where entry_id = ${entry.id}::uuid order by version`);
      const [one, two] = rows.map((row) => Sealed.fromBytes(Buffer.from(row.content)));
      const cipher = await h.services.fields.forPatient(tx, org.orgId, patientId);
      expect(JSON.parse(cipher.open(versionPlace(entry.id, 1, 'content'), one!))).toEqual({ text: 'Version one' });
      expect(() => cipher.open(versionPlace(entry.id, 2, 'content'), one!)).toThrow();
      expect(() => cipher.open(versionPlace(entry.id, 1, 'content'), two!)).toThrow();
    });
  });
});

describe('two editors at once', () => {
  it('saves the first revision from a version and refuses the second (409 ENTRY_VERSION_CONFLICT), writing nothing for it', async () => {
    const entry = await newEntry('Start');
    const first = await practitioner.agent.put(`/api/v1/patients/${patientId}/entries/${entry.id}`, { expectedVersion: 1, content: { text: 'Mine' }, effectiveAt });
    expect(first.status).toBe(200);
    const second = await colleague.agent.put(`/api/v1/patients/${patientId}/entries/${entry.id}`, { expectedVersion: 1, content: { text: 'Theirs' }, effectiveAt, changeReason: 'late' });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('ENTRY_VERSION_CONFLICT');
    const history = await practitioner.agent.get(`/api/v1/patients/${patientId}/entries/${entry.id}/versions`);
    expect(history.body.versions.map((version: { content: { text: string } }) => version.content.text)).toEqual(['Start', 'Mine']);
  });

  it('lets exactly one of two simultaneous revisions win', async () => {
    const entry = await newEntry('Start');
    const [a, b] = await Promise.all([
      practitioner.agent.put(`/api/v1/patients/${patientId}/entries/${entry.id}`, { expectedVersion: 1, content: { text: 'A' }, effectiveAt }),
      colleague.agent.put(`/api/v1/patients/${patientId}/entries/${entry.id}`, { expectedVersion: 1, content: { text: 'B' }, effectiveAt }),
    ]);
    expect([a!.status, b!.status].sort()).toEqual([200, 409]);
    const history = await practitioner.agent.get(`/api/v1/patients/${patientId}/entries/${entry.id}/versions`);
    expect(history.body.versions).toHaveLength(2);
    const winner = a!.status === 200 ? 'A' : 'B';
    expect(history.body.versions[1].content.text).toBe(winner);
  });
});
