import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { addMember, createTestOrganisation, type TestOrganisation } from '../../../test/support/fixtures.ts';

/*
 * Session lifetime and the session cookie: idle lock (15 min by default, the practice may
 * shorten it), unlock with the password, the 12 h absolute limit, token rotation at every
 * privilege change, cookie flags, and the "my sessions" page. Time passes on the injected clock.
 */

const minute = 60_000;
const hour = 60 * minute;
const sessionCookie = 'haven_session';

describe('sessions', () => {
  let h: TestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  /** A browser that carries only this session cookie (a stolen or replayed token). */
  const replay = (token: string) => {
    const agent = new TestAgent(h.app);
    agent.cookies.set(sessionCookie, token);
    return agent;
  };

  const token = (agent: TestAgent) => {
    const value = agent.cookies.get(sessionCookie);
    if (!value) throw new Error('no session cookie');
    return value;
  };

  const expectError = (response: TestResponse, status: number, code: string) => {
    expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
  };

  /** Logs a person in from a new browser; returns it and the session id. */
  async function loginFrom(email: string, password: string, userAgent?: string) {
    const agent = new TestAgent(h.app, userAgent ? { userAgent } : {});
    const response = await agent.post('/api/v1/auth/login', { email, password });
    expect(response.status).toBe(200);
    return { agent, sessionId: response.body.me.session.id as string, response };
  }

  describe('idle lock', () => {
    it('locks the session after 15 idle minutes: /me says SESSION_LOCKED and the state says locked', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const agent = org.owner.agent;
      const state = await agent.get('/api/v1/auth/session');
      expect(state.body.state).toBe('active');
      expect(state.body.idleTimeoutSeconds).toBe(15 * 60);

      h.clock.advance(15 * minute - 1_000);
      expect((await agent.get('/api/v1/auth/session')).body.state).toBe('active');
      h.clock.advance(1_000);
      expectError(await agent.get('/api/v1/me'), 401, 'SESSION_LOCKED');
      expect((await agent.get('/api/v1/auth/session')).body.state).toBe('locked');
      // A locked session cannot do anything else either.
      expectError(await agent.get('/api/v1/staff'), 401, 'SESSION_LOCKED');
      expectError(await agent.post('/api/v1/auth/heartbeat'), 401, 'SESSION_LOCKED');
    });

    it('does not count polling the lock state as activity', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const agent = org.owner.agent;
      const login = h.clock.now().getTime();
      for (let i = 0; i < 14; i++) {
        h.clock.advance(minute);
        const state = await agent.get('/api/v1/auth/session');
        expect(state.body.state).toBe('active');
        expect(new Date(state.body.idleExpiresAt).getTime()).toBe(login + 15 * minute);
      }
      h.clock.advance(minute);
      expect((await agent.get('/api/v1/auth/session')).body.state).toBe('locked');
      expectError(await agent.get('/api/v1/me'), 401, 'SESSION_LOCKED');
    });

    it('stays active while the person is active (heartbeat before the limit)', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const agent = org.owner.agent;
      for (let i = 0; i < 4; i++) {
        h.clock.advance(10 * minute);
        expect((await agent.post('/api/v1/auth/heartbeat')).status).toBe(204);
      }
      // 40 minutes after login, 10 since the last activity.
      h.clock.advance(10 * minute);
      expect((await agent.get('/api/v1/me')).status).toBe(200);
      expect((await agent.get('/api/v1/auth/session')).body.state).toBe('active');
    });

    it('applies a shorter idle timeout of the practice to sessions already open', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const practitioner = await addMember(h, org, 'practitioner');
      const policy = await org.owner.agent.put('/api/v1/organisation/security-policy', { password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes: 5 });
      expect(policy.status).toBe(200);

      expect((await practitioner.agent.get('/api/v1/auth/session')).body.idleTimeoutSeconds).toBe(300);
      h.clock.advance(5 * minute);
      expectError(await practitioner.agent.get('/api/v1/me'), 401, 'SESSION_LOCKED');
      expectError(await org.owner.agent.get('/api/v1/me'), 401, 'SESSION_LOCKED');

      // New sessions get it too.
      const fresh = await loginFrom(practitioner.email, practitioner.password);
      expect(fresh.response.body.me.session.idleTimeoutSeconds).toBe(300);
    });

    // Raising the limit must not reopen a screen that already locked.
    it('keeps a locked session locked when the practice later raises the idle timeout', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const practitioner = await addMember(h, org, 'practitioner');
      const policy = (idleTimeoutMinutes: number) => org.owner.agent.put('/api/v1/organisation/security-policy', { password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes });
      expect((await policy(5)).status).toBe(200);
      h.clock.advance(4 * minute);
      expect((await org.owner.agent.post('/api/v1/auth/heartbeat')).status).toBe(204);
      h.clock.advance(2 * minute);
      expectError(await practitioner.agent.get('/api/v1/me'), 401, 'SESSION_LOCKED');

      // Changing the policy needs a recent proof (this owner has no second factor: the password).
      expect((await org.owner.agent.post('/api/v1/auth/step-up', { method: 'password', password: org.owner.password })).status).toBe(200);
      expect((await policy(30)).status).toBe(200);
      expectError(await practitioner.agent.get('/api/v1/me'), 401, 'SESSION_LOCKED');
      expect((await practitioner.agent.get('/api/v1/auth/session')).body.state).toBe('locked');
    });
  });

  describe('lock now', () => {
    it('locks at once until the password unlocks it, and the sessions page shows it locked', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const agent = org.owner.agent;
      expect((await agent.post('/api/v1/auth/lock')).status).toBe(204);
      expectError(await agent.get('/api/v1/me'), 401, 'SESSION_LOCKED');
      expect((await agent.get('/api/v1/auth/session')).body.state).toBe('locked');
      // A heartbeat cannot undo it: only the password can.
      expectError(await agent.post('/api/v1/auth/heartbeat'), 401, 'SESSION_LOCKED');
      const other = await loginFrom(org.owner.email, org.owner.password);
      const listed = await other.agent.get('/api/v1/sessions');
      expect(listed.body.sessions.find((s: { current: boolean }) => !s.current).state).toBe('locked');
      expect((await agent.post('/api/v1/auth/unlock', { password: org.owner.password })).status).toBe(200);
      expect((await agent.get('/api/v1/me')).status).toBe(200);
      const audit = await agent.get('/api/v1/audit-events?action=auth.session_locked');
      expect(audit.body.events).toHaveLength(1);
    });

    it('is not undone by the practice raising its idle limit', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const practitioner = await addMember(h, org, 'practitioner');
      expect((await practitioner.agent.post('/api/v1/auth/lock')).status).toBe(204);
      expect((await org.owner.agent.put('/api/v1/organisation/security-policy', { password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes: 60 })).status).toBe(200);
      expectError(await practitioner.agent.get('/api/v1/me'), 401, 'SESSION_LOCKED');
    });
  });

  describe('unlock', () => {
    async function lockedOrganisation(): Promise<TestOrganisation> {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      h.clock.advance(15 * minute);
      expectError(await org.owner.agent.get('/api/v1/me'), 401, 'SESSION_LOCKED');
      return org;
    }

    it('resumes the session with the right password, under a new token; the old one is dead', async () => {
      const org = await lockedOrganisation();
      const agent = org.owner.agent;
      const before = token(agent);
      const sessionId = (await agent.get('/api/v1/auth/session')).body;

      const unlocked = await agent.post('/api/v1/auth/unlock', { password: org.owner.password });
      expect(unlocked.status).toBe(200);
      expect(unlocked.body.me.account.email).toBe(org.owner.email);
      expect(token(agent)).not.toBe(before);
      expect((await agent.get('/api/v1/me')).status).toBe(200);
      expect((await agent.get('/api/v1/auth/session')).body.absoluteExpiresAt).toBe(sessionId.absoluteExpiresAt);

      const old = replay(before);
      expectError(await old.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
      expect((await old.get('/api/v1/auth/session')).body.state).toBe('none');
    });

    it('stays locked with a wrong password, and those failures count toward the account lockout', async () => {
      const org = await lockedOrganisation();
      const agent = org.owner.agent;
      const before = token(agent);
      for (let i = 0; i < 5; i++) {
        const response = await agent.post('/api/v1/auth/unlock', { password: 'Not the password at all 1' });
        expectError(response, 401, 'AUTH_INVALID_CREDENTIALS');
      }
      expect(token(agent)).toBe(before);
      expectError(await agent.get('/api/v1/me'), 401, 'SESSION_LOCKED');

      // Five failures throttle the account: the right password must now wait, on the lock
      // screen and at the login form alike.
      expectError(await agent.post('/api/v1/auth/unlock', { password: org.owner.password }), 401, 'AUTH_INVALID_CREDENTIALS');
      expectError(await new TestAgent(h.app).post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password }), 401, 'AUTH_INVALID_CREDENTIALS');
      h.clock.advance(2_000);
      expect((await agent.post('/api/v1/auth/unlock', { password: org.owner.password })).status).toBe(200);

      // Five wrong passwords and the one refused while throttled (reading the trail needs a
      // recent proof; unlocking the screen is not one).
      h.clock.advance(minute); // past the throttle's delay, which the failures above started
      const stepUp = await agent.post('/api/v1/auth/step-up', { method: 'password', password: org.owner.password });
      expect(stepUp.status, JSON.stringify(stepUp.body)).toBe(200);
      const audit = await agent.get('/api/v1/audit-events?action=auth.unlock_failed');
      expect(audit.body.events).toHaveLength(6);
    });

    it('mails the holder when guesses on the lock screen lock the account', async () => {
      const org = await lockedOrganisation();
      const agent = org.owner.agent;
      for (let i = 0; i < 10; i++) {
        h.clock.advance(minute); // past each throttle delay, still within the session's lifetime
        expectError(await agent.post('/api/v1/auth/unlock', { password: 'Not the password at all 1' }), 401, 'AUTH_INVALID_CREDENTIALS');
      }
      expect(h.mailer.last(org.owner.email, 'account_locked')).toBeDefined();
      expectError(await agent.post('/api/v1/auth/unlock', { password: org.owner.password }), 401, 'AUTH_INVALID_CREDENTIALS');
    });
  });

  describe('absolute lifetime', () => {
    it('ends the session after 12 hours even with constant activity', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const agent = org.owner.agent;
      const started = h.clock.now().getTime();
      while (h.clock.now().getTime() + 10 * minute < started + 12 * hour) {
        h.clock.advance(10 * minute);
        expect((await agent.post('/api/v1/auth/heartbeat')).status).toBe(204);
      }
      h.clock.set(new Date(started + 12 * hour - 1_000));
      expect((await agent.get('/api/v1/me')).status).toBe(200);

      h.clock.advance(1_000);
      expectError(await agent.post('/api/v1/auth/unlock', { password: org.owner.password }), 401, 'SESSION_EXPIRED');
      expectError(await agent.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
      expect((await agent.get('/api/v1/auth/session')).body.state).toBe('none');
    });
  });

  describe('cookies', () => {
    it('sets the session cookie HttpOnly, SameSite=Strict, Path=/ and (over http) without Secure', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const { response } = await loginFrom(org.owner.email, org.owner.password);
      const session = response.setCookies.find((cookie) => cookie.startsWith(`${sessionCookie}=`))!;
      expect(session).toBeDefined();
      const flags = session.split(';').slice(1).map((flag) => flag.trim().toLowerCase());
      expect(flags).toContain('httponly');
      expect(flags).toContain('samesite=strict');
      expect(flags).toContain('path=/');
      expect(flags).not.toContain('secure');
      expect(flags.some((flag) => flag.startsWith('max-age') || flag.startsWith('expires') || flag.startsWith('domain'))).toBe(false);
      const csrf = response.setCookies.find((cookie) => cookie.startsWith('haven_csrf='))!;
      expect(csrf.toLowerCase()).toContain('samesite=strict');
      expect(response.headers['strict-transport-security']).toBeUndefined();
    });

    it('uses __Host- cookies with Secure, and sends HSTS, when served over https', async () => {
      const secure = await createHarness({ env: { HAVEN_PUBLIC_URL: 'https://haven.test' } });
      try {
        const org = await createTestOrganisation(secure, { secondFactor: 'not-required' });
        const agent = new TestAgent(secure.app);
        const response = await agent.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
        expect(response.status).toBe(200);
        expect(response.setCookies.map((cookie) => cookie.split('=')[0]).sort()).toEqual(['__Host-haven_csrf', '__Host-haven_device', '__Host-haven_session']);
        for (const cookie of response.setCookies) {
          const flags = cookie.split(';').slice(1).map((flag) => flag.trim().toLowerCase());
          expect(flags).toContain('secure');
          expect(flags).toContain('path=/');
          expect(flags.some((flag) => flag.startsWith('domain'))).toBe(false);
        }
        expect(response.setCookies.find((cookie) => cookie.startsWith('__Host-haven_session='))!.toLowerCase()).toContain('httponly');
        expect((await agent.get('/api/v1/me')).status).toBe(200);

        const hsts = String(response.headers['strict-transport-security']);
        const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1]);
        expect(maxAge).toBeGreaterThanOrEqual(31_536_000);
        expect(hsts.toLowerCase()).toContain('includesubdomains');
      } finally {
        await secure.close();
      }
    });
  });

  describe('token rotation', () => {
    it('issues a new token at every login', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const agent = new TestAgent(h.app);
      expect((await agent.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).status).toBe(200);
      const first = token(agent);
      expect((await agent.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).status).toBe(200);
      const second = token(agent);
      expect(second).not.toBe(first);
      expect(first).not.toBe(token(org.owner.agent));
    });

    it('does not adopt a session cookie planted before login', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const planted = 'A'.repeat(43);
      const agent = replay(planted);
      const response = await agent.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
      expect(response.status).toBe(200);
      expect(token(agent)).not.toBe(planted);
      expectError(await replay(planted).get('/api/v1/me'), 401, 'AUTH_REQUIRED');

      // Nor the attacker's own, real session planted in the victim's browser.
      const attacker = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const victim = new TestAgent(h.app);
      victim.cookies.set(sessionCookie, token(attacker.owner.agent));
      victim.cookies.set('haven_csrf', attacker.owner.agent.csrfToken()!);
      const victimLogin = await victim.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
      expect(victimLogin.status).toBe(200);
      expect(token(victim)).not.toBe(token(attacker.owner.agent));
      expect((await victim.get('/api/v1/me')).body.account.email).toBe(org.owner.email);
      expect((await attacker.owner.agent.get('/api/v1/me')).body.account.email).toBe(attacker.owner.email);
    });

    it('rotates the token when the person chooses an organisation', async () => {
      const home = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const other = await createTestOrganisation(h, { secondFactor: 'not-required' });
      expect((await other.owner.agent.post('/api/v1/invitations', { email: home.owner.email, role: 'practitioner' })).status).toBe(201);
      const invitation = h.mailer.lastToken(home.owner.email, 'invitation');
      expect((await new TestAgent(h.app).post('/api/v1/invitations/accept', { token: invitation, password: home.owner.password })).status).toBe(200);

      const agent = new TestAgent(h.app);
      const login = await agent.post('/api/v1/auth/login', { email: home.owner.email, password: home.owner.password });
      expect(login.body.status).toBe('choose_organisation');
      expect(login.body.me.organisation).toBeNull();
      const beforeChoice = token(agent);

      const elsewhere = await agent.post('/api/v1/auth/select-organisation', { organisationId: (await createTestOrganisation(h, { secondFactor: 'not-required' })).orgId });
      expectError(elsewhere, 404, 'NOT_FOUND');
      expect(token(agent)).toBe(beforeChoice);

      const chosen = await agent.post('/api/v1/auth/select-organisation', { organisationId: other.orgId });
      expect(chosen.status).toBe(200);
      expect(chosen.body.me.organisation).toMatchObject({ id: other.orgId, name: other.name, role: 'practitioner', roleName: null });
      expect(token(agent)).not.toBe(beforeChoice);
      expect((await agent.get('/api/v1/me')).body.organisation.id).toBe(other.orgId);
      expectError(await replay(beforeChoice).get('/api/v1/me'), 401, 'AUTH_REQUIRED');
    });
  });

  describe('my sessions', () => {
    it('lists the sessions of two browsers with the right one marked current, and ends the other', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const laptop = await loginFrom(org.owner.email, org.owner.password, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0');
      const phone = await loginFrom(org.owner.email, org.owner.password, 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1');
      expect((await org.owner.agent.post('/api/v1/auth/logout')).status).toBe(204);

      const list = await laptop.agent.get('/api/v1/sessions');
      expect(list.status).toBe(200);
      const sessions = list.body.sessions as Array<{ id: string; current: boolean; device: string; state: string }>;
      expect(sessions.map((s) => s.id).sort()).toEqual([laptop.sessionId, phone.sessionId].sort());
      expect(sessions.find((s) => s.id === laptop.sessionId)).toMatchObject({ current: true, state: 'active' });
      expect(sessions.find((s) => s.id === phone.sessionId)).toMatchObject({ current: false, state: 'active' });
      expect(sessions.find((s) => s.id === laptop.sessionId)!.device).toContain('Firefox');

      expect((await laptop.agent.delete(`/api/v1/sessions/${phone.sessionId}`)).status).toBe(204);
      expectError(await phone.agent.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
      expect((await laptop.agent.get('/api/v1/me')).status).toBe(200);
      expect((await laptop.agent.get('/api/v1/sessions')).body.sessions.map((s: { id: string }) => s.id)).toEqual([laptop.sessionId]);
      // Ending it twice finds nothing.
      expectError(await laptop.agent.delete(`/api/v1/sessions/${phone.sessionId}`), 404, 'SESSION_NOT_FOUND');
    });

    it("answers 404 for someone else's session id and leaves that session alone", async () => {
      const mine = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const theirs = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const theirSession = (await theirs.owner.agent.get('/api/v1/me')).body.session.id;

      expectError(await mine.owner.agent.delete(`/api/v1/sessions/${theirSession}`), 404, 'SESSION_NOT_FOUND');
      expect((await theirs.owner.agent.get('/api/v1/me')).status).toBe(200);
      expect((await theirs.owner.agent.get('/api/v1/sessions')).body.sessions).toHaveLength(1);
    });

    it('ends all other sessions and keeps the current one', async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const second = await loginFrom(org.owner.email, org.owner.password);
      const third = await loginFrom(org.owner.email, org.owner.password);
      const currentId = (await org.owner.agent.get('/api/v1/me')).body.session.id;

      const ended = await org.owner.agent.post('/api/v1/sessions/end-others');
      expect(ended.status).toBe(200);
      expect(ended.body).toEqual({ ended: 2 });
      const left = (await org.owner.agent.get('/api/v1/sessions')).body.sessions;
      expect(left).toEqual([expect.objectContaining({ id: currentId, current: true })]);
      expectError(await second.agent.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
      expectError(await third.agent.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
      expect((await org.owner.agent.get('/api/v1/me')).status).toBe(200);
    });

    it("lets an owner end a practitioner's sessions, and tells the practitioner by mail", async () => {
      const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
      const practitioner = await addMember(h, org, 'practitioner');
      const second = await loginFrom(practitioner.email, practitioner.password);

      const ended = await org.owner.agent.post(`/api/v1/staff/${practitioner.membershipId}/end-sessions`);
      expect(ended.status).toBe(200);
      expect(ended.body).toEqual({ ended: 2 });
      expectError(await practitioner.agent.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
      expectError(await second.agent.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
      const mail = h.mailer.last(practitioner.email, 'sessions_ended_by_admin');
      expect(mail).toBeDefined();
      expect(mail!.text).toContain(org.name);
      expect((await org.owner.agent.get('/api/v1/me')).status).toBe(200);
    });
  });
});
