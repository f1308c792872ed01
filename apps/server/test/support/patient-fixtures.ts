import { expect } from 'vitest';
import { TestAgent } from './agent.ts';
import { createTestPatient, enrolTotp, signIn, strongPassword, unique, type TestOrganisation } from './fixtures.ts';
import type { TestHarness } from './harness.ts';

/** A patient signed in to their practice's portal (features/patient-accounts, access.patient). */
export interface TestPatient {
  /** A browser whose session is in the patient's practice as that patient. */
  agent: TestAgent;
  patientId: string;
  accountId: string;
  email: string;
  password: string;
  /** The authenticator-app secret (set up at first sign-in when the practice requires one, or the existing account's). */
  totpSecret: string | null;
  recoveryCodes: string[];
}

export interface SignInPatientOptions {
  /** Who registers and invites the patient (default: the practice's owner, freshly signed in). */
  by?: { agent: TestAgent };
  /** Overrides of the patient's details (`patientBody`); the contact e-mail is the account's. */
  patient?: Record<string, unknown>;
  /**
   * An existing Haven account to link (e.g. staff of another practice): the invitation goes to its
   * address and is accepted with its password; its authenticator app answers the second step.
   */
  account?: { email: string; password: string; totpSecret?: string | null };
  /** A patient already registered (with `email` as contact address): invited instead of a new one. */
  existing?: { patientId: string; email: string };
}

/**
 * Registers a patient of `org` through the API (as its owner, who thereby joins the care team;
 * or takes `existing`),
 * invites them to the portal, accepts the invitation with the token from the outbox, and signs
 * the patient in to `org` — with the authenticator app when the account has one, or setting one
 * up first when the practice requires it of patients (`patientSecondFactorRequired`).
 */
export async function signInPatient(h: TestHarness, org: TestOrganisation, options: SignInPatientOptions = {}): Promise<TestPatient> {
  const inviter = options.by ?? { agent: (await signIn(h, org.owner, { organisationId: org.orgId })).agent };
  const email = options.existing?.email ?? options.account?.email ?? `patient-${unique()}@example.org`;
  const password = options.account?.password ?? strongPassword();
  const patientId = options.existing?.patientId ?? (await createTestPatient(inviter, { ...options.patient, contact: { email } })).id;
  const invited = await inviter.agent.post(`/api/v1/patients/${patientId}/invitation`, { locale: 'en', email });
  expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  const token = h.mailer.lastToken(email, 'patient_invitation');
  const accepted = await new TestAgent(h.app).post('/api/v1/patient-invitations/accept', { token, password, ...(options.account ? {} : { name: `Patient ${unique()}` }) });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);

  const { agent, login } = await signIn(h, { email, password, totpSecret: options.account?.totpSecret ?? null }, { organisationId: org.orgId });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  let me = login.body.me;
  let totpSecret = options.account?.totpSecret ?? null;
  let recoveryCodes: string[] = [];
  if (login.body.status === 'enrolment_required') {
    const enrolled = await enrolTotp(h, agent);
    me = enrolled.confirmed.body.me;
    totpSecret = enrolled.secret;
    recoveryCodes = enrolled.recoveryCodes;
  }
  expect(me.organisation, JSON.stringify(login.body)).toMatchObject({ id: org.orgId, kind: 'patient', patientId });
  return { agent, patientId, accountId: me.account.id, email, password, totpSecret, recoveryCodes };
}

/** Signs an existing test patient in again from a new browser (a session of its own). */
export async function signInAgain(h: TestHarness, org: TestOrganisation, patient: Pick<TestPatient, 'email' | 'password' | 'totpSecret'>): Promise<TestAgent> {
  const { agent, login } = await signIn(h, patient, { organisationId: org.orgId });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  expect(login.body.status).toBe('authenticated');
  return agent;
}
