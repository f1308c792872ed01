import type { RequestContext } from '../../core/context.ts';
import { newId, sha256 } from '../../core/security/tokens.ts';
import { saveChallenge, takeChallenge, type Ceremony, type OpenChallenge } from './repository.ts';
import { ceremonyTimeoutMs, newChallenge } from './webauthn.ts';

/*
 * A WebAuthn challenge belongs to one ceremony (registration, second factor, step-up,
 * passwordless) of one requester: a session, or — for the passwordless sign-in, before there is
 * one — the browser, named by its CSRF cookie (never sent by another site; rotated on sign-in).
 * The answer must come from the same requester for the same kind of ceremony within five
 * minutes, and takes the challenge with it, right or wrong.
 */

export const sessionBinding = (sessionId: string): string => `session:${sessionId}`;
export const browserBinding = (csrfCookie: string): string => `browser:${sha256(csrfCookie).toString('hex')}`;

/** Makes the browser's options around a fresh challenge and keeps the challenge's hash. */
export async function openCeremony<T>(
  ctx: RequestContext,
  input: { ceremony: Ceremony; boundTo: string; accountId: string | null; userHandle?: string },
  makeOptions: (challenge: Uint8Array<ArrayBuffer>) => Promise<T>,
): Promise<T> {
  const { bytes, hash } = newChallenge();
  const options = await makeOptions(bytes);
  const now = ctx.services.clock.now();
  await ctx.services.db.identity((tx) =>
    saveChallenge(tx, {
      id: newId(),
      ceremony: input.ceremony,
      boundTo: input.boundTo,
      accountId: input.accountId,
      challengeHash: hash,
      userHandle: input.userHandle ?? null,
      now,
      expiresAt: new Date(now.getTime() + ceremonyTimeoutMs),
    }),
  );
  return options;
}

export type TakenCeremony = { ok: true; challenge: OpenChallenge } | { ok: false; reason: string };

/** Takes the requester's open challenge of this kind (once), if it is still valid and theirs. */
export async function takeCeremony(ctx: RequestContext, input: { ceremony: Ceremony; boundTo: string; accountId: string | null }): Promise<TakenCeremony> {
  const challenge = await ctx.services.db.identity((tx) => takeChallenge(tx, { ceremony: input.ceremony, boundTo: input.boundTo }));
  if (!challenge) return { ok: false, reason: 'no open ceremony' };
  if (challenge.expiresAt.getTime() <= ctx.services.clock.now().getTime()) return { ok: false, reason: 'ceremony expired' };
  if (challenge.accountId !== input.accountId) return { ok: false, reason: 'ceremony of another account' };
  return { ok: true, challenge };
}
