import type { Me, RiskSignal } from '@haven/contracts';
import { and, eq, isNull } from 'drizzle-orm';
import { appendAudit } from '../../core/audit/record.ts';
import { auditMeta, signedIn, type RequestContext } from '../../core/context.ts';
import { platformOrgId } from '../../core/db/database.ts';
import { accounts, actionTokens } from '../../core/db/schema.ts';
import { AppError } from '../../core/errors.ts';
import { sendAfterCommit } from '../../core/mail/mailer.ts';
import { consumeActionToken, peekActionToken, voidActionTokens } from '../../core/security/action-tokens.ts';
import { changeAccountAudited } from '../accounts/account-audit.ts';
import { loadMe } from '../accounts/me.ts';
import { activeMembershipsOfAccount, findAccountById } from '../accounts/repository.ts';
import { requestPasswordReset } from '../auth/password-service.ts';
import { secondFactorMethodsOf } from '../second-factor/repository.ts';
import { endAccountSessions, endSession, rotateSessionToken, type IssuedSession } from '../sessions/repository.ts';
import { deviceEvent } from './audit.ts';
import { confirmHeldSession, findSessionRow, revokeAllDeviceTrust } from './repository.ts';
import { admitSignIn } from './sign-in-decision.ts';

/*
 * A held sign-in (high risk, see sign-in-decision.ts) and "this wasn't me". The person confirms a
 * held sign-in by opening the link from the e-mail — on any device: the phone that shows the mail
 * need not be the browser that waits. The link marks the session 'confirmed'; the waiting
 * browser then continues, and only then gets a fully signed-in session (with a new token).
 */

/** Opens the link from the "Was this you?" e-mail: the held sign-in may continue. */
export async function confirmHeldSignIn(ctx: RequestContext, input: { token: string }): Promise<void> {
  const { db, clock } = ctx.services;
  const now = clock.now();
  const peeked = await db.identity((tx) => peekActionToken(tx, 'sign_in_confirmation', input.token, now));
  if (!peeked?.accountId) throw new AppError('TOKEN_INVALID', { internal: 'sign-in confirmation: unknown, expired or used link' });
  const accountId = peeked.accountId;
  const sessionId = await changeAccountAudited(
    db,
    accountId,
    { ...auditMeta(ctx, now), actorAccountId: accountId },
    (id: string) => [deviceEvent({ action: 'auth.login_confirmed', outcome: 'success', resourceType: 'session', resourceId: id })],
    async (tx) => {
      // Consumed and applied together: a second click, or a race of two, finds nothing.
      const token = await consumeActionToken(tx, 'sign_in_confirmation', input.token, now);
      if (!token) throw new AppError('TOKEN_INVALID', { internal: 'sign-in confirmation: used meanwhile' });
      const session = await confirmHeldSession(tx, token.id, now);
      if (!session) throw new AppError('TOKEN_INVALID', { internal: 'sign-in confirmation: the held session has ended' });
      return session.id;
    },
  );
  ctx.log.info({ sessionId }, 'held sign-in confirmed');
}

export type ContinuedSignIn = { status: 'authenticated' | 'choose_organisation' | 'enrolment_required'; me: Me; issued: IssuedSession };

/**
 * The waiting browser continues its held sign-in. Not yet confirmed: SIGN_IN_NOT_CONFIRMED (ask
 * again later). The link expired unused: the session ends (SIGN_IN_CONFIRMATION_EXPIRED).
 * Confirmed: the session is signed in (or must still set up a second factor), with a new token;
 * the browser and the country become known, and a new browser is announced to the holder.
 */
export async function continueHeldSignIn(ctx: RequestContext): Promise<ContinuedSignIn> {
  const principal = signedIn(ctx);
  const { db, clock, fields } = ctx.services;
  const now = clock.now();
  const session = await db.identity((tx) => findSessionRow(tx, principal.sessionId));
  if (!session || session.endedAt) throw new AppError('SESSION_EXPIRED');
  const orgId = session.orgId ?? platformOrgId;

  if (session.pending === 'confirmation') {
    const [link] = session.holdTokenId ? await db.identity((tx) => tx.select().from(actionTokens).where(eq(actionTokens.id, session.holdTokenId!)).limit(1)) : [];
    if (!link || link.expiresAt <= now) {
      await db.tenant(orgId, async (tx) => {
        if (await endSession(tx, session.id, 'confirmation_expired', now)) {
          await appendAudit(tx, orgId, { ...auditMeta(ctx, now), actorAccountId: session.accountId }, { action: 'auth.logout', outcome: 'success', resourceType: 'session', resourceId: session.id, reason: 'sign-in not confirmed in time' });
        }
      });
      throw new AppError('SIGN_IN_CONFIRMATION_EXPIRED');
    }
    throw new AppError('SIGN_IN_NOT_CONFIRMED');
  }
  if (session.pending !== 'confirmed') throw new AppError('SIGN_IN_NOT_HELD');

  const account = await db.identity((tx) => findAccountById(tx, fields, session.accountId));
  if (!account) throw new AppError('SESSION_EXPIRED');
  const memberships = await db.systemDb((tx) => activeMembershipsOfAccount(tx, fields, account.id));
  const methods = await db.identity((tx) => secondFactorMethodsOf(tx, account.id));
  // What the sign-in still owes once confirmed: setting up a second factor, if that was owed.
  const next = methods.length === 0 && memberships.some((m) => m.secondFactorRequired) ? 'enrolment' : null;
  const current = memberships.find((m) => m.orgId === session.orgId);
  const signals = (session.riskSignals ?? []) as RiskSignal[];
  const { issued, mails } = await db.tenant(orgId, async (tx) => {
    const rotated = await rotateSessionToken(tx, session.id, { now, pending: next });
    if (!rotated) throw new AppError('SESSION_EXPIRED');
    const meta = { ...auditMeta(ctx, now), actorAccountId: account.id, actorRole: current?.role ?? null };
    const country = ctx.ip ? ctx.services.geo.countryOf(ctx.ip) : null;
    const sent = await admitSignIn(ctx, tx, {
      account,
      sessionId: session.id,
      auditOrg: orgId,
      meta,
      assessment: { deviceHash: session.deviceHash, country, signals, level: 'high' },
      confirmed: true,
    });
    return { issued: rotated, mails: sent };
  });
  sendAfterCommit(ctx.services.mailer, ctx.log, mails);
  const me = await loadMe(ctx.services, {
    accountId: account.id,
    orgId: session.orgId,
    session: { id: session.id, idleTimeoutSeconds: session.idleTimeoutSeconds, absoluteExpiresAt: session.absoluteExpiresAt, lastActiveAt: now, pending: next, reauthenticatedAt: session.reauthenticatedAt },
    known: { account, memberships },
  });
  return { status: next === 'enrolment' ? 'enrolment_required' : session.orgId ? 'authenticated' : 'choose_organisation', me, issued };
}

/**
 * "This wasn't me", from the mail about a new browser: every session of the account ends, no
 * browser stays trusted, open confirmation links die, and the next sign-in needs a new password
 * (set through a reset link, which is sent now). A reset only changes the password: the second
 * factor is still asked at the next sign-in.
 */
export async function reportNotMe(ctx: RequestContext, input: { token: string }): Promise<{ sessionsEnded: number; resetLinkSent: true }> {
  const { db, clock, fields } = ctx.services;
  const now = clock.now();
  const peeked = await db.identity((tx) => peekActionToken(tx, 'not_me', input.token, now));
  const account = peeked?.accountId ? await db.identity((tx) => findAccountById(tx, fields, peeked.accountId!)) : undefined;
  if (!account) throw new AppError('TOKEN_INVALID', { internal: "this wasn't me: unknown, expired or used link" });
  const result = await changeAccountAudited(
    db,
    account.id,
    { ...auditMeta(ctx, now), actorAccountId: account.id },
    (done: { ended: number; untrusted: number }) => [
      deviceEvent({ action: 'auth.not_me', outcome: 'success', resourceType: 'account', resourceId: account.id, reason: `${done.ended} sessions ended; password reset required` }),
      deviceEvent({ action: 'auth.device_trust_revoked', outcome: 'success', resourceType: 'account', resourceId: account.id, reason: `not_me; ${done.untrusted} devices` }),
    ],
    async (tx) => {
      if (!(await consumeActionToken(tx, 'not_me', input.token, now))) throw new AppError('TOKEN_INVALID', { internal: "this wasn't me: used meanwhile" });
      const ended = await endAccountSessions(tx, account.id, 'not_me', now);
      const untrusted = await revokeAllDeviceTrust(tx, account.id);
      await tx.update(accounts).set({ passwordResetRequiredAt: now, updatedAt: now }).where(and(eq(accounts.id, account.id), isNull(accounts.passwordResetRequiredAt)));
      await voidActionTokens(tx, account.id, 'sign_in_confirmation', now);
      await voidActionTokens(tx, account.id, 'not_me', now);
      return { ended, untrusted };
    },
  );
  await requestPasswordReset(ctx, { email: account.email });
  return { sessionsEnded: result.ended, resetLinkSent: true };
}
