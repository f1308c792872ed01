import { defaultSecurityPolicy } from '@haven/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent } from '../../../test/support/agent.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { enrolTotp, signupBody } from '../../../test/support/fixtures.ts';

/*
 * Sign-up of a practice: the accepted terms and data-processing agreement are recorded with
 * version and time, the owner must confirm the address (single-use link, 24 h) before signing
 * in, the mail speaks the owner's language, and the audit trail starts with the sign-up.
 */

const hour = 3_600_000;

describe('sign-up', () => {
  let h: TestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  const anonymous = () => new TestAgent(h.app);
  const login = (agent: TestAgent, email: string, password: string) => agent.post('/api/v1/auth/login', { email, password });
  /** The owner's first sign-in; where the practice's default rule requires a second factor, an app is set up first. */
  const firstSignIn = async (agent: TestAgent, email: string, password: string) => {
    const answer = await login(agent, email, password);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.status).toBe(defaultSecurityPolicy.secondFactorRequired ? 'enrolment_required' : 'authenticated');
    return answer.body.status === 'enrolment_required' ? (await enrolTotp(h, agent)).confirmed : answer;
  };
  const verify = (token: string) => anonymous().post('/api/v1/auth/verify-email', { token });
  const verifyMails = (email: string) => h.mailer.sent.filter((mail) => mail.to === email && mail.template === 'verify_email');

  async function signUp(overrides: Parameters<typeof signupBody>[0] = {}) {
    const body = signupBody(overrides);
    const response = await anonymous().post('/api/v1/signup', body);
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ status: 'verification_sent' });
    return body;
  }

  it('records the accepted terms and data-processing agreement with version and time', async () => {
    const signedUpAt = h.clock.now().toISOString();
    const body = await signUp();
    h.clock.advance(hour); // verification and login later do not move the acceptance time
    expect((await verify(h.mailer.lastToken(body.owner.email, 'verify_email'))).status).toBe(200);
    const agent = anonymous();
    expect((await firstSignIn(agent, body.owner.email, body.owner.password)).status).toBe(200);

    const organisation = await agent.get('/api/v1/organisation');
    expect(organisation.status).toBe(200);
    expect(organisation.body).toMatchObject({
      name: body.organisation.name,
      termsVersion: body.termsVersion,
      termsAcceptedAt: signedUpAt,
      dpaVersion: body.dpaVersion,
      dpaAcceptedAt: signedUpAt,
    });
  });

  it('refuses a login before the address is confirmed, and mails a fresh link', async () => {
    const body = await signUp();
    const first = h.mailer.lastToken(body.owner.email, 'verify_email');

    const refused = await login(anonymous(), body.owner.email, body.owner.password);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('AUTH_EMAIL_NOT_VERIFIED');
    expect(refused.setCookies.some((cookie) => cookie.startsWith('haven_session='))).toBe(false);
    expect(verifyMails(body.owner.email)).toHaveLength(2);
    const fresh = h.mailer.lastToken(body.owner.email, 'verify_email');
    expect(fresh).not.toBe(first);

    // Only someone with the password learns the address is unconfirmed.
    const guess = await login(anonymous(), body.owner.email, 'Not the password at all 1');
    expect(guess.status).toBe(401);
    expect(guess.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(verifyMails(body.owner.email)).toHaveLength(2);

    expect((await verify(fresh)).status).toBe(200);
    expect((await login(anonymous(), body.owner.email, body.owner.password)).status).toBe(200);
  });

  it('accepts the verification link once', async () => {
    const body = await signUp();
    const token = h.mailer.lastToken(body.owner.email, 'verify_email');
    expect((await verify(token)).body).toEqual({ verified: true });
    const again = await verify(token);
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('TOKEN_INVALID');
  });

  it('accepts the verification link for 24 hours only', async () => {
    const onTime = await signUp();
    const late = await signUp();
    h.clock.advance(24 * hour - 60_000);
    expect((await verify(h.mailer.lastToken(onTime.owner.email, 'verify_email'))).status).toBe(200);

    h.clock.advance(60_000);
    const expired = await verify(h.mailer.lastToken(late.owner.email, 'verify_email'));
    expect(expired.status).toBe(400);
    expect(expired.body.error.code).toBe('TOKEN_INVALID');
    expect((await login(anonymous(), late.owner.email, late.owner.password)).body.error.code).toBe('AUTH_EMAIL_NOT_VERIFIED');
  });

  it('mails the owner in the language chosen at sign-up', async () => {
    const body = await signUp({ locale: 'de' });
    const mail = h.mailer.last(body.owner.email, 'verify_email')!;
    expect(mail.subject).toContain('Bestätigen');
    expect(mail.text).toContain(body.organisation.name);
  });

  it('refuses a sign-up without accepted terms and creates nothing', async () => {
    const body = signupBody();
    const { acceptTerms: _omitted, ...withoutTerms } = body;
    for (const attempt of [withoutTerms, { ...body, acceptTerms: false }, { ...body, acceptDpa: false }]) {
      const response = await anonymous().post('/api/v1/signup', attempt);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    }
    const stale = await anonymous().post('/api/v1/signup', { ...body, termsVersion: '2020-01' });
    expect(stale.status).toBe(400);
    expect(stale.body.error.code).toBe('VALIDATION_FAILED');
    expect(h.mailer.sent.filter((mail) => mail.to === body.owner.email)).toHaveLength(0);

    // The address is still free: a proper sign-up gets a verification link, not "already exists".
    expect((await anonymous().post('/api/v1/signup', body)).status).toBe(202);
    expect(h.mailer.sent.filter((mail) => mail.to === body.owner.email).map((mail) => mail.template)).toEqual(['verify_email']);
  });

  it('starts the audit trail with the sign-up and the confirmed address', async () => {
    const body = await signUp();
    expect((await verify(h.mailer.lastToken(body.owner.email, 'verify_email'))).status).toBe(200);
    const agent = anonymous();
    const me = (await firstSignIn(agent, body.owner.email, body.owner.password)).body.me;

    const signedUp = await agent.get('/api/v1/audit-events?action=org.signed_up');
    expect(signedUp.body.events).toEqual([
      expect.objectContaining({ resourceType: 'organisation', resourceId: me.organisation.id, actorAccountId: me.account.id, actorRole: 'owner', outcome: 'success' }),
    ]);
    const verified = await agent.get('/api/v1/audit-events?action=account.email_verified');
    expect(verified.body.events).toEqual([
      expect.objectContaining({ resourceType: 'account', resourceId: me.account.id, actorAccountId: me.account.id, outcome: 'success' }),
    ]);
  });
});
