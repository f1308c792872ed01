import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import { auditMeta, type RequestContext, type Services } from '../../core/context.ts';
import type { Tx } from '../../core/db/database.ts';
import { accounts } from '../../core/db/schema.ts';
import { sendAfterCommit } from '../../core/mail/mailer.ts';
import { renderMail, utcMinute } from '../../core/mail/templates.ts';
import { changeAccountAudited } from '../accounts/account-audit.ts';
import type { AccountRow } from '../accounts/repository.ts';
import { authEvent } from './audit.ts';

/** From this many consecutive failures each further try must wait (2 s, doubling, up to 32 s). */
export const throttleFromFailures = 5;
/**
 * At this many the account locks: 15 minutes, doubling with each lock, at most 24 hours; after a
 * lock, five more failures are needed for the next one.
 */
export const lockAtFailures = 10;
export const baseLockMs = 15 * 60_000;
export const maxLockMs = 24 * 3600_000;

export type PasswordCheck =
  | { ok: true; account: AccountRow }
  | { ok: false; why: 'wrong_password' | 'wrong_code'; lockedUntil: Date | null; justLocked: boolean }
  | { ok: false; why: 'locked' | 'throttled' };

/**
 * Verifies a password against the lockout rules, race-free: the attempt is counted *before* the
 * hash is checked, in one conditional UPDATE that only succeeds while the account is neither
 * locked nor throttled, so a burst of parallel guesses cannot all slip past the limit. A correct
 * password resets the password count; with `resetOnSuccess: false` (a second factor is still
 * owed) it leaves the code count and the lock history alone, so knowing the password cannot buy
 * fresh guesses at the code. Locked and throttled accounts still cost one argon2 verification, so their answer
 * takes as long as any other. Callers hand a failed check to `reportLockout`.
 */
export async function checkAccountPassword(services: Services, account: AccountRow, password: string, options: { resetOnSuccess?: boolean } = {}): Promise<PasswordCheck> {
  const now = services.clock.now();
  const claimed = await services.db.identity((tx) => claimAttempt(tx, account.id, now));
  if (!claimed) {
    await services.hasher.verifyDummy(password);
    const current = account.lockedUntil && account.lockedUntil > now ? 'locked' : 'throttled';
    return { ok: false, why: current };
  }
  const valid = await services.hasher.verify(account.passwordHash, password);
  if (valid) {
    const rehash = services.hasher.needsRehash(account.passwordHash) ? await services.hasher.hash(password) : null;
    // The password's own count always resets; the lock history and the code count only when
    // the sign-in is complete with it.
    const all = options.resetOnSuccess ?? true;
    await services.db.identity((tx) =>
      tx
        .update(accounts)
        .set({ failedLoginCount: 0, failuresSinceSignIn: notAFailure, ...(all ? { failedCodeCount: 0, lockCount: 0, throttledUntil: null, lockedUntil: null } : {}), ...(rehash ? { passwordHash: rehash } : {}) })
        .where(eq(accounts.id, account.id)),
    );
    return { ok: true, account };
  }
  // The claim only succeeds on an unlocked account, so a lock in its result was set just now.
  const justLocked = claimed.lockedUntil !== null && claimed.lockedUntil > now;
  return { ok: false, why: 'wrong_password', lockedUntil: justLocked ? claimed.lockedUntil : null, justLocked };
}

/**
 * A second-factor code under the same lockout as the password: the attempt is claimed first
 * (wrong codes count toward the same lock), `verify` runs only on a claimed attempt, and a right
 * code resets the count — the sign-in is complete.
 */
export async function checkSecondFactorCode(services: Services, account: AccountRow, verify: () => Promise<boolean>): Promise<PasswordCheck> {
  const now = services.clock.now();
  const claimed = await services.db.identity((tx) => claimAttempt(tx, account.id, now, 'code'));
  if (!claimed) return { ok: false, why: account.lockedUntil && account.lockedUntil > now ? 'locked' : 'throttled' };
  if (await verify()) {
    await resetFailedAttempts(services, account.id, { rightAnswer: true });
    return { ok: true, account };
  }
  const justLocked = claimed.lockedUntil !== null && claimed.lockedUntil > now;
  return { ok: false, why: 'wrong_code', lockedUntil: justLocked ? claimed.lockedUntil : null, justLocked };
}

export async function resetFailedAttempts(services: Services, accountId: string, options: { rightAnswer?: boolean } = {}): Promise<void> {
  await services.db.identity((tx) =>
    tx
      .update(accounts)
      .set({ failedLoginCount: 0, failedCodeCount: 0, lockCount: 0, throttledUntil: null, lockedUntil: null, ...(options.rightAnswer ? { failuresSinceSignIn: notAFailure } : {}) })
      .where(eq(accounts.id, accountId)),
  );
}

/**
 * Every claimed attempt counts toward `failures_since_sign_in`; a right answer takes its own
 * claim back. Only a sign-in that is let in sets it to zero (features/devices), so neither a right
 * password alone nor a held sign-in wipes the "many failures" signal.
 */
const notAFailure = sql`greatest(${accounts.failuresSinceSignIn} - 1, 0)`;

/**
 * What checking a password costs when there is no account: the same claim round trip (matching
 * no row) and one argon2 verification, so an unknown address answers in the time a known one does.
 */
export async function spendUnknownAccountAttempt(services: Services, password: string): Promise<void> {
  await services.db.identity((tx) => claimAttempt(tx, nobody, services.clock.now()));
  await services.hasher.verifyDummy(password);
}
const nobody = '00000000-0000-0000-0000-000000000000';

async function claimAttempt(tx: Tx, accountId: string, now: Date, counter: 'password' | 'code' = 'password') {
  const column = counter === 'password' ? accounts.failedLoginCount : accounts.failedCodeCount;
  const count = sql`${column} + 1`;
  const [row] = await tx
    .update(accounts)
    .set({
      // A lock sets the count back to the throttling range: after it expires, five more failures
      // (each slowed down) lock again, for twice as long. One stray guess per lock period must
      // not be enough to keep a person locked out for a day.
      [counter === 'password' ? 'failedLoginCount' : 'failedCodeCount']: sql`case when ${count} >= ${lockAtFailures} then ${throttleFromFailures} else ${count} end`,
      throttledUntil: sql`case when ${count} >= ${throttleFromFailures} and ${count} < ${lockAtFailures}
        then ${now}::timestamptz + make_interval(secs => power(2, ${count} - 4)) else null end`,
      lockedUntil: sql`case when ${count} >= ${lockAtFailures}
        then ${now}::timestamptz + make_interval(secs => least(${baseLockMs / 1000} * power(2, ${accounts.lockCount}), ${maxLockMs / 1000}))
        else ${accounts.lockedUntil} end`,
      lockCount: sql`case when ${count} >= ${lockAtFailures} then ${accounts.lockCount} + 1 else ${accounts.lockCount} end`,
      failuresSinceSignIn: sql`${accounts.failuresSinceSignIn} + 1`,
    })
    .where(
      and(
        eq(accounts.id, accountId),
        or(isNull(accounts.lockedUntil), lte(accounts.lockedUntil, now)),
        or(isNull(accounts.throttledUntil), lte(accounts.throttledUntil, now)),
      ),
    )
    .returning({ lockedUntil: accounts.lockedUntil });
  return row ?? null;
}

/**
 * When `check` just locked the account: records `auth.login_locked` in the account's practices
 * and mails the holder. Every caller of checkAccountPassword calls this, because guesses on the
 * lock screen or a password form lock the account as surely as guesses at the login form, and
 * the holder must hear of them just the same.
 */
export async function reportLockout(ctx: RequestContext, account: AccountRow, check: PasswordCheck): Promise<void> {
  if (check.ok || (check.why !== 'wrong_password' && check.why !== 'wrong_code') || !check.justLocked || !check.lockedUntil) return;
  const until = check.lockedUntil;
  const { db, mailer, config } = ctx.services;
  await changeAccountAudited(db, account.id, auditMeta(ctx), authEvent({ action: 'auth.login_locked', outcome: 'failed', reason: `locked until ${until.toISOString()}` }), async () => undefined);
  sendAfterCommit(mailer, ctx.log, [
    renderMail('account_locked', account.locale, account.email, { name: account.name, until: utcMinute(until) }, `${config.publicUrl}/forgot-password`),
  ]);
}
