import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent } from '../../../test/support/agent.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { createTestOrganisation, unique, signIn } from '../../../test/support/fixtures.ts';

/*
 * A person's own profile: plain fields change at once and are audited by name only; the login
 * address changes only with the current password and a confirmation from the new address, with
 * the old address told at each step (ASVS 7.5.1).
 */

describe('profile', () => {
  let h: TestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  const login = (email: string, password: string) => new TestAgent(h.app).post('/api/v1/auth/login', { email, password });
  const newAddress = () => `moved-${unique()}@example.net`;
  const mailsTo = (email: string) => h.mailer.sent.filter((mail) => mail.to === email);

  it('changes name, phone and locale, and audits which fields changed without their values', async () => {
    const org = await createTestOrganisation(h);
    const agent = org.owner.agent;
    const changes = { name: `Renamed ${unique()}`, phone: '+49 30 9876 5432', locale: 'de' as const };
    const response = await agent.patch('/api/v1/me', changes);
    expect(response.status).toBe(200);
    expect(response.body.account).toMatchObject(changes);
    expect((await agent.get('/api/v1/me')).body.account).toMatchObject(changes);

    const audit = await agent.get(`/api/v1/audit-events?action=profile.changed&actor=${org.owner.accountId}`);
    expect(audit.status).toBe(200);
    expect(audit.body.events).toHaveLength(1);
    const [event] = audit.body.events;
    expect(event).toMatchObject({ resourceType: 'account', resourceId: org.owner.accountId, outcome: 'success' });
    expect([...event.changedFields].sort()).toEqual(['locale', 'name', 'phone']);
    const { actorName: _shownName, ...recorded } = event; // the trail shows the actor's current name
    expect(JSON.stringify(recorded)).not.toContain(changes.name);
    expect(JSON.stringify(recorded)).not.toContain(changes.phone);
  });

  describe('e-mail address', () => {
    it('needs the current password: missing → VALIDATION_FAILED, wrong → PASSWORD_INCORRECT, nothing pending, nothing mailed', async () => {
      const org = await createTestOrganisation(h);
      const agent = org.owner.agent;
      const target = newAddress();

      const missing = await agent.patch('/api/v1/me', { email: target });
      expect(missing.status).toBe(400);
      expect(missing.body.error.code).toBe('VALIDATION_FAILED');
      expect(missing.body.error.fields).toContainEqual(expect.objectContaining({ path: 'currentPassword' }));

      const wrong = await agent.patch('/api/v1/me', { email: target, currentPassword: 'Not the password at all 1' });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.code).toBe('PASSWORD_INCORRECT');

      const me = (await agent.get('/api/v1/me')).body.account;
      expect(me.email).toBe(org.owner.email);
      expect(me.pendingEmail).toBeNull();
      expect(mailsTo(target)).toHaveLength(0);
      expect(h.mailer.last(org.owner.email, 'email_change_notice')).toBeUndefined();
    });

    it('counts wrong passwords on the e-mail form toward the lockout, and mails the holder when it locks', async () => {
      const org = await createTestOrganisation(h);
      for (let i = 0; i < 10; i++) {
        h.clock.advance(60_000); // past each throttle delay; the session stays active
        const response = await org.owner.agent.patch('/api/v1/me', { email: newAddress(), currentPassword: 'Not the password at all 1' });
        expect(response.body.error.code).toBe('PASSWORD_INCORRECT');
      }
      expect(h.mailer.last(org.owner.email, 'account_locked')).toBeDefined();
      expect((await login(org.owner.email, org.owner.password)).status).toBe(401);
    });

    it('takes effect only when confirmed from the new address, telling the old address at each step', async () => {
      const org = await createTestOrganisation(h);
      const agent = org.owner.agent;
      const oldEmail = org.owner.email;
      const target = newAddress();

      const requested = await agent.patch('/api/v1/me', { email: target, currentPassword: org.owner.password });
      expect(requested.status).toBe(200);
      expect(requested.body.account).toMatchObject({ email: oldEmail, pendingEmail: target });
      expect(h.mailer.last(target, 'email_change_confirm')).toBeDefined();
      const notice = h.mailer.last(oldEmail, 'email_change_notice');
      expect(notice).toBeDefined();
      expect(notice!.text).not.toContain(target); // masked
      expect(notice!.links).toEqual([]);

      // Until confirmed, the old address is the login.
      expect((await login(target, org.owner.password)).status).toBe(401);
      expect((await login(oldEmail, org.owner.password)).status).toBe(200);

      const token = h.mailer.lastToken(target, 'email_change_confirm');
      const confirmed = await new TestAgent(h.app).post('/api/v1/me/email/confirm', { token });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toEqual({ status: 'email_changed' });

      expect((await agent.get('/api/v1/me')).body.account).toMatchObject({ email: target, pendingEmail: null });
      expect((await login(target, org.owner.password)).status).toBe(200);
      const old = await login(oldEmail, org.owner.password);
      expect(old.status).toBe(401);
      expect(old.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
      expect(h.mailer.last(oldEmail, 'email_changed')).toBeDefined();

      // The link works once.
      const again = await new TestAgent(h.app).post('/api/v1/me/email/confirm', { token });
      expect(again.status).toBe(400);
      expect(again.body.error.code).toBe('TOKEN_INVALID');
    });

    it('cancels a pending change when the holder changes or resets the password, as the notice advises', async () => {
      // Someone who knows the password asks to move the login to their own address; the notice
      // to the holder says to change the password. Doing so must stop the move.
      for (const response of ['change', 'reset'] as const) {
        const org = await createTestOrganisation(h);
        const intruder = newAddress();
        const hijack = await org.owner.agent.patch('/api/v1/me', { email: intruder, currentPassword: org.owner.password });
        expect(hijack.status).toBe(200);
        expect(h.mailer.last(org.owner.email, 'email_change_notice')!.text).toContain('change your password');
        const token = h.mailer.lastToken(intruder, 'email_change_confirm');

        if (response === 'change') {
          const changed = await org.owner.agent.post('/api/v1/me/password', { currentPassword: org.owner.password, newPassword: `Fresh ${unique()} password` });
          expect(changed.status).toBe(200);
          expect((await org.owner.agent.get('/api/v1/me')).body.account.pendingEmail).toBeNull();
        } else {
          await new TestAgent(h.app).post('/api/v1/auth/password-reset', { email: org.owner.email });
          const reset = await new TestAgent(h.app).post('/api/v1/auth/password-reset/confirm', { token: h.mailer.lastToken(org.owner.email, 'password_reset'), password: `Fresh ${unique()} password` });
          expect(reset.status).toBe(200);
        }

        const confirmed = await new TestAgent(h.app).post('/api/v1/me/email/confirm', { token });
        expect(confirmed.status).toBe(400);
        expect(confirmed.body.error.code).toBe('TOKEN_INVALID');
        expect(h.mailer.last(org.owner.email, 'email_changed')).toBeUndefined();
        expect((await new TestAgent(h.app).post('/api/v1/auth/login', { email: intruder, password: org.owner.password })).status).toBe(401);
      }
    });

    it('answers a change to an address taken by another account like any other, but sends that address no link', async () => {
      const org = await createTestOrganisation(h);
      const other = await createTestOrganisation(h);
      const agent = org.owner.agent;

      const free = newAddress();
      const toFree = await agent.patch('/api/v1/me', { email: free, currentPassword: org.owner.password });
      const toTaken = await agent.patch('/api/v1/me', { email: other.owner.email, currentPassword: org.owner.password });
      expect(toTaken.status).toBe(toFree.status);
      expect(toTaken.body.account).toEqual({ ...toFree.body.account, pendingEmail: other.owner.email });

      expect(mailsTo(other.owner.email).filter((mail) => mail.template === 'email_change_confirm')).toHaveLength(0);
      // Nothing since their own sign-up and setting up their authenticator app.
      expect(mailsTo(other.owner.email).map((mail) => mail.template)).toEqual(['verify_email', 'second_factor_changed']);
      // The holder of the account is told in both cases.
      expect(mailsTo(org.owner.email).filter((mail) => mail.template === 'email_change_notice')).toHaveLength(2);

      // The second request voided the first link.
      const stale = await new TestAgent(h.app).post('/api/v1/me/email/confirm', { token: h.mailer.lastToken(free, 'email_change_confirm') });
      expect(stale.status).toBe(400);
      expect(stale.body.error.code).toBe('TOKEN_INVALID');
      expect((await agent.get('/api/v1/me')).body.account.email).toBe(org.owner.email);
      expect((await signIn(h, other.owner)).login.body.me.account.id).toBe(other.owner.accountId);
    });
  });
});
