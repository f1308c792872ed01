import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { createTestOrganisation, freshTotpCode, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { confirmHeldSignIn } from '../../../test/support/held-sign-in.ts';
import { loadConfig } from '../../core/config.ts';
import { accounts, auditEvents } from '../../core/db/schema.ts';

/*
 * Suspicious sign-ins, as an attacker who has the password (and even the second factor) meets
 * them: from a new country, after impossible travel or after many failures the sign-in is held
 * until the holder confirms it through a 15-minute, single-use link; any new browser is
 * announced with a "this wasn't me" link that signs out everywhere and forces a new password —
 * which never bypasses the second factor.
 */

let h: TestHarness;
beforeAll(async () => {
  h = await createHarness({ start: new Date('2026-11-24T08:00:05Z'), env: { HAVEN_TEST_CLIENT_ADDRESS_HEADER: '1' } });
});
afterAll(() => h.close());

const NL = '192.0.2.10';
const DE = '198.51.100.7';
const US = '203.0.113.5';

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

type Person = TestOrganisation['owner'];

/** Password and app code from `agent`; the last answer. */
async function signIn(person: Person, agent: TestAgent): Promise<TestResponse> {
  const first = await agent.post('/api/v1/auth/login', { email: person.email, password: person.password });
  if (first.body.status !== 'second_factor_required') return first;
  return agent.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, person.totpSecret!) });
}

async function auditOf(orgId: string, action: string) {
  return h.db.tenant(orgId, (tx) => tx.select().from(auditEvents).where(and(eq(auditEvents.orgId, orgId), eq(auditEvents.action, action))));
}

const mailsTo = (email: string, template: string) => h.mailer.sent.filter((mail) => mail.to === email && mail.template === template);

describe('a sign-in from a new country', () => {
  it('is held after the second factor until the link from the e-mail is opened; the link works once', async () => {
    const org = await createTestOrganisation(h);
    const browser = new TestAgent(h.app, { ip: DE });
    const held = await signIn(org.owner, browser);
    expect(held.status, JSON.stringify(held.body)).toBe(200);
    expect(held.body).toEqual({ status: 'confirmation_required', expiresAt: new Date(h.clock.now().getTime() + 15 * 60_000).toISOString() });

    // The held session can do nothing but wait.
    expectError(await browser.get('/api/v1/me'), 403, 'SIGN_IN_CONFIRMATION_REQUIRED');
    expectError(await browser.get('/api/v1/organisation'), 403, 'SIGN_IN_CONFIRMATION_REQUIRED');
    expectError(await browser.post('/api/v1/auth/second-factor', { method: 'totp', code: '123456' }), 409, 'SECOND_FACTOR_NOT_PENDING');
    expect((await browser.get('/api/v1/auth/session')).body).toMatchObject({ state: 'active', pending: 'confirmation' });
    expectError(await browser.post('/api/v1/auth/confirm-sign-in/continue'), 409, 'SIGN_IN_NOT_CONFIRMED');

    // The mail says when, where and which browser — in plain words, no health data.
    const mail = mailsTo(org.owner.email, 'sign_in_confirmation').at(-1)!;
    expect(mail.text).toContain('Germany');
    expect(mail.text).toContain('Chrome on Linux');
    expect(mail.text).toContain('a country not seen before');
    expect(mail.links[0]).toMatch(/^http:\/\/haven\.test\/confirm-sign-in#token=/);

    const token = h.mailer.lastToken(org.owner.email, 'sign_in_confirmation');
    const phone = new TestAgent(h.app);
    expect((await phone.post('/api/v1/auth/confirm-sign-in', { token })).status).toBe(200);
    expectError(await phone.post('/api/v1/auth/confirm-sign-in', { token }), 400, 'TOKEN_INVALID');
    expect((await browser.get('/api/v1/auth/session')).body).toMatchObject({ state: 'active', pending: 'confirmed' });
    const continued = await browser.post('/api/v1/auth/confirm-sign-in/continue');
    expect(continued.status, JSON.stringify(continued.body)).toBe(200);
    expect(continued.body.status).toBe('authenticated');
    expect(continued.setCookies.some((line) => line.startsWith('haven_session='))).toBe(true);
    expect((await browser.get('/api/v1/me')).status).toBe(200);
    expectError(await browser.post('/api/v1/auth/confirm-sign-in/continue'), 409, 'SIGN_IN_NOT_HELD');

    // Audited with its signals; the country is now known, and the next sign-in from it is not held.
    const assessed = await auditOf(org.orgId, 'auth.login_risk_assessed');
    expect(assessed.map((event) => event.reason)).toEqual(
      expect.arrayContaining([
        'risk high; signals new_device,new_country; country DE; held for confirmation by e-mail',
        'risk high; signals new_device,new_country; country DE; confirmed by e-mail, allowed; holder notified of the new device',
      ]),
    );
    expect(await auditOf(org.orgId, 'auth.login_held')).toHaveLength(1);
    expect(await auditOf(org.orgId, 'auth.login_confirmed')).toHaveLength(1);
    expect((await browser.get('/api/v1/me/devices')).body.countries).toEqual(['DE']);
    h.clock.advance(2 * 3600_000);
    await browser.post('/api/v1/auth/logout');
    expect((await signIn(org.owner, browser)).body.status).toBe('authenticated');
  });

  it('ends when the link was not opened within 15 minutes; the late link says so', async () => {
    const org = await createTestOrganisation(h);
    const browser = new TestAgent(h.app, { ip: US });
    expect((await signIn(org.owner, browser)).body.status).toBe('confirmation_required');
    const token = h.mailer.lastToken(org.owner.email, 'sign_in_confirmation');
    h.clock.advance(15 * 60_000);
    expectError(await new TestAgent(h.app).post('/api/v1/auth/confirm-sign-in', { token }), 400, 'TOKEN_INVALID');
    expectError(await browser.post('/api/v1/auth/confirm-sign-in/continue'), 410, 'SIGN_IN_CONFIRMATION_EXPIRED');
    expect((await browser.get('/api/v1/auth/session')).body.state).toBe('none');
  });

  it('is held before anything for an account without a second factor, and asks for setup once confirmed', async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const browser = new TestAgent(h.app, { ip: NL });
    const held = await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
    expect(held.body.status).toBe('confirmation_required');
    expect((await confirmHeldSignIn(h, browser, org.owner.email)).body.status).toBe('authenticated');
  });

  it('uses the test-only address header when the switch is on, and config refuses the switch in production', async () => {
    const org = await createTestOrganisation(h);
    const browser = new TestAgent(h.app);
    const first = await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password }, { headers: { 'x-haven-test-client-address': DE } });
    expect(first.body.status).toBe('second_factor_required');
    const held = await browser.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, org.owner.totpSecret!) }, { headers: { 'x-haven-test-client-address': DE } });
    expect(held.body.status).toBe('confirmation_required');
    expect((await auditOf(org.orgId, 'auth.login_held'))[0]!.ip).toBe(DE);

    const production = { NODE_ENV: 'production', HAVEN_PUBLIC_URL: 'https://haven.example', HAVEN_TRUST_PROXY: '1', HAVEN_AUDIT_SIGNING_KEY_FILE: '/dev/null', HAVEN_MASTER_KEY: 'x'.repeat(44) };
    expect(() => loadConfig({ ...production, HAVEN_TEST_CLIENT_ADDRESS_HEADER: '1' })).toThrow(/HAVEN_TEST_CLIENT_ADDRESS_HEADER/);
    expect(loadConfig({ NODE_ENV: 'test' }).testClientAddressHeader).toBe(false);
  });
});

describe('other risk signals', () => {
  it('holds a sign-in from a known country shortly after one from another (impossible travel)', async () => {
    const org = await createTestOrganisation(h);
    const browser = new TestAgent(h.app, { ip: NL });
    expect((await signIn(org.owner, browser)).body.status).toBe('confirmation_required');
    await confirmHeldSignIn(h, browser, org.owner.email);
    browser.options.ip = DE;
    await browser.post('/api/v1/auth/logout');
    expect((await signIn(org.owner, browser)).body.status).toBe('confirmation_required');
    await confirmHeldSignIn(h, browser, org.owner.email);
    // Both countries are known now; NL 10 minutes after DE is too fast.
    h.clock.advance(10 * 60_000);
    browser.options.ip = NL;
    await browser.post('/api/v1/auth/logout');
    expect((await signIn(org.owner, browser)).body.status).toBe('confirmation_required');
    const reasons = (await auditOf(org.orgId, 'auth.login_held')).map((event) => event.reason);
    expect(reasons.at(-1)).toBe('risk high; signals impossible_travel; country NL; held for confirmation by e-mail');
    // Two hours later the same move is fine.
    await confirmHeldSignIn(h, browser, org.owner.email);
    h.clock.advance(2 * 3600_000);
    browser.options.ip = DE;
    await browser.post('/api/v1/auth/logout');
    expect((await signIn(org.owner, browser)).body.status).toBe('authenticated');
  });

  it('holds a success after five failures, and keeps holding until a sign-in is let in', async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    for (let i = 0; i < 5; i++) {
      h.clock.advance(60_000);
      expectError(await new TestAgent(h.app).post('/api/v1/auth/login', { email: org.owner.email, password: 'wrong wrong wrong' }), 401, 'AUTH_INVALID_CREDENTIALS');
    }
    h.clock.advance(60_000);
    const browser = org.owner.agent;
    await browser.post('/api/v1/auth/logout');
    expect((await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).body.status).toBe('confirmation_required');
    // Trying again does not wash the failures out.
    await browser.post('/api/v1/auth/logout');
    expect((await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).body.status).toBe('confirmation_required');
    const reasons = (await auditOf(org.orgId, 'auth.login_held')).map((event) => event.reason);
    expect(reasons.at(-1)).toBe('risk high; signals many_failures; country unknown; held for confirmation by e-mail');
    await confirmHeldSignIn(h, browser, org.owner.email);
    await browser.post('/api/v1/auth/logout');
    expect((await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).body.status).toBe('authenticated');
  });
});

describe('a new browser', () => {
  it('is announced by e-mail (the account’s very first is not), with a link that says "this wasn’t me"', async () => {
    const org = await createTestOrganisation(h);
    expect(mailsTo(org.owner.email, 'new_device_sign_in')).toHaveLength(0);
    const laptop = new TestAgent(h.app);
    expect((await signIn(org.owner, laptop)).body.status).toBe('authenticated');
    const mail = mailsTo(org.owner.email, 'new_device_sign_in');
    expect(mail).toHaveLength(1);
    expect(mail[0]!.text).toContain('Chrome on Linux');
    expect(mail[0]!.links[0]).toMatch(/^http:\/\/haven\.test\/not-me#token=/);
    const assessed = await auditOf(org.orgId, 'auth.login_risk_assessed');
    expect(assessed.at(-1)!.reason).toBe('risk medium; signals new_device; country unknown; allowed; holder notified of the new device');
    // The same browser again: known, no mail.
    await laptop.post('/api/v1/auth/logout');
    expect((await signIn(org.owner, laptop)).body.status).toBe('authenticated');
    expect(mailsTo(org.owner.email, 'new_device_sign_in')).toHaveLength(1);
  });

  it('"this wasn’t me" ends every session and every trust, and the next sign-in needs a new password — which still asks the second factor', async () => {
    const org = await createTestOrganisation(h);
    const intruder = new TestAgent(h.app);
    const first = await intruder.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
    expect(first.body.status).toBe('second_factor_required');
    const done = await intruder.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, org.owner.totpSecret!), trustDevice: true });
    expect(done.body.status).toBe('authenticated');
    const token = h.mailer.lastToken(org.owner.email, 'new_device_sign_in');

    const answer = await new TestAgent(h.app).post('/api/v1/auth/not-me', { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toEqual({ sessionsEnded: 2, resetLinkSent: true });
    expectError(await new TestAgent(h.app).post('/api/v1/auth/not-me', { token }), 400, 'TOKEN_INVALID');
    expectError(await org.owner.agent.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
    expectError(await intruder.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
    const [row] = await h.db.identity((tx) => tx.select().from(accounts).where(eq(accounts.id, org.owner.accountId)));
    expect(row!.passwordResetRequiredAt).not.toBeNull();
    expect((await auditOf(org.orgId, 'auth.not_me'))[0]!.reason).toBe('2 sessions ended; password reset required');
    expect((await auditOf(org.orgId, 'auth.device_trust_revoked'))[0]!.reason).toBe('not_me; 1 devices');

    // The old password, right as it is, no longer opens anything — not even on the trusted browser.
    expectError(await intruder.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password }), 403, 'PASSWORD_RESET_REQUIRED');
    expectError(await new TestAgent(h.app).post('/api/v1/auth/login', { email: org.owner.email, password: 'a wrong one entirely' }), 401, 'AUTH_INVALID_CREDENTIALS');

    // The reset link that came with it sets a new password — and only that.
    const reset = h.mailer.lastToken(org.owner.email, 'password_reset');
    const newPassword = `${org.owner.password} after the scare`;
    expect((await new TestAgent(h.app).post('/api/v1/auth/password-reset/confirm', { token: reset, password: newPassword })).status).toBe(200);
    const owner = { ...org.owner, password: newPassword };
    const browser = new TestAgent(h.app);
    const login = await browser.post('/api/v1/auth/login', { email: owner.email, password: newPassword });
    expect(login.body.status).toBe('second_factor_required');
    expectError(await browser.get('/api/v1/me'), 401, 'SECOND_FACTOR_REQUIRED');
    const signedIn = await browser.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, owner.totpSecret!) });
    expect(signedIn.body.status).toBe('authenticated');
    // The browser the intruder had trusted asks for the second factor again too.
    expect((await intruder.post('/api/v1/auth/login', { email: owner.email, password: newPassword })).body.status).toBe('second_factor_required');
  });
});

describe('a password reset', () => {
  it('never bypasses the second factor, and ends the trust of every browser', async () => {
    const org = await createTestOrganisation(h);
    const browser = new TestAgent(h.app);
    await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
    expect((await browser.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, org.owner.totpSecret!), trustDevice: true })).body.status).toBe('authenticated');
    expect((await browser.post('/api/v1/auth/password-reset', { email: org.owner.email })).status).toBe(202);
    const newPassword = `${org.owner.password} reset`;
    const confirmed = await browser.post('/api/v1/auth/password-reset/confirm', { token: h.mailer.lastToken(org.owner.email, 'password_reset'), password: newPassword });
    expect(confirmed.status).toBe(200);
    // Not signed in by the reset; the next sign-in asks for the second factor, on this browser too.
    expectError(await browser.get('/api/v1/me'), 401, 'AUTH_REQUIRED');
    const login = await browser.post('/api/v1/auth/login', { email: org.owner.email, password: newPassword });
    expect(login.body.status).toBe('second_factor_required');
    expect(login.body.me).toBeUndefined();
  });
});

describe('bad input', () => {
  it('answers malformed and unknown tokens alike', async () => {
    const agent = new TestAgent(h.app);
    for (const path of ['/api/v1/auth/confirm-sign-in', '/api/v1/auth/not-me']) {
      expectError(await agent.post(path, { token: 'x' }), 400, 'VALIDATION_FAILED');
      expectError(await agent.post(path, {}), 400, 'VALIDATION_FAILED');
      expectError(await agent.post(path, { token: 'A'.repeat(43), extra: 1 }), 400, 'VALIDATION_FAILED');
      expectError(await agent.post(path, { token: 'A'.repeat(43) }), 400, 'TOKEN_INVALID');
    }
    expectError(await agent.post('/api/v1/auth/confirm-sign-in/continue'), 401, 'AUTH_REQUIRED');
    const org = await createTestOrganisation(h);
    expectError(await org.owner.agent.post('/api/v1/auth/confirm-sign-in/continue'), 409, 'SIGN_IN_NOT_HELD');
    expectError(await org.owner.agent.delete('/api/v1/me/devices/not-a-uuid/trust'), 400, 'VALIDATION_FAILED');
    const waiting = new TestAgent(h.app);
    expect((await waiting.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).body.status).toBe('second_factor_required');
    expectError(await waiting.post('/api/v1/auth/second-factor', { method: 'totp', code: '123456', trustDevice: 'yes' }), 400, 'VALIDATION_FAILED');
  });
});
