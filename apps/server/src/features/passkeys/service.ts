import { maxPasskeysPerAccount, type Me, type Passkey, type PasskeyCreationOptions, type PasskeyRegistrationResponse } from '@haven/contracts';
import { signedIn, type RequestContext } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { newId } from '../../core/security/tokens.ts';
import { markReauthenticated, type IssuedSession } from '../sessions/repository.ts';
import { recoveryCodeSummary, replaceRecoveryCodes } from '../second-factor/repository.ts';
import { assertFactorAllowed, factorRulesOf } from '../second-factor/factor-policy.ts';
import { accountOf, afterFactorRemoved, completeEnrolment, newRecoveryCodeSet, recordFactorChange } from '../second-factor/service.ts';
import { passkeyEvent } from './audit.ts';
import { openCeremony, sessionBinding, takeCeremony } from './ceremonies.ts';
import {
  countPasskeys,
  deletePasskey,
  findPasskeyOf,
  insertPasskey,
  listPasskeys,
  lockFactorsOf,
  passkeyCredentialsOf,
  renamePasskey,
  type NamedPasskeyRow,
} from './repository.ts';
import { newUserHandle, registrationOptions, relyingParty, verifyRegistration } from './webauthn.ts';

/*
 * My passkeys: register (several, each with a name), list, rename, remove. Each change is
 * audited in every practice of the account and mailed to the holder, like the authenticator app.
 */

const toPasskey = (row: NamedPasskeyRow): Passkey => ({
  id: row.id,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  backedUp: row.backedUp,
  transports: row.transports,
});

export async function myPasskeys(ctx: RequestContext): Promise<{ passkeys: Passkey[] }> {
  const { accountId } = signedIn(ctx);
  const rows = await ctx.services.db.identity((tx) => listPasskeys(tx, ctx.services.fields, accountId));
  return { passkeys: rows.map(toPasskey) };
}

/**
 * Opens a registration for this session: the options for the browser, with the account's
 * passkeys excluded (an authenticator holding one of them declines instead of making a double).
 */
export async function startPasskeyRegistration(ctx: RequestContext): Promise<PasskeyCreationOptions> {
  const principal = signedIn(ctx);
  const account = await accountOf(ctx);
  await assertFactorAllowed(ctx, account.id, 'passkey');
  const existing = await ctx.services.db.identity((tx) => passkeyCredentialsOf(tx, account.id));
  if (existing.length >= maxPasskeysPerAccount) throw new AppError('PASSKEY_LIMIT_REACHED');
  // One user handle for all of an account's passkeys, so a device holding an older one replaces
  // it rather than listing the same person twice.
  const userHandle = existing[0]?.userHandle ?? newUserHandle();
  return openCeremony(ctx, { ceremony: 'registration', boundTo: sessionBinding(principal.sessionId), accountId: account.id, userHandle }, (challenge) =>
    registrationOptions(relyingParty(ctx.services.config), {
      challenge,
      userHandle,
      userName: account.email,
      displayName: account.name,
      exclude: existing.map((row) => ({ credentialId: row.credentialId, transports: row.transports })),
    }),
  );
}

/**
 * Registers the passkey the browser made for this session's open registration. The first
 * second factor of an account brings its first recovery codes (shown once); a session that had
 * to set up a second factor is signed in fully from here, with a new token.
 */
export async function registerPasskey(
  ctx: RequestContext,
  input: { name: string; response: PasskeyRegistrationResponse },
): Promise<{ passkey: Passkey; recoveryCodes: string[] | null; me: Me | null; issued: IssuedSession | null }> {
  const principal = signedIn(ctx);
  const account = await accountOf(ctx);
  const { db, fields, clock, config } = ctx.services;
  const now = clock.now();
  const ceremony = await takeCeremony(ctx, { ceremony: 'registration', boundTo: sessionBinding(principal.sessionId), accountId: account.id });
  if (!ceremony.ok) throw new AppError('PASSKEY_REGISTRATION_FAILED', { internal: `registration: ${ceremony.reason}` });
  const verified = await verifyRegistration(relyingParty(config), { response: input.response, challengeHash: ceremony.challenge.challengeHash });
  if (!verified.ok) throw new AppError('PASSKEY_REGISTRATION_FAILED', { internal: `registration: ${verified.reason}` });

  // Hashing ten codes takes a while: made before the transaction, kept only if still the first.
  const firstCodes = (await db.identity((tx) => recoveryCodeSummary(tx, account.id))) === null ? newRecoveryCodeSet() : null;
  const row: NamedPasskeyRow = { id: newId(), accountId: account.id, name: input.name, userHandle: ceremony.challenge.userHandle ?? newUserHandle(), createdAt: now, lastUsedAt: null, ...verified.value };
  const shownCodes = await recordFactorChange(
    ctx,
    account,
    passkeyEvent({ action: 'mfa.passkey_added', outcome: 'success', resourceType: 'passkey', resourceId: row.id }),
    async (tx) => {
      await lockFactorsOf(tx, account.id);
      if ((await countPasskeys(tx, account.id)) >= maxPasskeysPerAccount) throw new AppError('PASSKEY_LIMIT_REACHED');
      if (!(await insertPasskey(tx, fields, row))) throw new AppError('PASSKEY_ALREADY_REGISTERED');
      let shown: string[] | null = null;
      if (firstCodes && (await recoveryCodeSummary(tx, account.id)) === null) {
        await replaceRecoveryCodes(tx, account.id, firstCodes.rows, now);
        shown = firstCodes.shown;
      }
      // Registering took the device's user verification: as fresh a proof as step-up asks for.
      await markReauthenticated(tx, principal.sessionId, now);
      return shown;
    },
    { kind: 'passkey_added' },
  );
  const passkey = toPasskey(row);
  if (principal.pending !== 'enrolment') return { passkey, recoveryCodes: shownCodes, me: null, issued: null };
  const { me, issued } = await completeEnrolment(ctx, account, now);
  return { passkey, recoveryCodes: shownCodes, me, issued };
}

async function passkeyOf(ctx: RequestContext, accountId: string, passkeyId: string): Promise<NamedPasskeyRow> {
  const row = await ctx.services.db.identity((tx) => findPasskeyOf(tx, ctx.services.fields, accountId, passkeyId));
  // Someone else's passkey is as absent as one that never existed.
  if (!row) throw new AppError('PASSKEY_NOT_FOUND');
  return row;
}

export async function renameMyPasskey(ctx: RequestContext, input: { passkeyId: string; name: string }): Promise<Passkey> {
  const account = await accountOf(ctx);
  const row = await passkeyOf(ctx, account.id, input.passkeyId);
  await recordFactorChange(
    ctx,
    account,
    passkeyEvent({ action: 'mfa.passkey_renamed', outcome: 'success', resourceType: 'passkey', resourceId: row.id }),
    async (tx) => {
      if (!(await renamePasskey(tx, ctx.services.fields, account.id, row.id, input.name))) throw new AppError('PASSKEY_NOT_FOUND');
    },
    { kind: 'passkey_renamed' },
  );
  return toPasskey({ ...row, name: input.name });
}

/**
 * Removes a passkey. The last factor of someone whose practice requires one stays (LAST_FACTOR);
 * without any factor left, the recovery codes go too.
 */
export async function removeMyPasskey(ctx: RequestContext, input: { passkeyId: string }): Promise<void> {
  const account = await accountOf(ctx);
  const row = await passkeyOf(ctx, account.id, input.passkeyId);
  const { required, allowed } = await factorRulesOf(ctx, account.id);
  await recordFactorChange(
    ctx,
    account,
    passkeyEvent({ action: 'mfa.passkey_removed', outcome: 'success', resourceType: 'passkey', resourceId: row.id }),
    async (tx) => {
      await lockFactorsOf(tx, account.id);
      if (!(await deletePasskey(tx, account.id, row.id))) throw new AppError('PASSKEY_NOT_FOUND');
      await afterFactorRemoved(tx, account.id, required, allowed);
    },
    { kind: 'passkey_removed' },
  );
}
