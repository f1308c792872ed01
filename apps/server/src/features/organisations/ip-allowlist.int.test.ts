import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { acceptPossiblyHeld } from '../../../test/support/held-sign-in.ts';

/*
 * A practice's network allowlist: staff sign in and work only from the listed ranges (IPv4 and
 * IPv6), an admin is stopped before locking themselves out, denials are audited, and a proxy's
 * X-Forwarded-For counts only when HAVEN_TRUST_PROXY names that proxy.
 */

const policyUrl = '/api/v1/organisation/security-policy';
const basePolicy = { password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes: 15 };

const expectError = (response: TestResponse, status: number, code: string) => {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
};

/** The same browser, now connecting from another address. */
const from = (agent: TestAgent, ip: string) => {
  agent.options.ip = ip;
  return agent;
};

async function auditOf(agent: TestAgent, query: string) {
  const page = await agent.get(`/api/v1/audit-events?${query}`);
  expect(page.status).toBe(200);
  return page.body.events as Array<{ action: string; outcome: string; actorAccountId: string | null; ip: string | null; resourceId: string | null; changedFields: string[]; reason: string | null }>;
}

describe('IP allowlist (no trusted proxy)', () => {
  let h: TestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  /** A practice whose list is `ranges`, saved by the owner from 192.0.2.10. */
  async function restrictedPractice(ranges: string[]): Promise<TestOrganisation> {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    from(org.owner.agent, '192.0.2.10');
    const saved = await org.owner.agent.put(policyUrl, { ...basePolicy, ipAllowlist: ranges });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    return org;
  }

  it('stores valid ranges in one spelling, drops duplicates, and names every bad entry', async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const bad = await org.owner.agent.put(policyUrl, { ...basePolicy, ipAllowlist: ['10.0.0.0/8', '10.0.0.0/33', 'intranet', '2001:db8::/129', '192.0.2.1/24/1', ' 198.51.100.0/24 '] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(bad.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['ipAllowlist.1', 'ipAllowlist.2', 'ipAllowlist.3', 'ipAllowlist.4']);
    expect((await org.owner.agent.get(policyUrl)).body.ipAllowlist).toEqual([]);

    const saved = await org.owner.agent.put(policyUrl, { ...basePolicy, ipAllowlist: ['127.0.0.1', '2001:DB8:0:0::/48', '2001:db8::/48', '127.0.0.1/32', '10.0.0.0/8'] });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.ipAllowlist).toEqual(['127.0.0.1/32', '2001:db8::/48', '10.0.0.0/8']);
    expect((await org.owner.agent.get(policyUrl)).body.ipAllowlist).toEqual(['127.0.0.1/32', '2001:db8::/48', '10.0.0.0/8']);

    // Leaving the list out of a policy change keeps it.
    expect((await org.owner.agent.put(policyUrl, { ...basePolicy, idleTimeoutMinutes: 20 })).body.ipAllowlist).toEqual(['127.0.0.1/32', '2001:db8::/48', '10.0.0.0/8']);
    const changes = await auditOf(org.owner.agent, 'action=policy.changed');
    expect(changes.map((event) => event.changedFields)).toEqual([['idleTimeoutMinutes'], ['ipAllowlist']]);
  });

  it('refuses a list that leaves out the admin\'s own address unless they confirm it', async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    from(org.owner.agent, '203.0.113.9');
    const refused = await org.owner.agent.put(policyUrl, { ...basePolicy, ipAllowlist: ['192.0.2.0/24'] });
    expectError(refused, 409, 'IP_ALLOWLIST_EXCLUDES_YOU');
    expect((await org.owner.agent.get(policyUrl)).body.ipAllowlist).toEqual([]);
    expect(await auditOf(org.owner.agent, 'action=policy.changed')).toEqual([]);

    // A list that includes the address needs no confirmation.
    const including = await org.owner.agent.put(policyUrl, { ...basePolicy, ipAllowlist: ['203.0.113.0/24'] });
    expect(including.status).toBe(200);

    const confirmed = await org.owner.agent.put(policyUrl, { ...basePolicy, ipAllowlist: ['192.0.2.0/24'], acknowledgeOwnAddressExcluded: true });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).not.toHaveProperty('acknowledgeOwnAddressExcluded');
    // …and what they were warned about happens: the very next request is refused.
    expectError(await org.owner.agent.get('/api/v1/me'), 403, 'IP_NOT_ALLOWED');
    expect((await from(org.owner.agent, '192.0.2.200').get(policyUrl)).body.ipAllowlist).toEqual(['192.0.2.0/24']);
  });

  it('lets staff work only from listed IPv4 and IPv6 ranges, and audits each refusal', async () => {
    const org = await restrictedPractice(['192.0.2.0/24', '2001:db8:abcd::/48']);
    const agent = org.owner.agent;
    const allowed = ['192.0.2.10', '192.0.2.255', '::ffff:192.0.2.7', '2001:db8:abcd::1', '2001:DB8:ABCD:ffff::9'];
    for (const ip of allowed) expect((await from(agent, ip).get('/api/v1/staff')).status, ip).toBe(200);
    const refused = ['192.0.3.1', '198.51.100.7', '127.0.0.1', '2001:db8:abce::1', '::1', '::ffff:192.0.3.7'];
    for (const ip of refused) expectError(await from(agent, ip).get('/api/v1/staff'), 403, 'IP_NOT_ALLOWED');
    // Writes too (the refusal comes before the handler: nothing changes).
    expectError(await from(agent, '198.51.100.7').patch('/api/v1/organisation', { city: 'Elsewhere' }), 403, 'IP_NOT_ALLOWED');
    expect((await from(agent, '192.0.2.10').get('/api/v1/organisation')).body.city).not.toBe('Elsewhere');

    const denials = await auditOf(from(agent, '192.0.2.10'), 'action=access.denied');
    expect(denials).toHaveLength(refused.length + 1);
    expect(denials.every((event) => event.reason === 'ip_not_allowed' && event.actorAccountId === org.owner.accountId)).toBe(true);
    expect(denials.map((event) => event.ip)).toContain('198.51.100.7');
  });

  it('refuses sign-in from outside only after the right password, and records why', async () => {
    const org = await restrictedPractice(['192.0.2.0/24']);
    from(org.owner.agent, '192.0.2.10');
    const member = await addMember(h, org, 'practitioner').catch(() => null);
    // addMember signs in from 127.0.0.1, which the list leaves out.
    expect(member).toBeNull();
    const email = (await auditOf(org.owner.agent, 'action=auth.login_failed')).length;
    expect(email).toBe(1);

    const outside = new TestAgent(h.app, { ip: '203.0.113.50' });
    const wrong = await outside.post('/api/v1/auth/login', { email: org.owner.email, password: 'Not the password at all 1' });
    expectError(wrong, 401, 'AUTH_INVALID_CREDENTIALS');
    const right = await outside.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
    expectError(right, 403, 'IP_NOT_ALLOWED');
    expect(right.setCookies.some((cookie) => cookie.startsWith('haven_session=') && !cookie.includes('Max-Age=0'))).toBe(false);

    const inside = new TestAgent(h.app, { ip: '192.0.2.77' });
    // A first sign-in from the practice's country: held until confirmed by e-mail (features/devices).
    const ok = await acceptPossiblyHeld(h, inside, org.owner.email, await inside.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password }));
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('authenticated');

    const failures = await auditOf(org.owner.agent, 'action=auth.login_failed');
    expect(failures.filter((event) => event.reason === 'ip_not_allowed').map((event) => event.ip)).toContain('203.0.113.50');
    expect(failures.find((event) => event.ip === '203.0.113.50' && event.reason === 'wrong_password')).toBeTruthy();
  });

  it('a person in two practices reaches only the one whose list admits them', async () => {
    const open = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const closed = await restrictedPractice(['192.0.2.0/24']);
    // The open practice's owner joins the closed one.
    const invite = await closed.owner.agent.post('/api/v1/invitations', { email: open.owner.email, role: 'admin' });
    expect(invite.status).toBe(201);
    const token = h.mailer.lastToken(open.owner.email, 'invitation');
    expect((await open.owner.agent.post('/api/v1/invitations/accept', { token, password: open.owner.password })).status).toBe(200);

    const outside = new TestAgent(h.app, { ip: '203.0.113.51' });
    // Countries new to the account: each first sign-in is held until confirmed (features/devices).
    const login = await acceptPossiblyHeld(h, outside, open.owner.email, await outside.post('/api/v1/auth/login', { email: open.owner.email, password: open.owner.password }));
    expect(login.status).toBe(200);
    expect(login.body.me.organisation?.id).toBe(open.orgId);
    expectError(await outside.post('/api/v1/auth/select-organisation', { organisationId: closed.orgId }), 403, 'IP_NOT_ALLOWED');
    expect((await outside.get('/api/v1/me')).body.organisation.id).toBe(open.orgId);
    const asked = await new TestAgent(h.app, { ip: '203.0.113.51' }).post('/api/v1/auth/login', { email: open.owner.email, password: open.owner.password, organisationId: closed.orgId });
    expectError(asked, 403, 'IP_NOT_ALLOWED');

    const inside = new TestAgent(h.app, { ip: '192.0.2.9' });
    expect((await acceptPossiblyHeld(h, inside, open.owner.email, await inside.post('/api/v1/auth/login', { email: open.owner.email, password: open.owner.password }))).body.status).toBe('choose_organisation');
    expect((await inside.post('/api/v1/auth/select-organisation', { organisationId: closed.orgId })).status).toBe(200);
  });

  it('other practices are not affected, an empty list lifts the restriction, and signing out always works', async () => {
    const org = await restrictedPractice(['192.0.2.0/24']);
    const other = await createTestOrganisation(h, { secondFactor: 'not-required' });
    expect((await from(other.owner.agent, '203.0.113.1').get('/api/v1/staff')).status).toBe(200);

    const lifted = await from(org.owner.agent, '192.0.2.10').put(policyUrl, { ...basePolicy, ipAllowlist: [] });
    expect(lifted.body.ipAllowlist).toEqual([]);
    expect((await from(org.owner.agent, '203.0.113.1').get('/api/v1/staff')).status).toBe(200);

    await from(org.owner.agent, '192.0.2.10').put(policyUrl, { ...basePolicy, ipAllowlist: ['192.0.2.0/24'] });
    const out = await from(org.owner.agent, '203.0.113.1').post('/api/v1/auth/logout');
    expect(out.status).toBeLessThan(300);
    expectError(await from(org.owner.agent, '192.0.2.10').get('/api/v1/me'), 401, 'AUTH_REQUIRED');
  });

  it('a locked session cannot be unlocked from outside the list', async () => {
    const org = await restrictedPractice(['192.0.2.0/24']);
    const agent = from(org.owner.agent, '192.0.2.10');
    expect((await agent.post('/api/v1/auth/lock')).status).toBeLessThan(300);
    expectError(await from(agent, '203.0.113.2').post('/api/v1/auth/unlock', { password: org.owner.password }), 403, 'IP_NOT_ALLOWED');
    expect((await from(agent, '192.0.2.10').post('/api/v1/auth/unlock', { password: org.owner.password })).status).toBe(200);
  });

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    const org = await restrictedPractice(['192.0.2.0/24']);
    const spoofed = await from(org.owner.agent, '203.0.113.3').request('GET', '/api/v1/staff', undefined, { headers: { 'x-forwarded-for': '192.0.2.10' } });
    expectError(spoofed, 403, 'IP_NOT_ALLOWED');
  });
});

describe('IP allowlist behind a trusted proxy (HAVEN_TRUST_PROXY)', () => {
  let h: TestHarness;
  beforeAll(async () => {
    h = await createHarness({ env: { HAVEN_TRUST_PROXY: '10.0.0.2' } });
  });
  afterAll(() => h.close());

  it('takes the client address from X-Forwarded-For only when the request comes from the trusted proxy', async () => {
    const org = await createTestOrganisation(h, { secondFactor: 'not-required' });
    const agent = org.owner.agent;
    const forwarded = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
    from(agent, '10.0.0.2');
    const saved = await agent.request('PUT', policyUrl, { ...basePolicy, ipAllowlist: ['192.0.2.0/24', '2001:db8::/32'] }, forwarded('192.0.2.10'));
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);

    expect((await agent.request('GET', '/api/v1/staff', undefined, forwarded('192.0.2.44'))).status).toBe(200);
    expect((await agent.request('GET', '/api/v1/staff', undefined, forwarded('2001:db8:5::1'))).status).toBe(200);
    expectError(await agent.request('GET', '/api/v1/staff', undefined, forwarded('198.51.100.4')), 403, 'IP_NOT_ALLOWED');
    // The proxy's own address is not the client's.
    expectError(await agent.get('/api/v1/staff'), 403, 'IP_NOT_ALLOWED');
    // Someone else claiming an allowed address in the header is not believed.
    expectError(await from(agent, '203.0.113.4').request('GET', '/api/v1/staff', undefined, forwarded('192.0.2.44')), 403, 'IP_NOT_ALLOWED');

    const denials = await from(agent, '10.0.0.2').request('GET', '/api/v1/audit-events?action=access.denied', undefined, forwarded('192.0.2.44'));
    expect(denials.body.events.map((event: { ip: string }) => event.ip).sort()).toEqual(['10.0.0.2', '198.51.100.4', '203.0.113.4']);
  });
});
