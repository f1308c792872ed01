import type { Me, SentCodeMethod } from '@haven/contracts';
import { auditMeta, signedIn, type RequestContext } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { maskEmail, renderMail, sentCodePurposes } from '../../core/mail/templates.ts';
import { maskPhoneNumber, normalisePhoneNumber } from '../../core/sms/phone-numbers.ts';
import { changeAccountAudited } from '../accounts/account-audit.ts';
import type { AccountRow } from '../accounts/repository.ts';
import { lockFactorsOf } from '../passkeys/repository.ts';
import { markReauthenticated, type IssuedSession } from '../sessions/repository.ts';
import { secondFactorEvent } from './audit.ts';
import { codeSmsText } from './code-messages.ts';
import {
  confirmEmailCode,
  deleteEmailCode,
  deletePhone,
  findEmailCodeFactor,
  findPhone,
  saveUnconfirmedEmailCode,
  saveUnverifiedPhone,
  verifyPhone,
} from './code-factors-repository.ts';
import { assertFactorAllowed, factorRulesOf } from './factor-policy.ts';
import { recoveryCodeSummary, replaceRecoveryCodes, secondFactorMethodsOf } from './repository.ts';
import { codeLifetimeMs, consumeCode, deleteCodes, issueCode, withdrawCode, type CodeChannel, type CodePurpose } from './sent-codes.ts';
import { accountOf, afterFactorRemoved, completeEnrolment, newRecoveryCodeSet, recordFactorChange } from './service.ts';

/*
 * The out-of-band code factors: a code by e-mail (the weakest: whoever reads the mailbox can use
 * it; NIST 800-63B does not accept e-mail at all — docs/authentication.md, C2) and a code by SMS
 * to a verified phone (ASVS 6.6.1: only beside a stronger method, with the risks told; C3).
 */

export interface CodeSentAnswer {
  method: SentCodeMethod;
  sentTo: string;
  expiresAt: string;
  resendAfterSeconds: number;
}

const channelOf = (method: SentCodeMethod): CodeChannel => (method === 'sms' ? 'sms' : 'email');
const smsPurposes: Record<CodePurpose, string> = { setup: 'verify_phone', sign_in: 'login_code', step_up: 'step_up_code' };

/**
 * Issues a code on a channel (send limits checked, the send audited as `mfa.code_sent` in the
 * account's practices) and delivers it once that has committed. A delivery that fails withdraws
 * the code and answers CODE_DELIVERY_FAILED; the send still counts toward the limits, so a
 * failing provider is not hammered.
 */
async function sendCode(ctx: RequestContext, account: AccountRow, input: { method: SentCodeMethod; purpose: CodePurpose; to: string }): Promise<CodeSentAnswer> {
  const principal = signedIn(ctx);
  const { db, fields, clock, config } = ctx.services;
  const now = clock.now();
  const channel = channelOf(input.method);
  const issued = await changeAccountAudited(
    db,
    account.id,
    auditMeta(ctx, now),
    secondFactorEvent({ action: 'mfa.code_sent', outcome: 'success', resourceType: 'account', resourceId: account.id, reason: `${input.method}:${input.purpose}` }),
    (tx) => issueCode(tx, fields, { accountId: account.id, channel, purpose: input.purpose, boundTo: principal.sessionId, now }),
  );
  const minutes = Math.round(codeLifetimeMs[channel] / 60_000);
  try {
    if (channel === 'sms') {
      const host = new URL(config.publicUrl).host;
      await ctx.services.sms.send({ to: input.to, text: codeSmsText({ locale: account.locale, purpose: input.purpose, code: issued.code, minutes, host }), purpose: smsPurposes[input.purpose] });
    } else {
      await ctx.services.mailer.send(
        renderMail('second_factor_code', account.locale, input.to, { name: account.name, code: issued.code, minutes: String(minutes), purpose: sentCodePurposes[input.purpose][account.locale] }),
      );
    }
  } catch (error) {
    await db.identity((tx) => withdrawCode(tx, account.id, channel));
    ctx.log.error({ channel, errorClass: (error as Error)?.name }, 'sending a code failed');
    throw new AppError('CODE_DELIVERY_FAILED', { internal: `${channel} delivery failed`, cause: error });
  }
  return {
    method: input.method,
    sentTo: channel === 'sms' ? maskPhoneNumber(input.to) : maskEmail(input.to),
    expiresAt: issued.expiresAt.toISOString(),
    resendAfterSeconds: issued.resendAfterSeconds,
  };
}

/** Where a factor's codes go: the verified phone, or the account's own (verified) address. */
async function destinationOf(ctx: RequestContext, account: AccountRow, method: SentCodeMethod): Promise<string> {
  if (method === 'email_code') return account.email;
  const phone = await ctx.services.db.identity((tx) => findPhone(tx, ctx.services.fields, account.id));
  if (!phone?.verifiedAt) throw new AppError('FACTOR_NOT_SET_UP');
  return phone.number;
}

/**
 * Sends a code for the second step of signing in, or for step-up: only for a method the person
 * has and their practices allow.
 */
export async function sendFactorCode(ctx: RequestContext, input: { method: SentCodeMethod; purpose: 'sign_in' | 'step_up' }): Promise<CodeSentAnswer> {
  const account = await accountOf(ctx);
  const { allowed } = await factorRulesOf(ctx, account.id);
  const methods = await ctx.services.db.identity((tx) => secondFactorMethodsOf(tx, account.id, allowed));
  if (!methods.includes(input.method)) throw new AppError('FACTOR_NOT_SET_UP', { internal: `${input.method} is not a usable method of this account` });
  return sendCode(ctx, account, { method: input.method, purpose: input.purpose, to: await destinationOf(ctx, account, input.method) });
}

/** Checks a code typed at sign-in or step-up (the caller counts it toward the account lock). */
export async function checkSentCode(ctx: RequestContext, account: AccountRow, input: { method: SentCodeMethod; purpose: 'sign_in' | 'step_up'; code: string }): Promise<boolean> {
  const principal = signedIn(ctx);
  const { db, fields, clock } = ctx.services;
  return db.identity((tx) => consumeCode(tx, fields, { accountId: account.id, channel: channelOf(input.method), purpose: input.purpose, boundTo: principal.sessionId, code: input.code, now: clock.now() }));
}

// ---------------------------------------------------------------------------------------------
// Turning them on and off
// ---------------------------------------------------------------------------------------------

type Confirmed = { recoveryCodes: string[] | null; me: Me | null; issued: IssuedSession | null };

/** Turning on the e-mail code: a first code goes to the account's (verified) address. */
export async function startEmailCodeSetup(ctx: RequestContext): Promise<CodeSentAnswer> {
  const account = await accountOf(ctx);
  await assertFactorAllowed(ctx, account.id, 'email_code');
  // Signing in needs a verified address; checked again because the code is only as good as it.
  if (!account.emailVerifiedAt) throw new AppError('AUTH_EMAIL_NOT_VERIFIED');
  const started = await ctx.services.db.identity((tx) => saveUnconfirmedEmailCode(tx, account.id, ctx.services.clock.now()));
  if (!started) throw new AppError('FACTOR_ALREADY_SET_UP');
  return sendCode(ctx, account, { method: 'email_code', purpose: 'setup', to: account.email });
}

/**
 * Adds a phone to verify (or replaces one not yet verified) and texts it a first code. Read as
 * people type it, with the country of their language as the default (`06 …` in Dutch); only
 * numbers that can receive SMS are taken.
 */
export async function startPhoneSetup(ctx: RequestContext, input: { phoneNumber: string }): Promise<CodeSentAnswer> {
  const account = await accountOf(ctx);
  await assertFactorAllowed(ctx, account.id, 'sms');
  const defaultCountry = account.locale === 'de' ? 'DE' : account.locale === 'nl' ? 'NL' : undefined;
  const phone = normalisePhoneNumber(input.phoneNumber, defaultCountry);
  if (!phone || !phone.mobile) throw new AppError('PHONE_NUMBER_INVALID');
  const saved = await ctx.services.db.identity((tx) => saveUnverifiedPhone(tx, ctx.services.fields, account.id, phone.e164, ctx.services.clock.now()));
  if (!saved) throw new AppError('FACTOR_ALREADY_SET_UP');
  return sendCode(ctx, account, { method: 'sms', purpose: 'setup', to: phone.e164 });
}

/**
 * Confirms a setup with the code just sent. Not counted toward the account lock (whoever is here
 * is signed in and proved it recently), but the code's own five tries apply. Like the other
 * factors: the first brings recovery codes, and a session that had to enrol is signed in fully.
 */
async function confirmCodeFactor(ctx: RequestContext, input: { method: SentCodeMethod; code: string }): Promise<Confirmed> {
  const principal = signedIn(ctx);
  const account = await accountOf(ctx);
  const { db, fields, clock } = ctx.services;
  const now = clock.now();
  const kind = input.method;
  await assertFactorAllowed(ctx, account.id, kind);
  const pending = kind === 'email_code' ? await db.identity((tx) => findEmailCodeFactor(tx, account.id)) : await db.identity((tx) => findPhone(tx, fields, account.id));
  const started = pending && ('confirmedAt' in pending ? pending.confirmedAt === null : pending.verifiedAt === null);
  if (!started) throw new AppError('FACTOR_SETUP_NOT_STARTED');
  const right = await db.identity((tx) => consumeCode(tx, fields, { accountId: account.id, channel: channelOf(kind), purpose: 'setup', boundTo: principal.sessionId, code: input.code, now }));
  if (!right) throw new AppError('SECOND_FACTOR_INVALID', { internal: `${kind} setup code did not match` });

  const hadCodes = (await db.identity((tx) => recoveryCodeSummary(tx, account.id))) !== null;
  const codes = hadCodes ? null : newRecoveryCodeSet();
  const masked = 'number' in pending ? maskPhoneNumber(pending.number) : '';
  await recordFactorChange(
    ctx,
    account,
    secondFactorEvent({ action: kind === 'email_code' ? 'mfa.email_code_enabled' : 'mfa.phone_added', outcome: 'success', resourceType: 'account', resourceId: account.id }),
    async (tx) => {
      await lockFactorsOf(tx, account.id);
      const done = kind === 'email_code' ? await confirmEmailCode(tx, account.id, now) : await verifyPhone(tx, account.id, now);
      if (!done) throw new AppError('FACTOR_SETUP_NOT_STARTED');
      if (codes && (await recoveryCodeSummary(tx, account.id)) === null) await replaceRecoveryCodes(tx, account.id, codes.rows, now);
      await markReauthenticated(tx, principal.sessionId, now);
    },
    kind === 'email_code' ? { kind: 'email_code_enabled' } : { kind: 'phone_added', params: { masked } },
  );
  if (principal.pending !== 'enrolment') return { recoveryCodes: codes?.shown ?? null, me: null, issued: null };
  const { me, issued } = await completeEnrolment(ctx, account, now);
  return { recoveryCodes: codes?.shown ?? null, me, issued };
}

export const confirmEmailCodeSetup = (ctx: RequestContext, input: { code: string }) => confirmCodeFactor(ctx, { method: 'email_code', code: input.code });
export const confirmPhoneSetup = (ctx: RequestContext, input: { code: string }) => confirmCodeFactor(ctx, { method: 'sms', code: input.code });

/**
 * Turns the e-mail code off, or removes the phone (verified or not). The last factor of someone
 * whose practice requires one stays (LAST_FACTOR), as for the app and passkeys.
 */
async function removeCodeFactor(ctx: RequestContext, kind: SentCodeMethod): Promise<void> {
  const account = await accountOf(ctx);
  const rules = await factorRulesOf(ctx, account.id);
  const channel = channelOf(kind);
  const remove = async (tx: Parameters<typeof deleteCodes>[0]) => {
    await lockFactorsOf(tx, account.id);
    const removed = kind === 'email_code' ? await deleteEmailCode(tx, account.id) : await deletePhone(tx, account.id);
    if (!removed) throw new AppError('NOT_FOUND', { internal: `no ${kind} factor` });
    await deleteCodes(tx, account.id, channel);
    await afterFactorRemoved(tx, account.id, rules.required, rules.allowed);
    return removed;
  };
  await recordFactorChange(
    ctx,
    account,
    secondFactorEvent({ action: kind === 'email_code' ? 'mfa.email_code_removed' : 'mfa.phone_removed', outcome: 'success', resourceType: 'account', resourceId: account.id }),
    remove,
    { kind: kind === 'email_code' ? 'email_code_removed' : 'phone_removed' },
  );
}

export const removeEmailCode = (ctx: RequestContext) => removeCodeFactor(ctx, 'email_code');
export const removePhone = (ctx: RequestContext) => removeCodeFactor(ctx, 'sms');
