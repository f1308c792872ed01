import { and, eq } from 'drizzle-orm';
import type { FieldCrypto, Place } from '../../core/crypto/field-crypto.ts';
import type { Sealed } from '../../core/crypto/sealed-column.ts';
import type { Tx } from '../../core/db/database.ts';
import { accounts, customRoles, memberships, organisations, type MembershipRoleColumn } from '../../core/db/schema.ts';

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

/** A practice's name is sealed under the platform key: sign-in lists it across practices. */
export const organisationNamePlace = (orgId: string): Place => ({ table: 'organisations', column: 'name', scope: 'platform', rowId: orgId });

export interface MembershipWithOrganisation {
  orgId: string;
  orgName: string;
  membershipId: string;
  /** A built-in role, or 'custom' with the practice's own role (id, name, permissions). */
  role: MembershipRoleColumn;
  customRoleId: string | null;
  roleName: string | null;
  customRolePermissions: string[] | null;
  /** How the audit trail names this role: the built-in name or `custom:<roleId>`. */
  actorRole: string;
  passwordPolicyMode: 'nist' | 'classes';
  passwordMinLength: number;
  idleTimeoutMinutes: number;
  /** The practice requires its staff to use a second factor. */
  secondFactorRequired: boolean;
  /** The networks (CIDR) the practice's staff may work from; empty: anywhere. */
  ipAllowlist: string[];
  /** How long staff may trust a browser after a second factor (hours; 0: off). */
  trustedDeviceHours: number;
  /** The kinds of second factor the practice allows its staff. */
  allowedStaffFactors: Array<'passkey' | 'totp' | 'sms' | 'email_code'>;
}

/**
 * An account's active memberships across organisations, with names and policies. Crosses
 * tenants by design (login, policy of a person in several practices): systemDb only.
 */
export async function activeMembershipsOfAccount(systemTx: Tx, fields: FieldCrypto, accountId: string): Promise<MembershipWithOrganisation[]> {
  const rows = await systemTx
    .select({
      orgId: memberships.orgId,
      orgName: organisations.name,
      membershipId: memberships.id,
      role: memberships.role,
      customRoleId: memberships.customRoleId,
      roleName: customRoles.name,
      customRolePermissions: customRoles.permissions,
      passwordPolicyMode: organisations.passwordPolicyMode,
      passwordMinLength: organisations.passwordMinLength,
      idleTimeoutMinutes: organisations.idleTimeoutMinutes,
      secondFactorRequired: organisations.secondFactorRequired,
      ipAllowlist: organisations.ipAllowlist,
      trustedDeviceHours: organisations.trustedDeviceHours,
      allowedStaffFactors: organisations.allowedStaffFactors,
    })
    .from(memberships)
    .innerJoin(organisations, eq(organisations.id, memberships.orgId))
    .leftJoin(customRoles, and(eq(customRoles.orgId, memberships.orgId), eq(customRoles.id, memberships.customRoleId)))
    .where(and(eq(memberships.accountId, accountId), eq(memberships.status, 'active')));
  const open = accountFieldOpener(systemTx, fields);
  const opened = await Promise.all(
    rows.map(async (row) => ({
      ...row,
      orgName: await open.organisationName(row.orgId, row.orgName),
      actorRole: row.role === 'custom' ? `custom:${row.customRoleId}` : row.role,
    })),
  );
  return opened.sort((a, b) => a.orgName.localeCompare(b.orgName));
}


/** The ids of an account's active memberships (no names opened): for auditing in each practice. */
export async function activeMembershipOrgIds(systemTx: Tx, accountId: string): Promise<string[]> {
  const rows = await systemTx
    .select({ orgId: memberships.orgId })
    .from(memberships)
    .where(and(eq(memberships.accountId, accountId), eq(memberships.status, 'active')));
  return rows.map((row) => row.orgId);
}
