import type { StaffRole } from '@haven/contracts';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { organisations } from '../../src/core/db/schema.ts';
import { totpCodeAt } from '../../src/features/second-factor/totp.ts';
import { TestAgent, type TestResponse } from './agent.ts';
import type { TestHarness } from './harness.ts';

export const unique = (): string => randomBytes(5).toString('hex');
export const strongPassword = (): string => `Tulip meadow ${unique()} lantern`;

export function signupBody(overrides: { email?: string; password?: string; orgName?: string; locale?: 'en' | 'de' | 'nl'; name?: string } = {}) {
  const id = unique();
  return {
    organisation: {
      name: overrides.orgName ?? `Praktijk ${id}`,
      street: 'Keizersgracht 1',
      postalCode: '1015 CJ',
      city: 'Amsterdam',
      country: 'NL',
      kind: 'psychotherapy',
    },
    owner: {
      name: overrides.name ?? `Owner ${id}`,
      email: overrides.email ?? `owner-${id}@example.org`,
      phone: '+31 20 123 4567',
      profession: 'Psychologist',
      password: overrides.password ?? strongPassword(),
      locale: overrides.locale ?? 'en',
    },
    acceptTerms: true,
    acceptDpa: true,
    termsVersion: '2026-11',
    dpaVersion: '2026-11',
  };
}

export interface TestPerson {
  email: string;
  password: string;
  accountId: string;
  membershipId: string;
  role: StaffRole;
  agent: TestAgent;
  /** The authenticator-app secret the fixture enrolled (null when the practice does not require one). */
  totpSecret: string | null;
  recoveryCodes: string[];
}

export interface TestOrganisation {
  orgId: string;
  name: string;
  owner: TestPerson;
}

/**
 * How the practice's people sign in. `totp` (the default, as for a real practice): the practice
 * requires a second factor and every person set up an authenticator app at first sign-in.
 * `not-required`: the test switched the practice's 2FA rule off before anyone signed in (for
 * tests of the password step itself, or of setting up a first factor).
 */
export type SecondFactorSetup = 'totp' | 'not-required';

// A code works once per 30-second step (per secret); the fixture moves the test clock on to the
// next step when it needs another code in the same one.
const lastStepUsed = new Map<string, number>();
export function freshTotpCode(h: TestHarness, secret: string): string {
  const stepOf = (date: Date) => Math.floor(date.getTime() / 30_000);
  const used = lastStepUsed.get(secret);
  if (used !== undefined && stepOf(h.clock.now()) <= used) h.clock.advance((used + 1) * 30_000 - h.clock.now().getTime() + 1_000);
  lastStepUsed.set(secret, stepOf(h.clock.now()));
  return totpCodeAt(secret, h.clock.now());
}

/** Sets up an authenticator app on a session that must enrol (or may); returns the secret and codes. */
export async function enrolTotp(h: TestHarness, agent: TestAgent): Promise<{ secret: string; recoveryCodes: string[]; confirmed: TestResponse }> {
  const setup = await agent.post('/api/v1/me/totp/setup');
  expect(setup.status, JSON.stringify(setup.body)).toBe(200);
  const confirmed = await agent.post('/api/v1/me/totp/confirm', { code: freshTotpCode(h, setup.body.secret) });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  return { secret: setup.body.secret, recoveryCodes: confirmed.body.recoveryCodes ?? [], confirmed };
}

/**
 * Signs a person in from a new browser (or `agent`): the password, then — when the account has an
 * authenticator app — a fresh code. `login` is the last answer (the second step's when there was one).
 */
export async function signIn(
  h: TestHarness,
  person: { email: string; password: string; totpSecret?: string | null },
  options: { organisationId?: string; agent?: TestAgent } = {},
): Promise<{ agent: TestAgent; login: TestResponse }> {
  const agent = options.agent ?? new TestAgent(h.app);
  const first = await agent.post('/api/v1/auth/login', { email: person.email, password: person.password, ...(options.organisationId ? { organisationId: options.organisationId } : {}) });
  if (first.status !== 200 || first.body.status !== 'second_factor_required') return { agent, login: first };
  if (!person.totpSecret) throw new Error('the account asks for a second factor, but the test person has no authenticator app');
  const second = await agent.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, person.totpSecret) });
  return { agent, login: second };
}

/**
 * Test-only shortcut: sets the practice's 2FA rule in the database, as if an owner had done so,
 * before the owner's first full sign-in (the rule decides what that sign-in asks for).
 */
async function setSecondFactorRule(h: TestHarness, orgId: string, required: boolean): Promise<void> {
  await h.db.tenant(orgId, (tx) => tx.update(organisations).set({ secondFactorRequired: required }).where(eq(organisations.id, orgId)));
}

/** After the password step of a first sign-in: enrols an app when the practice requires one. */
async function finishFirstSignIn(h: TestHarness, agent: TestAgent, login: TestResponse): Promise<{ me: any; totpSecret: string | null; recoveryCodes: string[] }> {
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  if (login.body.status !== 'enrolment_required') return { me: login.body.me, totpSecret: null, recoveryCodes: [] };
  const enrolled = await enrolTotp(h, agent);
  return { me: enrolled.confirmed.body.me, totpSecret: enrolled.secret, recoveryCodes: enrolled.recoveryCodes };
}

/**
 * Signs up a practice through the API, verifies the owner's address and signs the owner in —
 * setting up an authenticator app at that first sign-in, as the practice's rule requires.
 */
export async function createTestOrganisation(h: TestHarness, options: { locale?: 'en' | 'de' | 'nl'; secondFactor?: SecondFactorSetup } = {}): Promise<TestOrganisation> {
  const body = signupBody({ locale: options.locale ?? 'en' });
  const agent = new TestAgent(h.app);
  const signup = await agent.post('/api/v1/signup', body);
  expect(signup.status).toBe(202);
  const token = h.mailer.lastToken(body.owner.email, 'verify_email');
  const verified = await agent.post('/api/v1/auth/verify-email', { token });
  expect(verified.status).toBe(200);
  let login = await agent.post('/api/v1/auth/login', { email: body.owner.email, password: body.owner.password });
  const required = options.secondFactor !== 'not-required';
  if ((login.body.status === 'enrolment_required') !== required) {
    // The first answer's `me` names the practice: set its rule as the test wants, and start over.
    await setSecondFactorRule(h, login.body.me.organisation.id, required);
    await agent.post('/api/v1/auth/logout');
    login = await agent.post('/api/v1/auth/login', { email: body.owner.email, password: body.owner.password });
  }
  const { me, totpSecret, recoveryCodes } = await finishFirstSignIn(h, agent, login);
  const staff = await agent.get('/api/v1/staff');
  expect(staff.status, JSON.stringify(staff.body)).toBe(200);
  const membership = staff.body.members.find((m: { accountId: string }) => m.accountId === me.account.id);
  return {
    orgId: me.organisation.id,
    name: body.organisation.name,
    owner: { email: body.owner.email, password: body.owner.password, accountId: me.account.id, membershipId: membership.id, role: 'owner', agent, totpSecret, recoveryCodes },
  };
}

/** Invites a new person with `role`, accepts the invitation and signs them in (enrolling an app when required). */
export async function addMember(h: TestHarness, org: TestOrganisation, role: StaffRole): Promise<TestPerson> {
  const email = `${role}-${unique()}@example.org`;
  const password = strongPassword();
  const invite = await org.owner.agent.post('/api/v1/invitations', { email, role });
  expect(invite.status).toBe(201);
  const token = h.mailer.lastToken(email, 'invitation');
  const agent = new TestAgent(h.app);
  const accepted = await agent.post('/api/v1/invitations/accept', { token, password, name: `${role} ${unique()}` });
  expect(accepted.status).toBe(200);
  const login = await agent.post('/api/v1/auth/login', { email, password, organisationId: org.orgId });
  const { me, totpSecret, recoveryCodes } = await finishFirstSignIn(h, agent, login);
  const staff = await org.owner.agent.get('/api/v1/staff');
  const membership = staff.body.members.find((m: { email: string }) => m.email === email);
  return { email, password, accountId: me.account.id, membershipId: membership.id, role, agent, totpSecret, recoveryCodes };
}

/** A valid Dutch citizen service number (BSN, 11-proof), different each call. */
export function testBsn(): string {
  for (;;) {
    const digits = Array.from({ length: 8 }, (_, i) => (i === 0 ? 1 + Math.floor(Math.random() * 9) : Math.floor(Math.random() * 10)));
    const check = digits.reduce((sum, digit, i) => sum + digit * (9 - i), 0) % 11;
    if (check <= 9) return [...digits, check].join('');
  }
}

/** A new patient's details as the practice would type them; names carry a unique word to search for. */
export function patientBody(overrides: Record<string, unknown> = {}) {
  return {
    name: { family: `Jansen-${unique()}`, given: 'Anna' },
    birthDate: '1980-04-12',
    sex: 'female',
    contact: { email: `patient-${unique()}@example.org`, phone: '+31 6 12345678' },
    nationalId: { kind: 'bsn', value: testBsn() },
    ...overrides,
  };
}

/** Registers a patient through the API as `by` (a practitioner or owner also joins the care team). */
export async function createTestPatient(by: { agent: TestAgent }, overrides: Record<string, unknown> = {}): Promise<{ id: string; body: ReturnType<typeof patientBody> }> {
  const body = patientBody(overrides);
  const created = await by.agent.post('/api/v1/patients', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { id: created.body.id, body };
}
