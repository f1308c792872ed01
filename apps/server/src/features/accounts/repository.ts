import { and, eq } from 'drizzle-orm';
import type { FieldCrypto, Place } from '../../core/crypto/field-crypto.ts';
import type { Sealed } from '../../core/crypto/sealed-column.ts';
import type { Database, Tx } from '../../core/db/database.ts';
import { accounts, customRoles, memberships, organisations, patientAccounts, type MembershipRoleColumn } from '../../core/db/schema.ts';

type AccountColumns = typeof accounts.$inferSelect;

/** An account as use cases see it: personal fields opened, the sealed columns never leave here. */
export type AccountRow = Omit<AccountColumns, 'email' | 'emailBidx' | 'name' | 'phone' | 'pendingEmail'> & {
  email: string;
  name: string;
  phone: string | null;
  pendingEmail: string | null;
};

/** Accounts are global identities: sealed under the platform key. */
const at = (column: string, id: string): Place => ({ table: 'accounts', column, scope: 'platform', rowId: id });
export const emailIndexPurpose = 'account-email';

async function openAccount(tx: Tx, fields: FieldCrypto, row: AccountColumns): Promise<AccountRow> {
  const { emailBidx: _index, ...rest } = row;
  return {
    ...rest,
    email: await fields.open(tx, at('email', row.id), row.email),
    name: await fields.open(tx, at('name', row.id), row.name),
    phone: await fields.openOptional(tx, at('phone', row.id), row.phone),
    pendingEmail: await fields.openOptional(tx, at('pending_email', row.id), row.pendingEmail),
  };
}

/** Login and every lookup by address go through the blind index: the address is never in clear. */
export async function findAccountByEmail(tx: Tx, fields: FieldCrypto, email: string): Promise<AccountRow | undefined> {
  const index = await fields.index(tx, 'platform', emailIndexPurpose, email);
  const [row] = await tx.select().from(accounts).where(eq(accounts.emailBidx, index)).limit(1);
  return row ? openAccount(tx, fields, row) : undefined;
}

export async function findAccountById(tx: Tx, fields: FieldCrypto, id: string): Promise<AccountRow | undefined> {
  const [row] = await tx.select().from(accounts).where(eq(accounts.id, id)).limit(1);
  return row ? openAccount(tx, fields, row) : undefined;
}

export interface NewAccount extends Omit<typeof accounts.$inferInsert, 'email' | 'emailBidx' | 'name' | 'phone' | 'pendingEmail'> {
  email: string;
  name: string;
  phone?: string | null;
}

export async function insertAccount(tx: Tx, fields: FieldCrypto, account: NewAccount): Promise<void> {
  const { email, name, phone, ...rest } = account;
  await tx.insert(accounts).values({
    ...rest,
    email: await fields.seal(tx, at('email', account.id), email),
    emailBidx: await fields.index(tx, 'platform', emailIndexPurpose, email),
    name: await fields.seal(tx, at('name', account.id), name),
    phone: await fields.sealOptional(tx, at('phone', account.id), phone),
  });
}

export type AccountChanges = Partial<Omit<typeof accounts.$inferInsert, 'id' | 'email' | 'emailBidx' | 'name' | 'phone' | 'pendingEmail'>> & {
  email?: string;
  name?: string;
  phone?: string | null;
  pendingEmail?: string | null;
};

export async function updateAccount(tx: Tx, fields: FieldCrypto, id: string, changes: AccountChanges): Promise<void> {
  const { email, name, phone, pendingEmail, ...rest } = changes;
  const values: Partial<typeof accounts.$inferInsert> = { ...rest };
  if (email !== undefined) {
    values.email = await fields.seal(tx, at('email', id), email);
    values.emailBidx = await fields.index(tx, 'platform', emailIndexPurpose, email);
  }
  if (name !== undefined) values.name = await fields.seal(tx, at('name', id), name);
  if (phone !== undefined) values.phone = await fields.sealOptional(tx, at('phone', id), phone);
  if (pendingEmail !== undefined) values.pendingEmail = await fields.sealOptional(tx, at('pending_email', id), pendingEmail);
  await tx.update(accounts).set(values).where(eq(accounts.id, id));
}

/** Opens account names and addresses in lists (staff, invitations, audit), resolving the platform key once. */
export function accountFieldOpener(tx: Tx, fields: FieldCrypto) {
  const openPlatform = fields.openerFor(tx, 'platform');
  return {
    name: (accountId: string, name: AccountColumns['name']) => openPlatform({ table: 'accounts', column: 'name', rowId: accountId }, name),
    email: (accountId: string, email: AccountColumns['email']) => openPlatform({ table: 'accounts', column: 'email', rowId: accountId }, email),
    organisationName: (orgId: string, name: Sealed) => openPlatform({ table: 'organisations', column: 'name', rowId: orgId }, name),
  };
}

/** Opens account names read by a one-statement function, outside any transaction (`FieldCrypto.platformOpenerOutside`). */
export function accountNameOpenerOutside(db: Database, fields: FieldCrypto): (accountId: string, name: AccountColumns['name']) => Promise<string> {
  const openPlatform = fields.platformOpenerOutside(db);
  return (accountId, name) => openPlatform({ table: 'accounts', column: 'name', rowId: accountId }, name);
}

/** A practice's name is sealed under the platform key: sign-in lists it across practices. */
export const organisationNamePlace = (orgId: string): Place => ({ table: 'organisations', column: 'name', scope: 'platform', rowId: orgId });

export interface MembershipWithOrganisation {
  orgId: string;
  orgName: string;
  /**
   * 'staff': a membership; 'patient': a portal account (patient_accounts) — the patient's
   * counterpart of a membership, listed beside them so that sign-in, the choice of practice and
   * the factor rules treat both alike.
   */
  kind: 'staff' | 'patient';
  /** The membership's id (staff) or the portal account's id (patient). */
  membershipId: string;
  /** Which patient a portal account belongs to (null for staff). */
  patientId: string | null;
  /** A built-in role, or 'custom' with the practice's own role (id, name, permissions); 'patient' for a portal account. */
  role: MembershipRoleColumn | 'patient';
  customRoleId: string | null;
  roleName: string | null;
  customRolePermissions: string[] | null;
  /** How the audit trail names this role: the built-in name, `custom:<roleId>`, or 'patient'. */
  actorRole: string;
  passwordPolicyMode: 'nist' | 'classes';
  passwordMinLength: number;
  idleTimeoutMinutes: number;
  /** The practice requires a second factor of its staff — or, for a portal account, of its patients. */
  secondFactorRequired: boolean;
  /** The networks (CIDR) the practice's staff may work from; empty: anywhere (always empty for patients). */
  ipAllowlist: string[];
  /** How long a browser may be trusted after a second factor (hours; 0: off). */
  trustedDeviceHours: number;
  /** The kinds of second factor the practice allows its staff — or, for a portal account, its patients. */
  allowedFactors: Array<'passkey' | 'totp' | 'sms' | 'email_code'>;
}

/** The practice's policy columns every sign-in reads, staff and patients alike. */
const practicePolicy = {
  orgName: organisations.name,
  passwordPolicyMode: organisations.passwordPolicyMode,
  passwordMinLength: organisations.passwordMinLength,
  idleTimeoutMinutes: organisations.idleTimeoutMinutes,
  trustedDeviceHours: organisations.trustedDeviceHours,
};

/**
 * An account's active memberships and active portal accounts across organisations, with names
 * and policies. Crosses tenants by design (login, policy of a person in several practices):
 * systemDb only.
 *
 * A portal account counts while its status is active. An erased patient's portal account is
 * deactivated in the erasure's own transaction (core/crypto/erasure.ts), so this list — which
 * cannot read `patients` in system scope — never offers one; the guard checks the patient row
 * itself on every request as well (`haven_read_session`, sessions/repository.ts#readSessionByToken).
 *
 * Staff and patient in the same practice: the invitation refuses it (PATIENT_ACCOUNT_CONFLICT),
 * but a patient can later accept a *staff* invitation to the practice. Then the staff membership
 * wins and the portal account is not offered: a session holds one principal per practice, the
 * practice deliberately made this person staff (and can deactivate that membership), and the
 * guard, which reads the membership first, must agree with this list.
 */
export async function activeMembershipsOfAccount(systemTx: Tx, fields: FieldCrypto, accountId: string): Promise<MembershipWithOrganisation[]> {
  const staffRows = await systemTx
    .select({
      ...practicePolicy,
      orgId: memberships.orgId,
      membershipId: memberships.id,
      role: memberships.role,
      customRoleId: memberships.customRoleId,
      roleName: customRoles.name,
      customRolePermissions: customRoles.permissions,
      secondFactorRequired: organisations.secondFactorRequired,
      ipAllowlist: organisations.ipAllowlist,
      allowedFactors: organisations.allowedStaffFactors,
    })
    .from(memberships)
    .innerJoin(organisations, eq(organisations.id, memberships.orgId))
    .leftJoin(customRoles, and(eq(customRoles.orgId, memberships.orgId), eq(customRoles.id, memberships.customRoleId)))
    .where(and(eq(memberships.accountId, accountId), eq(memberships.status, 'active')));
  const patientRows = await systemTx
    .select({
      ...practicePolicy,
      orgId: patientAccounts.orgId,
      membershipId: patientAccounts.id,
      patientId: patientAccounts.patientId,
      secondFactorRequired: organisations.patientSecondFactorRequired,
      allowedFactors: organisations.allowedPatientFactors,
    })
    .from(patientAccounts)
    .innerJoin(organisations, eq(organisations.id, patientAccounts.orgId))
    .where(and(eq(patientAccounts.accountId, accountId), eq(patientAccounts.status, 'active')));
  const staffOrgs = new Set(staffRows.map((row) => row.orgId));
  const open = accountFieldOpener(systemTx, fields);
  const staff = staffRows.map(async (row): Promise<MembershipWithOrganisation> => ({
    ...row,
    kind: 'staff',
    patientId: null,
    orgName: await open.organisationName(row.orgId, row.orgName),
    actorRole: row.role === 'custom' ? `custom:${row.customRoleId}` : row.role,
  }));
  const patients = patientRows
    .filter((row) => !staffOrgs.has(row.orgId))
    .map(async (row): Promise<MembershipWithOrganisation> => ({
      ...row,
      kind: 'patient',
      orgName: await open.organisationName(row.orgId, row.orgName),
      role: 'patient',
      customRoleId: null,
      roleName: null,
      customRolePermissions: null,
      actorRole: 'patient',
      // No network allowlist for patients: they sign in from home, whatever networks the
      // practice's staff are held to; the allowlist guards the practice's workplaces, not its portal.
      ipAllowlist: [],
    }));
  const opened = await Promise.all([...staff, ...patients]);
  return opened.sort((a, b) => a.orgName.localeCompare(b.orgName) || a.kind.localeCompare(b.kind));
}

/**
 * The ids of the practices an account is active in, as staff or as a patient (no names opened):
 * for auditing account changes in each practice.
 */
export async function activeMembershipOrgIds(systemTx: Tx, accountId: string): Promise<string[]> {
  const staff = await systemTx
    .select({ orgId: memberships.orgId })
    .from(memberships)
    .where(and(eq(memberships.accountId, accountId), eq(memberships.status, 'active')));
  const patient = await systemTx
    .select({ orgId: patientAccounts.orgId })
    .from(patientAccounts)
    .where(and(eq(patientAccounts.accountId, accountId), eq(patientAccounts.status, 'active')));
  return [...new Set([...staff, ...patient].map((row) => row.orgId))];
}
