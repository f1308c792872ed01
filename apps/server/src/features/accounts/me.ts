import type { Me } from '@haven/contracts';
import type { Services } from '../../core/context.ts';
import type { SessionPending } from '../../core/db/schema.ts';
import { permissionsOfMembership } from '../../core/authz/role-permissions.ts';
import { strictestPolicy } from './password-policy.ts';
import { activeMembershipsOfAccount, findAccountById, type AccountRow, type MembershipWithOrganisation } from './repository.ts';

export interface SessionSummary {
  id: string;
  idleTimeoutSeconds: number;
  absoluteExpiresAt: Date;
  lastActiveAt: Date;
  pending: SessionPending | null;
  reauthenticatedAt: Date | null;
}

/** The signed-in person as the web app sees them: account, chosen organisation (as staff or patient), choices, session. */
export async function loadMe(
  services: Services,
  input: { accountId: string; orgId: string | null; session: SessionSummary; known?: { account: AccountRow; memberships: MembershipWithOrganisation[] } },
): Promise<Me> {
  // One transaction: the account (a global row) and its memberships across practices — unless
  // the caller (login) has just read both.
  const { account, memberships } =
    input.known ??
    (await services.db.systemDb(async (tx) => ({
      account: await findAccountById(tx, services.fields, input.accountId),
      memberships: await activeMembershipsOfAccount(tx, services.fields, input.accountId),
    })));
  if (!account) throw new Error('session without account');
  const current = memberships.find((m) => m.orgId === input.orgId) ?? null;
  return {
    account: {
      id: account.id,
      name: account.name,
      email: account.email,
      pendingEmail: account.pendingEmail,
      phone: account.phone,
      profession: account.profession,
      locale: account.locale,
    },
    // A patient's role holds no staff permission (permissionsOfMembership fails closed on 'patient').
    organisation: current
      ? { id: current.orgId, name: current.orgName, kind: current.kind, role: current.role, roleName: current.roleName, patientId: current.patientId, permissions: [...permissionsOfMembership(current)] }
      : null,
    organisations: memberships.map((m) => ({ id: m.orgId, name: m.orgName, kind: m.kind, role: m.role, roleName: m.roleName })),
    session: {
      id: input.session.id,
      idleTimeoutSeconds: input.session.idleTimeoutSeconds,
      absoluteExpiresAt: input.session.absoluteExpiresAt.toISOString(),
      lastActiveAt: input.session.lastActiveAt.toISOString(),
      pending: input.session.pending,
      reauthenticatedAt: input.session.reauthenticatedAt?.toISOString() ?? null,
    },
    passwordPolicy: current
      ? { mode: current.passwordPolicyMode, minLength: current.passwordMinLength }
      : strictestPolicy(memberships),
  };
}
