import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { eq } from 'drizzle-orm';
import { recoveryCodes } from '../../core/db/schema.ts';
import { formatRecoveryCode, newRecoveryCode, splitRecoveryCode } from './recovery-codes.ts';
import { totpCodeAt } from './totp.ts';

/*
 * Authenticator app and recovery codes, as a person uses them: set up with a QR code, sign in
 * with a code, lose the phone and get in with a recovery code; and what a security officer
 * checks: codes work once and only in their window, wrong codes lock the account like wrong
 * passwords, a half-signed-in session can do nothing else, a practice can require a second
 * factor, and sensitive changes need a fresh proof.
 */

let h: TestHarness;
beforeAll(async () => {
  h = await createHarness({ start: new Date('2026-11-23T09:00:05Z') });
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

const advance = (ms: number) => h.clock.advance(ms);
/** The next 30-second step starts: a new code is due. */
const nextStep = () => advance(30_000);

interface Enrolled {
  secret: string;
  recoveryCodes: string[];
}

async function enrol(agent: TestAgent): Promise<Enrolled> {
  const setup = await agent.post('/api/v1/me/totp/setup');
  expect(setup.status, JSON.stringify(setup.body)).toBe(200);
  const confirmed = await agent.post('/api/v1/me/totp/confirm', { code: totpCodeAt(setup.body.secret, h.clock.now()) });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  return { secret: setup.body.secret, recoveryCodes: confirmed.body.recoveryCodes };
}

async function passwordStep(person: { email: string; password: string }): Promise<{ agent: TestAgent; login: TestResponse }> {
  const agent = new TestAgent(h.app);
  const login = await agent.post('/api/v1/auth/login', { email: person.email, password: person.password });
  return { agent, login };
}

async function auditActions(org: TestOrganisation, action: string): Promise<Array<{ action: string; reason: string | null; actorAccountId: string | null }>> {
  // Read by a freshly signed-in admin: reading the trail needs a recent proof, and the owner's
  // last one may be minutes old by now.
  const reader = await addMember(h, org, 'admin');
  const page = await reader.agent.get(`/api/v1/audit-events?action=${action}&limit=100`);
  expect(page.status, JSON.stringify(page.body)).toBe(200);
  return page.body.events;
}

describe('setting up an authenticator app', () => {
  let org: TestOrganisation;
  beforeAll(async () => {
    org = await createTestOrganisation(h, { secondFactor: 'not-required' });
  });

  it('offers a secret, an otpauth URI and a QR code, and takes effect only once a code confirms it', async () => {
    const agent = org.owner.agent;
    const setup = await agent.post('/api/v1/me/totp/setup');
    expect(setup.status).toBe(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.body.uri).toMatch(/^otpauth:\/\/totp\/Haven%20\(haven\.test\):/);
    expect(setup.body.qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(setup.body.qrCode.split(',')[1], 'base64').toString()).toContain('<svg');
    // Not yet in force: signing in still takes the password alone.
    expect((await passwordStep(org.owner)).login.body.status).toBe('authenticated');
    expect((await agent.get('/api/v1/me/security')).body.totp).toBeNull();

    // A wrong first code confirms nothing.
    expectError(await agent.post('/api/v1/me/totp/confirm', { code: '000000' }), 401, 'SECOND_FACTOR_INVALID');
    const confirmed = await agent.post('/api/v1/me/totp/confirm', { code: totpCodeAt(setup.body.secret, h.clock.now()) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    for (const code of confirmed.body.recoveryCodes) expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(new Set(confirmed.body.recoveryCodes).size).toBe(10);

    const summary = (await agent.get('/api/v1/me/security')).body;
    expect(summary.totp).toMatchObject({ confirmedAt: expect.any(String) });
    expect(summary.recoveryCodes).toMatchObject({ remaining: 10 });
    expect(h.mailer.sent.some((mail) => mail.to === org.owner.email && /authenticator app was set up/.test(mail.text))).toBe(true);
    // A second app cannot replace the first behind its back.
    expectError(await agent.post('/api/v1/me/totp/setup'), 409, 'TOTP_ALREADY_ENROLLED');
    expect((await auditActions(org, 'mfa.totp_enrolled')).length).toBe(1);
  });

  it.runIf(existsSync('/usr/bin/oathtool'))('works with a code from oathtool for the secret the API handed out', async () => {
    const person = await addMember(h, org, 'practitioner');
    const setup = await person.agent.post('/api/v1/me/totp/setup');
    const code = execFileSync('oathtool', ['--totp', '--base32', `--now=${h.clock.now().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`, setup.body.secret]).toString().trim();
    expect((await person.agent.post('/api/v1/me/totp/confirm', { code })).status).toBe(200);
    await nextStep();
    const { agent, login } = await passwordStep(person);
    expect(login.body.status).toBe('second_factor_required');
    const theirs = execFileSync('oathtool', ['--totp', '--base32', `--now=${h.clock.now().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`, setup.body.secret]).toString().trim();
    expect((await agent.post('/api/v1/auth/second-factor', { method: 'totp', code: theirs })).body.status).toBe('authenticated');
  });
});

describe('signing in with the second factor', () => {
  let org: TestOrganisation;
  let person: TestPerson;
  let enrolled: Enrolled;
  beforeAll(async () => {
    org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    person = await addMember(h, org, 'practitioner');
    enrolled = await enrol(person.agent);
  });

  it('asks for the code after the password, says nothing about the person until then, and then signs in fully', async () => {
    await nextStep();
    const { agent, login } = await passwordStep(person);
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ status: 'second_factor_required', methods: ['totp', 'recovery_code'], trustDeviceHours: 12 });
    // The half-signed-in session reaches nothing but the second step (and the public routes).
    expectError(await agent.get('/api/v1/me'), 401, 'SECOND_FACTOR_REQUIRED');
    expectError(await agent.get('/api/v1/organisation'), 401, 'SECOND_FACTOR_REQUIRED');
    expectError(await agent.get('/api/v1/organisation/files'), 401, 'SECOND_FACTOR_REQUIRED');
    expect((await agent.get('/api/v1/auth/session')).body).toMatchObject({ state: 'active', pending: 'second_factor' });

    const before = agent.cookies.get('haven_session');
    const done = await agent.post('/api/v1/auth/second-factor', { method: 'totp', code: totpCodeAt(enrolled.secret, h.clock.now()) });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('authenticated');
    expect(done.body.me.account.email).toBe(person.email);
    expect(done.body.me.session).toMatchObject({ pending: null, reauthenticatedAt: h.clock.now().toISOString() });
    expect(agent.cookies.get('haven_session')).not.toBe(before); // a new token for the new privilege
    expect((await agent.get('/api/v1/organisation')).status).toBe(200);
    expectError(await agent.post('/api/v1/auth/second-factor', { method: 'totp', code: '123456' }), 409, 'SECOND_FACTOR_NOT_PENDING');
  });

  it('takes a code once, the previous step too, but never a future or an older one', async () => {
    await nextStep();
    const code = totpCodeAt(enrolled.secret, h.clock.now());
    const first = await passwordStep(person);
    expect((await first.agent.post('/api/v1/auth/second-factor', { method: 'totp', code })).status).toBe(200);
    // The same code again, a second later: refused.
    await advance(1_000);
    const replay = await passwordStep(person);
    expectError(await replay.agent.post('/api/v1/auth/second-factor', { method: 'totp', code }), 401, 'SECOND_FACTOR_INVALID');
    // The next step's code, early: refused.
    expectError(await replay.agent.post('/api/v1/auth/second-factor', { method: 'totp', code: totpCodeAt(enrolled.secret, new Date(h.clock.now().getTime() + 30_000)) }), 401, 'SECOND_FACTOR_INVALID');
    // A code of the previous step, typed just after the step changed: fine, if not older than the last one used.
    await nextStep();
    const late = totpCodeAt(enrolled.secret, new Date(h.clock.now().getTime() - 30_000)); // = `code`'s step: already used
    expectError(await replay.agent.post('/api/v1/auth/second-factor', { method: 'totp', code: late }), 401, 'SECOND_FACTOR_INVALID');
    await nextStep();
    const previous = totpCodeAt(enrolled.secret, new Date(h.clock.now().getTime() - 30_000));
    expect((await replay.agent.post('/api/v1/auth/second-factor', { method: 'totp', code: previous })).status).toBe(200);
    // Two steps back: too old.
    await nextStep();
    await nextStep();
    const stale = await passwordStep(person);
    expectError(await stale.agent.post('/api/v1/auth/second-factor', { method: 'totp', code: totpCodeAt(enrolled.secret, new Date(h.clock.now().getTime() - 60_000)) }), 401, 'SECOND_FACTOR_INVALID');
  });

  it('lets a person who lost the phone in with a recovery code, once, and tells them', async () => {
    const [code] = enrolled.recoveryCodes as [string];
    const { agent } = await passwordStep(person);
    const typed = code.toLowerCase().replace(/-/g, ' ');
    const done = await agent.post('/api/v1/auth/second-factor', { method: 'recovery_code', code: typed });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(h.mailer.sent.some((mail) => mail.to === person.email && /recovery code was used to sign in\. 9 codes are left/.test(mail.text))).toBe(true);
    const again = await passwordStep(person);
    expectError(await again.agent.post('/api/v1/auth/second-factor', { method: 'recovery_code', code }), 401, 'SECOND_FACTOR_INVALID');
    expect((await agent.get('/api/v1/me/security')).body.recoveryCodes.remaining).toBe(9);
  });

  it('keeps only a digest of each code, and a set made before digests (argon2id) still lets its holder in', async () => {
    const stored = await h.db.identity((tx) => tx.select().from(recoveryCodes).where(eq(recoveryCodes.accountId, person.accountId)));
    expect(stored).toHaveLength(10);
    for (const row of stored) {
      expect(row.codeHash).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
      for (const code of enrolled.recoveryCodes) expect(row.codeHash).not.toContain(splitRecoveryCode(code.replace(/-/g, '')).secret);
    }
    // An older set: the same row shape, the secret part under argon2id, as sets were stored before.
    const older = newRecoveryCode();
    const { lookup, secret } = splitRecoveryCode(older);
    const codeHash = await h.services.hasher.hash(secret);
    await h.db.identity((tx) => tx.insert(recoveryCodes).values({ id: crypto.randomUUID(), accountId: person.accountId, lookup, codeHash, createdAt: h.clock.now() }));
    const wrong = await passwordStep(person);
    expectError(await wrong.agent.post('/api/v1/auth/second-factor', { method: 'recovery_code', code: `${lookup}${'0'.repeat(24)}` }), 401, 'SECOND_FACTOR_INVALID');
    const { agent } = await passwordStep(person);
    expect((await agent.post('/api/v1/auth/second-factor', { method: 'recovery_code', code: formatRecoveryCode(older) })).status).toBe(200);
  });

  it('counts wrong codes toward the account lock, and a right password does not wipe the count', async () => {
    const victim = await addMember(h, org, 'assistant');
    const secret = (await enrol(victim.agent)).secret;
    // Nine wrong codes spread over several sign-ins: the password is right every time.
    for (let i = 0; i < 9; i++) {
      const { agent, login } = await passwordStep(victim);
      expect(login.body.status).toBe('second_factor_required');
      await advance(40_000); // past the growing delay of the throttle
      expectError(await agent.post('/api/v1/auth/second-factor', { method: 'totp', code: String(100000 + i) }), 401, 'SECOND_FACTOR_INVALID');
      await advance(40_000);
    }
    const { agent } = await passwordStep(victim);
    await advance(40_000);
    expectError(await agent.post('/api/v1/auth/second-factor', { method: 'totp', code: '999999' }), 401, 'SECOND_FACTOR_INVALID');
    // Locked now: even the right code is refused, and the holder is told.
    await nextStep();
    expectError(await agent.post('/api/v1/auth/second-factor', { method: 'totp', code: totpCodeAt(secret, h.clock.now()) }), 401, 'SECOND_FACTOR_INVALID');
    expect(h.mailer.sent.some((mail) => mail.to === victim.email && /locked/i.test(mail.subject))).toBe(true);
    const failures = await auditActions(org, 'auth.login_failed');
    expect(failures.filter((event) => event.actorAccountId === victim.accountId && event.reason === 'wrong_code').length).toBeGreaterThanOrEqual(10);
  });
});

describe('step-up', () => {
  let person: TestPerson;
  let enrolled: Enrolled;
  beforeAll(async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    person = await addMember(h, org, 'admin');
    enrolled = await enrol(person.agent);
  });

  it('asks for a fresh code before factors change, five minutes after the last proof', async () => {
    await advance(5 * 60_000 + 1_000);
    await person.agent.post('/api/v1/auth/heartbeat');
    expectError(await person.agent.post('/api/v1/me/recovery-codes'), 403, 'STEP_UP_REQUIRED');
    expectError(await person.agent.delete('/api/v1/me/totp'), 403, 'STEP_UP_REQUIRED');
    // The password is not enough for an account that has a second factor.
    expectError(await person.agent.post('/api/v1/auth/step-up', { method: 'password', password: person.password }), 400, 'VALIDATION_FAILED');
    expectError(await person.agent.post('/api/v1/auth/step-up', { method: 'totp', code: '000000' }), 401, 'SECOND_FACTOR_INVALID');
    await nextStep();
    const stepped = await person.agent.post('/api/v1/auth/step-up', { method: 'totp', code: totpCodeAt(enrolled.secret, h.clock.now()) });
    expect(stepped.status).toBe(200);
    const fresh = await person.agent.post('/api/v1/me/recovery-codes');
    expect(fresh.status).toBe(200);
    expect(fresh.body.codes).toHaveLength(10);
    // The old set stopped working.
    const { agent } = await passwordStep(person);
    expectError(await agent.post('/api/v1/auth/second-factor', { method: 'recovery_code', code: enrolled.recoveryCodes[1] }), 401, 'SECOND_FACTOR_INVALID');
    expect((await agent.post('/api/v1/auth/second-factor', { method: 'recovery_code', code: fresh.body.codes[0] })).status).toBe(200);
  });

  it('takes the password from an account without a second factor', async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    await advance(6 * 60_000);
    await org.owner.agent.post('/api/v1/auth/heartbeat');
    expectError(await org.owner.agent.post('/api/v1/me/totp/setup'), 403, 'STEP_UP_REQUIRED');
    expectError(await org.owner.agent.post('/api/v1/auth/step-up', { method: 'password', password: 'not the password at all' }), 400, 'PASSWORD_INCORRECT');
    expect((await org.owner.agent.post('/api/v1/auth/step-up', { method: 'password', password: org.owner.password })).status).toBe(200);
    expect((await org.owner.agent.post('/api/v1/me/totp/setup')).status).toBe(200);
  });

  it('removes the app when nothing requires one, and signing in takes the password alone again', async () => {
    await nextStep();
    expect((await person.agent.post('/api/v1/auth/step-up', { method: 'totp', code: totpCodeAt(enrolled.secret, h.clock.now()) })).status).toBe(200);
    expect((await person.agent.delete('/api/v1/me/totp')).status).toBe(204);
    expect((await person.agent.get('/api/v1/me/security')).body).toMatchObject({ totp: null, recoveryCodes: null });
    expect((await passwordStep(person)).login.body.status).toBe('authenticated');
  });
});

describe('a practice that requires a second factor', () => {
  let org: TestOrganisation;
  let member: TestPerson;
  beforeAll(async () => {
    org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    member = await addMember(h, org, 'practitioner');
    const policy = (await org.owner.agent.get('/api/v1/organisation/security-policy')).body;
    expect((await org.owner.agent.put('/api/v1/organisation/security-policy', { ...policy, secondFactorRequired: true })).status).toBe(200);
  });

  it('has its staff set one up right after the password, before anything else', async () => {
    const { agent, login } = await passwordStep(member);
    expect(login.body.status).toBe('enrolment_required');
    expect(login.body.me.session.pending).toBe('enrolment');
    expectError(await agent.get('/api/v1/organisation'), 403, 'ENROLMENT_REQUIRED');
    expectError(await agent.get('/api/v1/sessions'), 403, 'ENROLMENT_REQUIRED');
    expect((await agent.get('/api/v1/me')).status).toBe(200);
    expect((await agent.get('/api/v1/me/security')).body.required).toBe(true);
    const setup = await agent.post('/api/v1/me/totp/setup');
    const before = agent.cookies.get('haven_session');
    const confirmed = await agent.post('/api/v1/me/totp/confirm', { code: totpCodeAt(setup.body.secret, h.clock.now()) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.me.session.pending).toBeNull();
    expect(agent.cookies.get('haven_session')).not.toBe(before);
    expect((await agent.get('/api/v1/organisation')).status).toBe(200);
    // The only factor of a person whose practice requires one stays.
    expectError(await agent.delete('/api/v1/me/totp'), 409, 'LAST_FACTOR');
  });
});

describe('a page reloaded at the second step asks what it offers', () => {
  it("answers the person's own methods and the trusted-browser hours, only while the step is owed", async () => {
    const org = await createTestOrganisation(h);
    const waiting = new TestAgent(h.app);
    const login = await waiting.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
    expect(login.body.status).toBe('second_factor_required');
    const offer = await waiting.get('/api/v1/auth/second-factor');
    expect(offer.status, JSON.stringify(offer.body)).toBe(200);
    // The app and its recovery codes: no passkey, phone or e-mail code was set up.
    expect(offer.body).toEqual({ methods: ['totp', 'recovery_code'], trustDeviceHours: 12 });
    // A signed-in session owes nothing; no session at all learns nothing.
    expectError(await org.owner.agent.get('/api/v1/auth/second-factor'), 409, 'SECOND_FACTOR_NOT_PENDING');
    expectError(await new TestAgent(h.app).get('/api/v1/auth/second-factor'), 401, 'AUTH_REQUIRED');
  });
});
