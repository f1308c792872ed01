import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import type { AuthorizedPatient } from '../../core/authz/authorize.ts';
import type { FieldCrypto, Place } from '../../core/crypto/field-crypto.ts';
import type { Tx } from '../../core/db/database.ts';
import { memberships, patientAccounts, patientInvitations } from '../../core/db/schema.ts';

/*
 * Patients' portal accounts and the invitations that create them. The invitation's address is
 * sealed under the practice's key (like a staff invitation's) and found by its blind index.
 */

export type PatientInvitationRow = typeof patientInvitations.$inferSelect;
export type PatientAccountRow = typeof patientAccounts.$inferSelect;

const emailPlace = (orgId: string, id: string): Place => ({ table: 'patient_invitations', column: 'email', scope: orgId, rowId: id });
const emailPurpose = 'patient-invitation-email';

export function patientInvitationEmail(tx: Tx, fields: FieldCrypto, row: PatientInvitationRow): Promise<string> {
  return fields.open(tx, emailPlace(row.orgId, row.id), row.email);
}

export async function insertPatientInvitation(
  tx: Tx,
  fields: FieldCrypto,
  row: Omit<typeof patientInvitations.$inferInsert, 'email' | 'emailBidx'> & { email: string },
): Promise<void> {
  await tx.insert(patientInvitations).values({
    ...row,
    email: await fields.seal(tx, emailPlace(row.orgId, row.id), row.email),
    emailBidx: await fields.index(tx, row.orgId, emailPurpose, row.email),
  });
}

/** The patient's invitation that can still be accepted, if any. */
export async function findOpenPatientInvitation(tx: Tx, orgId: string, patient: AuthorizedPatient, now: Date): Promise<PatientInvitationRow | undefined> {
  const [row] = await tx
    .select()
    .from(patientInvitations)
    .where(
      and(
        eq(patientInvitations.orgId, orgId),
        eq(patientInvitations.patientId, patient.patientId),
        isNull(patientInvitations.acceptedAt),
        isNull(patientInvitations.revokedAt),
        gt(patientInvitations.expiresAt, now),
      ),
    )
    .orderBy(desc(patientInvitations.createdAt))
    .limit(1);
  return row;
}

export async function findPatientInvitationByToken(tx: Tx, tokenId: string): Promise<PatientInvitationRow | undefined> {
  const [row] = await tx.select().from(patientInvitations).where(eq(patientInvitations.tokenId, tokenId)).limit(1);
  return row;
}

/** Marks an open invitation accepted or revoked; false if it was no longer open. */
export async function markPatientInvitation(tx: Tx, id: string, changes: Partial<typeof patientInvitations.$inferInsert>): Promise<boolean> {
  const rows = await tx
    .update(patientInvitations)
    .set(changes)
    .where(and(eq(patientInvitations.id, id), isNull(patientInvitations.acceptedAt), isNull(patientInvitations.revokedAt)))
    .returning({ id: patientInvitations.id });
  return rows.length === 1;
}

export async function findPatientAccountOfPatient(tx: Tx, orgId: string, patientId: string): Promise<PatientAccountRow | undefined> {
  const [row] = await tx
    .select()
    .from(patientAccounts)
    .where(and(eq(patientAccounts.orgId, orgId), eq(patientAccounts.patientId, patientId)))
    .limit(1);
  return row;
}

export async function findPatientAccountByAccount(tx: Tx, orgId: string, accountId: string): Promise<PatientAccountRow | undefined> {
  const [row] = await tx
    .select()
    .from(patientAccounts)
    .where(and(eq(patientAccounts.orgId, orgId), eq(patientAccounts.accountId, accountId)))
    .limit(1);
  return row;
}

export async function insertPatientAccount(tx: Tx, row: typeof patientAccounts.$inferInsert): Promise<void> {
  await tx.insert(patientAccounts).values(row);
}

/** Whether the account is staff of this practice (active or not): one account, one kind of principal per practice. */
export async function isStaffOf(tx: Tx, orgId: string, accountId: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: memberships.id })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.accountId, accountId)))
    .limit(1);
  return Boolean(row);
}
