import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { createTestOrganisation, signupBody, strongPassword, unique } from '../../../test/support/fixtures.ts';
import { lockAtFailures } from './password-check.ts';

/*
 * Nothing a stranger can send tells whether an e-mail address has a Haven account (ASVS 6.3.8):
 * login, password reset and sign-up answer alike for known and unknown addresses, and the
 * holder of a known address learns about the attempt by mail instead.
 */

const minute = 60_000;
const wrong = 'Not the password at all 1';

/** The parts of an answer an outsider can compare, with the per-request id blanked. */
function comparable(response: TestResponse) {
  const body = response.body?.error ? { ...response.body, error: { ...response.body.error, requestId: '<id>' } } : response.body;
  return {
    status: response.status,
    body,
    cookies: response.setCookies.map((cookie) => cookie.split('=')[0]),
    contentType: response.headers['content-type'],
  };
}

describe('account enumeration', () => {
  let h: TestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  const anonymous = () => new TestAgent(h.app);
  const login = (email: string, password: string) => anonymous().post('/api/v1/auth/login', { email, password });
  const unknownEmail = () => `nobody-${unique()}@example.org`;
  const mailsTo = (email: string) => h.mailer.sent.filter((mail) => mail.to === email);

  async function lockedAccount() {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    for (let i = 0; i < lockAtFailures; i++) {
      h.clock.advance(minute);
      expect((await login(org.owner.email, wrong)).status).toBe(401);
    }
    expect(h.mailer.last(org.owner.email, 'account_locked')).toBeDefined();
    return org;
  }

  it('answers an unknown address, a wrong password and a locked account identically', async () => {
    const known = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const locked = await lockedAccount();

    const unknown = await login(unknownEmail(), wrong);
    const wrongPassword = await login(known.owner.email, wrong);
    const lockedWithRightPassword = await login(locked.owner.email, locked.owner.password);

    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(comparable(wrongPassword)).toEqual(comparable(unknown));
    expect(comparable(lockedWithRightPassword)).toEqual(comparable(unknown));
    // No session cookie for any of them.
    expect(unknown.setCookies.some((cookie) => cookie.includes('haven_session='))).toBe(false);
  });

  it('spends one argon2 verification on an unknown address, as on a known one', async () => {
    const known = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const hasher = h.services.hasher;
    const verifyDummy = vi.spyOn(hasher, 'verifyDummy');
    const verify = vi.spyOn(hasher, 'verify');
    try {
      expect((await login(unknownEmail(), wrong)).status).toBe(401);
      expect(verifyDummy).toHaveBeenCalledTimes(1);
      expect(verify).toHaveBeenCalledTimes(1); // the dummy's verification, really run

      verifyDummy.mockClear();
      verify.mockClear();
      expect((await login(known.owner.email, wrong)).status).toBe(401);
      expect(verifyDummy).not.toHaveBeenCalled();
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verifyDummy.mockRestore();
      verify.mockRestore();
    }
  });

  it('spends one argon2 verification on a locked account too', async () => {
    const locked = await lockedAccount();
    const verifyDummy = vi.spyOn(h.services.hasher, 'verifyDummy');
    try {
      expect((await login(locked.owner.email, locked.owner.password)).status).toBe(401);
      expect(verifyDummy).toHaveBeenCalledTimes(1);
    } finally {
      verifyDummy.mockRestore();
    }
  });

  it('answers a password-reset request with the same 202 for known and unknown addresses, mailing only the known one', async () => {
    const known = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const stranger = unknownEmail();
    const sentBefore = h.mailer.sent.length;

    const forKnown = await anonymous().post('/api/v1/auth/password-reset', { email: known.owner.email });
    const forUnknown = await anonymous().post('/api/v1/auth/password-reset', { email: stranger });

    expect(forKnown.status).toBe(202);
    expect(forKnown.body).toEqual({ status: 'sent_if_known' });
    expect(comparable(forUnknown)).toEqual(comparable(forKnown));
    const newMails = h.mailer.sent.slice(sentBefore);
    expect(newMails.map((mail) => [mail.to, mail.template])).toEqual([[known.owner.email, 'password_reset']]);
    expect(mailsTo(stranger)).toHaveLength(0);
  });

  it('answers a sign-up with a taken address like any sign-up, tells the holder, and creates nothing', async () => {
    const holder = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const hash = vi.spyOn(h.services.hasher, 'hash');
    let fresh: TestResponse;
    let taken: TestResponse;
    const intruderPassword = strongPassword();
    try {
      fresh = await anonymous().post('/api/v1/signup', signupBody());
      expect(hash).toHaveBeenCalledTimes(1);
      taken = await anonymous().post('/api/v1/signup', signupBody({ email: holder.owner.email, password: intruderPassword, orgName: `Intruder ${unique()}` }));
      // The password is hashed for a taken address too, so timing does not tell either.
      expect(hash).toHaveBeenCalledTimes(2);
    } finally {
      hash.mockRestore();
    }

    expect(fresh.status).toBe(202);
    expect(fresh.body).toEqual({ status: 'verification_sent' });
    expect(comparable(taken)).toEqual(comparable(fresh));

    const holderMails = mailsTo(holder.owner.email);
    expect(holderMails.at(-1)!.template).toBe('signup_exists');
    expect(holderMails.filter((mail) => mail.template === 'verify_email')).toHaveLength(1); // only the original sign-up's

    // Nothing changed: the holder's own password still works, the intruder's does not, and the
    // holder belongs to their one practice only.
    expect((await login(holder.owner.email, intruderPassword)).status).toBe(401);
    const own = await login(holder.owner.email, holder.owner.password);
    expect(own.status).toBe(200);
    expect(own.body.status).toBe('authenticated');
    expect(own.body.me.organisations).toEqual([{ id: holder.orgId, name: holder.name, kind: 'staff', role: 'owner', roleName: null }]);
  });
});
