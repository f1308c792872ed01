import type { Me, SecondFactorMethod } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { auditMeta, signedIn, type RequestContext } from '../../core/context.ts';
import { platformOrgId } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { renderMail } from '../../core/mail/templates.ts';
import { sendAfterCommit } from '../../core/mail/mailer.ts';
import { issueActionToken } from '../../core/security/action-tokens.ts';
import { allowedBy } from '../../core/security/ip-allowlist.ts';
import { changeAccountAudited } from '../accounts/account-audit.ts';
import { loadMe } from '../accounts/me.ts';
import { activeMembershipsOfAccount, findAccountByEmail, findAccountById, type AccountRow } from '../accounts/repository.ts';
import { endSession, insertSession, rotateSessionToken, type IssuedSession } from '../sessions/repository.ts';
import { authEvent, type LoginFailure } from './audit.ts';
import { allowedFactorsOf } from '../second-factor/factor-policy.ts';
import { hasSecondFactor, secondFactorMethodsOf } from '../second-factor/repository.ts';
import { assessSignIn, settleSignIn } from '../devices/sign-in-decision.ts';
import { checkAccountPassword, reportLockout, resetFailedAttempts, spendUnknownAccountAttempt } from './password-check.ts';

const defaultIdleSeconds = 15 * 60;

export type LoginResult = (
  | { status: 'authenticated' | 'choose_organisation' | 'enrolment_required'; me: Me; issued: IssuedSession }
  | { status: 'second_factor_required'; methods: SecondFactorMethod[]; trustDeviceHours: number; issued: IssuedSession }
  | { status: 'confirmation_required'; expiresAt: string; issued: IssuedSession }
) & {
  /** A new device cookie for a browser that had none (features/devices). */
  deviceToken?: string | null;
};

/**
 * Password login. Unknown e-mail, wrong password, throttled and locked accounts all end in the
 * same AUTH_INVALID_CREDENTIALS after one argon2 verification each, so neither the answer nor its
 * timing tells whether an account exists (ASVS 6.3.8).
 */
export async function login(ctx: RequestContext, input: { email: string; password: string; organisationId?: string | undefined }): Promise<LoginResult> {
  const account = await ctx.services.db.identity((tx) => findAccountByEmail(tx, ctx.services.fields, input.email));
  const fail = async (accountId: string | null, reason: LoginFailure): Promise<never> => {
    await recordLoginFailure(ctx, accountId, reason);
    throw new AppError('AUTH_INVALID_CREDENTIALS', { internal: reason });
  };
  if (!account) {
    await spendUnknownAccountAttempt(ctx.services, input.password);
    return fail(null, 'unknown_account');
  }

  // The failure count is only reset once the whole sign-in succeeds (see checkAccountPassword).
  const check = await checkAccountPassword(ctx.services, account, input.password, { resetOnSuccess: false });
  if (!check.ok) {
    await reportLockout(ctx, account, check);
    return fail(account.id, check.why);
  }
  return openSignIn(ctx, { account, organisationId: input.organisationId, proof: 'password' });
}

/** `auth.login_failed` in each of the account's practices (or the platform's chain without one). */
export function recordLoginFailure(ctx: RequestContext, accountId: string | null, reason: LoginFailure): Promise<void> {
  return changeAccountAudited(ctx.services.db, accountId, auditMeta(ctx), authEvent({ action: 'auth.login_failed', outcome: 'failed', reason }), async () => undefined);
}

/**
 * What every sign-in does once the person is authenticated — by the password (a second factor
 * may still be owed) or by a passkey (possession plus user verification: both factors at once,
 * so nothing is owed): a verified e-mail address, an active membership or portal account, the
 * practices' network allowlists (staff only: a portal account carries none), the choice of
 * organisation, then the session and `auth.login_succeeded` (or `auth.password_verified` while a
 * second factor is awaited). A portal account is a practice like any other here; its factor rules
 * are the practice's patient rules (accounts/repository.ts#activeMembershipsOfAccount).
 */
export async function openSignIn(ctx: RequestContext, input: { account: AccountRow; organisationId?: string | undefined; proof: 'password' | 'passkey' }): Promise<LoginResult> {
  const { db, clock, mailer, config } = ctx.services;
  const { account } = input;
  const recordFailure = (accountId: string | null, reason: LoginFailure) => recordLoginFailure(ctx, accountId, reason);

  if (!account.emailVerifiedAt) {
    // Only someone who proved who they are learns this; send a fresh link.
    const mail = await db.identity(async (tx) => {
      const link = await issueActionToken(tx, { purpose: 'verify_email', accountId: account.id, now: clock.now() });
      return renderMail('verify_email', account.locale, account.email, { name: account.name, organisation: 'Haven' }, `${config.publicUrl}/verify-email#token=${link.token}`);
    });
    sendAfterCommit(mailer, ctx.log, [mail]);
    await recordFailure(account.id, 'email_not_verified');
    throw new AppError('AUTH_EMAIL_NOT_VERIFIED');
  }

  // "This wasn't me" was used: whoever knows the password must not get in with it again. Told
  // only after the password (or passkey) was right.
  if (account.passwordResetRequiredAt) {
    await recordFailure(account.id, 'password_reset_required');
    throw new AppError('PASSWORD_RESET_REQUIRED');
  }

  const memberships = await db.systemDb((tx) => activeMembershipsOfAccount(tx, ctx.services.fields, account.id));
  if (memberships.length === 0) {
    await recordFailure(account.id, 'no_membership');
    throw new AppError('FORBIDDEN', { internal: 'no active membership' });
  }
  // A practice with a network allowlist can only be entered from its networks. Told only after
  // the password (or passkey) was right, so the answer says nothing to someone guessing.
  const reachable = memberships.filter((m) => allowedBy(m.ipAllowlist, ctx.ip));
  const asked = input.organisationId ? memberships.find((m) => m.orgId === input.organisationId) : undefined;
  if (reachable.length === 0 || (asked && !reachable.includes(asked))) {
    await recordFailure(account.id, 'ip_not_allowed');
    throw new AppError('IP_NOT_ALLOWED', { internal: 'address outside the practice allowlist' });
  }
  const chosen = asked ?? (reachable.length === 1 ? reachable[0] : undefined);

  // A person who has a second factor always answers with it; one without must set one up first
  // when any of their practices requires it (one identity, the strictest practice's rule). A
  // passkey is a second factor itself: who signed in with one owes nothing more. A trusted
  // browser skips the second factor — only that: the password was asked (features/devices).
  const assessment = await assessSignIn(ctx, { account, memberships });
  // Only factors of kinds the practices allow count; someone whose factors are all disallowed
  // (the policy changed) must set up an allowed one, like someone without any.
  const methods = input.proof === 'passkey' ? [] : await db.identity((tx) => secondFactorMethodsOf(tx, account.id, allowedFactorsOf(memberships)));
  const mustEnrol = memberships.some((m) => m.secondFactorRequired) || (methods.length === 0 && (await db.identity((tx) => hasSecondFactor(tx, account.id))));
  const skippedSecondFactor = methods.length > 0 && assessment.trusted;
  const pending = input.proof === 'passkey' || skippedSecondFactor ? null : methods.length > 0 ? 'second_factor' : mustEnrol ? 'enrolment' : null;
  if (pending !== 'second_factor') await resetFailedAttempts(ctx.services, account.id);

  const now = clock.now();
  const idleTimeoutSeconds = chosen ? chosen.idleTimeoutMinutes * 60 : defaultIdleSeconds;
  const absoluteExpiresAt = new Date(now.getTime() + config.session.absoluteHours * 3600_000);
  const auditOrg = chosen?.orgId ?? platformOrgId;
  // Without a second factor the password is the strongest proof this account has; a passkey is
  // the strongest there is. A trusted browser's sign-in proved the password only: no step-up.
  const reauthenticatedAt = pending === 'second_factor' || skippedSecondFactor ? null : now;
  const { issued, settled } = await db.tenant(auditOrg, async (tx) => {
    const session = await insertSession(tx, {
      accountId: account.id,
      orgId: chosen?.orgId ?? null,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      now,
      idleTimeoutSeconds,
      absoluteExpiresAt,
      pending,
      reauthenticatedAt,
      deviceHash: assessment.deviceHash,
      riskSignals: assessment.signals,
    });
    if (pending === 'second_factor') {
      await appendAudit(tx, auditOrg, { ...auditMeta(ctx, now), actorAccountId: account.id, actorRole: chosen?.actorRole ?? null }, authEvent({ action: 'auth.password_verified', outcome: 'success', resourceType: 'session', resourceId: session.id }));
      return { issued: session, settled: null };
    }
    // Authentication is complete (or only enrolment is owed): hold it, or let it in.
    const result = await settleSignIn(ctx, tx, { account, sessionId: session.id, auditOrg, actorRole: chosen?.actorRole ?? null, assessment, skippedSecondFactor });
    return { issued: session, settled: result };
  });
  const deviceToken = assessment.newDeviceToken;
  // Nothing about the person is answered before the second factor.
  if (pending === 'second_factor') return { status: 'second_factor_required', methods, trustDeviceHours: assessment.trustHours, issued, deviceToken };
  sendAfterCommit(mailer, ctx.log, settled!.mails);
  if (settled!.held) return { status: 'confirmation_required', expiresAt: settled!.holdExpiresAt!.toISOString(), issued, deviceToken };
  const me = await loadMe(ctx.services, {
    accountId: account.id,
    orgId: chosen?.orgId ?? null,
    session: { id: issued.id, idleTimeoutSeconds, absoluteExpiresAt, lastActiveAt: now, pending, reauthenticatedAt },
    known: { account, memberships },
  });
  return { status: pending === 'enrolment' ? 'enrolment_required' : chosen ? 'authenticated' : 'choose_organisation', me, issued, deviceToken };
}

/** Picks (or switches) the organisation of the session; a privilege change, so the token rotates. */
export async function selectOrganisation(ctx: RequestContext, input: { unverifiedOrgId: string }): Promise<{ me: Me; issued: IssuedSession }> {
  const principal = signedIn(ctx);
  const { db, clock } = ctx.services;
  const memberships = await db.systemDb((tx) => activeMembershipsOfAccount(tx, ctx.services.fields, principal.accountId));
  const membership = memberships.find((m) => m.orgId === input.unverifiedOrgId);
  if (!membership) throw new AppError('NOT_FOUND', { internal: 'not a member of that organisation' });
  const orgId = membership.orgId;
  if (!allowedBy(membership.ipAllowlist, ctx.ip)) {
    await db.tenant(orgId, (tx) =>
      appendAudit(tx, orgId, { ...auditMeta(ctx), actorRole: membership.actorRole }, { action: 'access.denied', outcome: 'denied', resourceType: 'organisation', resourceId: orgId, reason: 'ip_not_allowed' }),
    );
    throw new AppError('IP_NOT_ALLOWED', { internal: 'address outside the practice allowlist' });
  }
  const now = clock.now();
  const idleTimeoutSeconds = membership.idleTimeoutMinutes * 60;
  const issued = await db.tenant(orgId, async (tx) => {
    const rotated = await rotateSessionToken(tx, principal.sessionId, { orgId, idleTimeoutSeconds, now });
    if (!rotated) throw new AppError('SESSION_EXPIRED');
    await appendAudit(tx, orgId, { ...auditMeta(ctx, now), actorRole: membership.actorRole }, authEvent({
      action: 'auth.organisation_selected',
      outcome: 'success',
      resourceType: 'session',
      resourceId: principal.sessionId,
    }));
    return rotated;
  });
  const me = await loadMe(ctx.services, {
    accountId: principal.accountId,
    orgId,
    session: { id: principal.sessionId, idleTimeoutSeconds, absoluteExpiresAt: principal.absoluteExpiresAt, lastActiveAt: now, pending: principal.pending, reauthenticatedAt: principal.reauthenticatedAt },
  });
  return { me, issued };
}

export async function logout(ctx: RequestContext): Promise<void> {
  const principal = ctx.principal;
  if (!principal) return;
  const orgId = principal.orgId ?? platformOrgId;
  const now = ctx.services.clock.now();
  await ctx.services.db.tenant(orgId, async (tx) => {
    if (await endSession(tx, principal.sessionId, 'logout', now)) {
      await appendAudit(tx, orgId, auditMeta(ctx, now), authEvent({ action: 'auth.logout', outcome: 'success', resourceType: 'session', resourceId: principal.sessionId }));
    }
  });
}

/**
 * Unlocks an idle-locked session with the password (NIST 800-63B: re-authentication within the
 * overall time limit may use the password plus the session secret). Failures count toward the
 * account lockout, so the lock screen is no guessing oracle. The token rotates.
 */
export async function unlockSession(ctx: RequestContext, input: { password: string }): Promise<{ me: Me; issued: IssuedSession }> {
  const principal = signedIn(ctx);
  const { db, clock } = ctx.services;
  const account = await db.identity((tx) => findAccountById(tx, ctx.services.fields, principal.accountId));
  if (!account) throw new AppError('SESSION_EXPIRED');
  const orgId = principal.orgId ?? platformOrgId;
  // The failure count is only reset once the whole sign-in succeeds (see checkAccountPassword).
  const check = await checkAccountPassword(ctx.services, account, input.password, { resetOnSuccess: false });
  if (!check.ok) {
    await reportLockout(ctx, account, check);
    await db.tenant(orgId, (tx) =>
      appendAudit(tx, orgId, auditMeta(ctx), authEvent({ action: 'auth.unlock_failed', outcome: 'failed', resourceType: 'session', resourceId: principal.sessionId })),
    );
    throw new AppError('AUTH_INVALID_CREDENTIALS', { internal: `unlock: ${check.why}` });
  }
  const now = clock.now();
  const issued = await db.tenant(orgId, async (tx) => {
    const rotated = await rotateSessionToken(tx, principal.sessionId, { now });
    if (!rotated) throw new AppError('SESSION_EXPIRED');
    await appendAudit(tx, orgId, auditMeta(ctx, now), authEvent({ action: 'auth.session_unlocked', outcome: 'success', resourceType: 'session', resourceId: principal.sessionId }));
    return rotated;
  });
  const me = await loadMe(ctx.services, {
    accountId: principal.accountId,
    orgId: principal.orgId,
    session: { id: principal.sessionId, idleTimeoutSeconds: principal.idleTimeoutSeconds, absoluteExpiresAt: principal.absoluteExpiresAt, lastActiveAt: now, pending: principal.pending, reauthenticatedAt: principal.reauthenticatedAt },
  });
  return { me, issued };
}
