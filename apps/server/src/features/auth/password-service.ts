import { auditMeta, signedIn, type RequestContext } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { sendAfterCommit } from '../../core/mail/mailer.ts';
import { renderMail, sessionNote, utcMinute } from '../../core/mail/templates.ts';
import { consumeActionToken, issueActionToken, peekActionToken, voidActionTokens } from '../../core/security/action-tokens.ts';
import { changeAccountAudited } from '../accounts/account-audit.ts';
import { assertPasswordAllowed, strictestPolicy } from '../accounts/password-policy.ts';
import { activeMembershipsOfAccount, findAccountByEmail, findAccountById, updateAccount, type AccountRow } from '../accounts/repository.ts';
import { endAccountSessions, rotateSessionToken, type IssuedSession } from '../sessions/repository.ts';
import { revokeAllDeviceTrust } from '../devices/repository.ts';
import { authEvent } from './audit.ts';
import { checkAccountPassword, reportLockout } from './password-check.ts';

async function policyAndContext(ctx: RequestContext, account: AccountRow) {
  const memberships = await ctx.services.db.systemDb((tx) => activeMembershipsOfAccount(tx, ctx.services.fields, account.id));
  return {
    policy: strictestPolicy(memberships),
    contextWords: [account.name, account.email, ...memberships.map((m) => m.orgName)],
  };
}

const when = utcMinute;

/**
 * Starts a reset: the same 202 whether or not the address has an account. A new link voids the
 * previous ones; it is valid 30 minutes and works once.
 */
export function requestPasswordReset(ctx: RequestContext, input: { email: string }): Promise<void> {
  // The work (lookup, token, audit, mail) happens after the answer, so a known address takes no
  // longer to answer than an unknown one. Its failures are logged by error class only.
  const work = issuePasswordReset(ctx, input).catch((error: unknown) =>
    ctx.log.error({ errorClass: (error as Error)?.name }, 'password reset request failed'),
  );
  pendingResets.add(work);
  void work.finally(() => pendingResets.delete(work));
  return Promise.resolve();
}

/** Reset requests still being processed after their answer (tests and shutdown wait for them). */
export const pendingResets = new Set<Promise<unknown>>();

async function issuePasswordReset(ctx: RequestContext, input: { email: string }): Promise<void> {
  const { db, clock, mailer, config } = ctx.services;
  const account = await db.identity((tx) => findAccountByEmail(tx, ctx.services.fields, input.email));
  if (!account) return;
  const now = clock.now();
  const link = await changeAccountAudited(
    db,
    account.id,
    auditMeta(ctx, now),
    authEvent({ action: 'password.reset_requested', outcome: 'success', resourceType: 'account', resourceId: account.id }),
    async (tx) => {
      await voidActionTokens(tx, account.id, 'password_reset', now);
      return issueActionToken(tx, { purpose: 'password_reset', accountId: account.id, now });
    },
  );
  sendAfterCommit(mailer, ctx.log, [
    renderMail('password_reset', account.locale, account.email, { name: account.name }, `${config.publicUrl}/reset-password#token=${link.token}`),
  ]);
}

/** Sets a new password from a reset link: ends every session, lifts a lock, tells the holder. */
export async function confirmPasswordReset(ctx: RequestContext, input: { token: string; password: string }): Promise<void> {
  const { db, hasher, clock, mailer, config } = ctx.services;
  const now = clock.now();
  const peeked = await db.identity((tx) => peekActionToken(tx, 'password_reset', input.token, now));
  const account = peeked?.accountId ? await db.identity((tx) => findAccountById(tx, ctx.services.fields, peeked.accountId!)) : undefined;
  if (!account) throw new AppError('TOKEN_INVALID');
  const { policy, contextWords } = await policyAndContext(ctx, account);
  assertPasswordAllowed(input.password, policy, contextWords);
  const passwordHash = await hasher.hash(input.password);
  await changeAccountAudited(
    db,
    account.id,
    auditMeta(ctx, now),
    authEvent({ action: 'password.reset', outcome: 'success', resourceType: 'account', resourceId: account.id }),
    async (tx) => {
      if (!(await consumeActionToken(tx, 'password_reset', input.token, now))) throw new AppError('TOKEN_INVALID');
      await updateAccount(tx, ctx.services.fields, account.id, {
        passwordHash,
        passwordChangedAt: now,
        updatedAt: now,
        failedLoginCount: 0,
        lockCount: 0,
        lockedUntil: null,
        throttledUntil: null,
        // Following the link proves control of the address.
        emailVerifiedAt: account.emailVerifiedAt ?? now,
        pendingEmail: null,
        // The new password answers "this wasn't me". Only the password changes: the second
        // factor is still asked at the next sign-in (ASVS 6.4.3), and no browser stays trusted.
        passwordResetRequiredAt: null,
        failuresSinceSignIn: 0,
      });
      await revokeAllDeviceTrust(tx, account.id);
      // A pending address change may be the intruder's (the notice says: change your password).
      await voidActionTokens(tx, account.id, 'email_change', now);
      await endAccountSessions(tx, account.id, 'password_reset', now);
    },
  );
  sendAfterCommit(mailer, ctx.log, [
    renderMail('password_changed', account.locale, account.email, { name: account.name, when: when(now), sessions: sessionNote('all', account.locale) }, `${config.publicUrl}/forgot-password`),
  ]);
}

/** Changes the password of the signed-in person: asks for the current one, ends the other sessions. */
export async function changePassword(
  ctx: RequestContext,
  input: { currentPassword: string; newPassword: string },
): Promise<IssuedSession> {
  const principal = signedIn(ctx);
  const { db, hasher, clock, mailer, config } = ctx.services;
  const account = await db.identity((tx) => findAccountById(tx, ctx.services.fields, principal.accountId));
  if (!account) throw new AppError('AUTH_REQUIRED');
  const check = await checkAccountPassword(ctx.services, account, input.currentPassword);
  if (!check.ok) {
    await reportLockout(ctx, account, check);
    await changeAccountAudited(db, account.id, auditMeta(ctx), authEvent({ action: 'password.changed', outcome: 'failed', resourceType: 'account', resourceId: account.id, reason: 'current password incorrect' }), async () => undefined);
    throw new AppError('PASSWORD_INCORRECT', { internal: check.why });
  }
  const { policy, contextWords } = await policyAndContext(ctx, account);
  assertPasswordAllowed(input.newPassword, policy, contextWords);
  const passwordHash = await hasher.hash(input.newPassword);
  const now = clock.now();
  const issued = await changeAccountAudited(
    db,
    account.id,
    auditMeta(ctx, now),
    authEvent({ action: 'password.changed', outcome: 'success', resourceType: 'account', resourceId: account.id }),
    async (tx) => {
      await updateAccount(tx, ctx.services.fields, account.id, { passwordHash, passwordChangedAt: now, updatedAt: now, pendingEmail: null });
      // A pending address change may be the intruder's (the notice says: change your password).
      await voidActionTokens(tx, account.id, 'email_change', now);
      await endAccountSessions(tx, account.id, 'password_changed', now, { except: principal.sessionId });
      // A changed password ends every browser's trust, this one's too.
      await revokeAllDeviceTrust(tx, account.id);
      const rotated = await rotateSessionToken(tx, principal.sessionId, { now });
      if (!rotated) throw new AppError('SESSION_EXPIRED');
      return rotated;
    },
  );
  sendAfterCommit(mailer, ctx.log, [
    renderMail('password_changed', account.locale, account.email, { name: account.name, when: when(now), sessions: sessionNote('others', account.locale) }, `${config.publicUrl}/forgot-password`),
  ]);
  return issued;
}

