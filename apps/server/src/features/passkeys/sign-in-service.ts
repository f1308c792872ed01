import type { PasskeyAuthenticationResponse, PasskeyRequestOptions } from '@haven/contracts';
import { signedIn, type RequestContext } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { findAccountById, type AccountRow } from '../accounts/repository.ts';
import { openSignIn, recordLoginFailure, type LoginResult } from '../auth/login-service.ts';
import { factorRulesOf } from '../second-factor/factor-policy.ts';
import { checkSecondFactorCode, reportLockout, type PasswordCheck } from '../auth/password-check.ts';
import { accountOf, finishSignIn, finishStepUp, type SecondFactorResult } from '../second-factor/service.ts';
import { browserBinding, openCeremony, sessionBinding, takeCeremony, type TakenCeremony } from './ceremonies.ts';
import { findPasskeyByCredentialId, passkeyCredentialsOf, recordPasskeyUse, type Ceremony, type PasskeyRow } from './repository.ts';
import { authenticationOptions, relyingParty, verifyAssertion } from './webauthn.ts';

/*
 * Answering with a passkey: as the second step of signing in, for step-up, and on its own
 * (passwordless). Each answer is an attempt under the account's lockout, claimed before it is
 * checked, exactly like a typed code: a wrong or replayed assertion counts toward the lock.
 */

/** Opens an authentication ceremony limited to the account's own passkeys. */
async function openForAccount(ctx: RequestContext, ceremony: Extract<Ceremony, 'second_factor' | 'step_up'>): Promise<PasskeyRequestOptions> {
  const principal = signedIn(ctx);
  const passkeys = await ctx.services.db.identity((tx) => passkeyCredentialsOf(tx, principal.accountId));
  if (passkeys.length === 0) throw new AppError('PASSKEY_NOT_FOUND', { internal: 'the account has no passkey' });
  return openCeremony(ctx, { ceremony, boundTo: sessionBinding(principal.sessionId), accountId: principal.accountId }, (challenge) =>
    authenticationOptions(relyingParty(ctx.services.config), { challenge, allow: passkeys.map((row) => ({ credentialId: row.credentialId, transports: row.transports })) }),
  );
}

/**
 * Verifies an assertion by `passkey` for a taken ceremony and records its use (new counter, last
 * used). False for anything wrong: no or expired ceremony, another account's credential, a user
 * handle that does not match, origin, RP ID, flags, signature, or a counter that did not grow.
 */
async function usePasskey(ctx: RequestContext, input: { ceremony: TakenCeremony; passkey: PasskeyRow | undefined; account: AccountRow; response: PasskeyAuthenticationResponse }): Promise<boolean> {
  const refused = (reason: string) => {
    ctx.log.info({ passkeyRefused: reason }, 'passkey assertion refused');
    return false;
  };
  if (!input.ceremony.ok) return refused(input.ceremony.reason);
  const passkey = input.passkey;
  if (!passkey || passkey.accountId !== input.account.id) return refused('credential not of this account');
  const handle = input.response.response.userHandle;
  if (handle !== undefined && handle !== passkey.userHandle) return refused('user handle does not match');
  const verified = await verifyAssertion(relyingParty(ctx.services.config), { response: input.response, challengeHash: input.ceremony.challenge.challengeHash, credential: passkey });
  if (!verified.ok) return refused(verified.reason);
  const now = ctx.services.clock.now();
  // Conditional on the stored counter: of two answers with the same counter only one passes.
  const recorded = await ctx.services.db.identity((tx) => recordPasskeyUse(tx, passkey.id, { counter: verified.value.counter, backedUp: verified.value.backedUp, now }));
  return recorded || refused('counter did not grow');
}

/** Takes the ceremony first (it is spent whatever follows), then checks under the lockout. */
async function checkPasskeyAnswer(ctx: RequestContext, account: AccountRow, ceremony: Extract<Ceremony, 'second_factor' | 'step_up'>, response: PasskeyAuthenticationResponse): Promise<PasswordCheck> {
  const principal = signedIn(ctx);
  const taken = await takeCeremony(ctx, { ceremony, boundTo: sessionBinding(principal.sessionId), accountId: account.id });
  const passkey = await ctx.services.db.identity((tx) => findPasskeyByCredentialId(tx, response.id));
  // A practice that no longer allows passkeys: a passkey answer counts as a wrong one.
  const allowed = (await factorRulesOf(ctx, account.id)).allowed.includes('passkey');
  return checkSecondFactorCode(ctx.services, account, async () => allowed && (await usePasskey(ctx, { ceremony: taken, passkey, account, response })));
}

// ---- the second step of signing in ----

export const startPasskeySecondFactor = (ctx: RequestContext): Promise<PasskeyRequestOptions> => openForAccount(ctx, 'second_factor');

export async function completeSignInWithPasskey(ctx: RequestContext, input: { response: PasskeyAuthenticationResponse; trustDevice?: boolean | undefined }): Promise<SecondFactorResult> {
  const account = await accountOf(ctx);
  return finishSignIn(ctx, account, await checkPasskeyAnswer(ctx, account, 'second_factor', input.response), { trustDevice: input.trustDevice === true });
}

// ---- step-up ----

export const startPasskeyStepUp = (ctx: RequestContext): Promise<PasskeyRequestOptions> => openForAccount(ctx, 'step_up');

export async function stepUpWithPasskey(ctx: RequestContext, input: { response: PasskeyAuthenticationResponse }): Promise<{ reauthenticatedAt: string }> {
  const account = await accountOf(ctx);
  return finishStepUp(ctx, account, await checkPasskeyAnswer(ctx, account, 'step_up', input.response));
}

// ---- passwordless ----

/**
 * Opens a passwordless sign-in for this browser: no list of credentials (which would name an
 * account); the browser offers the passkeys it holds for this site.
 */
export function startPasskeySignIn(ctx: RequestContext, input: { browserKey: string }): Promise<PasskeyRequestOptions> {
  return openCeremony(ctx, { ceremony: 'passwordless', boundTo: browserBinding(input.browserKey), accountId: null }, (challenge) => authenticationOptions(relyingParty(ctx.services.config), { challenge }));
}

/**
 * Signs in with a passkey alone: possession of the device plus its user verification are two
 * factors, so the session opens fully signed in (through the same path as a password sign-in:
 * organisation, network allowlists, audit). An unknown credential, a wrong assertion and a locked
 * account all get the same PASSKEY_SIGN_IN_FAILED, so the answer tells no one whether a
 * credential (or account) exists.
 */
export async function signInWithPasskey(ctx: RequestContext, input: { browserKey: string; response: PasskeyAuthenticationResponse; organisationId?: string | undefined }): Promise<LoginResult> {
  const { db, fields } = ctx.services;
  const taken = await takeCeremony(ctx, { ceremony: 'passwordless', boundTo: browserBinding(input.browserKey), accountId: null });
  const passkey = await db.identity((tx) => findPasskeyByCredentialId(tx, input.response.id));
  const account = passkey ? await db.identity((tx) => findAccountById(tx, fields, passkey.accountId)) : undefined;
  if (!account) {
    ctx.log.info({ passkeyRefused: 'unknown credential' }, 'passkey sign-in refused');
    await recordLoginFailure(ctx, null, 'unknown_account');
    throw new AppError('PASSKEY_SIGN_IN_FAILED', { internal: 'unknown credential' });
  }
  const allowed = (await factorRulesOf(ctx, account.id)).allowed.includes('passkey');
  const check = await checkSecondFactorCode(ctx.services, account, async () => allowed && (await usePasskey(ctx, { ceremony: taken, passkey, account, response: input.response })));
  if (!check.ok) {
    await reportLockout(ctx, account, check);
    await recordLoginFailure(ctx, account.id, check.why);
    throw new AppError('PASSKEY_SIGN_IN_FAILED', { internal: `passwordless: ${check.why}` });
  }
  return openSignIn(ctx, { account, organisationId: input.organisationId, proof: 'passkey' });
}
