import { managingPermissions, type IdentityCheck, type MembershipRole, type StaffRole } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { permissionsOfMembership } from '../../core/authz/role-permissions.ts';
import { actorRoleOf, auditMeta, memberOf, type RequestContext } from '../../core/context.ts';
import type { Tx } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { sendAfterCommit } from '../../core/mail/mailer.ts';
import { identityCheckName, renderMail, utcMinute } from '../../core/mail/templates.ts';
import { changeAccountAudited } from '../accounts/account-audit.ts';
import { findAccountById } from '../accounts/repository.ts';
import { findOrganisation } from '../organisations/repository.ts';
import { sessionEvent } from '../sessions/audit.ts';
import { lockFactorsOf } from '../passkeys/repository.ts';
import { deleteAllSecondFactors } from '../second-factor/repository.ts';
import { endAccountSessions } from '../sessions/repository.ts';
import { staffEvent } from './audit.ts';
import { findMembership, listMembers, lockActiveOwners, updateMembership, type MembershipRow } from './repository.ts';
import { revokeAllDeviceTrust } from '../devices/repository.ts';
import { refuseRoleGrant } from '../roles/service.ts';
import { resolveRoleChoice, roleLabel } from './role-choice.ts';

export async function listStaff(ctx: RequestContext) {
  const { orgId } = memberOf(ctx);
  const rows = await ctx.services.db.tenant(orgId, (tx) => listMembers(tx, ctx.services.fields));
  const active = rows.filter((row) => row.status === 'active');
  // "Admins to the minimum": the page counts who can manage the practice, whatever their role is called.
  const managing = (row: (typeof rows)[number]) => [...permissionsOfMembership(row)].some((permission) => managingPermissions.has(permission));
  return {
    members: rows.map(({ customRolePermissions: _permissions, ...row }) => ({ ...row, createdAt: row.createdAt.toISOString() })),
    counts: {
      owners: active.filter((row) => row.role === 'owner').length,
      managing: active.filter(managing).length,
      active: active.length,
    },
  };
}

/** Finds a member of the caller's organisation; RLS makes another practice's id "not found". */
async function targetMember(tx: Tx, unverifiedMembershipId: string): Promise<MembershipRow> {
  const row = await findMembership(tx, unverifiedMembershipId);
  if (!row) throw new AppError('MEMBER_NOT_FOUND');
  return row;
}

/** Only owners make or unmake owners: an admin cannot promote anyone above themselves. */
async function assertMayTouchOwner(ctx: RequestContext, tx: Tx, target: MembershipRow, newRole?: MembershipRole): Promise<void> {
  const actor = memberOf(ctx);
  if ((target.role === 'owner' || newRole === 'owner') && actor.role !== 'owner') {
    await appendAudit(tx, actor.orgId, auditMeta(ctx), { action: 'access.denied', outcome: 'denied', resourceType: 'membership', resourceId: target.id, reason: 'only owners manage owners' });
    throw new AppError('FORBIDDEN', { internal: 'only owners manage owners' });
  }
}

/** The last active owner can be neither demoted nor deactivated (checked under a row lock). */
async function assertNotLastOwner(tx: Tx, target: MembershipRow): Promise<void> {
  if (target.role !== 'owner' || target.status !== 'active') return;
  const owners = await lockActiveOwners(tx);
  if (owners.filter((id) => id !== target.id).length === 0) throw new AppError('LAST_OWNER');
}

/**
 * Gives a member a built-in role or one of the practice's own. Nobody hands out more than they
 * hold (rolePolicy: an administrator cannot make someone a practitioner, whose clinical
 * permissions they lack), only owners make or unmake owners, and the last owner stays.
 */
export async function changeRole(ctx: RequestContext, input: { unverifiedMembershipId: string; role?: StaffRole | undefined; customRoleId?: string | undefined }): Promise<void> {
  const actor = memberOf(ctx);
  const now = ctx.services.clock.now();
  // A denial must leave its audit record even though the change is refused.
  const denied = await ctx.services.db.tenant(actor.orgId, async (tx) => {
    const target = await targetMember(tx, input.unverifiedMembershipId);
    const choice = await resolveRoleChoice(tx, input);
    if (target.role === choice.role && target.customRoleId === choice.customRoleId) return null;
    try {
      await assertMayTouchOwner(ctx, tx, target, choice.role);
    } catch (error) {
      return error;
    }
    const refused = await refuseRoleGrant(ctx, tx, { permissions: choice.permissions, owner: choice.role === 'owner' }, { type: 'membership', id: target.id });
    if (refused) return refused;
    await assertNotLastOwner(tx, target);
    await updateMembership(tx, target.id, { role: choice.role, customRoleId: choice.customRoleId });
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), staffEvent({ action: 'member.role_changed', outcome: 'success', resourceType: 'membership', resourceId: target.id, changedFields: ['role'], reason: `${roleLabel(target)} → ${roleLabel(choice)}` }));
    return null;
  });
  if (denied) throw denied;
}

export async function setMemberActive(ctx: RequestContext, input: { unverifiedMembershipId: string; active: boolean }): Promise<void> {
  const actor = memberOf(ctx);
  const now = ctx.services.clock.now();
  const denied = await ctx.services.db.tenant(actor.orgId, async (tx) => {
    const target = await targetMember(tx, input.unverifiedMembershipId);
    if ((target.status === 'active') === input.active) return null;
    try {
      await assertMayTouchOwner(ctx, tx, target);
    } catch (error) {
      return error;
    }
    if (!input.active) {
      await assertNotLastOwner(tx, target);
      await updateMembership(tx, target.id, { status: 'deactivated', deactivatedAt: now });
      // ASVS 7.4.2: a deactivated member's sessions in this practice end at once.
      await endAccountSessions(tx, target.accountId, 'member_deactivated', now, { orgId: actor.orgId });
      await appendAudit(tx, actor.orgId, auditMeta(ctx, now), staffEvent({ action: 'member.deactivated', outcome: 'success', resourceType: 'membership', resourceId: target.id }));
    } else {
      await updateMembership(tx, target.id, { status: 'active', deactivatedAt: null });
      await appendAudit(tx, actor.orgId, auditMeta(ctx, now), staffEvent({ action: 'member.reactivated', outcome: 'success', resourceType: 'membership', resourceId: target.id }));
    }
    return null;
  });
  if (denied) throw denied;
}

/** Ends a staff member's sessions in this practice (ASVS 7.4.5) and tells them. */
export async function endMemberSessions(ctx: RequestContext, input: { unverifiedMembershipId: string }): Promise<number> {
  const actor = memberOf(ctx);
  const { db, clock, mailer } = ctx.services;
  const now = clock.now();
  const { ended, mail } = await db.tenant(actor.orgId, async (tx) => {
    const target = await targetMember(tx, input.unverifiedMembershipId);
    const count = await endAccountSessions(tx, target.accountId, 'ended_by_admin', now, { orgId: actor.orgId });
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), sessionEvent({ action: 'session.ended_by_admin', outcome: 'success', resourceType: 'membership', resourceId: target.id, reason: `${count} sessions` }));
    const account = await findAccountById(tx, ctx.services.fields, target.accountId);
    const org = await findOrganisation(tx, ctx.services.fields, actor.orgId);
    const notice =
      count > 0 && account && org
        ? renderMail('sessions_ended_by_admin', account.locale, account.email, { name: account.name, organisation: org.name, when: utcMinute(now) })
        : null;
    return { ended: count, mail: notice };
  });
  if (mail) sendAfterCommit(mailer, ctx.log, [mail]);
  return ended;
}

/**
 * An administrator resets a staff member's second factors after making sure it is them (the
 * phone with the app was lost, say): every factor and recovery code goes, every session of the
 * person ends, and at the next sign-in with the password they set up a new factor (a practice
 * that requires one makes that the first thing they do). The administrator proved themselves
 * within the last minutes (step-up, on the route); the reset is recorded in each of the person's
 * practices with how their identity was checked, and the person is told by e-mail.
 */
export async function resetMemberFactors(ctx: RequestContext, input: { unverifiedMembershipId: string; identityCheck: IdentityCheck }): Promise<void> {
  const actor = memberOf(ctx);
  const { db, clock, mailer, fields } = ctx.services;
  const now = clock.now();
  const checked = await db.tenant(actor.orgId, async (tx) => {
    const target = await targetMember(tx, input.unverifiedMembershipId);
    if (target.accountId === actor.accountId) return { error: new AppError('FACTOR_RESET_OWN') };
    try {
      await assertMayTouchOwner(ctx, tx, target);
    } catch (error) {
      return { error };
    }
    if (target.status !== 'active') return { error: new AppError('MEMBER_NOT_FOUND', { internal: 'member is deactivated' }) };
    return { target, org: await findOrganisation(tx, fields, actor.orgId) };
  });
  if ('error' in checked) throw checked.error;
  const { target, org } = checked;
  const account = await db.identity((tx) => findAccountById(tx, fields, target.accountId));
  if (!account || !org) throw new AppError('MEMBER_NOT_FOUND');

  await changeAccountAudited(
    db,
    target.accountId,
    auditMeta(ctx, now),
    { action: 'mfa.factors_reset_by_admin', outcome: 'success', resourceType: 'account', resourceId: target.accountId, reason: `identity checked: ${input.identityCheck}`, actorAccountId: actor.accountId, actorRole: actorRoleOf(actor) },
    async (tx) => {
      await lockFactorsOf(tx, target.accountId);
      await deleteAllSecondFactors(tx, target.accountId);
      await endAccountSessions(tx, target.accountId, 'factors_reset', now);
      // No browser stays trusted to skip the new factor (features/devices).
      await revokeAllDeviceTrust(tx, target.accountId);
    },
  );
  sendAfterCommit(mailer, ctx.log, [
    renderMail('factors_reset_by_admin', account.locale, account.email, { name: account.name, organisation: org.name, when: utcMinute(now), check: identityCheckName(input.identityCheck, account.locale) }),
  ]);
}
