/**
 * Seeds the dossier benchmark's practice: 10,000 patients with 20 dossier entries each, sealed
 * exactly as the server seals them (patient keys, PatientCipher, blind indexes), plus the same
 * data in clear in two bench-only tables for the plain baseline. Writes go straight to the
 * database in multi-row INSERTs (one transaction per 1,000 patients); the seed writes no audit
 * records (the measured requests do).
 */
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import { PatientCipher } from '../apps/server/src/core/crypto/patient-cipher.ts';
import type { Services } from '../apps/server/src/core/context.ts';
import type { Database, Tx } from '../apps/server/src/core/db/database.ts';
import { careTeamMembers, dossierEntries, entryVersions, patientKeys, patientNameTokens, patients } from '../apps/server/src/core/db/schema.ts';
import { newId } from '../apps/server/src/core/security/tokens.ts';
import { versionPlace } from '../apps/server/src/features/dossier/repository.ts';
import { patientIndexes, sealPatient, type PatientRecord } from '../apps/server/src/features/patients/repository.ts';

/** A small deterministic PRNG (mulberry32): the same practice every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/*
 * Names made from syllables (no real name lists): 200 family names and 100 given names, so a
 * three-letter prefix matches a few dozen of 10,000 patients — a realistic search result.
 */
const onsets = ['b', 'br', 'd', 'dr', 'f', 'g', 'gr', 'h', 'j', 'k', 'kl', 'l', 'm', 'n', 'p', 'r', 's', 'st', 't', 'v', 'w', 'z'];
const vowels = ['a', 'e', 'i', 'o', 'u', 'aa', 'ie', 'oe'];
const codas = ['n', 'rt', 'ns', 'l', 'k', 'man', 'sen', 'berg', 'dijk', 'mer'];
function names(count: number, random: () => number, withCoda: boolean): string[] {
  const made = new Set<string>();
  while (made.size < count) {
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
    const word = pick(onsets) + pick(vowels) + pick(onsets).slice(-1) + pick(vowels) + (withCoda ? pick(codas) : '');
    made.add(word[0]!.toUpperCase() + word.slice(1));
  }
  return [...made];
}

export interface SeededPractice {
  orgId: string;
  patientIds: string[];
  /** Three-letter name prefixes that occur, for the search scenario. */
  prefixes: string[];
  seedSeconds: number;
}

const entryTexts = ['Reports sleeping better since the last session.', 'Blood pressure 128/82, pulse regular.', 'Discussed the exercise plan; to continue twice a week.', 'Mild pain on flexion of the right knee.'];

/** The plain baseline's tables: the same data without encryption, row-level security or audit. */
export const plainTablesSql = `
  CREATE TABLE IF NOT EXISTS bench_plain_patients (org_id uuid NOT NULL, id uuid NOT NULL, family text NOT NULL, given text NOT NULL, birth_date text NOT NULL, PRIMARY KEY (org_id, id));
  CREATE TABLE IF NOT EXISTS bench_plain_entries (org_id uuid NOT NULL, patient_id uuid NOT NULL, id uuid NOT NULL, kind text NOT NULL, status text NOT NULL,
    effective_at timestamptz NOT NULL, version integer NOT NULL, author_account_id uuid NOT NULL, content text NOT NULL, PRIMARY KEY (org_id, id));
  CREATE INDEX IF NOT EXISTS bench_plain_entries_timeline ON bench_plain_entries (org_id, patient_id, effective_at DESC, id DESC);
  -- The same one-statement shape as the server's functions (core/db/functions.ts), minus the security work.
  CREATE OR REPLACE FUNCTION haven_bench_plain_dossier(p_org uuid, p_patient uuid, p_limit int)
    RETURNS TABLE (row_kind text, id uuid, family text, given text, birth_date text, kind text, status text, effective_at timestamptz, version int, author uuid, content text)
    LANGUAGE plpgsql VOLATILE AS $$
  BEGIN
    PERFORM set_config('role', 'haven_app', true), set_config('app.org_id', p_org::text, true), set_config('app.scope', 'request', true);
    RETURN QUERY
      SELECT 'patient'::text, p.id, p.family, p.given, p.birth_date, NULL::text, NULL::text, NULL::timestamptz, NULL::int, NULL::uuid, NULL::text
        FROM bench_plain_patients p WHERE p.org_id = p_org AND p.id = p_patient
      UNION ALL
      (SELECT 'entry'::text, e.id, NULL, NULL, NULL, e.kind, e.status, e.effective_at, e.version, e.author_account_id, e.content
        FROM bench_plain_entries e WHERE e.org_id = p_org AND e.patient_id = p_patient
        ORDER BY e.effective_at DESC, e.id DESC LIMIT p_limit);
  END $$;
  GRANT SELECT, INSERT ON bench_plain_patients, bench_plain_entries TO haven_app;
  GRANT EXECUTE ON FUNCTION haven_bench_plain_dossier(uuid, uuid, int) TO haven_app;
`;

/** Creates the plain tables as the database owner (the request role may not create tables). */
export async function createPlainTables(db: Database, ownerUrl: string | null): Promise<void> {
  if (db.unsafeEmbeddedClient) {
    await db.unsafeEmbeddedClient.exec(plainTablesSql);
    return;
  }
  const client = new pg.Client({ connectionString: ownerUrl! });
  await client.connect();
  try {
    await client.query(plainTablesSql);
  } finally {
    await client.end();
  }
}

async function insertChunked<T>(rows: T[], size: number, insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += size) await insert(rows.slice(start, start + size));
}

/**
 * Seeds `patientCount` patients with `entriesPerPatient` entries each into practice `orgId`, all
 * in the care team of `membershipId`, written by `accountId`.
 */
export async function seedDossiers(
  services: Services,
  practice: { orgId: string; membershipId: string; accountId: string },
  options: { patientCount: number; entriesPerPatient: number; batch?: number },
): Promise<SeededPractice> {
  const started = performance.now();
  const { db, keys, fields, clock } = services;
  const { orgId, membershipId, accountId } = practice;
  const random = prng(20261123);
  const families = names(200, random, true);
  const givens = names(100, random, false);
  const now = clock.now();
  const batch = options.batch ?? 1000;
  const patientIds: string[] = [];

  for (let offset = 0; offset < options.patientCount; offset += batch) {
    const ids = Array.from({ length: Math.min(batch, options.patientCount - offset) }, () => newId());
    await db.tenant(orgId, async (tx: Tx) => {
      await keys.createPatientKeys(tx, orgId, ids, now);
      const keyRows = await tx
        .select({ patientId: patientKeys.patientId, wrappedKey: patientKeys.wrappedKey, orgKeyVersion: patientKeys.orgKeyVersion })
        .from(patientKeys)
        .where(and(eq(patientKeys.orgId, orgId), inArray(patientKeys.patientId, ids)));
      const patientRows: Array<typeof patients.$inferInsert> = [];
      const tokenRows: Array<typeof patientNameTokens.$inferInsert> = [];
      const heads: Array<typeof dossierEntries.$inferInsert> = [];
      const versions: Array<typeof entryVersions.$inferInsert> = [];
      const plainPatients: unknown[][] = [];
      const plainEntries: unknown[][] = [];
      for (const keyRow of keyRows) {
        const id = keyRow.patientId;
        const cipher = await PatientCipher.fromRow(keys, orgId, id, keyRow, { tx });
        const record: PatientRecord = {
          id,
          name: { family: families[Math.floor(random() * families.length)]!, given: givens[Math.floor(random() * givens.length)]! },
          birthDate: `19${String(30 + Math.floor(random() * 70)).padStart(2, '0')}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
          details: { sex: random() < 0.5 ? 'female' : 'male', gender: null, contact: {}, notes: null },
          nationalId: null,
          status: 'active',
          createdAt: now,
          updatedAt: now,
        };
        const indexes = await patientIndexes(tx, fields, orgId, record);
        patientRows.push({ orgId, id, ...sealPatient(cipher, record), birthDateBidx: indexes.birthDateBidx, nationalIdBidx: null, status: 'active', createdByAccountId: accountId, createdAt: now, updatedAt: now });
        for (const token of indexes.nameTokens) tokenRows.push({ orgId, token, patientId: id });
        plainPatients.push([orgId, id, record.name.family, record.name.given, record.birthDate]);
        for (let n = 0; n < options.entriesPerPatient; n++) {
          const entryId = newId();
          const effectiveAt = new Date(now.getTime() - (n + 1) * 86_400_000 - Math.floor(random() * 3_600_000));
          const kind = n % 5 === 0 ? 'diagnosis' : n % 2 === 0 ? 'finding' : 'note';
          const text = entryTexts[n % entryTexts.length]!;
          const content = kind === 'diagnosis' ? { icd10Code: 'F32.1', icd10Text: 'Moderate depressive episode', text } : kind === 'finding' ? { title: `Session ${n + 1}`, text } : { text };
          const json = JSON.stringify(content);
          heads.push({ orgId, id: entryId, patientId: id, kind, currentVersion: 1, status: 'active', effectiveAt, createdByAccountId: accountId, createdAt: now, updatedAt: now });
          versions.push({ orgId, entryId, version: 1, patientId: id, content: cipher.seal(versionPlace(entryId, 1, 'content'), json), effectiveAt, authorAccountId: accountId, authorRole: 'owner', recordedAt: now });
          plainEntries.push([orgId, id, entryId, kind, 'active', effectiveAt, 1, accountId, json]);
        }
        patientIds.push(id);
      }
      await insertChunked(patientRows, 1000, (chunk) => tx.insert(patients).values(chunk));
      await insertChunked(tokenRows, 5000, (chunk) => tx.insert(patientNameTokens).values(chunk));
      await insertChunked(
        ids.map((patientId) => ({ orgId, patientId, membershipId, roleInTeam: 'responsible' as const, addedByAccountId: accountId, addedAt: now })),
        2000,
        (chunk) => tx.insert(careTeamMembers).values(chunk),
      );
      await insertChunked(heads, 2000, (chunk) => tx.insert(dossierEntries).values(chunk));
      await insertChunked(versions, 2000, (chunk) => tx.insert(entryVersions).values(chunk));
      await insertChunked(plainPatients, 2000, (chunk) => tx.execute(valuesInsert('bench_plain_patients', chunk)));
      await insertChunked(plainEntries, 2000, (chunk) => tx.execute(valuesInsert('bench_plain_entries', chunk)));
    });
  }
  const prefixes = [...new Set(families.map((family) => family.slice(0, 3)))];
  return { orgId, patientIds, prefixes, seedSeconds: Number(((performance.now() - started) / 1000).toFixed(1)) };
}

/** A multi-row INSERT with every value bound as a parameter. */
function valuesInsert(table: 'bench_plain_patients' | 'bench_plain_entries', rows: unknown[][]): SQL {
  const tuples = rows.map((row) => sql`(${sql.join(row.map((value) => sql`${value instanceof Date ? value.toISOString() : value}`), sql`, `)})`);
  return sql`insert into ${sql.raw(table)} values ${sql.join(tuples, sql`, `)}`;
}
