import type { Me } from '@haven/contracts';
import { auditMeta, signedIn, type RequestContext } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { sendAfterCommit, type OutgoingMail } from '../../core/mail/mailer.ts';
import { maskEmail, renderMail, utcMinute } from '../../core/mail/templates.ts';
import { consumeActionToken, issueActionToken, peekActionToken, tokenEmail, voidActionTokens } from '../../core/security/action-tokens.ts';
import { checkAccountPassword, reportLockout } from '../auth/password-check.ts';
import { changeAccountAudited } from './account-audit.ts';
import { accountEvent } from './audit.ts';
import { loadMe } from './me.ts';
import { findAccountByEmail, findAccountById, updateAccount } from './repository.ts';

export function getMe(ctx: RequestContext): Promise<Me> {
  const principal = signedIn(ctx);
  return loadMe(ctx.services, { accountId: principal.accountId, orgId: principal.orgId, session: { id: principal.sessionId, idleTimeoutSeconds: principal.idleTimeoutSeconds, absoluteExpiresAt: principal.absoluteExpiresAt, lastActiveAt: ctx.services.clock.now(), pending: principal.pending, reauthenticatedAt: principal.reauthenticatedAt } });
}

export interface ProfileChanges {
  name?: string | undefined;
  phone?: string | null | undefined;
  profession?: string | null | undefined;
  locale?: 'en' | 'de' | 'nl' | undefined;
  email?: string | undefined;
  currentPassword?: string | undefined;
}

const when = utcMinute;

/**
 * Updates the signed-in person's own data. A new e-mail address needs the current password
 * (ASVS 7.5.1) and takes effect only when confirmed from the new address; the old one is told.
 */
export async function updateMe(ctx: RequestContext, changes: ProfileChanges): Promise<Me> {
  const principal = signedIn(ctx);
  const { db, clock, mailer, config } = ctx.services;
  const account = await db.identity((tx) => findAccountById(tx, ctx.services.fields, principal.accountId));
  if (!account) throw new AppError('AUTH_REQUIRED');
  const now = clock.now();
  const plain: Record<string, unknown> = {};
  if (changes.name !== undefined && changes.name !== account.name) plain.name = changes.name;
  if (changes.phone !== undefined && changes.phone !== account.phone) plain.phone = changes.phone;
  if (changes.profession !== undefined && (changes.profession || null) !== account.profession) plain.profession = changes.profession || null;
  if (changes.locale !== undefined && changes.locale !== account.locale) plain.locale = changes.locale;
  const emailChange = changes.email !== undefined && changes.email !== account.email ? changes.email : null;
  if (emailChange && !changes.currentPassword) {
    throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'currentPassword', issue: 'needed to change the e-mail address' }] });
  }
  if (emailChange) {
    const check = await checkAccountPassword(ctx.services, account, changes.currentPassword!);
    if (!check.ok) {
      await reportLockout(ctx, account, check);
      throw new AppError('PASSWORD_INCORRECT', { internal: check.why });
    }
  }
  const meta = auditMeta(ctx, now);
  const mails: OutgoingMail[] = [];
  if (Object.keys(plain).length > 0) {
    await changeAccountAudited(db, account.id, meta, accountEvent({ action: 'profile.changed', outcome: 'success', resourceType: 'account', resourceId: account.id, changedFields: Object.keys(plain) }), (tx) =>
      updateAccount(tx, ctx.services.fields, account.id, { ...plain, updatedAt: now }),
    );
  }
  if (emailChange) {
    const taken = await db.identity((tx) => findAccountByEmail(tx, ctx.services.fields, emailChange));
    const link = await changeAccountAudited(db, account.id, meta, accountEvent({ action: 'profile.email_change_requested', outcome: 'success', resourceType: 'account', resourceId: account.id, changedFields: ['email'] }), async (tx) => {
      await voidActionTokens(tx, account.id, 'email_change', now);
      await updateAccount(tx, ctx.services.fields, account.id, { pendingEmail: emailChange, updatedAt: now });
      return issueActionToken(tx, { purpose: 'email_change', accountId: account.id, email: emailChange, now }, ctx.services.fields);
    });
    const locale = (plain.locale as typeof account.locale | undefined) ?? account.locale;
    // An address that already belongs to someone gets no link (it could not be confirmed), but
    // the answer stays the same so the change form reveals no accounts.
    if (!taken) mails.push(renderMail('email_change_confirm', locale, emailChange, { name: account.name }, `${config.publicUrl}/confirm-email#token=${link.token}`));
    mails.push(renderMail('email_change_notice', locale, account.email, { name: account.name, masked: maskEmail(emailChange), when: when(now) }));
  }
  sendAfterCommit(mailer, ctx.log, mails);
  return getMe(ctx);
}

/** Confirms a new address from the link sent to it; the old address is told. */
export async function confirmEmailChange(ctx: RequestContext, input: { token: string }): Promise<void> {
  const { db, clock, mailer } = ctx.services;
  const now = clock.now();
  const peeked = await db.identity((tx) => peekActionToken(tx, 'email_change', input.token, now));
  const account = peeked?.accountId ? await db.identity((tx) => findAccountById(tx, ctx.services.fields, peeked.accountId!)) : undefined;
  const newEmail = peeked ? await db.identity((tx) => tokenEmail(tx, ctx.services.fields, peeked)) : null;
  if (!newEmail || !account) throw new AppError('TOKEN_INVALID');
  const oldEmail = account.email;
  await changeAccountAudited(db, account.id, { ...auditMeta(ctx, now), actorAccountId: account.id }, accountEvent({ action: 'profile.email_changed', outcome: 'success', resourceType: 'account', resourceId: account.id, changedFields: ['email'] }), async (tx) => {
    if (!(await consumeActionToken(tx, 'email_change', input.token, now))) throw new AppError('TOKEN_INVALID');
    if (await findAccountByEmail(tx, ctx.services.fields, newEmail)) throw new AppError('TOKEN_INVALID', { internal: 'address taken meanwhile' });
    await updateAccount(tx, ctx.services.fields, account.id, { email: newEmail, pendingEmail: null, emailVerifiedAt: now, updatedAt: now });
  });
  sendAfterCommit(mailer, ctx.log, [renderMail('email_changed', account.locale, oldEmail, { name: account.name, masked: maskEmail(newEmail) })]);
}
