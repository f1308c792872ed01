import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { createTestOrganisation, freshTotpCode, signIn as signInFixture, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { confirmHeldSignIn } from '../../../test/support/held-sign-in.ts';
import { accountDevices, auditEvents } from '../../core/db/schema.ts';

/*
 * "Trust this browser": after a second factor, a browser may skip the second factor — and only
 * that — for the practice's hours (at most 12). The password is always asked; a sign-in from a
 * country new to the account ignores the trust; the trust is the account's and the browser's,
 * listed, revocable one by one or all at once, and ended by a password change.
 */

let h: TestHarness;
beforeAll(async () => {
  h = await createHarness({ start: new Date('2026-11-24T08:00:05Z') });
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

type Person = TestOrganisation['owner'];

/** Password, then the app's code with the "trust this browser" tick (or not). */
async function signInWithCode(person: Person, agent: TestAgent, trustDevice?: boolean): Promise<TestResponse> {
  const first = await agent.post('/api/v1/auth/login', { email: person.email, password: person.password });
  expect(first.status, JSON.stringify(first.body)).toBe(200);
  expect(first.body.status).toBe('second_factor_required');
  return agent.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, person.totpSecret!), ...(trustDevice === undefined ? {} : { trustDevice }) });
}

async function auditOf(orgId: string, action: string) {
  return h.db.tenant(orgId, (tx) => tx.select().from(auditEvents).where(and(eq(auditEvents.orgId, orgId), eq(auditEvents.action, action))));
}

/** A browser the owner trusted (from 127.0.0.1, which has no country). */
async function trustedBrowser(org: TestOrganisation): Promise<TestAgent> {
  const browser = new TestAgent(h.app);
  const done = await signInWithCode(org.owner, browser, true);
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  expect(done.body.status).toBe('authenticated');
  return browser;
}

describe('a trusted browser', () => {
  it('is offered with the second factor for the practice’s hours, and then skips only the second factor', async () => {
    const org = await createTestOrganisation(h);
    const browser = new TestAgent(h.app);
    const first = await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
    expect(first.body).toMatchObject({ status: 'second_factor_required', trustDeviceHours: 12 });
    // The device cookie: random, HttpOnly, SameSite=Lax, 400 days; set once the password was right.
    const cookie = first.setCookies.find((line) => line.startsWith('haven_device='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Max-Age=34560000/);
    expect(cookie).not.toMatch(/Secure/);
    const done = await browser.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, org.owner.totpSecret!), trustDevice: true });
    expect(done.body.status).toBe('authenticated');
    const trusted = await auditOf(org.orgId, 'auth.device_trusted');
    expect(trusted).toHaveLength(1);
    expect(trusted[0]!.reason).toBe('for 12 hours');

    // Next time: the password alone — but the password it must be.
    await browser.post('/api/v1/auth/logout');
    expectError(await browser.post('/api/v1/auth/login', { email: org.owner.email, password: `${org.owner.password}x` }), 401, 'AUTH_INVALID_CREDENTIALS');
    h.clock.advance(60_000);
    const again = await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.status).toBe('authenticated');
    // Only the password was proved: sensitive changes still ask for the second factor.
    expect(again.body.me.session.reauthenticatedAt).toBeNull();
    expectError(await browser.post('/api/v1/me/recovery-codes'), 403, 'STEP_UP_REQUIRED');
    expect(await auditOf(org.orgId, 'auth.second_factor_skipped')).toHaveLength(1);

    // Another browser of the same person is not trusted; the trust is this browser's.
    const other = new TestAgent(h.app);
    expect((await other.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).body.status).toBe('second_factor_required');
  });

  it('is the account’s: the same browser is not trusted for someone else', async () => {
    const first = await createTestOrganisation(h);
    const second = await createTestOrganisation(h);
    const browser = await trustedBrowser(first);
    await browser.post('/api/v1/auth/logout');
    expect((await browser.post('/api/v1/auth/login', { email: second.owner.email, password: second.owner.password })).body.status).toBe('second_factor_required');
  });

  it('is ignored from a country new to the account: the second factor is asked, and the sign-in is held', async () => {
    const org = await createTestOrganisation(h);
    const browser = await trustedBrowser(org);
    await browser.post('/api/v1/auth/logout');
    browser.options.ip = '198.51.100.7'; // Germany, never seen for this account
    const first = await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
    expect(first.body.status).toBe('second_factor_required');
    const second = await browser.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, org.owner.totpSecret!) });
    expect(second.body.status).toBe('confirmation_required');
    expect((await confirmHeldSignIn(h, browser, org.owner.email)).body.status).toBe('authenticated');
  });

  it('ends after the practice’s hours, and when the practice shortens or turns off trust', async () => {
    const org = await createTestOrganisation(h);
    const browser = await trustedBrowser(org);
    const relogin = async () => {
      await browser.post('/api/v1/auth/logout');
      return (await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).body;
    };
    h.clock.advance(11 * 3600_000);
    expect((await relogin()).status).toBe('authenticated');
    h.clock.advance(3600_000 + 1000);
    expect((await relogin()).status).toBe('second_factor_required');

    // Trust again, then the practice allows only 1 hour: the trust given for 12 is cut to 1.
    await browser.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, org.owner.totpSecret!), trustDevice: true });
    // The owner's first session ended with its 12 hours: the owner signs in at the desk again.
    const desk = (await signInFixture(h, org.owner)).agent;
    const policy = (await desk.get('/api/v1/organisation/security-policy')).body;
    expect(policy.trustedDeviceHours).toBe(12);
    expect((await desk.put('/api/v1/organisation/security-policy', { ...policy, trustedDeviceHours: 1 })).body.trustedDeviceHours).toBe(1);
    const changed = await auditOf(org.orgId, 'policy.changed');
    expect(changed.some((event) => event.changedFields.includes('trustedDeviceHours'))).toBe(true);
    h.clock.advance(3600_000 + 1000);
    expect((await relogin()).status).toBe('second_factor_required');

    // 0 turns it off: not offered, and a tick is ignored.
    const deskAgain = (await signInFixture(h, org.owner)).agent;
    expect((await deskAgain.put('/api/v1/organisation/security-policy', { ...policy, trustedDeviceHours: 0 })).status).toBe(200);
    const offered = await relogin();
    expect(offered).toMatchObject({ status: 'second_factor_required', trustDeviceHours: 0 });
    expect((await browser.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, org.owner.totpSecret!), trustDevice: true })).body.status).toBe('authenticated');
    expect((await relogin()).status).toBe('second_factor_required');
    // More than 12 hours is refused.
    expectError(await deskAgain.put('/api/v1/organisation/security-policy', { ...policy, trustedDeviceHours: 13 }), 400, 'VALIDATION_FAILED');
  });
});

describe('my devices', () => {
  it('lists my browsers with their trust, and ends the trust of one', async () => {
    const org = await createTestOrganisation(h);
    const browser = await trustedBrowser(org);
    const list = await browser.get('/api/v1/me/devices');
    expect(list.status).toBe(200);
    expect(list.body.trustedDeviceHours).toBe(12);
    expect(list.body.devices).toHaveLength(2);
    const current = list.body.devices.find((device: { current: boolean }) => device.current);
    expect(current).toMatchObject({ label: 'Chrome on Linux', lastCountry: null });
    expect(current.trustedUntil).toBe(new Date(h.clock.now().getTime() + 12 * 3600_000).toISOString());
    // From the other browser the same list, with the other one current.
    const seen = await org.owner.agent.get('/api/v1/me/devices');
    expect(seen.body.devices.find((device: { current: boolean }) => device.current).id).not.toBe(current.id);

    // Someone else cannot touch it.
    const stranger = await createTestOrganisation(h);
    expectError(await stranger.owner.agent.delete(`/api/v1/me/devices/${current.id}/trust`), 404, 'DEVICE_NOT_FOUND');
    expect((await browser.get('/api/v1/me/devices')).body.devices.find((device: { id: string }) => device.id === current.id).trustedUntil).not.toBeNull();

    expect((await org.owner.agent.delete(`/api/v1/me/devices/${current.id}/trust`)).status).toBe(204);
    expect((await browser.get('/api/v1/me/devices')).body.devices.find((device: { id: string }) => device.id === current.id).trustedUntil).toBeNull();
    const revoked = await auditOf(org.orgId, 'auth.device_trust_revoked');
    expect(revoked.map((event) => [event.resourceId, event.reason])).toEqual([[current.id, 'by_user']]);
    await browser.post('/api/v1/auth/logout');
    expect((await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).body.status).toBe('second_factor_required');
  });

  it('ends the trust of all my browsers at once', async () => {
    const org = await createTestOrganisation(h);
    const one = await trustedBrowser(org);
    const two = await trustedBrowser(org);
    const ended = await one.post('/api/v1/me/devices/end-trust');
    expect(ended.body).toEqual({ revoked: 2 });
    for (const browser of [one, two]) {
      await browser.post('/api/v1/auth/logout');
      expect((await browser.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password })).body.status).toBe('second_factor_required');
    }
  });

  it('ends every trust when the password is changed', async () => {
    const org = await createTestOrganisation(h);
    const browser = await trustedBrowser(org);
    const newPassword = `${org.owner.password} renewed`;
    const changed = await org.owner.agent.post('/api/v1/me/password', { currentPassword: org.owner.password, newPassword });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect((await browser.post('/api/v1/auth/login', { email: org.owner.email, password: newPassword })).body.status).toBe('second_factor_required');
  });

  it('stores the device cookie only as a hash bound to the account', async () => {
    const org = await createTestOrganisation(h);
    const browser = await trustedBrowser(org);
    const cookie = browser.cookies.get('haven_device')!;
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await h.db.identity((tx) => tx.select().from(accountDevices).where(eq(accountDevices.accountId, org.owner.accountId)));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.deviceHash.length).toBe(32);
      expect(row.deviceHash.toString('base64url')).not.toContain(cookie);
      expect(row.deviceHash.toString('latin1')).not.toContain(cookie);
    }
  });
});
