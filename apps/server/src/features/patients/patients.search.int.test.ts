import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createTestOrganisation, createTestPatient, testBsn, unique, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';

/*
 * Finding patients through the blind indexes: name prefixes (several words, any order, accents
 * and case ignored), exact date of birth and national identifier, and browsing page by page.
 * Only this practice's patients are ever found, and a search is recorded once, without names.
 */

let h: TestHarness;
let org: TestOrganisation;
let assistant: TestPerson;
/** A word no other test's patient has, so results are exact. */
const tag = `Zq${unique().replace(/[^a-z]/gi, '').slice(0, 6)}`;
const ids: Record<string, string> = {};

beforeAll(async () => {
  h = await createHarness();
  org = await createTestOrganisation(h);
  assistant = await addMember(h, org, 'assistant');
  ids.anna = (await createTestPatient(assistant, { name: { family: `Müller-${tag}`, given: 'Anna Sophie' }, birthDate: '1975-03-02' })).id;
  ids.jan = (await createTestPatient(assistant, { name: { family: `van der Berg ${tag}`, given: 'Jan' }, birthDate: '1990-12-24' })).id;
  ids.mei = (await createTestPatient(assistant, { name: { family: `Li ${tag}`, given: 'Mei' }, birthDate: '1975-03-02' })).id;
});
afterAll(() => h.close());

const search = async (body: Record<string, unknown>) => {
  const response = await assistant.agent.post('/api/v1/patients/search', body);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as { patients: Array<{ id: string; name: { family: string; given: string } }>; truncated: boolean };
};
const found = async (body: Record<string, unknown>) => (await search(body)).patients.map((patient) => patient.id).sort();

describe('searching by name', () => {
  it('finds by the start of any word of the name, ignoring case and accents', async () => {
    expect(await found({ q: `${tag} mul` })).toEqual([ids.anna]);
    expect(await found({ q: `${tag.toLowerCase()} SOPH` })).toEqual([ids.anna]);
    expect(await found({ q: `berg ${tag}` })).toEqual([ids.jan]);
  });

  it('needs every word to match', async () => {
    expect(await found({ q: `${tag} anna jan` })).toEqual([]);
    expect(await found({ q: tag })).toEqual([ids.anna, ids.jan, ids.mei].sort());
  });

  it('matches a short word only as a whole word', async () => {
    expect(await found({ q: `li ${tag}` })).toEqual([ids.mei]);
  });

  it('returns the results sorted by family name, and says when a search is too broad', async () => {
    const result = await search({ q: tag });
    expect(result.patients.map((patient) => patient.name.family)).toEqual([`Li ${tag}`, `Müller-${tag}`, `van der Berg ${tag}`]);
    expect(result.truncated).toBe(false);
  });

  it('refuses an empty search (400) instead of listing everyone', async () => {
    const response = await assistant.agent.post('/api/v1/patients/search', { q: '  ' });
    expect(response.status).toBe(400);
    expect((await assistant.agent.post('/api/v1/patients/search', {})).status).toBe(400);
  });
});

describe('searching by date of birth and identifier', () => {
  it('finds by exact date of birth, alone or with a name', async () => {
    const byDate = await found({ birthDate: '1975-03-02' });
    expect(byDate).toEqual(expect.arrayContaining([ids.anna, ids.mei]));
    expect(byDate).not.toContain(ids.jan);
    expect(await found({ birthDate: '1975-03-02', q: `mei ${tag}` })).toEqual([ids.mei]);
  });

  it('finds by national identifier however it is typed, and refuses one with a wrong check digit', async () => {
    const bsn = testBsn();
    const { id } = await createTestPatient(assistant, { nationalId: { kind: 'bsn', value: bsn } });
    expect(await found({ nationalId: `${bsn.slice(0, 3)} ${bsn.slice(3, 6)} ${bsn.slice(6)}` })).toEqual([id]);
    const wrong = await assistant.agent.post('/api/v1/patients/search', { nationalId: '123456789' });
    expect(wrong.status).toBe(400);
  });
});

describe('browsing', () => {
  it('pages through every patient once, most recently changed first', async () => {
    for (let i = 0; i < 52; i++) await createTestPatient(assistant, { nationalId: undefined });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { patients: Array<{ id: string }>; nextCursor: string | null } } = await assistant.agent.get(`/api/v1/patients${cursor ? `?cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.patients.length).toBeLessThanOrEqual(50);
      seen.push(...page.body.patients.map((patient) => patient.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(55);
    expect(seen).toEqual(expect.arrayContaining(Object.values(ids)));

    h.clock.advance(1000);
    const touched = await assistant.agent.patch(`/api/v1/patients/${ids.jan}`, { notes: 'moved' });
    expect(touched.status).toBe(200);
    expect((await assistant.agent.get('/api/v1/patients')).body.patients[0].id).toBe(ids.jan);
  });

  it('refuses a cursor it did not make (400)', async () => {
    expect((await assistant.agent.get('/api/v1/patients?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
  });
});

describe('what is recorded', () => {
  it('records one patient.searched per search, with neither the words typed nor the patients found', async () => {
    const marker = `Qx${unique().replace(/[^a-z]/gi, '').slice(0, 5)}`;
    await search({ q: marker });
    const page = await org.owner.agent.get(`/api/v1/audit-events?action=patient.searched&actor=${assistant.accountId}&limit=200`);
    const records = page.body.events as Array<{ patientId: string | null; reason: string }>;
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(record.patientId).toBeNull();
    expect(JSON.stringify(page.body)).not.toContain(marker);
  });
});
