import type { NationalIdKind, PatientContact, PatientListItem, PatientView } from '@haven/contracts';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { AuthorizedPatient } from '../../core/authz/authorize.ts';
import { PatientCipher } from '../../core/crypto/patient-cipher.ts';
import type { FieldCrypto } from '../../core/crypto/field-crypto.ts';
import type { KeyRing } from '../../core/crypto/key-ring.ts';
import type { Sealed } from '../../core/crypto/sealed-column.ts';
import type { Tx } from '../../core/db/database.ts';
import { careTeamMembers, patientKeys, patientNameTokens, patients, type PatientStatus } from '../../core/db/schema.ts';

/*
 * Patient rows. Every personal column is sealed under the patient's own key (PatientCipher, place
 * `patients:<column>:<org>:<id>`); the blind indexes (name prefixes, birth date, national id) use
 * the practice's index key so that the practice can search all its patients.
 */

export const namePurpose = 'patients.name';
export const birthDatePurpose = 'patients.birth_date';
export const nationalIdPurpose = (kind: NationalIdKind) => `patients.national_id:${kind}`;

/** What is sealed in `details`: everything personal that is not searched for. */
export interface PatientDetails {
  sex: PatientView['sex'];
  gender: string | null;
  contact: PatientContact;
  notes: string | null;
}

/** A patient as the practice knows them, opened. */
export interface PatientRecord {
  id: string;
  name: { family: string; given: string };
  birthDate: string;
  details: PatientDetails;
  nationalId: { kind: NationalIdKind; value: string } | null;
  status: PatientStatus;
  createdAt: Date;
  updatedAt: Date;
}

const place = (column: string, id: string) => ({ table: 'patients', column, rowId: id });

export function sealPatient(cipher: PatientCipher, record: Pick<PatientRecord, 'id' | 'name' | 'birthDate' | 'details' | 'nationalId'>) {
  return {
    name: cipher.seal(place('name', record.id), JSON.stringify(record.name)),
    birthDate: cipher.seal(place('birth_date', record.id), record.birthDate),
    details: cipher.seal(place('details', record.id), JSON.stringify(record.details)),
    nationalIdKind: record.nationalId?.kind ?? null,
    nationalId: record.nationalId ? cipher.seal(place('national_id', record.id), record.nationalId.value) : null,
  };
}

interface SealedPatientRow {
  id: string;
  name: Sealed;
  birthDate: Sealed;
  details: Sealed;
  nationalIdKind: NationalIdKind | null;
  nationalId: Sealed | null;
  status: PatientStatus;
  createdAt: Date;
  updatedAt: Date;
}

export function openPatient(cipher: PatientCipher, row: SealedPatientRow): PatientRecord {
  return {
    id: row.id,
    name: JSON.parse(cipher.open(place('name', row.id), row.name)) as PatientRecord['name'],
    birthDate: cipher.open(place('birth_date', row.id), row.birthDate),
    details: JSON.parse(cipher.open(place('details', row.id), row.details)) as PatientDetails,
    nationalId: row.nationalId && row.nationalIdKind ? { kind: row.nationalIdKind, value: cipher.open(place('national_id', row.id), row.nationalId) } : null,
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The blind indexes of a patient's searchable values, in the practice's scope. */
export async function patientIndexes(tx: Tx, fields: FieldCrypto, orgId: string, record: Pick<PatientRecord, 'name' | 'birthDate' | 'nationalId'>) {
  return {
    nameTokens: await fields.nameTokens(tx, orgId, namePurpose, `${record.name.given} ${record.name.family}`),
    birthDateBidx: await fields.index(tx, orgId, birthDatePurpose, record.birthDate),
    nationalIdBidx: record.nationalId ? await fields.index(tx, orgId, nationalIdPurpose(record.nationalId.kind), record.nationalId.value) : null,
  };
}

/** Whether another live patient of the practice holds this national identifier already. */
export async function nationalIdTaken(tx: Tx, orgId: string, kind: NationalIdKind, index: Buffer, exceptId?: string): Promise<boolean> {
  const rows = await tx
    .select({ id: patients.id })
    .from(patients)
    .where(and(eq(patients.orgId, orgId), eq(patients.nationalIdKind, kind), eq(patients.nationalIdBidx, index)))
    .limit(2);
  return rows.some((row) => row.id !== exceptId);
}

export async function insertPatient(
  tx: Tx,
  orgId: string,
  row: ReturnType<typeof sealPatient> & { id: string; createdByAccountId: string; now: Date },
  indexes: Awaited<ReturnType<typeof patientIndexes>>,
): Promise<void> {
  await tx.insert(patients).values({
    orgId,
    id: row.id,
    name: row.name,
    birthDate: row.birthDate,
    birthDateBidx: indexes.birthDateBidx,
    details: row.details,
    nationalIdKind: row.nationalIdKind,
    nationalId: row.nationalId,
    nationalIdBidx: indexes.nationalIdBidx,
    status: 'active',
    createdByAccountId: row.createdByAccountId,
    createdAt: row.now,
    updatedAt: row.now,
  });
  await replaceNameTokens(tx, orgId, row.id, indexes.nameTokens);
}

export async function replaceNameTokens(tx: Tx, orgId: string, patientId: string, tokens: readonly Buffer[]): Promise<void> {
  await tx.delete(patientNameTokens).where(and(eq(patientNameTokens.orgId, orgId), eq(patientNameTokens.patientId, patientId)));
  if (tokens.length > 0) await tx.insert(patientNameTokens).values(tokens.map((token) => ({ orgId, token, patientId })));
}

const sealedColumns = {
  id: patients.id,
  name: patients.name,
  birthDate: patients.birthDate,
  details: patients.details,
  nationalIdKind: patients.nationalIdKind,
  nationalId: patients.nationalId,
  status: patients.status,
  createdAt: patients.createdAt,
  updatedAt: patients.updatedAt,
};

/** The authorised patient, opened with their key. */
export async function readPatient(tx: Tx, fields: FieldCrypto, orgId: string, patient: AuthorizedPatient): Promise<PatientRecord> {
  const [row] = await tx
    .select(sealedColumns)
    .from(patients)
    .where(and(eq(patients.orgId, orgId), eq(patients.id, patient.patientId)))
    .limit(1);
  if (!row) throw new Error('an authorised patient has no row');
  return openPatient(await fields.forPatient(tx, orgId, patient.patientId), row);
}

export async function updatePatientRow(
  tx: Tx,
  orgId: string,
  patient: AuthorizedPatient,
  sealedRow: ReturnType<typeof sealPatient>,
  indexes: Awaited<ReturnType<typeof patientIndexes>>,
  now: Date,
): Promise<void> {
  await tx
    .update(patients)
    .set({ ...sealedRow, birthDateBidx: indexes.birthDateBidx, nationalIdBidx: indexes.nationalIdBidx, updatedAt: now })
    .where(and(eq(patients.orgId, orgId), eq(patients.id, patient.patientId)));
  await replaceNameTokens(tx, orgId, patient.patientId, indexes.nameTokens);
}

export async function addToCareTeam(tx: Tx, orgId: string, row: { patientId: string; membershipId: string; roleInTeam: 'responsible' | 'member'; addedByAccountId: string; now: Date }): Promise<void> {
  await tx
    .insert(careTeamMembers)
    .values({ orgId, patientId: row.patientId, membershipId: row.membershipId, roleInTeam: row.roleInTeam, addedByAccountId: row.addedByAccountId, addedAt: row.now })
    .onConflictDoNothing();
}

/**
 * Directory rows for these patient ids (live ones only), opened: one statement that also returns
 * each patient's wrapped key, so a page of 50 costs no extra round trip per patient.
 */
export async function readListItems(tx: Tx, keys: KeyRing, orgId: string, ids: readonly string[]): Promise<PatientListItem[]> {
  if (ids.length === 0) return [];
  const rows = await tx
    .select({ ...sealedColumns, wrappedKey: patientKeys.wrappedKey, orgKeyVersion: patientKeys.orgKeyVersion })
    .from(patients)
    .innerJoin(patientKeys, and(eq(patientKeys.orgId, patients.orgId), eq(patientKeys.patientId, patients.id)))
    .where(and(eq(patients.orgId, orgId), inArray(patients.id, [...ids]), sql`${patients.status} <> 'erased'`));
  const items: PatientListItem[] = [];
  for (const row of rows) {
    const cipher = await PatientCipher.fromRow(keys, orgId, row.id, row, { tx });
    const name = JSON.parse(cipher.open(place('name', row.id), row.name)) as PatientRecord['name'];
    const details = JSON.parse(cipher.open(place('details', row.id), row.details)) as PatientDetails;
    items.push({ id: row.id, name, birthDate: cipher.open(place('birth_date', row.id), row.birthDate), sex: details.sex, status: row.status, updatedAt: row.updatedAt.toISOString() });
  }
  return items;
}
