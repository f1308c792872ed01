import { maxPasskeysPerAccount } from '@haven/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { createTestOrganisation, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { addPasskey, answerWithPasskey, registerPasskeyWith, testAuthenticator, type Bent, type SoftwareAuthenticator } from '../../../test/support/software-authenticator.ts';

/*
 * What makes a passkey answer count, checked the way an attacker would try it: a challenge works
 * once, for five minutes, only in the ceremony and for the requester that asked for it; the
 * assertion must name this site's origin and RP ID (so a phishing page's assertion is worthless),
 * carry user verification, be signed by a credential of this account, and have a counter that
 * did not go backwards. A passwordless sign-in with an unknown credential answers like any other
 * failure.
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
const fiveMinutes = 5 * 60_000;

interface Holder {
  org: TestOrganisation;
  person: TestPerson;
  key: SoftwareAuthenticator;
  passkeyId: string;
}

/** A person whose only factor is one passkey (a fresh account: failures here count toward its lock). */
async function holder(settings: Parameters<typeof testAuthenticator>[0] = {}): Promise<Holder> {
  const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
  const key = testAuthenticator(settings);
  const { id } = await addPasskey(org.owner.agent, key, 'Key');
  return { org, person: org.owner, key, passkeyId: id };
}

/** Opens a step-up and answers it with `bent`. */
const stepUp = (who: Holder, bent: Bent = {}) => answerWithPasskey(who.person.agent, who.key, '/api/v1/auth/step-up/passkey', bent);

const passkeysOf = async (agent: TestAgent) => (await agent.get('/api/v1/me/passkeys')).body.passkeys as Array<{ id: string; lastUsedAt: string | null }>;

describe('registering', () => {
  let org: TestOrganisation;
  beforeAll(async () => {
    org = await createTestOrganisation(h, { secondFactor: 'not-required' });
  });
  const register = (response: unknown, agent = org.owner.agent) => agent.post('/api/v1/me/passkeys', { name: 'Key', response });

  it('refuses what a look-alike site, a skipped verification or a get() would produce', async () => {
    const cases: Array<[string, Bent]> = [
      ['another origin', { origin: 'https://haven.test.example' }],
      ['another scheme', { origin: 'https://haven.test' }],
      ['another RP ID', { rpId: 'example.org' }],
      ['no user verification', { userVerified: false }],
      ['no user presence', { userPresent: false }],
      ['an assertion type', { type: 'webauthn.get' }],
    ];
    for (const [what, bent] of cases) {
      const key = testAuthenticator();
      const options = await org.owner.agent.post('/api/v1/me/passkeys/registration-options');
      const response = await register(key.register(options.body, bent));
      expect({ what, status: response.status, code: response.body.error?.code }).toEqual({ what, status: 400, code: 'PASSKEY_REGISTRATION_FAILED' });
    }
    expect(await passkeysOf(org.owner.agent)).toEqual([]);
  });

  it('takes a challenge once: a replayed registration fails, with or without a new ceremony open', async () => {
    const key = testAuthenticator();
    const options = await org.owner.agent.post('/api/v1/me/passkeys/registration-options');
    const response = key.register(options.body);
    expectError(await register(key.register(options.body, { challenge: 'c29tZXRoaW5nLWVsc2U' })), 400, 'PASSKEY_REGISTRATION_FAILED');
    // The wrong answer spent the challenge: the right one comes too late.
    expectError(await register(response), 400, 'PASSKEY_REGISTRATION_FAILED');
    await org.owner.agent.post('/api/v1/me/passkeys/registration-options');
    expectError(await register(response), 400, 'PASSKEY_REGISTRATION_FAILED');
    expect(await passkeysOf(org.owner.agent)).toEqual([]);
  });

  it('keeps a challenge five minutes', async () => {
    const key = testAuthenticator();
    const options = await org.owner.agent.post('/api/v1/me/passkeys/registration-options');
    advance(fiveMinutes + 1_000);
    // The step-up window has passed as well: prove it again (the password: no factor yet).
    expect((await org.owner.agent.post('/api/v1/auth/step-up', { method: 'password', password: org.owner.password })).status).toBe(200);
    expectError(await register(key.register(options.body)), 400, 'PASSKEY_REGISTRATION_FAILED');
  });

  it("binds a challenge to the session that asked: another session's answer fails and leaves it open", async () => {
    const other = new TestAgent(h.app);
    expect((await other.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).body.status).toBe('authenticated');
    const key = testAuthenticator();
    const options = await org.owner.agent.post('/api/v1/me/passkeys/registration-options');
    const response = key.register(options.body);
    expectError(await register(response, other), 400, 'PASSKEY_REGISTRATION_FAILED');
    expect((await register(response)).status).toBe(201);
  });

  it('refuses a challenge made for signing in', async () => {
    const key = testAuthenticator();
    const signIn = await org.owner.agent.post('/api/v1/auth/passkey/options');
    const options = await org.owner.agent.post('/api/v1/me/passkeys/registration-options');
    expectError(await register(key.register(options.body, { challenge: signIn.body.challenge })), 400, 'PASSKEY_REGISTRATION_FAILED');
  });

  it('registers a credential once, across all accounts', async () => {
    const mine = testAuthenticator();
    await addPasskey(org.owner.agent, mine, 'Mine');
    const other = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const copy = testAuthenticator();
    expectError(await registerPasskeyWith(other.owner.agent, copy, 'Copy', { credentialId: mine.lastCredentialId }), 409, 'PASSKEY_ALREADY_REGISTERED');
    expect(await passkeysOf(other.owner.agent)).toEqual([]);
  });

  it(`stops at ${maxPasskeysPerAccount} passkeys`, async () => {
    const other = await createTestOrganisation(h, { secondFactor: 'not-required' });
    for (let i = 0; i < maxPasskeysPerAccount; i++) await addPasskey(other.owner.agent, testAuthenticator(), `Key ${i}`);
    expectError(await other.owner.agent.post('/api/v1/me/passkeys/registration-options'), 409, 'PASSKEY_LIMIT_REACHED');
  });
});

describe('answering a challenge', () => {
  it('refuses what a look-alike site or a device without user verification produces', async () => {
    const who = await holder();
    for (const bent of [{ origin: 'https://haven.test.example' }, { rpId: 'example.org' }, { userVerified: false }, { userPresent: false }, { type: 'webauthn.create' }] satisfies Bent[]) {
      expectError(await stepUp(who, bent), 401, 'SECOND_FACTOR_INVALID');
      advance(40_000); // past the growing delay after repeated failures
    }
    expect((await passkeysOf(who.person.agent))[0]!.lastUsedAt).toBeNull();
    expect((await stepUp(who)).status).toBe(200);
  });

  it('takes a challenge once, and keeps it five minutes', async () => {
    const who = await holder();
    const options = await who.person.agent.post('/api/v1/auth/step-up/passkey/options');
    const answer = who.key.authenticate(options.body);
    expect((await who.person.agent.post('/api/v1/auth/step-up/passkey', { response: answer })).status).toBe(200);
    expectError(await who.person.agent.post('/api/v1/auth/step-up/passkey', { response: answer }), 401, 'SECOND_FACTOR_INVALID');
    await who.person.agent.post('/api/v1/auth/step-up/passkey/options');
    expectError(await who.person.agent.post('/api/v1/auth/step-up/passkey', { response: answer }), 401, 'SECOND_FACTOR_INVALID');

    const late = await who.person.agent.post('/api/v1/auth/step-up/passkey/options');
    advance(fiveMinutes + 1_000);
    await who.person.agent.post('/api/v1/auth/heartbeat');
    expectError(await who.person.agent.post('/api/v1/auth/step-up/passkey', { response: who.key.authenticate(late.body) }), 401, 'SECOND_FACTOR_INVALID');
  });

  it("refuses another ceremony's challenge and another session's", async () => {
    const who = await holder();
    const agent = who.person.agent;
    // Signed for a registration ceremony, sent to step-up.
    const registration = await agent.post('/api/v1/me/passkeys/registration-options');
    const stepUpOptions = await agent.post('/api/v1/auth/step-up/passkey/options');
    expectError(await agent.post('/api/v1/auth/step-up/passkey', { response: who.key.authenticate(stepUpOptions.body, { challenge: registration.body.challenge }) }), 401, 'SECOND_FACTOR_INVALID');
    // Signed for step-up, sent as a passwordless sign-in.
    const forStepUp = await agent.post('/api/v1/auth/step-up/passkey/options');
    expectError(await agent.post('/api/v1/auth/passkey', { response: who.key.authenticate(forStepUp.body) }), 401, 'PASSKEY_SIGN_IN_FAILED');
    // Signed for this session's step-up, sent from another session of the same person.
    const elsewhere = new TestAgent(h.app);
    await elsewhere.post('/api/v1/auth/login', { email: who.person.email, password: who.person.password });
    const mine = await agent.post('/api/v1/auth/step-up/passkey/options');
    const theirs = await answerWithPasskey(elsewhere, who.key, '/api/v1/auth/second-factor/passkey');
    expect(theirs.status).toBe(200); // the other session signs in with its own ceremony
    advance(40_000);
    expectError(await elsewhere.post('/api/v1/auth/step-up/passkey', { response: who.key.authenticate(mine.body) }), 401, 'SECOND_FACTOR_INVALID');
    // A passwordless ceremony belongs to the browser that opened it.
    const browserA = new TestAgent(h.app);
    const browserB = new TestAgent(h.app);
    const opened = await browserA.post('/api/v1/auth/passkey/options');
    await browserB.get('/api/v1/auth/session');
    expectError(await browserB.post('/api/v1/auth/passkey', { response: who.key.authenticate(opened.body) }), 401, 'PASSKEY_SIGN_IN_FAILED');
  });

  it("refuses another account's passkey, for the second step and for step-up", async () => {
    const mine = await holder();
    const theirs = await holder();
    const pending = new TestAgent(h.app);
    expect((await pending.post('/api/v1/auth/login', { email: mine.person.email, password: mine.person.password })).body.status).toBe('second_factor_required');
    const options = await pending.post('/api/v1/auth/second-factor/passkey/options');
    expectError(await pending.post('/api/v1/auth/second-factor/passkey', { response: theirs.key.authenticate(options.body, { credentialId: theirs.key.lastCredentialId }) }), 401, 'SECOND_FACTOR_INVALID');
    expectError(await answerWithPasskey(mine.person.agent, theirs.key, '/api/v1/auth/step-up/passkey', { credentialId: theirs.key.lastCredentialId }), 401, 'SECOND_FACTOR_INVALID');
    // Their passkey still signs them in.
    expect((await stepUp(theirs)).status).toBe(200);
  });

  it('refuses a counter that goes backwards or stands still, and takes one that grows', async () => {
    const who = await holder();
    expect((await stepUp(who)).status).toBe(200); // counter 1
    expect((await stepUp(who)).status).toBe(200); // counter 2
    expectError(await stepUp(who, { counter: 1 }), 401, 'SECOND_FACTOR_INVALID');
    expectError(await stepUp(who, { counter: 2 }), 401, 'SECOND_FACTOR_INVALID');
    expectError(await stepUp(who, { counter: 0 }), 401, 'SECOND_FACTOR_INVALID');
    expect((await stepUp(who, { counter: 7 })).status).toBe(200);
  });

  it('takes a passkey that keeps no counter (always 0) every time', async () => {
    const who = await holder({ counts: false, backedUp: true });
    for (let i = 0; i < 3; i++) expect((await stepUp(who)).status).toBe(200);
  });
});

describe('signing in without a password', () => {
  it('answers an unknown passkey exactly like a failing known one, and opens no session', async () => {
    const who = await holder();
    const stranger = testAuthenticator();
    // A passkey made for this site but never registered (e.g. the account it belonged to is gone).
    stranger.register((await who.person.agent.post('/api/v1/me/passkeys/registration-options')).body);
    const unknown = await answerWithPasskey(new TestAgent(h.app), stranger, '/api/v1/auth/passkey');
    const noVerification = await answerWithPasskey(new TestAgent(h.app), who.key, '/api/v1/auth/passkey', { userVerified: false });
    const wrongHandle = await answerWithPasskey(new TestAgent(h.app), who.key, '/api/v1/auth/passkey', { userHandle: Buffer.alloc(32, 7).toString('base64url') });
    for (const response of [unknown, noVerification, wrongHandle]) {
      expectError(response, 401, 'PASSKEY_SIGN_IN_FAILED');
      expect(response.setCookies.some((cookie) => cookie.startsWith('haven_session='))).toBe(false);
    }
    const strip = (response: TestResponse) => ({ status: response.status, body: { ...response.body.error, requestId: '' } });
    expect(strip(unknown)).toEqual(strip(noVerification));
    expect(strip(unknown)).toEqual(strip(wrongHandle));
    // The failures of a known account are in its practice's trail, as wrong codes.
    const failures = (await who.org.owner.agent.get('/api/v1/audit-events?action=auth.login_failed&limit=50')).body.events;
    expect(failures.filter((event: { reason: string }) => event.reason === 'wrong_code')).toHaveLength(2);
  });
});
