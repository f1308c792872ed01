import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TestAgent } from '../../../test/support/agent.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { createTestOrganisation, strongPassword, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { accounts } from '../../core/db/schema.ts';
import { lockAtFailures, throttleFromFailures } from './password-check.ts';
import { acceptPossiblyHeld } from '../../../test/support/held-sign-in.ts';

/*
 * The per-account lockout of password-check.ts, seen from the login form: four failures cost
 * nothing, from the fifth each try must wait (2 s, doubling), at ten the account locks for 15
 * minutes (doubling with each lock) and its holder is told by mail. The injected clock stands
 * in for waiting.
 */

const minute = 60_000;
const wrong = 'Not the password at all 1';

describe('login lockout', () => {
  let h: TestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  /** One login from a fresh browser, as an attacker or the holder would try it. */
  const attempt = (email: string, password: string) => new TestAgent(h.app).post('/api/v1/auth/login', { email, password });

  const accountRow = async (accountId: string) => {
    const [row] = await h.db.identity((tx) => tx.select().from(accounts).where(eq(accounts.id, accountId)));
    return row!;
  };

  const lockMails = (email: string) => h.mailer.sent.filter((mail) => mail.to === email && mail.template === 'account_locked');

  /** The "until" of a lock mail as the template prints it (UTC, minutes). */
  const shownTime = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');

  /** Wrong guesses, each after any throttle delay has passed, until the account is locked. */
  async function failUntilLocked(email: string): Promise<{ attempts: number; lockedAt: Date }> {
    const before = lockMails(email).length;
    for (let attempts = 1; attempts <= lockAtFailures; attempts++) {
      h.clock.advance(minute); // longer than the longest throttle delay (32 s)
      const response = await attempt(email, wrong);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
      if (lockMails(email).length > before) return { attempts, lockedAt: h.clock.now() };
    }
    throw new Error(`not locked after ${lockAtFailures} further failures`);
  }

  async function expectRefused(email: string, password: string) {
    const response = await attempt(email, password);
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(response.setCookies.some((cookie) => cookie.startsWith('haven_session='))).toBe(false);
  }

  /** Logs in from a fresh browser, expecting success; returns that browser. */
  async function expectAccepted(email: string, password: string): Promise<TestAgent> {
    const agent = new TestAgent(h.app);
    const response = await agent.post('/api/v1/auth/login', { email, password });
    expect(response.status).toBe(200);
    // A success after many failures is suspicious (features/devices): it is held until the
    // holder confirms it by e-mail, and then goes through.
    const done = await acceptPossiblyHeld(h, agent, email, response);
    expect(done.body.status).toBe('authenticated');
    return agent;
  }

  it('lets four failures pass without delay, and a successful login resets the count', async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const { email, password, accountId } = org.owner;
    for (let i = 0; i < throttleFromFailures - 1; i++) await expectRefused(email, wrong);
    expect((await accountRow(accountId)).failedLoginCount).toBe(4);
    // No waiting needed after four failures.
    await expectAccepted(email, password);
    const reset = await accountRow(accountId);
    expect(reset.failedLoginCount).toBe(0);
    expect(reset.throttledUntil).toBeNull();

    // Had the count survived, these four would make eight and throttle the next try.
    for (let i = 0; i < throttleFromFailures - 1; i++) await expectRefused(email, wrong);
    await expectAccepted(email, password);
  });

  it('throttles from the fifth consecutive failure: even the right password waits out the delay, which doubles', async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const { email, password, accountId } = org.owner;
    for (let i = 0; i < throttleFromFailures; i++) await expectRefused(email, wrong);

    // Throttled for 2 s: the correct password gets the very same refusal.
    const refused = await attempt(email, password);
    const plainWrong = await createTestOrganisation(h, { secondFactor: 'not-required' }).then((other) => attempt(other.owner.email, wrong));
    expect(refused.status).toBe(plainWrong.status);
    expect({ ...refused.body.error, requestId: null }).toEqual({ ...plainWrong.body.error, requestId: null });
    h.clock.advance(1_999);
    await expectRefused(email, password);
    // Refusals during the delay are not counted: there was no real verification.
    expect((await accountRow(accountId)).failedLoginCount).toBe(throttleFromFailures);

    // The sixth failure doubles the delay to 4 s.
    h.clock.advance(1);
    await expectRefused(email, wrong);
    h.clock.advance(2_000);
    await expectRefused(email, password);
    h.clock.advance(2_000);
    await expectAccepted(email, password);
    expect((await accountRow(accountId)).failedLoginCount).toBe(0);
  });

  it('locks the account for 15 minutes at ten failures, mails the holder, and refuses the right password until then', async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const { email, password } = org.owner;
    expect(lockMails(email)).toHaveLength(0);
    const { attempts, lockedAt } = await failUntilLocked(email);
    expect(attempts).toBe(lockAtFailures);

    const mails = lockMails(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(shownTime(new Date(lockedAt.getTime() + 15 * minute)));

    await expectRefused(email, password);
    h.clock.advance(15 * minute - 1_000);
    await expectRefused(email, password);
    h.clock.advance(1_000);
    const owner = await expectAccepted(email, password);

    // The practice's security officer sees the lock in the audit trail.
    const audit = await owner.get('/api/v1/audit-events?action=auth.login_locked');
    expect(audit.status).toBe(200);
    expect(audit.body.events).toHaveLength(1);
    expect(audit.body.events[0].actorAccountId).toBe(org.owner.accountId);
  });

  it('doubles the lock: the next lock after further failures lasts 30 minutes', async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const { email, password } = org.owner;
    await failUntilLocked(email);
    h.clock.advance(15 * minute);

    const { lockedAt } = await failUntilLocked(email);
    const mails = lockMails(email);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.text).toContain(shownTime(new Date(lockedAt.getTime() + 30 * minute)));

    h.clock.advance(15 * minute);
    await expectRefused(email, password);
    h.clock.advance(15 * minute - 1_000);
    await expectRefused(email, password);
    h.clock.advance(1_000);
    await expectAccepted(email, password);
  });

  it('lifts the lock when the holder resets the password', async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const { email, password, accountId } = org.owner;
    await failUntilLocked(email);
    await expectRefused(email, password);

    expect((await new TestAgent(h.app).post('/api/v1/auth/password-reset', { email })).status).toBe(202);
    const token = h.mailer.lastToken(email, 'password_reset');
    const newPassword = strongPassword();
    const confirmed = await new TestAgent(h.app).post('/api/v1/auth/password-reset/confirm', { token, password: newPassword });
    expect(confirmed.status).toBe(200);

    const row = await accountRow(accountId);
    expect(row.failedLoginCount).toBe(0);
    expect(row.lockedUntil).toBeNull();
    await expectAccepted(email, newPassword);
  });

  describe('parallel guessing', () => {
    /** Counts argon2 verifications against the account's real hash (not the dummy). */
    async function countRealVerifications(org: TestOrganisation, run: () => Promise<void>): Promise<number> {
      const { passwordHash } = await accountRow(org.owner.accountId);
      const verify = vi.spyOn(h.services.hasher, 'verify');
      try {
        await run();
        return verify.mock.calls.filter(([storedHash]) => storedHash === passwordHash).length;
      } finally {
        verify.mockRestore();
      }
    }

    const burst = async (email: string, count: number) => {
      const responses = await Promise.all(Array.from({ length: count }, () => attempt(email, wrong)));
      for (const response of responses) {
        expect(response.status).toBe(401);
        expect(response.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
      }
    };

    it('lets no more than five of 20 concurrent guesses on a fresh account reach a real verification', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const { email, password, accountId } = org.owner;
      const verified = await countRealVerifications(org, () => burst(email, 20));
      expect(verified).toBe(throttleFromFailures);

      const row = await accountRow(accountId);
      expect(row.failedLoginCount).toBe(throttleFromFailures);
      expect(row.throttledUntil!.getTime()).toBeGreaterThan(h.clock.now().getTime());
      // Right after the burst even the holder's password is refused.
      await expectRefused(email, password);
    });

    it('lets exactly one of 20 concurrent guesses through at nine failures, which locks the account once', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const { email, password, accountId } = org.owner;
      for (let i = 0; i < lockAtFailures - 1; i++) {
        h.clock.advance(minute);
        await expectRefused(email, wrong);
      }
      h.clock.advance(minute);
      const verified = await countRealVerifications(org, () => burst(email, 20));
      expect(verified).toBe(1);

      const row = await accountRow(accountId);
      // The lock sets the count back to the throttling range (see the next test).
      expect(row.failedLoginCount).toBe(throttleFromFailures);
      expect(row.lockedUntil!.getTime()).toBe(h.clock.now().getTime() + 15 * minute);
      expect(lockMails(email)).toHaveLength(1);
      await expectRefused(email, password);
    });
  });

  describe('after a lock expires', () => {
    it('takes five more failures, not one, to lock again — and then for twice as long', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const { email, password, accountId } = org.owner;
      for (let i = 0; i < lockAtFailures; i++) {
        h.clock.advance(minute);
        await expectRefused(email, wrong);
      }
      expect(lockMails(email)).toHaveLength(1);
      h.clock.advance(16 * minute);
      // One stray guess after the lock: throttled, not locked, and the holder still gets in.
      await expectRefused(email, wrong);
      expect((await accountRow(accountId)).lockedUntil!.getTime()).toBeLessThan(h.clock.now().getTime());
      h.clock.advance(minute);
      for (let i = 0; i < throttleFromFailures - 2; i++) {
        await expectRefused(email, wrong);
        h.clock.advance(minute);
      }
      expect(lockMails(email)).toHaveLength(1);
      await expectRefused(email, wrong); // the fifth failure since the lock
      expect(lockMails(email)).toHaveLength(2);
      const row = await accountRow(accountId);
      expect(row.lockedUntil!.getTime()).toBe(h.clock.now().getTime() + 30 * minute);
      await expectRefused(email, password);
      h.clock.advance(31 * minute);
      expect((await new TestAgent(h.app).post('/api/v1/auth/login', { email, password })).status).toBe(200);
    });
  });
});
