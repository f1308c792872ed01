import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent } from '../../../test/support/agent.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';

/*
 * The general per-address limit, as someone hammering the API meets it: a clear 429 with when to
 * come back; and as a practice sharing one address meets it: opening pages never uses it up.
 */
let h: TestHarness;
beforeAll(async () => {
  h = await createHarness({ env: { HAVEN_RATE_LIMIT_PER_MINUTE: '10', HAVEN_LOGIN_RATE_LIMIT_PER_MINUTE: '3' } });
});
afterAll(() => h.close());

const from = (remoteAddress: string, url: string) => h.app.inject({ method: 'GET', url, remoteAddress });

describe('the general rate limit', () => {
  it('answers the request past the limit with 429 RATE_LIMITED and says when to retry', async () => {
    for (let i = 0; i < 10; i++) expect((await from('192.0.2.31', '/api/v1/me')).statusCode).toBe(401);
    const refused = await from('192.0.2.31', '/api/v1/me');
    expect(refused.statusCode).toBe(429);
    const body = refused.json();
    expect(body.error.code).toBe('RATE_LIMITED');
    expect(body.error.message).toMatch(/too many requests/i);
    expect(body.error.retryAfterSeconds).toBeGreaterThan(0);
    expect(body.error.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not held back by the first one's requests.
    expect((await from('192.0.2.32', '/api/v1/me')).statusCode).toBe(401);
  });

  it("does not count the web app's pages and files, so page loads from one office never use it up", async () => {
    for (let i = 0; i < 30; i++) {
      for (const url of ['/login', '/assets/index.js', '/favicon.svg']) expect((await from('192.0.2.33', url)).statusCode, `${url} #${i}`).not.toBe(429);
    }
    // ...while the API from that same address still has its whole allowance.
    for (let i = 0; i < 10; i++) expect((await from('192.0.2.33', '/api/v1/me')).statusCode).toBe(401);
    expect((await from('192.0.2.33', '/api/v1/me')).statusCode).toBe(429);
  });

  it('holds sign-in to its stricter limit, and sign-in attempts count toward the general one too', async () => {
    const agent = new TestAgent(h.app, { ip: '192.0.2.34' }); // its first write fetches a CSRF cookie: one general request
    const login = () => agent.post('/api/v1/auth/login', { email: 'nobody@example.org', password: 'not the password at all' });
    for (let i = 0; i < 3; i++) expect((await login()).status).toBe(401);
    const fourth = await login();
    expect(fourth.status).toBe(429);
    expect(fourth.body.error.code).toBe('RATE_LIMITED');
    // Five of the address's ten general requests are gone (the cookie fetch and four attempts).
    for (let i = 0; i < 5; i++) expect((await from('192.0.2.34', '/api/v1/me')).statusCode).toBe(401);
    expect((await from('192.0.2.34', '/api/v1/me')).statusCode).toBe(429);
  });
});
