import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent, type TestResponse } from '../../../test/support/agent.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { createTestOrganisation } from '../../../test/support/fixtures.ts';
import { newToken } from '../security/tokens.ts';

/*
 * Cross-site request forgery: every write carries the x-csrf-token header equal to the CSRF
 * cookie, and once signed in that cookie must be the one issued with the session (the access
 * guard in features/sessions/guard.ts). A refused write changes nothing.
 */

describe('CSRF protection', () => {
  let h: TestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  const expectCsrfRejected = (response: TestResponse) => {
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('CSRF_REJECTED');
  };

  const nameOf = async (agent: TestAgent) => (await agent.get('/api/v1/me')).body.account.name as string;

  it('refuses a write without the header and changes nothing', async () => {
    const org = await createTestOrganisation(h);
    const agent = org.owner.agent;
    const before = await nameOf(agent);

    expectCsrfRejected(await agent.request('PATCH', '/api/v1/me', { name: 'Forged Name' }, { csrf: false }));
    expect(await nameOf(agent)).toBe(before);

    // Nor can a forged request end the session or the person's other sessions.
    expectCsrfRejected(await agent.request('POST', '/api/v1/auth/logout', {}, { csrf: false }));
    expectCsrfRejected(await agent.request('POST', '/api/v1/sessions/end-others', {}, { csrf: false }));
    expect((await agent.get('/api/v1/me')).status).toBe(200);

    // The same write with the header goes through: the refusal was the header's doing.
    expect((await agent.patch('/api/v1/me', { name: 'Chosen Name' })).status).toBe(200);
    expect(await nameOf(agent)).toBe('Chosen Name');
  });

  it('refuses a header that differs from the cookie', async () => {
    const org = await createTestOrganisation(h);
    const agent = org.owner.agent;
    const before = await nameOf(agent);
    expectCsrfRejected(await agent.request('PATCH', '/api/v1/me', { name: 'Forged Name' }, { csrf: newToken() }));
    expectCsrfRejected(await agent.request('PATCH', '/api/v1/me', { name: 'Forged Name' }, { csrf: `${agent.csrfToken()}x` }));
    expect(await nameOf(agent)).toBe(before);
  });

  it('refuses a matching cookie and header that were not issued with this session', async () => {
    const victim = await createTestOrganisation(h);
    const attacker = await createTestOrganisation(h);
    const before = await nameOf(victim.owner.agent);

    // The attacker's own, valid pair (bound to the attacker's session) …
    const withAttackersPair = new TestAgent(h.app);
    withAttackersPair.cookies.set('haven_session', victim.owner.agent.cookies.get('haven_session')!);
    withAttackersPair.cookies.set('haven_csrf', attacker.owner.agent.csrfToken()!);
    expectCsrfRejected(await withAttackersPair.patch('/api/v1/me', { name: 'Forged Name' }));

    // … or a fresh pair handed to anonymous visitors.
    const anonymous = new TestAgent(h.app);
    await anonymous.get('/api/v1/auth/session');
    const withAnonymousPair = new TestAgent(h.app);
    withAnonymousPair.cookies.set('haven_session', victim.owner.agent.cookies.get('haven_session')!);
    withAnonymousPair.cookies.set('haven_csrf', anonymous.csrfToken()!);
    expectCsrfRejected(await withAnonymousPair.patch('/api/v1/me', { name: 'Forged Name' }));

    expect(await nameOf(victim.owner.agent)).toBe(before);
    expect((await attacker.owner.agent.get('/api/v1/me')).body.account.name).not.toBe('Forged Name');
  });

  it('needs no header for reads', async () => {
    const org = await createTestOrganisation(h);
    const reader = new TestAgent(h.app);
    reader.cookies.set('haven_session', org.owner.agent.cookies.get('haven_session')!);
    // No CSRF cookie, no header: reads are safe methods.
    const me = await reader.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.account.email).toBe(org.owner.email);
    expect((await reader.get('/api/v1/sessions')).status).toBe(200);
  });

  it('refuses a login without the header, and signs nobody in', async () => {
    const org = await createTestOrganisation(h);
    const credentials = { email: org.owner.email, password: org.owner.password };

    const agent = new TestAgent(h.app);
    await agent.get('/api/v1/auth/session'); // has the CSRF cookie, sends no header
    const response = await agent.request('POST', '/api/v1/auth/login', credentials, { csrf: false });
    expectCsrfRejected(response);
    expect(response.setCookies.some((cookie) => cookie.startsWith('haven_session='))).toBe(false);

    // Without even the cookie (a cross-site form post) it is refused too.
    const bare = new TestAgent(h.app);
    const formPost = await bare.request('POST', '/api/v1/auth/login', credentials, { csrf: false });
    expectCsrfRejected(formPost);
    expect(formPost.setCookies.some((cookie) => cookie.startsWith('haven_session='))).toBe(false);

    // Only the owner's original session exists.
    expect((await org.owner.agent.get('/api/v1/sessions')).body.sessions).toHaveLength(1);
  });
});
