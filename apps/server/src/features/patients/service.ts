import { validNationalId, type NationalIdInput, type PatientInput, type PatientUpdate, type PatientView } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { patientAuditFields, withPatientAccess, type AuthorizedPatient } from '../../core/authz/authorize.ts';
import { auditMeta, holds, memberOf, type RequestContext } from '../../core/context.ts';
import type { FieldCrypto } from '../../core/crypto/field-crypto.ts';
import type { Tx } from '../../core/db/database.ts';
import { PatientCipher } from '../../core/crypto/patient-cipher.ts';
import { AppError } from '../../core/errors.ts';
import { newId } from '../../core/security/tokens.ts';
import { patientEvent } from './audit.ts';
import { addToCareTeam, insertPatient, nationalIdTaken, patientIndexes, readPatient, sealPatient, updatePatientRow, type PatientRecord } from './repository.ts';

/*
 * Patients are created only by the practice (issue 5 §2): a key of their own first, then the
 * sealed row, its search indexes, and — when the creator treats patients — the creator in the
 * care team, all in one transaction with the audit record.
 */

export function presentPatient(record: PatientRecord): PatientView {
  return {
    id: record.id,
    name: record.name,
    birthDate: record.birthDate,
    sex: record.details.sex,
    gender: record.details.gender,
    contact: record.details.contact,
    notes: record.details.notes,
    nationalId: record.nationalId,
    status: record.status,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

/** The stored (normalised) identifier; the schema has checked the digit already. */
function normalisedId(input: NationalIdInput): { kind: NationalIdInput['kind']; value: string } {
  const value = validNationalId(input.kind, input.value);
  if (!value) throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'nationalId', issue: 'checksum' }] });
  return { kind: input.kind, value };
}

function assertBornBy(birthDate: string, now: Date): void {
  if (birthDate > now.toISOString().slice(0, 10)) throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'birthDate', issue: 'in_future' }] });
}

async function assertIdentifierFree(tx: Tx, orgId: string, kind: NationalIdInput['kind'], index: Buffer | null, exceptId?: string): Promise<void> {
  if (index && (await nationalIdTaken(tx, orgId, kind, index, exceptId))) throw new AppError('PATIENT_ALREADY_EXISTS');
}

export async function createPatient(ctx: RequestContext, input: PatientInput): Promise<PatientView> {
  const actor = memberOf(ctx);
  const { db, keys, fields, clock } = ctx.services;
  const now = clock.now();
  assertBornBy(input.birthDate, now);
  const id = newId();
  const record: PatientRecord = {
    id,
    name: input.name,
    birthDate: input.birthDate,
    details: { sex: input.sex, gender: input.gender ?? null, contact: input.contact, notes: input.notes ?? null },
    nationalId: input.nationalId ? normalisedId(input.nationalId) : null,
    status: 'active',
    createdAt: now,
    updatedAt: now,
  };
  await db.tenant(actor.orgId, async (tx) => {
    const indexes = await patientIndexes(tx, fields, actor.orgId, record);
    if (record.nationalId) await assertIdentifierFree(tx, actor.orgId, record.nationalId.kind, indexes.nationalIdBidx);
    const key = await keys.createPatientKey(tx, actor.orgId, id, now);
    const cipher = PatientCipher.fromKey(actor.orgId, id, key);
    key.key.fill(0); // the cipher holds its own copy
    await insertPatient(tx, actor.orgId, { ...sealPatient(cipher, record), id, createdByAccountId: actor.accountId, now }, indexes);
    const meta = auditMeta(ctx, now);
    await appendAudit(tx, actor.orgId, meta, patientEvent({ action: 'patient.created', outcome: 'success', resourceType: 'patient', resourceId: id, patientId: id }));
    // Whoever creates a patient and treats patients is their first care team (design §1.1); an
    // assistant's new patient waits for an owner or admin to assign one.
    if (holds(actor, 'dossier:read')) {
      await addToCareTeam(tx, actor.orgId, { patientId: id, membershipId: actor.membershipId, roleInTeam: 'responsible', addedByAccountId: actor.accountId, now });
      await appendAudit(tx, actor.orgId, meta, patientEvent({ action: 'care_team.member_added', outcome: 'success', resourceType: 'care_team', resourceId: actor.membershipId, patientId: id, reason: 'creator' }));
    }
  });
  return presentPatient(record);
}

export async function getPatient(ctx: RequestContext, unverifiedPatientId: string): Promise<PatientView> {
  const { fields, clock } = ctx.services;
  return withPatientAccess(ctx, { unverifiedPatientId, resource: 'patient', action: 'read' }, async (tx, patient) => {
    const orgId = ctx.principal!.orgId!;
    const record = await readPatient(tx, fields, orgId, patient);
    await appendAudit(tx, orgId, auditMeta(ctx, clock.now()), patientEvent({ action: 'patient.viewed', outcome: 'success', resourceType: 'patient', resourceId: patient.patientId, ...patientAuditFields(patient) }));
    return presentPatient(record);
  });
}

/** Fields that changed, by name (the audit record holds names, never values). */
function changedFields(before: PatientRecord, after: PatientRecord): string[] {
  const pairs: Array<[string, unknown, unknown]> = [
    ['name', before.name, after.name],
    ['birthDate', before.birthDate, after.birthDate],
    ['sex', before.details.sex, after.details.sex],
    ['gender', before.details.gender, after.details.gender],
    ['contact', before.details.contact, after.details.contact],
    ['notes', before.details.notes, after.details.notes],
    ['nationalId', before.nationalId, after.nationalId],
  ];
  return pairs.filter(([, a, b]) => JSON.stringify(a) !== JSON.stringify(b)).map(([name]) => name);
}

/**
 * Stores a changed patient record: sealed again under the patient's key, with the search indexes
 * and name tokens kept in step. The practice's edit and the patient's own contact correction in
 * the portal both go through here. Returns the changed fields' names (none: nothing written).
 */
export async function writePatientChange(tx: Tx, fields: FieldCrypto, orgId: string, patient: AuthorizedPatient, before: PatientRecord, after: PatientRecord, now: Date): Promise<string[]> {
  const changed = changedFields(before, after);
  if (changed.length === 0) return changed;
  const indexes = await patientIndexes(tx, fields, orgId, after);
  if (after.nationalId) await assertIdentifierFree(tx, orgId, after.nationalId.kind, indexes.nationalIdBidx, patient.patientId);
  const cipher = await fields.forPatient(tx, orgId, patient.patientId);
  await updatePatientRow(tx, orgId, patient, sealPatient(cipher, after), indexes, now);
  return changed;
}

export async function updatePatient(ctx: RequestContext, unverifiedPatientId: string, input: PatientUpdate): Promise<PatientView> {
  const { fields, clock } = ctx.services;
  const now = clock.now();
  if (input.birthDate) assertBornBy(input.birthDate, now);
  return withPatientAccess(ctx, { unverifiedPatientId, resource: 'patient', action: 'update' }, async (tx, patient) => {
    const orgId = ctx.principal!.orgId!;
    const before = await readPatient(tx, fields, orgId, patient);
    const after: PatientRecord = {
      ...before,
      name: input.name ?? before.name,
      birthDate: input.birthDate ?? before.birthDate,
      details: {
        sex: input.sex ?? before.details.sex,
        gender: input.gender === undefined ? before.details.gender : input.gender,
        contact: input.contact ?? before.details.contact,
        notes: input.notes === undefined ? before.details.notes : input.notes,
      },
      nationalId: input.nationalId === undefined ? before.nationalId : input.nationalId === null ? null : normalisedId(input.nationalId),
      updatedAt: now,
    };
    const changed = await writePatientChange(tx, fields, orgId, patient, before, after, now);
    if (changed.length === 0) return presentPatient(before);
    await appendAudit(tx, orgId, auditMeta(ctx, now), patientEvent({ action: 'patient.updated', outcome: 'success', resourceType: 'patient', resourceId: patient.patientId, changedFields: changed, ...patientAuditFields(patient) }));
    return presentPatient(after);
  });
}
