import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/logger.ts';
import { TestAgent, type TestResponse } from './support/agent.ts';
import { enrolTotp, freshTotpCode, signupBody, unique } from './support/fixtures.ts';
import { createHarness, type TestHarness } from './support/harness.ts';

/*
 * The server's logs, captured at level trace, must hold none of the personal data or secrets that
 * passed through it: e-mail addresses, passwords, names, phone numbers, addresses, session and
 * CSRF tokens, link tokens, and no SQL parameters. Every value below is unique to this run, so
 * finding it in the log text can only mean it was logged.
 */

const lines: string[] = [];
const logText = () => lines.join('');

/** Every value that must never reach a log line, with what it is (for the failure message). */
const secrets = new Map<string, string>();
const secret = <T extends string>(what: string, value: T): T => {
  secrets.set(value, what);
  return value;
};
const phone = () => `+31 6 ${randomInt(10_000_000, 99_999_999)}`;

let h: TestHarness;
const agents: TestAgent[] = [];
const agent = () => {
  const created = new TestAgent(h.app);
  agents.push(created);
  return created;
};

/** Remembers the cookie values an agent holds (session and CSRF tokens) as secrets. */
function rememberCookies(of: TestAgent): void {
  for (const [name, value] of of.cookies) secret(`cookie ${name}`, value);
}

/** Remembers every link token mailed so far. */
function rememberMailedTokens(): void {
  for (const mail of h.mailer.sent) {
    for (const link of mail.links) {
      const token = /#token=([A-Za-z0-9_-]+)/.exec(link)?.[1];
      if (token) secret(`${mail.template} link token`, token);
    }
  }
}

const expectStatus = (response: TestResponse, status: number) => expect(response.status, JSON.stringify(response.body)).toBe(status);

beforeAll(async () => {
  h = await createHarness({ logger: createLogger('trace', { write: (line: string) => void lines.push(line) }) });

  // ----- sign-up and confirming the address -----
  const id = unique();
  const email = secret('owner e-mail', `log-owner-${id}@example.org`);
  const password = secret('owner password', `Secret harbour ${unique()} lighthouse`);
  const body = signupBody({ email, password, orgName: secret('organisation name', `Praktijk Loggen ${unique()}`), name: secret('owner name', `Ottoline Logmark ${unique()}`) });
  body.organisation.street = secret('street', `Loggracht ${unique()}`);
  body.organisation.city = secret('city', `Logstad${unique()}`);
  body.owner.phone = secret('owner phone', phone());
  body.owner.profession = secret('profession', `Logtherapeut ${unique()}`);
  const owner = agent();
  expectStatus(await owner.post('/api/v1/signup', body), 202);
  expectStatus(await owner.post('/api/v1/auth/verify-email', { token: h.mailer.lastToken(email, 'verify_email') }), 200);

  // ----- failed logins: wrong password, unknown address -----
  expectStatus(await agent().post('/api/v1/auth/login', { email, password: secret('wrong password', `Wrong harbour ${unique()}`) }), 401);
  expectStatus(await agent().post('/api/v1/auth/login', { email: secret('unknown e-mail', `nobody-${unique()}@example.org`), password: secret('unknown password', `Guess ${unique()}`) }), 401);

  // ----- a login, and a request with the session -----
  const login = await owner.post('/api/v1/auth/login', { email, password });
  expectStatus(login, 200);
  // An authenticator app is set up at this first sign-in (required or not, by the practice's rule).
  const enrolled = await enrolTotp(h, owner);
  secret('authenticator secret', enrolled.secret);
  for (const code of enrolled.recoveryCodes) secret('recovery code', code);
  rememberCookies(owner);
  expectStatus(await owner.get('/api/v1/me'), 200);
  // …and a second sign-in with a code (its six digits are too short to search for; the secret is not).
  const again = agent();
  expectStatus(await again.post('/api/v1/auth/login', { email, password }), 200);
  expectStatus(await again.post('/api/v1/auth/second-factor', { method: 'recovery_code', code: enrolled.recoveryCodes[0] }), 200);
  expectStatus(await again.post('/api/v1/auth/step-up', { method: 'totp', code: freshTotpCode(h, enrolled.secret) }), 200);

  // ----- a refused request with a wrong CSRF token -----
  const forged = secret('forged csrf token', `${unique()}${unique()}${unique()}${unique()}abc`.slice(0, 43));
  expectStatus(await owner.request('POST', '/api/v1/auth/heartbeat', undefined, { csrf: forged }), 403);

  // ----- a password reset request (and one for an unknown address) -----
  expectStatus(await agent().post('/api/v1/auth/password-reset', { email }), 202);
  expectStatus(await agent().post('/api/v1/auth/password-reset', { email: secret('unknown reset e-mail', `ghost-${unique()}@example.org`) }), 202);

  // ----- profile changes: name, phone, profession, and a new e-mail address -----
  expectStatus(
    await owner.patch('/api/v1/me', {
      name: secret('new name', `Ottilie Renamed ${unique()}`),
      phone: secret('new phone', phone()),
      profession: secret('new profession', `Logpsycholoog ${unique()}`),
    }),
    200,
  );
  expectStatus(await owner.patch('/api/v1/me', { email: secret('new e-mail', `log-new-${unique()}@example.org`), currentPassword: password }), 200);
  expectStatus(await owner.patch('/api/v1/me', { email: secret('another new e-mail', `log-other-${unique()}@example.org`), currentPassword: secret('wrong current password', `Not it ${unique()}`) }), 400);

  // ----- a password change and an invitation accepted by a new person -----
  expectStatus(await owner.post('/api/v1/me/password', { currentPassword: password, newPassword: secret('new password', `Fresh harbour ${unique()} beacon`) }), 200);
  rememberCookies(owner);
  const inviteeEmail = secret('invitee e-mail', `log-invitee-${unique()}@example.org`);
  expectStatus(await owner.post('/api/v1/invitations', { email: inviteeEmail, role: 'practitioner' }), 201);
  const invitee = agent();
  expectStatus(
    await invitee.post('/api/v1/invitations/accept', {
      token: h.mailer.lastToken(inviteeEmail, 'invitation'),
      password: secret('invitee password', `Invitee harbour ${unique()} dune`),
      name: secret('invitee name', `Ingrid Invitee ${unique()}`),
      phone: secret('invitee phone', phone()),
    }),
    200,
  );

  // ----- a value the database refuses (NUL), and a practice name change -----
  expectStatus(await owner.patch('/api/v1/organisation', { city: secret('refused city', `Nul\u0000city ${unique()}`) }), 400);
  expectStatus(await owner.patch('/api/v1/organisation', { name: secret('new organisation name', `Praktijk Hernoemd ${unique()}`) }), 200);

  for (const each of agents) rememberCookies(each);
  rememberMailedTokens();
});

afterAll(() => h.close());

describe('server logs', () => {
  it('were captured, with request ids, routes and statuses', () => {
    const text = logText();
    expect(lines.length).toBeGreaterThan(20);
    expect(text).toContain('"reqId"');
    expect(text).toContain('/api/v1/auth/login');
    expect(text).toContain('"statusCode":401');
    expect(text).toContain('request refused');
  });

  it('contain no e-mail address, password, name, phone number, address, session, CSRF or link token', () => {
    const text = logText();
    expect(secrets.size).toBeGreaterThan(25);
    const leaked = [...secrets].filter(([value]) => text.includes(value)).map(([value, what]) => `${what}: ${value}`);
    expect(leaked).toEqual([]);
    // Phone numbers also not as bare digits, nor any e-mail address of the example domain at all.
    for (const [value, what] of secrets) if (what.includes('phone')) expect(text).not.toContain(value.replace(/\D/g, '').slice(-8));
    expect(text).not.toMatch(/[a-z0-9.+-]+@example\.org/i);
  });

  it('contain no SQL, no query parameters and no request bodies', () => {
    const text = logText();
    expect(text).not.toMatch(/params:|Failed query|insert into|update "|select "/i);
    expect(text).not.toMatch(/"body":\s*\{/);
  });

  it('log an unexpected error by class and request id only, never its message', async () => {
    const email = secret('e-mail in a failing request', `log-crash-${unique()}@example.org`);
    const password = secret('password in a failing request', `Crash harbour ${unique()}`);
    const signup = signupBody({ email, password });
    expectStatus(await agent().post('/api/v1/signup', signup), 202);
    expectStatus(await agent().post('/api/v1/auth/verify-email', { token: h.mailer.lastToken(email, 'verify_email') }), 200);
    // A library failing in the middle of a login, with the kind of message that repeats its input.
    const hasher = h.services.hasher;
    const verify = hasher.verify;
    hasher.verify = async (_hash: string, given: string) => {
      throw new TypeError(`argon2 could not verify ${given} for ${email}`);
    };
    let response: TestResponse;
    try {
      response = await agent().post('/api/v1/auth/login', { email, password });
    } finally {
      hasher.verify = verify;
    }
    expect(response.status).toBe(500);
    expect(response.body.error.code).toBe('INTERNAL');
    const entry = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'unexpected error' && line.reqId === response.body.error.requestId);
    expect(entry).toMatchObject({ level: 50, errorClass: 'TypeError' });
    const text = logText();
    expect(text).not.toContain(email);
    expect(text).not.toContain(password);
    expect(text).not.toContain('argon2 could not verify');
  });

  it('log a failed mail delivery by template only, never the address or the server reply', async () => {
    const email = secret('e-mail of a failed delivery', `log-bounce-${unique()}@example.org`);
    const send = h.mailer.send;
    h.mailer.send = async (mail) => {
      throw new Error(`550 5.1.1 <${mail.to}>: mailbox unavailable; link ${mail.links[0]}`);
    };
    try {
      expectStatus(await agent().post('/api/v1/signup', signupBody({ email })), 202);
      await new Promise((resolve) => setTimeout(resolve, 50)); // mail goes out after the response
    } finally {
      h.mailer.send = send;
    }
    const entry = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'sending mail failed');
    expect(entry).toMatchObject({ level: 50, template: 'verify_email', errorClass: 'Error' });
    const text = logText();
    expect(text).not.toContain(email);
    expect(text).not.toContain('mailbox unavailable');
    expect(text).not.toContain('#token=');
  });
});
