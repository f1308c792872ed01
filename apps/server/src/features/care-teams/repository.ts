import type { BreakGlassReasonCode, CareTeamRole } from '@haven/contracts';
import { and, asc, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { AuthorizedPatient } from '../../core/authz/authorize.ts';
import type { FieldCrypto } from '../../core/crypto/field-crypto.ts';
import type { Sealed } from '../../core/crypto/sealed-column.ts';
import type { Tx } from '../../core/db/database.ts';
import { accounts, breakGlassGrants, careTeamMembers, customRoles, memberships, organisations, patients } from '../../core/db/schema.ts';
import { accountFieldOpener } from '../accounts/repository.ts';

/*
 * Care-team rows and break-the-glass grants. Every query runs in the practice's tenant
 * transaction: row-level security hides other practices' memberships, patients and grants, so a
 * foreign id simply finds nothing.
 */

/** The care team of an authorised patient, with the members' names opened (platform key). */
export async function listCareTeam(tx: Tx, fields: FieldCrypto, orgId: string, patient: AuthorizedPatient) {
  const rows = await tx
    .select({
      membershipId: careTeamMembers.membershipId,
      accountId: memberships.accountId,
      name: accounts.name,
      role: memberships.role,
      roleName: customRoles.name,
      roleInTeam: careTeamMembers.roleInTeam,
      addedAt: careTeamMembers.addedAt,
    })
    .from(careTeamMembers)
    .innerJoin(memberships, and(eq(memberships.orgId, careTeamMembers.orgId), eq(memberships.id, careTeamMembers.membershipId)))
    .innerJoin(accounts, eq(accounts.id, memberships.accountId))
    .leftJoin(customRoles, and(eq(customRoles.orgId, memberships.orgId), eq(customRoles.id, memberships.customRoleId)))
    .where(and(eq(careTeamMembers.orgId, orgId), eq(careTeamMembers.patientId, patient.patientId)))
    // The responsible practitioners first, then in the order they joined.
    .orderBy(sql`case when ${careTeamMembers.roleInTeam} = 'responsible' then 0 else 1 end`, asc(careTeamMembers.addedAt), asc(careTeamMembers.membershipId));
  const open = accountFieldOpener(tx, fields);
  return Promise.all(rows.map(async (row) => ({ ...row, name: await open.name(row.accountId, row.name) })));
}

/** A membership of this practice (another practice's id finds nothing), with what its role holds. */
export async function findMembershipForTeam(tx: Tx, orgId: string, membershipId: string) {
  const [row] = await tx
    .select({ id: memberships.id, accountId: memberships.accountId, role: memberships.role, status: memberships.status, customRolePermissions: customRoles.permissions })
    .from(memberships)
    .leftJoin(customRoles, and(eq(customRoles.orgId, memberships.orgId), eq(customRoles.id, memberships.customRoleId)))
    .where(and(eq(memberships.orgId, orgId), eq(memberships.id, membershipId)))
    .limit(1);
  return row;
}

export async function findCareTeamRole(tx: Tx, orgId: string, patient: AuthorizedPatient, membershipId: string): Promise<CareTeamRole | null> {
  const [row] = await tx
    .select({ roleInTeam: careTeamMembers.roleInTeam })
    .from(careTeamMembers)
    .where(and(eq(careTeamMembers.orgId, orgId), eq(careTeamMembers.patientId, patient.patientId), eq(careTeamMembers.membershipId, membershipId)))
    .limit(1);
  return row?.roleInTeam ?? null;
}

/** Adds the member; true when the row is new (a concurrent add of the same member inserts nothing). */
export async function insertCareTeamMember(tx: Tx, orgId: string, patient: AuthorizedPatient, row: { membershipId: string; roleInTeam: CareTeamRole; addedByAccountId: string; now: Date }): Promise<boolean> {
  const inserted = await tx
    .insert(careTeamMembers)
    .values({ orgId, patientId: patient.patientId, membershipId: row.membershipId, roleInTeam: row.roleInTeam, addedByAccountId: row.addedByAccountId, addedAt: row.now })
    .onConflictDoNothing()
    .returning({ membershipId: careTeamMembers.membershipId });
  return inserted.length > 0;
}

export async function setCareTeamRole(tx: Tx, orgId: string, patient: AuthorizedPatient, membershipId: string, roleInTeam: CareTeamRole): Promise<void> {
  await tx
    .update(careTeamMembers)
    .set({ roleInTeam })
    .where(and(eq(careTeamMembers.orgId, orgId), eq(careTeamMembers.patientId, patient.patientId), eq(careTeamMembers.membershipId, membershipId)));
}

/** Removes the member; false when they were not in the team. */
export async function deleteCareTeamMember(tx: Tx, orgId: string, patient: AuthorizedPatient, membershipId: string): Promise<boolean> {
  const deleted = await tx
    .delete(careTeamMembers)
    .where(and(eq(careTeamMembers.orgId, orgId), eq(careTeamMembers.patientId, patient.patientId), eq(careTeamMembers.membershipId, membershipId)))
    .returning({ membershipId: careTeamMembers.membershipId });
  return deleted.length > 0;
}

/** The accounts of the patient's care team whose membership is active (whom a break-the-glass alert goes to). */
export async function activeCareTeamAccounts(tx: Tx, orgId: string, patientId: string): Promise<string[]> {
  const rows = await tx
    .select({ accountId: memberships.accountId })
    .from(careTeamMembers)
    .innerJoin(memberships, and(eq(memberships.orgId, careTeamMembers.orgId), eq(memberships.id, careTeamMembers.membershipId)))
    .where(and(eq(careTeamMembers.orgId, orgId), eq(careTeamMembers.patientId, patientId), eq(memberships.status, 'active')));
  return rows.map((row) => row.accountId);
}

/**
 * Locks the patient's row for the rest of the transaction, so that two emergency-access requests
 * of the same person at the same moment cannot both create a grant.
 */
export async function lockPatientRow(tx: Tx, orgId: string, patientId: string): Promise<void> {
  await tx.execute(sql`select 1 from ${patients} where ${patients.orgId} = ${orgId}::uuid and ${patients.id} = ${patientId}::uuid for update`);
}

export async function breakGlassMinutesOf(tx: Tx, orgId: string): Promise<number> {
  const [row] = await tx.select({ minutes: organisations.breakGlassMinutes }).from(organisations).where(eq(organisations.id, orgId)).limit(1);
  if (!row) throw new Error('the organisation of the request has no row');
  return row.minutes;
}

export interface GrantRow {
  id: string;
  patientId: string;
  reasonCode: BreakGlassReasonCode;
  reasonText: Sealed | null;
  grantedAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
}

const grantColumns = {
  id: breakGlassGrants.id,
  patientId: breakGlassGrants.patientId,
  reasonCode: breakGlassGrants.reasonCode,
  reasonText: breakGlassGrants.reasonText,
  grantedAt: breakGlassGrants.grantedAt,
  expiresAt: breakGlassGrants.expiresAt,
  endedAt: breakGlassGrants.endedAt,
};

/** The membership's grant for this patient that is neither expired nor ended, if any. */
export async function findActiveGrant(tx: Tx, orgId: string, patientId: string, membershipId: string, now: Date): Promise<GrantRow | undefined> {
  const [row] = await tx
    .select(grantColumns)
    .from(breakGlassGrants)
    .where(and(eq(breakGlassGrants.orgId, orgId), eq(breakGlassGrants.patientId, patientId), eq(breakGlassGrants.membershipId, membershipId), isNull(breakGlassGrants.endedAt), gt(breakGlassGrants.expiresAt, now)))
    .orderBy(desc(breakGlassGrants.expiresAt))
    .limit(1);
  return row as GrantRow | undefined;
}

export async function insertGrant(tx: Tx, orgId: string, row: GrantRow & { membershipId: string; accountId: string }): Promise<void> {
  await tx.insert(breakGlassGrants).values({ orgId, ...row });
}

/** Ends every running grant of the membership for the patient (normally one); the ended ids. */
export async function endActiveGrants(tx: Tx, orgId: string, patientId: string, membershipId: string, now: Date): Promise<string[]> {
  const rows = await tx
    .update(breakGlassGrants)
    .set({ endedAt: now })
    .where(and(eq(breakGlassGrants.orgId, orgId), eq(breakGlassGrants.patientId, patientId), eq(breakGlassGrants.membershipId, membershipId), isNull(breakGlassGrants.endedAt), gt(breakGlassGrants.expiresAt, now)))
    .returning({ id: breakGlassGrants.id });
  return rows.map((row) => row.id);
}
