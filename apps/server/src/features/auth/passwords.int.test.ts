import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { createTestOrganisation, signupBody, strongPassword, unique } from '../../../test/support/fixtures.ts';
import { accounts } from '../../core/db/schema.ts';
import { findAccountByEmail } from '../accounts/repository.ts';
import { commonPasswords } from '../../core/security/common-passwords.ts';

/*
 * Passwords: the policy (length, blocklist, context words, optional character classes), the
 * reset link (single use, 30 minutes, newest only, ends every session) and the change form
 * (asks for the current password, ends the other sessions). Hashes are argon2id with the
 * OWASP parameters.
 */

const minute = 60_000;

describe('passwords', () => {
  let h: TestHarness;
  beforeAll(async () => {
    h = await createHarness({ passwordHashing: 'production' }); // the stored cost is tested below
  });
  afterAll(() => h.close());

  const anonymous = () => new TestAgent(h.app);
  const login = (email: string, password: string) => anonymous().post('/api/v1/auth/login', { email, password });

  /** Expects a policy refusal naming `issue`, and that the password appears nowhere in the answer. */
  function expectRefused(response: TestResponse, password: string, issue: string) {
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('PASSWORD_POLICY_VIOLATION');
    expect(response.body.error.fields).toContainEqual({ path: 'password', issue });
    expect(JSON.stringify(response.body)).not.toContain(password);
    expect(JSON.stringify(response.headers)).not.toContain(password);
  }

  async function signUpWith(overrides: Parameters<typeof signupBody>[0]) {
    const body = signupBody(overrides);
    const response = await anonymous().post('/api/v1/signup', body);
    return { body, response };
  }

  async function storedHash(accountId: string): Promise<string> {
    const [row] = await h.db.identity((tx) => tx.select({ passwordHash: accounts.passwordHash }).from(accounts).where(eq(accounts.id, accountId)));
    return row!.passwordHash;
  }

  describe('policy', () => {
    it('refuses a password shorter than 12 characters and creates nothing', async () => {
      const password = 'Tulip 12345';
      const { body, response } = await signUpWith({ password });
      expectRefused(response, password, 'too_short');
      expect(h.mailer.sent.filter((mail) => mail.to === body.owner.email)).toHaveLength(0);
    });

    it('refuses common passwords, whatever their case', async () => {
      for (const password of ['password1234', 'Password1234', 'passwordpassword', 'qwerty123456']) {
        expect(commonPasswords().has(password.toLowerCase())).toBe(true);
        const { response } = await signUpWith({ password });
        expectRefused(response, password, 'common');
      }
    });

    it('refuses passwords made of the practice name, the person name, the e-mail address or "haven"', async () => {
      const id = unique();
      const cases: Array<[Parameters<typeof signupBody>[0], string]> = [
        [{ orgName: `Zonnebloem ${id}` }, 'Zonnebloem2026!'],
        [{ name: 'Annelies Vermeulen' }, 'Vermeulen 12345'],
        [{ email: `margriet.${id}@example.org` }, 'margriet-1234!'],
        [{}, 'Haven-2026-!!'],
      ];
      for (const [overrides, password] of cases) {
        const { response } = await signUpWith({ ...overrides, password });
        expectRefused(response, password, 'context');
      }
    });

    it('allows long passphrases up to 128 characters and refuses 129', async () => {
      const phrase = (length: number) => `lantern meadow tulip ${unique()} harbour `.repeat(10).slice(0, length);

      const tooLong = phrase(129);
      expectRefused((await signUpWith({ password: tooLong })).response, tooLong, 'too_long');

      for (const length of [64, 128]) {
        const password = phrase(length);
        expect([...password]).toHaveLength(length);
        const { body, response } = await signUpWith({ password });
        expect(response.status).toBe(202);
        const token = h.mailer.lastToken(body.owner.email, 'verify_email');
        expect((await anonymous().post('/api/v1/auth/verify-email', { token })).status).toBe(200);
        expect((await login(body.owner.email, password)).status).toBe(200);
      }
    });

    it("requires upper case, lower case, a digit and a special character of staff joining a practice with the 'classes' policy", async () => {
      const org = await createTestOrganisation(h);
      const policy = await org.owner.agent.put('/api/v1/organisation/security-policy', { password: { mode: 'classes', minLength: 10 }, idleTimeoutMinutes: 15 });
      expect(policy.status).toBe(200);
      const email = `practitioner-${unique()}@example.org`;
      expect((await org.owner.agent.post('/api/v1/invitations', { email, role: 'practitioner' })).status).toBe(201);
      const token = h.mailer.lastToken(email, 'invitation');
      const preview = await anonymous().post('/api/v1/invitations/preview', { token });
      expect(preview.body.passwordPolicy).toEqual({ mode: 'classes', minLength: 10 });

      const accept = (password: string) => anonymous().post('/api/v1/invitations/accept', { token, password, name: 'Pieter Jansen' });
      const lowerOnly = 'lanternmeadowtulip';
      const refused = await accept(lowerOnly);
      expectRefused(refused, lowerOnly, 'needs_upper');
      expect(refused.body.error.fields.map((field: { issue: string }) => field.issue).sort()).toEqual(['needs_digit', 'needs_special', 'needs_upper']);
      for (const [password, issue] of [
        ['LANTERN-MEADOW-9', 'needs_lower'],
        ['Lantern-Meadow-x', 'needs_digit'],
        ['LanternMeadow9x', 'needs_special'],
        ['Lan-tern9', 'too_short'],
      ] as const) {
        expectRefused(await accept(password), password, issue);
      }

      // The refusals did not use up the link; a password with all four classes is taken.
      const good = 'Lantern-Meadow-9';
      expect((await accept(good)).status).toBe(200);
      expect((await login(email, good)).status).toBe(200);
    });
  });

  describe('reset', () => {
    const requestReset = (email: string) => anonymous().post('/api/v1/auth/password-reset', { email });
    const confirm = (token: string, password: string) => anonymous().post('/api/v1/auth/password-reset/confirm', { token, password });

    it('works once', async () => {
      const org = await createTestOrganisation(h);
      expect((await requestReset(org.owner.email)).status).toBe(202);
      const token = h.mailer.lastToken(org.owner.email, 'password_reset');
      const first = strongPassword();
      expect((await confirm(token, first)).status).toBe(200);

      const second = strongPassword();
      const again = await confirm(token, second);
      expect(again.status).toBe(400);
      expect(again.body.error.code).toBe('TOKEN_INVALID');
      expect((await login(org.owner.email, first)).status).toBe(200);
      expect((await login(org.owner.email, second)).status).toBe(401);
    });

    it('is valid for 30 minutes', async () => {
      const fresh = await createTestOrganisation(h);
      await requestReset(fresh.owner.email);
      const early = h.mailer.lastToken(fresh.owner.email, 'password_reset');
      h.clock.advance(29 * minute);
      expect((await confirm(early, strongPassword())).status).toBe(200);

      const org = await createTestOrganisation(h);
      await requestReset(org.owner.email);
      const token = h.mailer.lastToken(org.owner.email, 'password_reset');
      h.clock.advance(31 * minute);
      const late = await confirm(token, strongPassword());
      expect(late.status).toBe(400);
      expect(late.body.error.code).toBe('TOKEN_INVALID');
      expect((await login(org.owner.email, org.owner.password)).status).toBe(200);
    });

    it('voids the earlier link when a new one is requested', async () => {
      const org = await createTestOrganisation(h);
      await requestReset(org.owner.email);
      const first = h.mailer.lastToken(org.owner.email, 'password_reset');
      await requestReset(org.owner.email);
      const second = h.mailer.lastToken(org.owner.email, 'password_reset');
      expect(second).not.toBe(first);

      const stale = await confirm(first, strongPassword());
      expect(stale.status).toBe(400);
      expect(stale.body.error.code).toBe('TOKEN_INVALID');
      expect((await confirm(second, strongPassword())).status).toBe(200);
    });

    it('applies the policy without using up the link', async () => {
      const org = await createTestOrganisation(h);
      await requestReset(org.owner.email);
      const token = h.mailer.lastToken(org.owner.email, 'password_reset');
      expectRefused(await confirm(token, 'password1234'), 'password1234', 'common');
      expect((await login(org.owner.email, 'password1234')).status).toBe(401);
      expect((await confirm(token, strongPassword())).status).toBe(200);
    });

    it('ends every session of the account and tells the holder', async () => {
      const org = await createTestOrganisation(h);
      const other = anonymous();
      expect((await other.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).status).toBe(200);

      await requestReset(org.owner.email);
      const token = h.mailer.lastToken(org.owner.email, 'password_reset');
      const password = strongPassword();
      expect((await confirm(token, password)).status).toBe(200);

      for (const agent of [org.owner.agent, other]) {
        const me = await agent.get('/api/v1/me');
        expect(me.status).toBe(401);
        expect(me.body.error.code).toBe('AUTH_REQUIRED');
      }
      expect(h.mailer.last(org.owner.email, 'password_changed')).toBeDefined();
      expect((await login(org.owner.email, org.owner.password)).status).toBe(401);
      expect((await login(org.owner.email, password)).status).toBe(200);
    });
  });

  describe('change', () => {
    it('refuses a wrong current password with PASSWORD_INCORRECT and keeps the old one', async () => {
      const org = await createTestOrganisation(h);
      const attempted = strongPassword();
      const response = await org.owner.agent.post('/api/v1/me/password', { currentPassword: 'Not the password at all 1', newPassword: attempted });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('PASSWORD_INCORRECT');
      expect(JSON.stringify(response.body)).not.toContain(attempted);
      expect((await login(org.owner.email, attempted)).status).toBe(401);
      expect((await login(org.owner.email, org.owner.password)).status).toBe(200);
      expect(h.mailer.last(org.owner.email, 'password_changed')).toBeUndefined();
    });

    it('ends the other sessions only, rotates the current token and tells the holder', async () => {
      const org = await createTestOrganisation(h);
      const current = org.owner.agent;
      const other = anonymous();
      expect((await other.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).status).toBe(200);
      const oldToken = current.cookies.get('haven_session')!;

      const newPassword = strongPassword();
      const changed = await current.post('/api/v1/me/password', { currentPassword: org.owner.password, newPassword });
      expect(changed.status).toBe(200);
      expect(changed.body).toEqual({ status: 'password_changed' });

      expect(current.cookies.get('haven_session')).not.toBe(oldToken);
      expect((await current.get('/api/v1/me')).status).toBe(200);
      expect((await current.get('/api/v1/sessions')).body.sessions).toHaveLength(1);
      expect((await other.get('/api/v1/me')).status).toBe(401);
      const replayed = anonymous();
      replayed.cookies.set('haven_session', oldToken);
      expect((await replayed.get('/api/v1/me')).status).toBe(401);

      expect(h.mailer.last(org.owner.email, 'password_changed')).toBeDefined();
      expect((await login(org.owner.email, org.owner.password)).status).toBe(401);
      expect((await login(org.owner.email, newPassword)).status).toBe(200);
    });

    it('applies the policy to the new password', async () => {
      const org = await createTestOrganisation(h);
      const response = await org.owner.agent.post('/api/v1/me/password', { currentPassword: org.owner.password, newPassword: 'qwerty123456' });
      expectRefused(response, 'qwerty123456', 'common');
      expect((await login(org.owner.email, org.owner.password)).status).toBe(200);
    });

    it('counts wrong current passwords toward the lockout, and mails the holder when it locks', async () => {
      const org = await createTestOrganisation(h);
      const agent = org.owner.agent;
      for (let i = 0; i < 10; i++) {
        h.clock.advance(minute); // past each throttle delay; the session stays active (< 15 min idle)
        const response = await agent.post('/api/v1/me/password', { currentPassword: 'Not the password at all 1', newPassword: strongPassword() });
        expect(response.body.error.code).toBe('PASSWORD_INCORRECT');
      }
      expect(h.mailer.last(org.owner.email, 'account_locked')).toBeDefined();
      expect((await login(org.owner.email, org.owner.password)).status).toBe(401);
    });
  });

  it('stores argon2id hashes with m=19456, t=2, p=1, salted per account', async () => {
    const a = await createTestOrganisation(h);
    const shared = a.owner.password;
    const { body } = await signUpWith({ password: shared });
    const hashA = await storedHash(a.owner.accountId);
    expect(hashA.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(hashA).not.toContain(shared);

    const otherId = (await h.db.identity((tx) => findAccountByEmail(tx, h.services.fields, body.owner.email)))!.id;
    const [other] = await h.db.identity((tx) => tx.select({ passwordHash: accounts.passwordHash }).from(accounts).where(eq(accounts.id, otherId)));
    expect(other!.passwordHash.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(other!.passwordHash).not.toBe(hashA);

    // A changed password is hashed the same way.
    const newPassword = strongPassword();
    expect((await a.owner.agent.post('/api/v1/me/password', { currentPassword: shared, newPassword })).status).toBe(200);
    const changed = await storedHash(a.owner.accountId);
    expect(changed.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(changed).not.toBe(hashA);
  });
});
