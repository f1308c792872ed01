import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, strongPassword, unique, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { addPasskey, answerWithPasskey, registerPasskeyWith, testAuthenticator } from '../../../test/support/software-authenticator.ts';
import { accountPasskeys } from '../../core/db/schema.ts';
import { acceptPossiblyHeld } from '../../../test/support/held-sign-in.ts';

/*
 * Passkeys as a person uses them: register a few from My security and name them, rename and
 * remove them; sign in with the password and a passkey, or with the passkey alone; confirm it's
 * them for a sensitive change; set one up as the first factor when the practice requires one.
 * And what a passkey changes elsewhere: it is a second factor everywhere the code asks.
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
/** Past the five minutes a proof counts for step-up. */
const afterStepUpWindow = async (agent: TestAgent) => {
  advance(5 * 60_000 + 1_000);
  await agent.post('/api/v1/auth/heartbeat');
};

async function auditOf(org: TestOrganisation, action: string): Promise<Array<{ action: string; reason: string | null; actorAccountId: string | null; resourceType: string | null; resourceId: string | null }>> {
  const page = await org.owner.agent.get(`/api/v1/audit-events?action=${action}&limit=100`);
  expect(page.status, JSON.stringify(page.body)).toBe(200);
  return page.body.events;
}

const mailsTo = (email: string, pattern: RegExp) => h.mailer.sent.filter((mail) => mail.to === email && pattern.test(mail.text));

/** A password-only person signs in from a new browser. */
async function passwordStep(person: { email: string; password: string }, agent = new TestAgent(h.app)): Promise<{ agent: TestAgent; login: TestResponse }> {
  const login = await agent.post('/api/v1/auth/login', { email: person.email, password: person.password });
  return { agent, login };
}

/** Someone invited into `org` who has accepted but not signed in yet. */
async function invite(org: TestOrganisation, role: 'practitioner' | 'assistant' = 'practitioner'): Promise<{ email: string; password: string }> {
  const email = `${role}-${unique()}@example.org`;
  const password = strongPassword();
  expect((await org.owner.agent.post('/api/v1/invitations', { email, role })).status).toBe(201);
  const accepted = await new TestAgent(h.app).post('/api/v1/invitations/accept', { token: h.mailer.lastToken(email, 'invitation'), password, name: `Invitee ${unique()}` });
  expect(accepted.status).toBe(200);
  return { email, password };
}

describe('my passkeys', () => {
  let org: TestOrganisation;
  const laptop = testAuthenticator();
  const phone = testAuthenticator({ backedUp: true });
  let laptopId: string;
  let phoneId: string;
  beforeAll(async () => {
    org = await createTestOrganisation(h, { secondFactor: 'not-required' });
  });

  it('registers several, each with its name; the first brings recovery codes, and names are sealed', async () => {
    const agent = org.owner.agent;
    expect((await agent.get('/api/v1/me/passkeys')).body).toEqual({ passkeys: [] });
    const options = await agent.post('/api/v1/me/passkeys/registration-options');
    expect(options.status).toBe(200);
    expect(options.body).toMatchObject({
      rp: { id: 'haven.test', name: 'Haven' },
      user: { name: org.owner.email },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      attestation: 'none',
      timeout: 300_000,
    });
    // The user handle is random, not the account id or the address.
    expect(Buffer.from(options.body.user.id, 'base64url')).toHaveLength(32);
    expect(options.body.user.id).not.toContain(org.owner.accountId);

    const first = await agent.post('/api/v1/me/passkeys', { name: '  Laptop  ', response: laptop.register(options.body) });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.passkey).toMatchObject({ name: 'Laptop', lastUsedAt: null, backedUp: false, transports: ['internal'] });
    expect(first.body.recoveryCodes).toHaveLength(10);
    expect(first.body.me).toBeNull();
    laptopId = first.body.passkey.id;

    advance(1_000);
    const second = await addPasskey(agent, phone, "Anna's phone");
    expect(second.body.recoveryCodes).toBeNull(); // one set per account, made with the first factor
    expect(second.body.passkey.backedUp).toBe(true);
    phoneId = second.id;

    const list = (await agent.get('/api/v1/me/passkeys')).body.passkeys;
    expect(list.map((p: { name: string }) => p.name)).toEqual(['Laptop', "Anna's phone"]);
    const summary = (await agent.get('/api/v1/me/security')).body;
    expect(summary).toMatchObject({ totp: null, passkeys: 2, recoveryCodes: { remaining: 10 } });

    // Both share one user handle, so a device replaces rather than duplicates the account.
    const rows = await h.db.identity((tx) => tx.select().from(accountPasskeys).where(eq(accountPasskeys.accountId, org.owner.accountId)));
    expect(new Set(rows.map((row) => row.userHandle)).size).toBe(1);
    for (const row of rows) {
      expect(row.name.bytes.toString('latin1')).not.toMatch(/Laptop|Anna/);
      expect(row.counter).toBe(0);
    }

    const added = await auditOf(org, 'mfa.passkey_added');
    expect(added.map((event) => event.resourceId).sort()).toEqual([laptopId, phoneId].sort());
    expect(added.every((event) => event.resourceType === 'passkey' && event.actorAccountId === org.owner.accountId)).toBe(true);
    expect(mailsTo(org.owner.email, /a passkey was added/)).toHaveLength(2);
    // The mail does not repeat the name someone typed.
    expect(mailsTo(org.owner.email, /Laptop|Anna/)).toHaveLength(0);
  });

  it('asks a device that holds one of them not to make another', async () => {
    const options = await org.owner.agent.post('/api/v1/me/passkeys/registration-options');
    expect(options.body.excludeCredentials.map((c: { id: string }) => c.id).sort()).toEqual([laptop.lastCredentialId, phone.lastCredentialId].sort());
    expect(() => laptop.register(options.body)).toThrow(/InvalidStateError/);
  });

  it('refuses names that are empty, too long or hold control characters', async () => {
    for (const name of ['', '   ', 'x'.repeat(65), 'Key\u0000one', 'Key\none']) {
      expectError(await org.owner.agent.patch(`/api/v1/me/passkeys/${laptopId}`, { name }), 400, 'VALIDATION_FAILED');
    }
  });

  it('renames one, audited and mailed', async () => {
    const renamed = await org.owner.agent.patch(`/api/v1/me/passkeys/${laptopId}`, { name: 'Work laptop' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: laptopId, name: 'Work laptop' });
    expect((await org.owner.agent.get('/api/v1/me/passkeys')).body.passkeys[0].name).toBe('Work laptop');
    expect((await auditOf(org, 'mfa.passkey_renamed')).map((event) => event.resourceId)).toEqual([laptopId]);
    expect(mailsTo(org.owner.email, /one of your passkeys was renamed/)).toHaveLength(1);
  });

  it("finds no one else's passkey, in the practice or outside it, and changes nothing", async () => {
    const colleague = await addMember(h, org, 'admin');
    const stranger = (await createTestOrganisation(h, { secondFactor: 'not-required' })).owner;
    for (const person of [colleague, stranger]) {
      expectError(await person.agent.patch(`/api/v1/me/passkeys/${laptopId}`, { name: 'Mine now' }), 404, 'PASSKEY_NOT_FOUND');
      expectError(await person.agent.delete(`/api/v1/me/passkeys/${phoneId}`), 404, 'PASSKEY_NOT_FOUND');
      expect((await person.agent.get('/api/v1/me/passkeys')).body.passkeys).toEqual([]);
    }
    expectError(await org.owner.agent.delete(`/api/v1/me/passkeys/${crypto.randomUUID()}`), 404, 'PASSKEY_NOT_FOUND');
    expect((await org.owner.agent.get('/api/v1/me/passkeys')).body.passkeys.map((p: { name: string }) => p.name)).toEqual(['Work laptop', "Anna's phone"]);
  });

  it('removes them; with the last one the recovery codes go and the password alone signs in again', async () => {
    expect((await org.owner.agent.delete(`/api/v1/me/passkeys/${phoneId}`)).status).toBe(204);
    expect((await org.owner.agent.get('/api/v1/me/security')).body).toMatchObject({ passkeys: 1, recoveryCodes: { remaining: 10 } });
    expect((await org.owner.agent.delete(`/api/v1/me/passkeys/${laptopId}`)).status).toBe(204);
    expect((await org.owner.agent.get('/api/v1/me/security')).body).toMatchObject({ passkeys: 0, recoveryCodes: null, totp: null });
    expect((await auditOf(org, 'mfa.passkey_removed')).map((event) => event.resourceId).sort()).toEqual([laptopId, phoneId].sort());
    expect(mailsTo(org.owner.email, /a passkey was removed/)).toHaveLength(2);
    expect((await passwordStep(org.owner)).login.body.status).toBe('authenticated');
  });
});

describe('signing in with a passkey', () => {
  let org: TestOrganisation;
  let person: TestPerson;
  const key = testAuthenticator();
  beforeAll(async () => {
    org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    person = await addMember(h, org, 'practitioner');
    await addPasskey(person.agent, key, 'Laptop');
  });

  it('as the second factor after the password: nothing is answered before it, then the session is fully signed in', async () => {
    const { agent, login } = await passwordStep(person);
    expect(login.body).toEqual({ status: 'second_factor_required', methods: ['passkey', 'recovery_code'], trustDeviceHours: 12 });
    expectError(await agent.get('/api/v1/me'), 401, 'SECOND_FACTOR_REQUIRED');
    const options = await agent.post('/api/v1/auth/second-factor/passkey/options');
    expect(options.status).toBe(200);
    expect(options.body).toMatchObject({ rpId: 'haven.test', userVerification: 'required', allowCredentials: [{ id: key.lastCredentialId, type: 'public-key', transports: ['internal'] }] });

    const before = agent.cookies.get('haven_session');
    advance(2_000);
    const done = await agent.post('/api/v1/auth/second-factor/passkey', { response: key.authenticate(options.body) });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.status).toBe('authenticated');
    expect(done.body.me.session).toMatchObject({ pending: null, reauthenticatedAt: h.clock.now().toISOString() });
    expect(agent.cookies.get('haven_session')).not.toBe(before);
    expect((await agent.get('/api/v1/organisation')).status).toBe(200);
    expect((await agent.get('/api/v1/me/passkeys')).body.passkeys[0].lastUsedAt).toBe(h.clock.now().toISOString());
    expectError(await agent.post('/api/v1/auth/second-factor/passkey/options'), 409, 'SECOND_FACTOR_NOT_PENDING');
  });

  it('alongside an authenticator app: both are offered', async () => {
    const strict = await createTestOrganisation(h);
    expect(strict.owner.totpSecret).toBeTruthy();
    await addPasskey(strict.owner.agent, testAuthenticator(), 'Key');
    expect((await passwordStep(strict.owner)).login.body).toEqual({ status: 'second_factor_required', methods: ['totp', 'passkey', 'recovery_code'], trustDeviceHours: 12 });
  });

  it('without the password: a full sign-in, like one with password and second factor', async () => {
    const agent = new TestAgent(h.app);
    const options = await agent.post('/api/v1/auth/passkey/options');
    expect(options.status).toBe(200);
    // Nothing names an account: the browser offers what it holds for this site.
    expect(options.body.allowCredentials).toBeUndefined();
    expect(options.body).toMatchObject({ rpId: 'haven.test', userVerification: 'required' });
    const succeededBefore = (await auditOf(org, 'auth.login_succeeded')).filter((event) => event.actorAccountId === person.accountId).length;
    advance(1_000);
    const done = await agent.post('/api/v1/auth/passkey', { response: key.authenticate(options.body) });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.status).toBe('authenticated');
    expect(done.body.me.account.email).toBe(person.email);
    expect(done.body.me.organisation.id).toBe(org.orgId);
    expect(done.body.me.session).toMatchObject({ pending: null, reauthenticatedAt: h.clock.now().toISOString() });
    expect((await agent.get('/api/v1/organisation')).status).toBe(200);
    // A fresh proof: a sensitive change goes through without another step-up.
    expect((await agent.post('/api/v1/me/recovery-codes')).status).toBe(200);
    const succeeded = (await auditOf(org, 'auth.login_succeeded')).filter((event) => event.actorAccountId === person.accountId);
    expect(succeeded.length).toBe(succeededBefore + 1);
  });

  it('without the password, from outside the practice’s networks: refused after the proof, like a password sign-in', async () => {
    const policy = (await org.owner.agent.get('/api/v1/organisation/security-policy')).body;
    expect((await org.owner.agent.put('/api/v1/organisation/security-policy', { ...policy, ipAllowlist: ['192.0.2.0/24'], acknowledgeOwnAddressExcluded: true })).status).toBe(200);
    try {
      const outside = new TestAgent(h.app, { ip: '198.51.100.7' });
      expectError(await answerWithPasskey(outside, key, '/api/v1/auth/passkey'), 403, 'IP_NOT_ALLOWED');
      expect((await outside.get('/api/v1/auth/session')).body.state).toBe('none');
      const inside = new TestAgent(h.app, { ip: '192.0.2.9' });
      const done = await answerWithPasskey(inside, key, '/api/v1/auth/passkey');
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      const owner = new TestAgent(h.app, { ip: '192.0.2.10' });
      // A first sign-in from this country: held until confirmed by e-mail (features/devices).
      await acceptPossiblyHeld(h, owner, org.owner.email, (await passwordStep(org.owner, owner)).login);
      const failures = (await owner.get('/api/v1/audit-events?action=auth.login_failed&limit=100')).body.events;
      expect(failures.some((event: { actorAccountId: string; reason: string }) => event.actorAccountId === person.accountId && event.reason === 'ip_not_allowed')).toBe(true);
      org.owner.agent = owner;
    } finally {
      const owner = org.owner.agent;
      owner.options.ip = '192.0.2.10';
      expect((await owner.put('/api/v1/organisation/security-policy', { ...policy, ipAllowlist: [] })).status).toBe(200);
      owner.options.ip = '127.0.0.1';
    }
  });
});

describe('step-up with a passkey', () => {
  let org: TestOrganisation;
  const key = testAuthenticator();
  let keyId: string;
  beforeAll(async () => {
    org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    keyId = (await addPasskey(org.owner.agent, key, 'Desk key')).id;
  });

  it('confirms it is me before my factors change, and the password no longer does', async () => {
    const agent = org.owner.agent;
    await afterStepUpWindow(agent);
    expectError(await agent.patch(`/api/v1/me/passkeys/${keyId}`, { name: 'Renamed' }), 403, 'STEP_UP_REQUIRED');
    expectError(await agent.post('/api/v1/me/passkeys/registration-options'), 403, 'STEP_UP_REQUIRED');
    expectError(await agent.post('/api/v1/auth/step-up', { method: 'password', password: org.owner.password }), 400, 'VALIDATION_FAILED');
    const options = await agent.post('/api/v1/auth/step-up/passkey/options');
    expect(options.body.allowCredentials.map((c: { id: string }) => c.id)).toEqual([key.lastCredentialId]);
    const stepped = await agent.post('/api/v1/auth/step-up/passkey', { response: key.authenticate(options.body) });
    expect(stepped.status, JSON.stringify(stepped.body)).toBe(200);
    expect(stepped.body.reauthenticatedAt).toBe(h.clock.now().toISOString());
    expect((await agent.patch(`/api/v1/me/passkeys/${keyId}`, { name: 'Renamed' })).status).toBe(200);
    expect((await auditOf(org, 'auth.step_up')).length).toBeGreaterThanOrEqual(1);
  });

  it('makes new recovery codes for an account whose only factor is a passkey', async () => {
    const fresh = await org.owner.agent.post('/api/v1/me/recovery-codes');
    expect(fresh.status).toBe(200);
    expect(fresh.body.codes).toHaveLength(10);
  });

  it('has nothing to offer an account without a passkey', async () => {
    const other = await createTestOrganisation(h, { secondFactor: 'not-required' });
    expectError(await other.owner.agent.post('/api/v1/auth/step-up/passkey/options'), 404, 'PASSKEY_NOT_FOUND');
  });
});

describe('a passkey as the first factor, where the practice requires one', () => {
  let org: TestOrganisation;
  beforeAll(async () => {
    org = await createTestOrganisation(h);
    const policy = (await org.owner.agent.get('/api/v1/organisation/security-policy')).body;
    if (!policy.secondFactorRequired) expect((await org.owner.agent.put('/api/v1/organisation/security-policy', { ...policy, secondFactorRequired: true })).status).toBe(200);
  });

  it('completes the setup at the first sign-in: signed in fully, a new token, the first recovery codes', async () => {
    const newcomer = await invite(org);
    const { agent, login } = await passwordStep(newcomer);
    expect(login.body.status).toBe('enrolment_required');
    expectError(await agent.get('/api/v1/organisation'), 403, 'ENROLMENT_REQUIRED');
    expect((await agent.get('/api/v1/me/passkeys')).body).toEqual({ passkeys: [] });
    const before = agent.cookies.get('haven_session');
    const key = testAuthenticator();
    const registered = await registerPasskeyWith(agent, key, 'Phone');
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body.me.session.pending).toBeNull();
    expect(registered.body.recoveryCodes).toHaveLength(10);
    expect(agent.cookies.get('haven_session')).not.toBe(before);
    expect((await agent.get('/api/v1/organisation')).status).toBe(200);

    // The only factor stays while the practice requires one.
    expectError(await agent.delete(`/api/v1/me/passkeys/${registered.body.passkey.id}`), 409, 'LAST_FACTOR');
    expect((await agent.get('/api/v1/me/passkeys')).body.passkeys).toHaveLength(1);
    // And the next sign-in asks for it.
    expect((await passwordStep(newcomer)).login.body).toEqual({ status: 'second_factor_required', methods: ['passkey', 'recovery_code'], trustDeviceHours: 12 });
  });

  it('lets the app go while a passkey remains, keeping the recovery codes; then the passkey is the last factor', async () => {
    const owner = org.owner;
    expect(owner.totpSecret).toBeTruthy();
    const key = await addPasskey(owner.agent, testAuthenticator(), 'YubiKey');
    const codesBefore = (await owner.agent.get('/api/v1/me/security')).body.recoveryCodes;
    expect((await owner.agent.delete('/api/v1/me/totp')).status).toBe(204);
    const summary = (await owner.agent.get('/api/v1/me/security')).body;
    expect(summary).toMatchObject({ totp: null, passkeys: 1, recoveryCodes: codesBefore });
    expectError(await owner.agent.delete(`/api/v1/me/passkeys/${key.id}`), 409, 'LAST_FACTOR');
    expect((await owner.agent.get('/api/v1/me/security')).body.passkeys).toBe(1);
  });

  it('lets one passkey of two go', async () => {
    const newcomer = await invite(org, 'assistant');
    const { agent } = await passwordStep(newcomer);
    const first = (await registerPasskeyWith(agent, testAuthenticator(), 'One')).body.passkey.id;
    await addPasskey(agent, testAuthenticator(), 'Two');
    expect((await agent.delete(`/api/v1/me/passkeys/${first}`)).status).toBe(204);
    expect((await agent.get('/api/v1/me/passkeys')).body.passkeys.map((p: { name: string }) => p.name)).toEqual(['Two']);
  });
});
