import type { Locale, StaffRole } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { auditMeta, memberOf, type RequestContext } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { sendAfterCommit } from '../../core/mail/mailer.ts';
import { renderMail, roleName } from '../../core/mail/templates.ts';
import { consumeActionToken, issueActionToken, peekActionToken, tokenEmail, voidActionTokenById } from '../../core/security/action-tokens.ts';
import { newId } from '../../core/security/tokens.ts';
import { checkAccountPassword, reportLockout } from '../auth/password-check.ts';
import { assertPasswordAllowed } from '../accounts/password-policy.ts';
import { findAccountByEmail, findAccountById, insertAccount } from '../accounts/repository.ts';
import { findOrganisation } from '../organisations/repository.ts';
import { findCustomRole } from '../roles/repository.ts';
import { refuseRoleGrant } from '../roles/service.ts';
import { staffEvent } from './audit.ts';
import { resolveRoleChoice, roleLabel } from './role-choice.ts';
import {
  findInvitation,
  findInvitationByToken,
  findMembershipByAccount,
  findPendingInvitationByEmail,
  invitationEmail,
  insertInvitation,
  insertMembership,
  listPendingInvitations,
  markInvitation,
  updateMembership,
} from './repository.ts';

export async function listInvitations(ctx: RequestContext) {
  const { orgId } = memberOf(ctx);
  const now = ctx.services.clock.now();
  const rows = await ctx.services.db.tenant(orgId, (tx) => listPendingInvitations(tx, ctx.services.fields, orgId, now));
  return { invitations: rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString(), expiresAt: row.expiresAt.toISOString() })) };
}

/**
 * Invites a person by e-mail with a built-in or custom role; the link is single-use and valid for
 * 7 days. The same rule as assigning a role applies: nobody invites someone with more than they
 * hold, and only owners invite owners.
 */
export async function inviteStaff(ctx: RequestContext, input: { email: string; role?: StaffRole | undefined; customRoleId?: string | undefined; locale: Locale }) {
  const actor = memberOf(ctx);
  const { db, clock, mailer, config } = ctx.services;
  const now = clock.now();
  const { invitation, mail, denied } = await db.tenant(actor.orgId, async (tx) => {
    const choice = await resolveRoleChoice(tx, input);
    const refused = await refuseRoleGrant(ctx, tx, { permissions: choice.permissions, owner: choice.role === 'owner' }, { type: 'invitation' });
    if (refused) return { invitation: null, mail: null, denied: refused };
    const existing = await findAccountByEmail(tx, ctx.services.fields, input.email);
    if (existing) {
      const membership = await findMembershipByAccount(tx, existing.id);
      if (membership?.status === 'active') throw new AppError('ALREADY_MEMBER');
    }
    if (await findPendingInvitationByEmail(tx, ctx.services.fields, actor.orgId, input.email, now)) throw new AppError('INVITATION_PENDING');
    const link = await issueActionToken(tx, { purpose: 'invitation', orgId: actor.orgId, email: input.email, now }, ctx.services.fields);
    const id = newId();
    await insertInvitation(tx, ctx.services.fields, { orgId: actor.orgId, id, email: input.email, role: choice.role, customRoleId: choice.customRoleId, invitedByAccountId: actor.accountId, tokenId: link.id, createdAt: now, expiresAt: link.expiresAt });
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), staffEvent({ action: 'invitation.sent', outcome: 'success', resourceType: 'invitation', resourceId: id, reason: `role ${roleLabel(choice)}` }));
    const org = await findOrganisation(tx, ctx.services.fields, actor.orgId);
    const inviter = await findAccountById(tx, ctx.services.fields, actor.accountId);
    const locale = existing?.locale ?? input.locale;
    return {
      denied: null,
      invitation: { id, email: input.email, role: choice.role, customRoleId: choice.customRoleId, roleName: choice.roleName, invitedBy: inviter?.name ?? '', createdAt: now.toISOString(), expiresAt: link.expiresAt.toISOString() },
      mail: renderMail('invitation', locale, input.email, { organisation: org?.name ?? '', inviter: inviter?.name ?? '', role: choice.roleName ?? roleName(choice.role, locale) }, `${config.publicUrl}/accept-invitation#token=${link.token}`),
    };
  });
  if (denied) throw denied;
  sendAfterCommit(mailer, ctx.log, [mail!]);
  return invitation!;
}

export async function revokeInvitation(ctx: RequestContext, input: { unverifiedInvitationId: string }): Promise<void> {
  const actor = memberOf(ctx);
  const now = ctx.services.clock.now();
  await ctx.services.db.tenant(actor.orgId, async (tx) => {
    const invitation = await findInvitation(tx, input.unverifiedInvitationId);
    if (!invitation || !(await markInvitation(tx, invitation.id, { revokedAt: now }))) throw new AppError('INVITATION_NOT_FOUND');
    await voidActionTokenById(tx, invitation.tokenId, now);
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), staffEvent({ action: 'invitation.revoked', outcome: 'success', resourceType: 'invitation', resourceId: invitation.id }));
  });
}

/** What the invitation page shows before the person accepts. */
export async function previewInvitation(ctx: RequestContext, input: { token: string }) {
  const { db, clock } = ctx.services;
  const now = clock.now();
  const token = await db.identity((tx) => peekActionToken(tx, 'invitation', input.token, now));
  if (!token?.orgId) throw new AppError('TOKEN_INVALID');
  const orgId = token.orgId;
  return db.tenant(orgId, async (tx) => {
    const invitation = await findInvitationByToken(tx, token.id);
    const org = await findOrganisation(tx, ctx.services.fields, orgId);
    if (!invitation || invitation.revokedAt || invitation.acceptedAt || !org) throw new AppError('TOKEN_INVALID');
    const custom = invitation.customRoleId ? await findCustomRole(tx, invitation.customRoleId) : undefined;
    // 'custom' without a role: the role was deleted after the invitation was sent.
    if (invitation.role === 'custom' && !custom) throw new AppError('TOKEN_INVALID', { internal: 'custom role deleted' });
    const email = await invitationEmail(tx, ctx.services.fields, invitation);
    const account = await findAccountByEmail(tx, ctx.services.fields, email);
    return {
      organisationName: org.name,
      email,
      role: invitation.role,
      roleName: custom?.name ?? null,
      accountExists: Boolean(account),
      passwordPolicy: { mode: org.passwordPolicyMode, minLength: org.passwordMinLength },
    };
  });
}

/**
 * Accepts an invitation. A person who already has a Haven account proves it with their password
 * (failures count toward their lockout); a new person sets a password under the practice's
 * policy, and the link itself proves their address.
 */
export async function acceptInvitation(
  ctx: RequestContext,
  input: { token: string; password: string; name?: string | undefined; phone?: string | undefined; profession?: string | undefined; locale?: Locale | undefined },
): Promise<void> {
  const { db, clock, hasher } = ctx.services;
  const now = clock.now();
  const peeked = await db.identity((tx) => peekActionToken(tx, 'invitation', input.token, now));
  const email = peeked ? await db.identity((tx) => tokenEmail(tx, ctx.services.fields, peeked)) : null;
  if (!peeked?.orgId || !email) throw new AppError('TOKEN_INVALID');
  const orgId = peeked.orgId;
  const existing = await db.identity((tx) => findAccountByEmail(tx, ctx.services.fields, email));
  let newAccount: { id: string; passwordHash: string } | null = null;
  if (existing) {
    const check = await checkAccountPassword(ctx.services, existing, input.password);
    if (!check.ok) {
      await reportLockout(ctx, existing, check);
      throw new AppError('AUTH_INVALID_CREDENTIALS', { internal: `invitation: ${check.why}` });
    }
  } else {
    if (!input.name) throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'name', issue: 'required for a new account' }] });
    const org = await db.tenant(orgId, (tx) => findOrganisation(tx, ctx.services.fields, orgId));
    if (!org) throw new AppError('TOKEN_INVALID');
    assertPasswordAllowed(input.password, { mode: org.passwordPolicyMode, minLength: org.passwordMinLength }, [input.name, email, org.name]);
    newAccount = { id: newId(), passwordHash: await hasher.hash(input.password) };
  }
  await db.tenant(orgId, async (tx) => {
    const token = await consumeActionToken(tx, 'invitation', input.token, now);
    const invitation = token ? await findInvitationByToken(tx, token.id) : undefined;
    if (!invitation) throw new AppError('TOKEN_INVALID');
    if (invitation.role === 'custom' && !invitation.customRoleId) throw new AppError('TOKEN_INVALID', { internal: 'custom role deleted' });
    // A new person's account is created before the invitation records who accepted it (the
    // invitation references the account); any refusal below rolls the whole acceptance back.
    const accountId = existing?.id ?? newAccount!.id;
    if (!existing) {
      await insertAccount(tx, ctx.services.fields, {
        id: accountId,
        email,
        emailVerifiedAt: now,
        name: input.name!,
        phone: input.phone ?? null,
        profession: input.profession || null,
        locale: input.locale ?? 'en',
        passwordHash: newAccount!.passwordHash,
        passwordChangedAt: now,
        createdAt: now,
        updatedAt: now,
      });
    }
    if (!(await markInvitation(tx, invitation.id, { acceptedAt: now, acceptedAccountId: accountId }))) throw new AppError('TOKEN_INVALID');
    const membership = existing ? await findMembershipByAccount(tx, accountId) : undefined;
    if (membership?.status === 'active') throw new AppError('ALREADY_MEMBER');
    const role = { role: invitation.role, customRoleId: invitation.customRoleId };
    if (membership) await updateMembership(tx, membership.id, { status: 'active', deactivatedAt: null, ...role });
    else await insertMembership(tx, { orgId, id: newId(), accountId, ...role, status: 'active', createdAt: now });
    await appendAudit(tx, orgId, { ...auditMeta(ctx, now), actorAccountId: accountId, actorRole: roleLabel(invitation) }, staffEvent({ action: 'invitation.accepted', outcome: 'success', resourceType: 'invitation', resourceId: invitation.id }));
  });
}
