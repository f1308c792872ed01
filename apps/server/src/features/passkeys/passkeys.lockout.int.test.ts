import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { createTestOrganisation, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { addPasskey, answerWithPasskey, testAuthenticator, type SoftwareAuthenticator } from '../../../test/support/software-authenticator.ts';
import { confirmHeldSignIn } from '../../../test/support/held-sign-in.ts';

/*
 * Failed passkey answers lock the same lock as wrong passwords and wrong codes: each is an
 * attempt claimed before it is checked, from the fifth a growing delay, at the tenth a lock and an
 * e-mail to the holder — at the second step of signing in, at step-up and without a password.
 * While locked, even a right answer is refused, with the same answer as a wrong one.
 */

let h: TestHarness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

const advance = (ms: number) => h.clock.advance(ms);

async function holder(): Promise<{ org: TestOrganisation; key: SoftwareAuthenticator }> {
  const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
  const key = testAuthenticator();
  await addPasskey(org.owner.agent, key, 'Key');
  return { org, key };
}

const lockedMail = (email: string) => h.mailer.sent.some((mail) => mail.to === email && mail.template === 'account_locked');

async function wrongCodeFailures(org: TestOrganisation): Promise<number> {
  const page = await org.owner.agent.get('/api/v1/audit-events?action=auth.login_failed&limit=100');
  return page.body.events.filter((event: { actorAccountId: string; reason: string }) => event.actorAccountId === org.owner.accountId && event.reason === 'wrong_code').length;
}

describe('passkey failures and the account lock', () => {
  it('at the second step: ten failures over several sign-ins lock the account, and the right passkey is refused then', async () => {
    const { org, key } = await holder();
    const owner = org.owner;
    let agent = new TestAgent(h.app);
    for (let i = 0; i < 10; i++) {
      agent = new TestAgent(h.app);
      // The password is right every time; it does not reset the count of failed second steps.
      expect((await agent.post('/api/v1/auth/login', { email: owner.email, password: owner.password })).body.status).toBe('second_factor_required');
      advance(40_000);
      expectError(await answerWithPasskey(agent, key, '/api/v1/auth/second-factor/passkey', { userVerified: false }), 401, 'SECOND_FACTOR_INVALID');
      if (i < 9) advance(40_000); // past the growing delay, which holds back the password too
    }
    expect(lockedMail(owner.email)).toBe(true);
    advance(40_000);
    expectError(await answerWithPasskey(agent, key, '/api/v1/auth/second-factor/passkey'), 401, 'SECOND_FACTOR_INVALID');
    // Nor does the passkey open a way around the lock without the password.
    expectError(await answerWithPasskey(new TestAgent(h.app), key, '/api/v1/auth/passkey'), 401, 'PASSKEY_SIGN_IN_FAILED');

    // After the lock, the right passkey signs in and the count starts over.
    advance(16 * 60_000);
    const fresh = new TestAgent(h.app);
    const done = await answerWithPasskey(fresh, key, '/api/v1/auth/passkey');
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    // A success after many failures is held until confirmed by e-mail (features/devices).
    expect(done.body.status).toBe('confirmation_required');
    expect((await confirmHeldSignIn(h, fresh, owner.email)).body.status).toBe('authenticated');
    org.owner.agent = fresh;
    expect(await wrongCodeFailures(org)).toBeGreaterThanOrEqual(10);
  });

  it('at step-up: failures count toward the same lock, which then refuses the password too', async () => {
    const { org, key } = await holder();
    for (let i = 0; i < 10; i++) {
      advance(40_000);
      expectError(await answerWithPasskey(org.owner.agent, key, '/api/v1/auth/step-up/passkey', { origin: 'https://haven-test.example' }), 401, 'SECOND_FACTOR_INVALID');
    }
    expect(lockedMail(org.owner.email)).toBe(true);
    expectError(await new TestAgent(h.app).post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password }), 401, 'AUTH_INVALID_CREDENTIALS');
  });

  it('without a password: failures with a known passkey count too', async () => {
    const { org, key } = await holder();
    for (let i = 0; i < 10; i++) {
      advance(40_000);
      expectError(await answerWithPasskey(new TestAgent(h.app), key, '/api/v1/auth/passkey', { rpId: 'haven-test.example' }), 401, 'PASSKEY_SIGN_IN_FAILED');
    }
    expect(lockedMail(org.owner.email)).toBe(true);
    advance(40_000);
    expectError(await answerWithPasskey(new TestAgent(h.app), key, '/api/v1/auth/passkey'), 401, 'PASSKEY_SIGN_IN_FAILED');
  });

  it('a right answer before the lock resets the count', async () => {
    const { org, key } = await holder();
    for (let i = 0; i < 9; i++) {
      advance(40_000);
      expectError(await answerWithPasskey(org.owner.agent, key, '/api/v1/auth/step-up/passkey', { userVerified: false }), 401, 'SECOND_FACTOR_INVALID');
    }
    advance(40_000);
    expect((await answerWithPasskey(org.owner.agent, key, '/api/v1/auth/step-up/passkey')).status).toBe(200);
    for (let i = 0; i < 4; i++) expectError(await answerWithPasskey(org.owner.agent, key, '/api/v1/auth/step-up/passkey', { userVerified: false }), 401, 'SECOND_FACTOR_INVALID');
    expect((await answerWithPasskey(org.owner.agent, key, '/api/v1/auth/step-up/passkey')).status).toBe(200);
    expect(lockedMail(org.owner.email)).toBe(false);
  });
});
