import type { Factor, Me, SecondFactorCodeMethod, SecondFactorMethod } from '@haven/contracts';
import { maskEmail } from '../../core/mail/templates.ts';
import { maskPhoneNumber } from '../../core/sms/phone-numbers.ts';
import { checkSentCode } from './code-factors-service.ts';
import { findEmailCodeFactor, findPhone } from './code-factors-repository.ts';
import { allowedFactorsOf, assertFactorAllowed, factorRulesOf, methodAllowed } from './factor-policy.ts';
import QRCode from 'qrcode';
import { appendAudit, type AuditEventInput } from '../../core/audit/record.ts';
import { auditMeta, signedIn, type RequestContext } from '../../core/context.ts';
import { platformOrgId, type Tx } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { sendAfterCommit } from '../../core/mail/mailer.ts';
import { renderMail, secondFactorChanges, utcMinute } from '../../core/mail/templates.ts';
import { newId } from '../../core/security/tokens.ts';
import { changeAccountAudited } from '../accounts/account-audit.ts';
import { loadMe } from '../accounts/me.ts';
import { activeMembershipsOfAccount, findAccountById, type AccountRow } from '../accounts/repository.ts';
import { authEvent } from '../auth/audit.ts';
import { checkAccountPassword, checkSecondFactorCode, reportLockout, type PasswordCheck } from '../auth/password-check.ts';
import { countPasskeys, lockFactorsOf } from '../passkeys/repository.ts';
import { markReauthenticated, rotateSessionToken, type IssuedSession } from '../sessions/repository.ts';
import { assessAfterSecondFactor, settleSignIn, trustHoursOf } from '../devices/sign-in-decision.ts';
import { secondFactorEvent, type SecondFactorAuditEvent } from './audit.ts';
import { formatRecoveryCode, newRecoveryCode, normaliseRecoveryCode, recoveryCodeCount, recoveryCodeDigest, recoveryCodeMatches, splitRecoveryCode } from './recovery-codes.ts';
import {
  claimTotpStep,
  confirmTotp,
  deleteRecoveryCodes,
  deleteTotp,
  findTotp,
  hasSecondFactor,
  markRecoveryCodeUsed,
  secondFactorMethodsOf,
  recoveryCodeSummary,
  replaceRecoveryCodes,
  saveUnconfirmedTotp,
  unusedRecoveryCodes,
} from './repository.ts';
import { matchTotpStep, newTotpSecret, totpUri } from './totp.ts';

/** The signed-in person's account. */
export async function accountOf(ctx: RequestContext): Promise<AccountRow> {
  const account = await ctx.services.db.identity((tx) => findAccountById(tx, ctx.services.fields, signedIn(ctx).accountId));
  if (!account) throw new AppError('SESSION_EXPIRED');
  return account;
}

/** Whether one of the account's practices requires a second factor. */
export async function secondFactorRequired(ctx: RequestContext, accountId: string): Promise<boolean> {
  const memberships = await ctx.services.db.systemDb((tx) => activeMembershipsOfAccount(tx, ctx.services.fields, accountId));
  return memberships.some((m) => m.secondFactorRequired);
}

/** Records a change to the account's factors in each of its practices and tells the holder. */
async function recordChange<T>(ctx: RequestContext, account: AccountRow, event: SecondFactorAuditEvent, change: (tx: Tx) => Promise<T>, mail: { kind: keyof typeof secondFactorChanges; params?: Record<string, string> }): Promise<T> {
  return recordFactorChange(ctx, account, secondFactorEvent(event), change, mail);
}

/**
 * Any change to the account's factors (authenticator app, passkeys, recovery codes): the change
 * and its audit record in each of the account's practices commit together; the holder is mailed
 * after the commit.
 */
export async function recordFactorChange<T>(ctx: RequestContext, account: AccountRow, event: AuditEventInput, change: (tx: Tx) => Promise<T>, mail: { kind: keyof typeof secondFactorChanges; params?: Record<string, string> }): Promise<T> {
  const now = ctx.services.clock.now();
  const result = await changeAccountAudited(ctx.services.db, account.id, auditMeta(ctx, now), event, change);
  let sentence: string = secondFactorChanges[mail.kind][account.locale];
  // A function, so that `$&` and the like in a value (a passkey's name) are taken literally.
  for (const [key, value] of Object.entries(mail.params ?? {})) sentence = sentence.replace(`{${key}}`, () => value);
  sendAfterCommit(ctx.services.mailer, ctx.log, [
    renderMail('second_factor_changed', account.locale, account.email, { name: account.name, when: utcMinute(now), change: sentence }, `${ctx.services.config.publicUrl}/forgot-password`),
  ]);
  return result;
}

// ---------------------------------------------------------------------------------------------
// My security: what is set up
// ---------------------------------------------------------------------------------------------

export async function securitySummary(ctx: RequestContext) {
  const principal = signedIn(ctx);
  const { totp, codes, passkeys, emailCode, phone, account } = await ctx.services.db.identity(async (tx) => ({
    totp: await findTotp(tx, ctx.services.fields, principal.accountId),
    codes: await recoveryCodeSummary(tx, principal.accountId),
    passkeys: await countPasskeys(tx, principal.accountId),
    emailCode: await findEmailCodeFactor(tx, principal.accountId),
    phone: await findPhone(tx, ctx.services.fields, principal.accountId),
    account: await findAccountById(tx, ctx.services.fields, principal.accountId),
  }));
  const rules = await factorRulesOf(ctx, principal.accountId);
  return {
    totp: totp?.confirmedAt ? { confirmedAt: totp.confirmedAt.toISOString(), lastUsedAt: totp.lastUsedAt?.toISOString() ?? null } : null,
    recoveryCodes: codes ? { remaining: codes.remaining, createdAt: codes.createdAt.toISOString() } : null,
    passkeys,
    emailCode: emailCode?.confirmedAt && account ? { enabledAt: emailCode.confirmedAt.toISOString(), sentTo: maskEmail(account.email) } : null,
    phone: phone ? { masked: maskPhoneNumber(phone.number), addedAt: phone.createdAt.toISOString(), verifiedAt: phone.verifiedAt?.toISOString() ?? null } : null,
    allowedFactors: rules.allowed,
    required: rules.required,
    reauthenticatedAt: principal.reauthenticatedAt?.toISOString() ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Authenticator app: set up, confirm, remove
// ---------------------------------------------------------------------------------------------

/** A fresh secret with its QR code; nothing is in force until a first code confirms it. */
export async function startTotpSetup(ctx: RequestContext) {
  const account = await accountOf(ctx);
  await assertFactorAllowed(ctx, account.id, 'totp');
  const secret = newTotpSecret();
  const saved = await ctx.services.db.identity((tx) => saveUnconfirmedTotp(tx, ctx.services.fields, account.id, secret, ctx.services.clock.now()));
  if (!saved) throw new AppError('TOTP_ALREADY_ENROLLED');
  const uri = totpUri({ secret, issuer: `Haven (${new URL(ctx.services.config.publicUrl).host})`, accountLabel: account.email });
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
  return { secret, uri, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
}

/**
 * Confirms the app with its first code. The first factor brings a first set of recovery codes
 * (shown once). A session that had to enrol is signed in fully from here, with a new token.
 */
export async function confirmTotpSetup(ctx: RequestContext, input: { code: string }): Promise<{ recoveryCodes: string[] | null; me: Me | null; issued: IssuedSession | null }> {
  const principal = signedIn(ctx);
  const account = await accountOf(ctx);
  const { db, fields, clock } = ctx.services;
  const now = clock.now();
  await assertFactorAllowed(ctx, account.id, 'totp');
  const totp = await db.identity((tx) => findTotp(tx, fields, account.id));
  if (!totp || totp.confirmedAt) throw new AppError('TOTP_SETUP_NOT_STARTED');
  // Not counted toward the lockout: whoever is here is signed in and holds the secret already.
  const step = matchTotpStep(totp.secret, input.code, now);
  if (step === null) throw new AppError('SECOND_FACTOR_INVALID', { internal: 'setup code did not match' });

  const hadCodes = (await db.identity((tx) => recoveryCodeSummary(tx, account.id))) !== null;
  const codes = hadCodes ? null : newRecoveryCodeSet();
  await recordChange(
    ctx,
    account,
    { action: 'mfa.totp_enrolled', outcome: 'success', resourceType: 'account', resourceId: account.id },
    async (tx) => {
      if (!(await confirmTotp(tx, account.id, step, now))) throw new AppError('TOTP_SETUP_NOT_STARTED');
      if (codes) await replaceRecoveryCodes(tx, account.id, codes.rows, now);
      await markReauthenticated(tx, principal.sessionId, now);
    },
    { kind: 'totp_enrolled' },
  );
  if (principal.pending !== 'enrolment') return { recoveryCodes: codes?.shown ?? null, me: null, issued: null };
  const { me, issued } = await completeEnrolment(ctx, account, now);
  return { recoveryCodes: codes?.shown ?? null, me, issued };
}

/**
 * A session that had to set up a first second factor has just done so (app or passkey): it is
 * signed in fully from here, with a new token.
 */
export async function completeEnrolment(ctx: RequestContext, account: AccountRow, now: Date): Promise<{ me: Me; issued: IssuedSession }> {
  const principal = signedIn(ctx);
  const issued = await ctx.services.db.identity((tx) => rotateSessionToken(tx, principal.sessionId, { now, pending: null, reauthenticatedAt: now }));
  if (!issued) throw new AppError('SESSION_EXPIRED');
  const me = await loadMe(ctx.services, {
    accountId: account.id,
    orgId: principal.orgId,
    session: { id: principal.sessionId, idleTimeoutSeconds: principal.idleTimeoutSeconds, absoluteExpiresAt: principal.absoluteExpiresAt, lastActiveAt: now, pending: null, reauthenticatedAt: now },
  });
  return { me, issued };
}

/**
 * Removes the app. When it was the last factor (no passkey left), the recovery codes go too —
 * they only ever back a factor up — and a practice that requires a second factor refuses it.
 */
export async function removeTotp(ctx: RequestContext): Promise<void> {
  const account = await accountOf(ctx);
  const { required, allowed } = await factorRulesOf(ctx, account.id);
  await recordChange(
    ctx,
    account,
    { action: 'mfa.totp_removed', outcome: 'success', resourceType: 'account', resourceId: account.id },
    async (tx) => {
      await lockFactorsOf(tx, account.id);
      if (!(await deleteTotp(tx, account.id))) throw new AppError('NOT_FOUND', { internal: 'no authenticator app' });
      await afterFactorRemoved(tx, account.id, required, allowed);
    },
    { kind: 'totp_removed' },
  );
}

/**
 * Run after removing a factor, in its transaction (with the account's factors locked): the last
 * usable factor (of a kind the practices allow, `allowed`) of someone whose practice requires one
 * stays (the transaction rolls back), and without any factor left the recovery codes are void.
 */
export async function afterFactorRemoved(tx: Tx, accountId: string, required: boolean, allowed?: readonly Factor[]): Promise<void> {
  if (await hasSecondFactor(tx, accountId, allowed)) return;
  if (required) throw new AppError('LAST_FACTOR');
  if (await hasSecondFactor(tx, accountId)) return;
  await deleteRecoveryCodes(tx, accountId);
}

// ---------------------------------------------------------------------------------------------
// Recovery codes
// ---------------------------------------------------------------------------------------------

/** Ten new codes: shown once, stored as lookup prefix plus digest (see recovery-codes.ts). */
export function newRecoveryCodeSet(): { shown: string[]; rows: Array<{ id: string; lookup: string; codeHash: string }> } {
  const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  const rows = codes.map((code) => {
    const { lookup, secret } = splitRecoveryCode(code);
    return { id: newId(), lookup, codeHash: recoveryCodeDigest(secret) };
  });
  return { shown: codes.map(formatRecoveryCode), rows };
}

/** A new set of ten; the old set stops working at once. */
export async function regenerateRecoveryCodes(ctx: RequestContext): Promise<{ codes: string[] }> {
  const account = await accountOf(ctx);
  if (!(await ctx.services.db.identity((tx) => hasSecondFactor(tx, account.id)))) {
    throw new AppError('TOTP_SETUP_NOT_STARTED', { internal: 'recovery codes back up a second factor; there is none' });
  }
  const set = newRecoveryCodeSet();
  await recordChange(
    ctx,
    account,
    { action: 'mfa.recovery_codes_generated', outcome: 'success', resourceType: 'account', resourceId: account.id },
    (tx) => replaceRecoveryCodes(tx, account.id, set.rows, ctx.services.clock.now()),
    { kind: 'recovery_codes_generated' },
  );
  return { codes: set.shown };
}

// ---------------------------------------------------------------------------------------------
// Answering with a second factor: at sign-in and for step-up
// ---------------------------------------------------------------------------------------------

/**
 * Checks a second-factor answer under the account's lockout (wrong codes count like wrong
 * passwords). A TOTP code is used once: its step is claimed in the same breath. A recovery
 * code is spent and its holder told.
 */
async function checkAnswer(ctx: RequestContext, account: AccountRow, input: { method: SecondFactorCodeMethod; code: string; purpose: 'sign_in' | 'step_up' }): Promise<PasswordCheck> {
  const { db, fields, clock, hasher } = ctx.services;
  let usedRecoveryCode = false;
  // Only the methods the person has and their practices allow answer; any other is a wrong code.
  const { allowed } = await factorRulesOf(ctx, account.id);
  const usable = await db.identity((tx) => secondFactorMethodsOf(tx, account.id, allowed));
  const check = await checkSecondFactorCode(ctx.services, account, async () => {
    const now = clock.now();
    if (!methodAllowed(input.method, allowed) || !usable.includes(input.method)) return false;
    if (input.method === 'sms' || input.method === 'email_code') return checkSentCode(ctx, account, { method: input.method, purpose: input.purpose, code: input.code });
    if (input.method === 'totp') {
      const totp = await db.identity((tx) => findTotp(tx, fields, account.id));
      if (!totp?.confirmedAt) return false;
      const step = matchTotpStep(totp.secret, input.code, now);
      if (step === null) return false;
      // Refused when this step (or a later one) was used already: a code works once.
      return db.identity((tx) => claimTotpStep(tx, account.id, step, now));
    }
    const code = normaliseRecoveryCode(input.code);
    if (!code) return false;
    const { lookup, secret } = splitRecoveryCode(code);
    const candidates = await db.identity((tx) => unusedRecoveryCodes(tx, account.id, lookup));
    for (const candidate of candidates) {
      if (await recoveryCodeMatches(candidate.codeHash, secret, hasher)) {
        usedRecoveryCode = await db.identity((tx) => markRecoveryCodeUsed(tx, candidate.id, now));
        return usedRecoveryCode;
      }
    }
    return false;
  });
  if (usedRecoveryCode) {
    const left = await db.identity((tx) => recoveryCodeSummary(tx, account.id));
    await recordChange(ctx, account, { action: 'mfa.recovery_code_used', outcome: 'success', resourceType: 'account', resourceId: account.id }, async () => undefined, {
      kind: 'recovery_code_used',
      params: { remaining: String(left?.remaining ?? 0) },
    });
  }
  return check;
}

async function refuse(ctx: RequestContext, account: AccountRow, check: Exclude<PasswordCheck, { ok: true }>, step: 'sign-in' | 'step-up'): Promise<never> {
  await reportLockout(ctx, account, check);
  await changeAccountAudited(ctx.services.db, account.id, auditMeta(ctx), authEvent({ action: 'auth.login_failed', outcome: 'failed', reason: check.why === 'wrong_password' ? 'wrong_code' : check.why }), async () => undefined);
  throw new AppError('SECOND_FACTOR_INVALID', { internal: `${step}: ${check.why}` });
}

export type SecondFactorResult =
  | { status: 'authenticated' | 'choose_organisation'; me: Me; issued: IssuedSession }
  /** A suspicious sign-in, held until confirmed by e-mail (features/devices). */
  | { status: 'confirmation_required'; expiresAt: string; issued: IssuedSession };

/** The second step of signing in: the session becomes fully signed in, with a new token. */
export async function completeSignIn(ctx: RequestContext, input: { method: SecondFactorCodeMethod; code: string; trustDevice?: boolean | undefined }): Promise<SecondFactorResult> {
  const account = await accountOf(ctx);
  return finishSignIn(ctx, account, await checkAnswer(ctx, account, { method: input.method, code: input.code, purpose: 'sign_in' }), { trustDevice: input.trustDevice === true });
}

/**
 * The second step of signing in, once its answer (code or passkey) was checked under the
 * lockout: a refusal is counted, audited and answered SECOND_FACTOR_INVALID; otherwise the
 * session becomes fully signed in, with a new token.
 */
export async function finishSignIn(ctx: RequestContext, account: AccountRow, check: PasswordCheck, options: { trustDevice?: boolean } = {}): Promise<SecondFactorResult> {
  const principal = signedIn(ctx);
  if (!check.ok) return refuse(ctx, account, check, 'sign-in');

  const { db, clock } = ctx.services;
  const now = clock.now();
  const memberships = await db.systemDb((tx) => activeMembershipsOfAccount(tx, ctx.services.fields, account.id));
  const orgId = principal.orgId ?? platformOrgId;
  const current = memberships.find((m) => m.orgId === principal.orgId);
  // The account as read before this answer: wrong codes since the password are failures too.
  const assessment = await assessAfterSecondFactor(ctx, { account, memberships, sessionId: principal.sessionId });
  const { issued, settled } = await db.tenant(orgId, async (tx) => {
    const rotated = await rotateSessionToken(tx, principal.sessionId, { now, pending: null, reauthenticatedAt: now });
    if (!rotated) throw new AppError('SESSION_EXPIRED');
    // Let in (and the browser trusted if asked), or held for confirmation by e-mail; audited.
    const result = await settleSignIn(ctx, tx, { account, sessionId: principal.sessionId, auditOrg: orgId, actorRole: current?.actorRole ?? null, assessment, trustDevice: options.trustDevice === true });
    return { issued: rotated, settled: result };
  });
  sendAfterCommit(ctx.services.mailer, ctx.log, settled.mails);
  if (settled.held) return { status: 'confirmation_required', expiresAt: settled.holdExpiresAt!.toISOString(), issued };
  const me = await loadMe(ctx.services, {
    accountId: account.id,
    orgId: principal.orgId,
    session: { id: principal.sessionId, idleTimeoutSeconds: principal.idleTimeoutSeconds, absoluteExpiresAt: principal.absoluteExpiresAt, lastActiveAt: now, pending: null, reauthenticatedAt: now },
    known: { account, memberships },
  });
  return { status: principal.orgId ? 'authenticated' : 'choose_organisation', me, issued };
}

/**
 * Step-up: proves the person again, with their second factor — or, for an account that has
 * none (its practices do not require one), with the password.
 */
export async function stepUp(ctx: RequestContext, input: { method: SecondFactorCodeMethod | 'password'; code?: string | undefined; password?: string | undefined }): Promise<{ reauthenticatedAt: string }> {
  const account = await accountOf(ctx);
  const hasFactor = await ctx.services.db.identity((tx) => hasSecondFactor(tx, account.id));
  if (input.method === 'password') {
    if (hasFactor) throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'method', issue: 'Use your second factor.' }] });
    const check = await checkAccountPassword(ctx.services, account, input.password ?? '');
    if (!check.ok) {
      await reportLockout(ctx, account, check);
      throw new AppError('PASSWORD_INCORRECT', { internal: `step-up: ${check.why}` });
    }
    return markSteppedUp(ctx, account);
  }
  return finishStepUp(ctx, account, await checkAnswer(ctx, account, { method: input.method, code: input.code ?? '', purpose: 'step_up' }));
}

/** Step-up with a second factor (code or passkey) whose answer was checked under the lockout. */
export async function finishStepUp(ctx: RequestContext, account: AccountRow, check: PasswordCheck): Promise<{ reauthenticatedAt: string }> {
  if (!check.ok) return refuse(ctx, account, check, 'step-up');
  return markSteppedUp(ctx, account);
}

async function markSteppedUp(ctx: RequestContext, account: AccountRow): Promise<{ reauthenticatedAt: string }> {
  const principal = signedIn(ctx);
  const { db, clock } = ctx.services;
  const now = clock.now();
  await changeAccountAudited(db, account.id, auditMeta(ctx, now), secondFactorEvent({ action: 'auth.step_up', outcome: 'success', resourceType: 'session', resourceId: principal.sessionId }), (tx) =>
    markReauthenticated(tx, principal.sessionId, now),
  );
  return { reauthenticatedAt: now.toISOString() };
}

/**
 * What the waiting second step offers, for a page that was reloaded there: the methods the
 * person can answer with (their factors of kinds their practices allow) and how many hours
 * "trust this browser" may last (0: not offered). Only the session that owes the step asks.
 */
export async function pendingSecondFactor(ctx: RequestContext): Promise<{ methods: SecondFactorMethod[]; trustDeviceHours: number }> {
  const principal = signedIn(ctx);
  const { db, fields } = ctx.services;
  const memberships = await db.systemDb((tx) => activeMembershipsOfAccount(tx, fields, principal.accountId));
  const methods = await db.identity((tx) => secondFactorMethodsOf(tx, principal.accountId, allowedFactorsOf(memberships)));
  return { methods, trustDeviceHours: trustHoursOf(memberships) };
}
