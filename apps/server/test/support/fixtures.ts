import type { StaffRole } from '@haven/contracts';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { TestAgent } from './agent.ts';
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
}

export interface TestOrganisation {
  orgId: string;
  name: string;
  owner: TestPerson;
}

/** Signs up a practice through the API, verifies the owner's address and logs the owner in. */
export async function createTestOrganisation(h: TestHarness, options: { locale?: 'en' | 'de' | 'nl' } = {}): Promise<TestOrganisation> {
  const body = signupBody({ locale: options.locale ?? 'en' });
  const agent = new TestAgent(h.app);
  const signup = await agent.post('/api/v1/signup', body);
  expect(signup.status).toBe(202);
  const token = h.mailer.lastToken(body.owner.email, 'verify_email');
  expect((await agent.post('/api/v1/auth/verify-email', { token })).status).toBe(200);
  const login = await agent.post('/api/v1/auth/login', { email: body.owner.email, password: body.owner.password });
  expect(login.status).toBe(200);
  const me = login.body.me;
  const staff = await agent.get('/api/v1/staff');
  const membership = staff.body.members.find((m: { accountId: string }) => m.accountId === me.account.id);
  return {
    orgId: me.organisation.id,
    name: body.organisation.name,
    owner: { email: body.owner.email, password: body.owner.password, accountId: me.account.id, membershipId: membership.id, role: 'owner', agent },
  };
}

/** Invites a new person with `role`, accepts the invitation and logs them in. */
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
  expect(login.status).toBe(200);
  const staff = await org.owner.agent.get('/api/v1/staff');
  const membership = staff.body.members.find((m: { email: string }) => m.email === email);
  return { email, password, accountId: login.body.me.account.id, membershipId: membership.id, role, agent };
}
