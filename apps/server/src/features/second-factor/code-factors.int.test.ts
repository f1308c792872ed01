import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accounts, accountPhones, sentCodes } from '../../core/db/schema.ts';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, freshTotpCode, signIn, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';

/*
 * Codes by e-mail and SMS as second factors, and the practice's choice of factors: turning them
 * on (confirmed by a first code), signing in and stepping up with them, and what a security
 * officer checks — codes expire (injected clock), work once, take five wrong tries, a resend
 * does not reset that count, sends are rate-limited, wrong codes lock the account like wrong
 * passwords, a phone counts only once verified, and the policy refuses and forces enrolment.
 */

let h: TestHarness;
beforeAll(async () => {
  h = await createHarness({ start: new Date('2026-11-23T09:00:05Z') });
});
afterAll(() => h.close());

const mobile = '+31 6 12345678';
const mobileE164 = '+31612345678';

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

/** The code in the newest code mail to `email` (the fixtures' people read English). */
function mailedCode(email: string): string {
  const mail = h.mailer.last(email, 'second_factor_code');
  const code = mail ? /code: (\d{6})/.exec(mail.text)?.[1] : undefined;
  if (!code) throw new Error(`no code mailed to ${email}`);
  return code;
}

const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

/** A freshly signed-in agent of the practice's owner (policy changes need a recent proof). */
async function owner(org: TestOrganisation): Promise<TestAgent> {
  const { agent, login } = await signIn(h, org.owner);
  expect(login.body.status, JSON.stringify(login.body)).toBe('authenticated');
  return agent;
}

async function setAllowedFactors(org: TestOrganisation, staff: string[]): Promise<TestResponse> {
  const agent = await owner(org);
  const policy = (await agent.get('/api/v1/organisation/security-policy')).body;
  return agent.put('/api/v1/organisation/security-policy', { ...policy, allowedFactors: { staff, patients: policy.allowedFactors.patients } });
}

/** A proof within the last five minutes, with the person's app. */
async function stepUp(person: TestPerson, agent: TestAgent = person.agent): Promise<void> {
  const response = await agent.post('/api/v1/auth/step-up', { method: 'totp', code: freshTotpCode(h, person.totpSecret!) });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
}

async function enableEmailCode(person: TestPerson): Promise<void> {
  await stepUp(person);
  expect((await person.agent.post('/api/v1/me/email-code/setup')).status).toBe(200);
  const confirmed = await person.agent.post('/api/v1/me/email-code/confirm', { code: mailedCode(person.email) });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
}

async function addPhone(person: TestPerson, number = mobile): Promise<void> {
  await stepUp(person);
  expect((await person.agent.post('/api/v1/me/phone', { phoneNumber: number })).status).toBe(200);
  const confirmed = await person.agent.post('/api/v1/me/phone/confirm', { code: h.sms.lastCode(mobileE164, 'verify_phone') });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
}

async function passwordStep(person: { email: string; password: string }): Promise<{ agent: TestAgent; login: TestResponse }> {
  const agent = new TestAgent(h.app);
  const login = await agent.post('/api/v1/auth/login', { email: person.email, password: person.password });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  return { agent, login };
}

/** Past the growing delay that follows the fifth wrong code in a row. */
const pastThrottle = () => h.clock.advance(40_000);
/** Past the 30 seconds between two sends. */
const pastResendGap = () => h.clock.advance(31_000);

/**
 * A right code after five or more failures is a "many failures" sign-in, which the risk rules
 * (features/devices) hold until it is confirmed by e-mail: either answer shows the code was taken.
 */
function expectAccepted(response: TestResponse): void {
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  expect(['authenticated', 'confirmation_required']).toContain(response.body.status);
}

/** Test-only: forgets the failures since the last sign-in, so the next one is not held for them. */
async function forgetFailures(accountId: string): Promise<void> {
  await h.db.identity((tx) => tx.update(accounts).set({ failuresSinceSignIn: 0 }).where(eq(accounts.id, accountId)));
}

async function failedCodeCount(accountId: string): Promise<number> {
  const [row] = await h.db.identity((tx) => tx.select({ n: accounts.failedCodeCount }).from(accounts).where(eq(accounts.id, accountId)));
  return row!.n;
}

async function auditActions(org: TestOrganisation, action: string): Promise<Array<{ action: string; reason: string | null; changedFields: string[] | null }>> {
  const page = await (await owner(org)).get(`/api/v1/audit-events?action=${action}&limit=100`);
  expect(page.status, JSON.stringify(page.body)).toBe(200);
  return page.body.events;
}

describe('the practice decides which factors its staff may use', () => {
  let org: TestOrganisation;
  beforeAll(async () => {
    org = await createTestOrganisation(h);
  });

  it('allows passkeys, the app and SMS by default, e-mail codes only when turned on, and audits the change', async () => {
    const agent = await owner(org);
    const policy = (await agent.get('/api/v1/organisation/security-policy')).body;
    expect(policy.allowedFactors).toEqual({ staff: ['passkey', 'totp', 'sms'], patients: ['passkey', 'totp', 'sms'] });
    const summary = (await agent.get('/api/v1/me/security')).body;
    expect(summary.allowedFactors).toEqual(['passkey', 'totp', 'sms']);

    const changed = await setAllowedFactors(org, ['email_code', 'totp', 'passkey', 'sms']);
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    // Stored in one order, whatever order was sent.
    expect(changed.body.allowedFactors.staff).toEqual(['passkey', 'totp', 'sms', 'email_code']);
    const records = await auditActions(org, 'policy.changed');
    expect(records[0]!.changedFields).toEqual(['allowedFactors.staff']);
  });

  it('keeps a passkey or the app allowed: out-of-band codes alone are refused', async () => {
    expectError(await setAllowedFactors(org, ['sms', 'email_code']), 400, 'FACTOR_POLICY_NEEDS_STRONG_FACTOR');
    expectError(await setAllowedFactors(org, []), 400, 'FACTOR_POLICY_NEEDS_STRONG_FACTOR');
    const agent = await owner(org);
    const policy = (await agent.get('/api/v1/organisation/security-policy')).body;
    const weakPatients = await agent.put('/api/v1/organisation/security-policy', { ...policy, allowedFactors: { staff: ['totp'], patients: ['sms'] } });
    expectError(weakPatients, 400, 'FACTOR_POLICY_NEEDS_STRONG_FACTOR');
    expect(weakPatients.body.error.fields).toEqual([{ path: 'allowedFactors.patients', issue: expect.any(String) }]);
    // Unknown kinds and doubles are not a policy at all.
    expectError(await setAllowedFactors(org, ['totp', 'voice']), 400, 'VALIDATION_FAILED');
    expectError(await setAllowedFactors(org, ['totp', 'totp']), 400, 'VALIDATION_FAILED');
  });

  it('refuses setting up a factor the practice does not allow, and makes whoever has only such factors enrol an allowed one', async () => {
    const person = await addMember(h, org, 'practitioner');
    expect((await setAllowedFactors(org, ['passkey', 'totp', 'sms', 'email_code'])).status).toBe(200);
    await enableEmailCode(person);
    // The app goes; the e-mail code is the person's only factor now.
    await stepUp(person);
    expect((await person.agent.delete('/api/v1/me/totp')).status).toBe(204);
    expect((await passwordStep(person)).login.body.methods).toEqual(['email_code', 'recovery_code']);

    expect((await setAllowedFactors(org, ['passkey', 'totp', 'sms'])).status).toBe(200);
    // Turning it on again is refused …
    const fresh = await passwordStep(person);
    expect(fresh.login.body.status).toBe('enrolment_required');
    expectError(await fresh.agent.post('/api/v1/me/email-code/setup'), 409, 'FACTOR_NOT_ALLOWED');
    // … its codes are not asked for …
    expect((await fresh.agent.get('/api/v1/me/security')).body.emailCode).not.toBeNull();
    expectError(await fresh.agent.get('/api/v1/organisation'), 403, 'ENROLMENT_REQUIRED');
    // … and an allowed one completes the sign-in.
    const setup = await fresh.agent.post('/api/v1/me/totp/setup');
    expect(setup.status).toBe(200);
    const confirmed = await fresh.agent.post('/api/v1/me/totp/confirm', { code: freshTotpCode(h, setup.body.secret) });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body.me.session.pending).toBeNull();
    expect((await fresh.agent.get('/api/v1/organisation')).status).toBe(200);
  });

  it('refuses the app where only passkeys are allowed, and does not take its codes', async () => {
    const strict = await createTestOrganisation(h);
    expect((await setAllowedFactors(strict, ['passkey'])).status).toBe(200);
    // The owner's only factor (the app) is no longer allowed: the password leads to enrolment.
    const { agent: enrolling, login } = await passwordStep(strict.owner);
    expect(login.body.status).toBe('enrolment_required');
    expectError(await enrolling.post('/api/v1/me/totp/setup'), 409, 'FACTOR_NOT_ALLOWED');
    expectError(await enrolling.post('/api/v1/me/phone', { phoneNumber: mobile }), 409, 'FACTOR_NOT_ALLOWED');
  });
});

describe('e-mail codes', () => {
  let org: TestOrganisation;
  let person: TestPerson;
  beforeAll(async () => {
    org = await createTestOrganisation(h);
    expect((await setAllowedFactors(org, ['passkey', 'totp', 'sms', 'email_code'])).status).toBe(200);
    person = await addMember(h, org, 'practitioner');
  });
  beforeEach(() => forgetFailures(person.accountId));

  it('are turned on with a first code mailed to the address, and the holder is told', async () => {
    await stepUp(person);
    const sent = await person.agent.post('/api/v1/me/email-code/setup');
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ method: 'email_code', sentTo: `${person.email[0]}***@example.org`, resendAfterSeconds: 30 });
    expect(new Date(sent.body.expiresAt).getTime() - h.clock.now().getTime()).toBe(120_000);
    const code = mailedCode(person.email);
    expect(h.mailer.last(person.email, 'second_factor_code')!.subject).not.toContain(code);
    // Not in force before it is confirmed.
    expect((await person.agent.get('/api/v1/me/security')).body.emailCode).toBeNull();
    expectError(await person.agent.post('/api/v1/me/email-code/confirm', { code: otherCode(code) }), 401, 'SECOND_FACTOR_INVALID');
    const confirmed = await person.agent.post('/api/v1/me/email-code/confirm', { code });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recoveryCodes).toBeNull(); // the app brought them already
    expect((await person.agent.get('/api/v1/me/security')).body.emailCode).toMatchObject({ enabledAt: expect.any(String) });
    expect(h.mailer.last(person.email, 'second_factor_changed')!.text).toContain('codes by e-mail were turned on');
    expect((await auditActions(org, 'mfa.email_code_enabled')).length).toBe(1);
    expectError(await person.agent.post('/api/v1/me/email-code/setup'), 409, 'FACTOR_ALREADY_SET_UP');
  });

  it('sign a person in: the code is sent on request, bound to that sign-in, and works once', async () => {
    pastResendGap();
    const { agent, login } = await passwordStep(person);
    expect(login.body.methods).toEqual(['totp', 'email_code', 'recovery_code']);
    const sent = await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const code = mailedCode(person.email);
    // Another half-signed-in session cannot use it.
    const other = await passwordStep(person);
    expectError(await other.agent.post('/api/v1/auth/second-factor', { method: 'email_code', code }), 401, 'SECOND_FACTOR_INVALID');
    const done = await agent.post('/api/v1/auth/second-factor', { method: 'email_code', code });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.status).toBe('authenticated');
    // Once only. (A used code lets the next one be sent without the 30-second wait.)
    const again = await passwordStep(person);
    expectError(await again.agent.post('/api/v1/auth/second-factor', { method: 'email_code', code }), 401, 'SECOND_FACTOR_INVALID');
    expect((await again.agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' })).status).toBe(200);
    expect(mailedCode(person.email)).not.toBe(code);
    expect((await auditActions(org, 'mfa.code_sent')).map((e) => e.reason)).toContain('email_code:sign_in');
  });

  it('expire after two minutes (injected clock)', async () => {
    pastResendGap();
    const { agent } = await passwordStep(person);
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' })).status).toBe(200);
    const code = mailedCode(person.email);
    h.clock.advance(120_000);
    expectError(await agent.post('/api/v1/auth/second-factor', { method: 'email_code', code }), 401, 'SECOND_FACTOR_INVALID');
    pastResendGap();
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' })).status).toBe(200);
    h.clock.advance(119_000);
    expect((await agent.post('/api/v1/auth/second-factor', { method: 'email_code', code: mailedCode(person.email) })).body.status).toBe('authenticated');
  });

  it('take five wrong tries, after which only a new code works; a resend does not reset the count', async () => {
    h.clock.advance(15 * 60_000);
    const { agent } = await passwordStep(person);
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' })).status).toBe(200);
    const first = mailedCode(person.email);
    for (let i = 0; i < 3; i++) expectError(await agent.post('/api/v1/auth/second-factor', { method: 'email_code', code: otherCode(first) }), 401, 'SECOND_FACTOR_INVALID');
    // "Send again": a new code, but the three wrong tries stay with it.
    pastResendGap();
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' })).status).toBe(200);
    const second = mailedCode(person.email);
    const [row] = await h.db.identity((tx) => tx.select().from(sentCodes).where(eq(sentCodes.accountId, person.accountId)));
    expect(row!.failedAttempts).toBe(3);
    for (let i = 0; i < 2; i++) {
      pastThrottle();
      expectError(await agent.post('/api/v1/auth/second-factor', { method: 'email_code', code: otherCode(second) }), 401, 'SECOND_FACTOR_INVALID');
    }
    // The fifth wrong try voided it: even the right code is refused now.
    pastThrottle();
    expectError(await agent.post('/api/v1/auth/second-factor', { method: 'email_code', code: second }), 401, 'SECOND_FACTOR_INVALID');
    // A newly sent code works.
    pastThrottle();
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' })).status).toBe(200);
    const third = mailedCode(person.email);
    expectAccepted(await agent.post('/api/v1/auth/second-factor', { method: 'email_code', code: third }));
    expect(await failedCodeCount(person.accountId)).toBe(0);
  });

  it('are sent at most once in 30 seconds and five times in 15 minutes', async () => {
    h.clock.advance(16 * 60_000);
    const { agent } = await passwordStep(person);
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' })).status).toBe(200);
    h.clock.advance(10_000);
    const tooSoon = await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' });
    expectError(tooSoon, 429, 'CODE_RESEND_TOO_SOON');
    expect(tooSoon.body.error.retryAfterSeconds).toBe(20);
    expect(tooSoon.headers['retry-after']).toBe('20');
    for (let i = 0; i < 4; i++) {
      pastResendGap();
      expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' })).status).toBe(200);
    }
    pastResendGap();
    const sixth = await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' });
    expectError(sixth, 429, 'CODE_RESEND_TOO_SOON');
    // The window opened with the first send, 10 + 5 × 31 = 165 seconds ago.
    expect(sixth.body.error.retryAfterSeconds).toBe(15 * 60 - 165);
    // The limit is the account's, not the session's.
    expectError(await (await passwordStep(person)).agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' }), 429, 'CODE_RESEND_TOO_SOON');
    h.clock.advance(15 * 60_000);
    expect((await (await passwordStep(person)).agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' })).status).toBe(200);
  });

  it('count toward the account lock like wrong passwords', async () => {
    h.clock.advance(16 * 60_000);
    const { agent } = await passwordStep(person);
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' })).status).toBe(200);
    const code = mailedCode(person.email);
    for (let i = 0; i < 10; i++) {
      pastThrottle();
      expectError(await agent.post('/api/v1/auth/second-factor', { method: 'email_code', code: otherCode(code) }), 401, 'SECOND_FACTOR_INVALID');
    }
    expect(h.mailer.last(person.email, 'account_locked')).toBeDefined();
    const [row] = await h.db.identity((tx) => tx.select({ lockedUntil: accounts.lockedUntil }).from(accounts).where(eq(accounts.id, person.accountId)));
    expect(row!.lockedUntil!.getTime()).toBeGreaterThan(h.clock.now().getTime());
    // Locked: even the password is refused until the lock ends.
    const locked = await new TestAgent(h.app).post('/api/v1/auth/login', { email: person.email, password: person.password });
    expectError(locked, 401, 'AUTH_INVALID_CREDENTIALS');
    h.clock.advance(16 * 60_000);
  });

  it('are stored only as a keyed hash', async () => {
    h.clock.advance(60_000);
    const { agent } = await passwordStep(person);
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'email_code' })).status).toBe(200);
    const code = mailedCode(person.email);
    const [row] = await h.db.identity((tx) => tx.select().from(sentCodes).where(eq(sentCodes.accountId, person.accountId)));
    expect(row!.codeHash).toHaveLength(16);
    expect(row!.codeHash!.includes(Buffer.from(code))).toBe(false);
    expect(JSON.stringify(row)).not.toContain(code);
    expect((await agent.post('/api/v1/auth/second-factor', { method: 'email_code', code })).body.status).toBe('authenticated');
    const [used] = await h.db.identity((tx) => tx.select().from(sentCodes).where(eq(sentCodes.accountId, person.accountId)));
    expect(used!.codeHash).toBeNull();
  });

  it('answer step-up, and are turned off with step-up (the holder is told)', async () => {
    const { agent } = await signIn(h, person);
    h.clock.advance(6 * 60_000);
    expectError(await agent.delete('/api/v1/me/email-code'), 403, 'STEP_UP_REQUIRED');
    expect((await agent.post('/api/v1/auth/step-up/send', { method: 'email_code' })).status).toBe(200);
    expect((await agent.post('/api/v1/auth/step-up', { method: 'email_code', code: mailedCode(person.email) })).status).toBe(200);
    expect((await agent.delete('/api/v1/me/email-code')).status).toBe(204);
    expect(h.mailer.last(person.email, 'second_factor_changed')!.text).toContain('turned off');
    expect((await agent.get('/api/v1/me/security')).body.emailCode).toBeNull();
    expectError(await agent.post('/api/v1/auth/step-up/send', { method: 'email_code' }), 409, 'FACTOR_NOT_SET_UP');
    expect((await auditActions(org, 'mfa.email_code_removed')).length).toBe(1);
  });
});

describe('SMS codes', () => {
  let org: TestOrganisation;
  let person: TestPerson;
  beforeAll(async () => {
    org = await createTestOrganisation(h);
    person = await addMember(h, org, 'practitioner');
  });
  beforeEach(() => forgetFailures(person.accountId));

  it('take only numbers that can receive a text message', async () => {
    await stepUp(person);
    expectError(await person.agent.post('/api/v1/me/phone', { phoneNumber: '+31 20 123 4567' }), 400, 'PHONE_NUMBER_INVALID'); // a landline
    expectError(await person.agent.post('/api/v1/me/phone', { phoneNumber: '12' }), 400, 'PHONE_NUMBER_INVALID');
    expectError(await person.agent.post('/api/v1/me/phone', { phoneNumber: '+31 6 1234 5678 ext. 12' }), 400, 'PHONE_NUMBER_INVALID');
    expect(h.sms.sent.length).toBe(0);
  });

  it('count only once the phone is verified by a first code', async () => {
    await stepUp(person);
    const sent = await person.agent.post('/api/v1/me/phone', { phoneNumber: mobile });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body).toMatchObject({ method: 'sms', sentTo: '+31 6 •••• ••78' });
    expect(new Date(sent.body.expiresAt).getTime() - h.clock.now().getTime()).toBe(300_000);
    const message = h.sms.last(mobileE164, 'verify_phone')!;
    expect(message.text).toMatch(/^Haven: \d{6} is your phone check code/);
    expect(message.text).toMatch(/\n@haven\.test #\d{6}$/);
    expect((await person.agent.get('/api/v1/me/security')).body.phone).toMatchObject({ masked: '+31 6 •••• ••78', verifiedAt: null });
    // Unverified: not a way to sign in, and no code is sent to it.
    const before = await passwordStep(person);
    expect(before.login.body.methods).toEqual(['totp', 'recovery_code']);
    expectError(await before.agent.post('/api/v1/auth/second-factor/send', { method: 'sms' }), 409, 'FACTOR_NOT_SET_UP');

    const code = h.sms.lastCode(mobileE164, 'verify_phone');
    expectError(await person.agent.post('/api/v1/me/phone/confirm', { code: otherCode(code) }), 401, 'SECOND_FACTOR_INVALID');
    const confirmed = await person.agent.post('/api/v1/me/phone/confirm', { code });
    expect(confirmed.status).toBe(200);
    expect((await person.agent.get('/api/v1/me/security')).body.phone).toMatchObject({ verifiedAt: expect.any(String) });
    expect(h.mailer.last(person.email, 'second_factor_changed')!.text).toContain('+31 6 •••• ••78');
    expect((await auditActions(org, 'mfa.phone_added')).length).toBe(1);
    expectError(await person.agent.post('/api/v1/me/phone', { phoneNumber: mobile }), 409, 'FACTOR_ALREADY_SET_UP');
  });

  it('keep the number sealed in the database', async () => {
    const [row] = await h.db.identity((tx) => tx.select().from(accountPhones).where(eq(accountPhones.accountId, person.accountId)));
    expect(row!.number.bytes.includes(Buffer.from(mobileE164))).toBe(false);
    expect(row!.number.bytes.includes(Buffer.from('612345678'))).toBe(false);
  });

  it('sign a person in: the code is texted whenever the second factor is asked, and works once', async () => {
    pastResendGap();
    const { agent, login } = await passwordStep(person);
    expect(login.body.methods).toEqual(['totp', 'sms', 'recovery_code']);
    const sent = await agent.post('/api/v1/auth/second-factor/send', { method: 'sms' });
    expect(sent.status).toBe(200);
    expect(sent.body.sentTo).toBe('+31 6 •••• ••78');
    const code = h.sms.lastCode(mobileE164, 'login_code');
    expect((await agent.post('/api/v1/auth/second-factor', { method: 'sms', code })).body.status).toBe('authenticated');
    const again = await passwordStep(person);
    expectError(await again.agent.post('/api/v1/auth/second-factor', { method: 'sms', code }), 401, 'SECOND_FACTOR_INVALID');
  });

  it('expire after five minutes (injected clock)', async () => {
    pastResendGap();
    const { agent } = await passwordStep(person);
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'sms' })).status).toBe(200);
    const code = h.sms.lastCode(mobileE164, 'login_code');
    h.clock.advance(300_000);
    expectError(await agent.post('/api/v1/auth/second-factor', { method: 'sms', code }), 401, 'SECOND_FACTOR_INVALID');
    pastResendGap();
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'sms' })).status).toBe(200);
    h.clock.advance(299_000);
    expect((await agent.post('/api/v1/auth/second-factor', { method: 'sms', code: h.sms.lastCode(mobileE164, 'login_code') })).body.status).toBe('authenticated');
  });

  it('take five wrong tries, and a resend keeps the count', async () => {
    h.clock.advance(15 * 60_000);
    const { agent } = await passwordStep(person);
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'sms' })).status).toBe(200);
    const first = h.sms.lastCode(mobileE164, 'login_code');
    for (let i = 0; i < 4; i++) expectError(await agent.post('/api/v1/auth/second-factor', { method: 'sms', code: otherCode(first) }), 401, 'SECOND_FACTOR_INVALID');
    pastResendGap();
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'sms' })).status).toBe(200);
    const second = h.sms.lastCode(mobileE164, 'login_code');
    pastThrottle();
    expectError(await agent.post('/api/v1/auth/second-factor', { method: 'sms', code: otherCode(second) }), 401, 'SECOND_FACTOR_INVALID');
    pastThrottle();
    expectError(await agent.post('/api/v1/auth/second-factor', { method: 'sms', code: second }), 401, 'SECOND_FACTOR_INVALID');
    pastThrottle();
    // Only a fresh code works.
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'sms' })).status).toBe(200);
    expectAccepted(await agent.post('/api/v1/auth/second-factor', { method: 'sms', code: h.sms.lastCode(mobileE164, 'login_code') }));
  });

  it('answer step-up; removing the phone needs step-up and leaves the app', async () => {
    h.clock.advance(60_000);
    const { agent } = await signIn(h, person);
    h.clock.advance(6 * 60_000);
    expect((await agent.post('/api/v1/auth/step-up/send', { method: 'sms' })).status).toBe(200);
    expect(h.sms.last(mobileE164, 'step_up_code')).toBeDefined();
    expectError(await agent.post('/api/v1/auth/step-up', { method: 'sms', code: '000000x' }), 401, 'SECOND_FACTOR_INVALID');
    expect((await agent.post('/api/v1/auth/step-up', { method: 'sms', code: h.sms.lastCode(mobileE164, 'step_up_code') })).status).toBe(200);
    expect((await agent.delete('/api/v1/me/phone')).status).toBe(204);
    expect((await agent.get('/api/v1/me/security')).body.phone).toBeNull();
    expect((await auditActions(org, 'mfa.phone_removed')).length).toBe(1);
    expect((await passwordStep(person)).login.body.methods).toEqual(['totp', 'recovery_code']);
    expectError(await agent.delete('/api/v1/me/phone'), 404, 'NOT_FOUND');
  });

  it('are not answered with a method the person does not have', async () => {
    h.clock.advance(60_000);
    const { agent } = await passwordStep(person);
    expectError(await agent.post('/api/v1/auth/second-factor/send', { method: 'sms' }), 409, 'FACTOR_NOT_SET_UP');
    expectError(await agent.post('/api/v1/auth/second-factor', { method: 'sms', code: '123456' }), 401, 'SECOND_FACTOR_INVALID');
  });
});

describe('the last usable factor', () => {
  it('cannot be removed where a second factor is required, counting only allowed kinds', async () => {
    const org = await createTestOrganisation(h);
    const person = await addMember(h, org, 'practitioner');
    await addPhone(person);
    // The practice stops allowing the app: the phone is the last allowed factor and must stay.
    expect((await setAllowedFactors(org, ['passkey', 'sms'])).status).toBe(200);
    h.clock.advance(60_000);
    const { agent, login } = await passwordStep(person);
    expect(login.body.methods).toEqual(['sms', 'recovery_code']);
    expect((await agent.post('/api/v1/auth/second-factor/send', { method: 'sms' })).status).toBe(200);
    expect((await agent.post('/api/v1/auth/second-factor', { method: 'sms', code: h.sms.lastCode(mobileE164, 'login_code') })).body.status).toBe('authenticated');
    // The app's code is not taken any more.
    expectError(await agent.post('/api/v1/auth/step-up', { method: 'totp', code: freshTotpCode(h, person.totpSecret!) }), 401, 'SECOND_FACTOR_INVALID');
    expectError(await agent.delete('/api/v1/me/phone'), 409, 'LAST_FACTOR');
  });
});
