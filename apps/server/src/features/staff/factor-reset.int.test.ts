import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, freshTotpCode, signIn, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';

/*
 * An administrator resets a colleague's second factors after the colleague lost their phone:
 * only owners and admins, only after their own step-up, never their own factors, never an
 * owner's unless they are an owner, never across practices; the colleague's factors and
 * sessions are gone, the next sign-in asks for a new factor, the reset is audited with how
 * the identity was checked, and the colleague is told by e-mail.
 */

const minute = 60_000;
let h: TestHarness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
}

const resetOf = (by: TestPerson, target: TestPerson, identityCheck = 'phone_call') => by.agent.post(`/api/v1/staff/${target.membershipId}/reset-second-factor`, { identityCheck });

/** The person proves themselves again with the app (step-up). */
async function stepUp(person: TestPerson): Promise<void> {
  const answer = await person.agent.post('/api/v1/auth/step-up', { method: 'totp', code: freshTotpCode(h, person.totpSecret!) });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
}

describe('an admin resets a practitioner who lost their phone', () => {
  let org: TestOrganisation;
  let admin: TestPerson;
  let practitioner: TestPerson;

  beforeAll(async () => {
    org = await createTestOrganisation(h);
    admin = await addMember(h, org, 'admin');
    practitioner = await addMember(h, org, 'practitioner');
  });

  it('needs a fresh step-up of the admin; without it nothing changes', async () => {
    h.clock.advance(6 * minute);
    expectError(await resetOf(admin, practitioner), 403, 'STEP_UP_REQUIRED');
    // The practitioner is still signed in and still has the app.
    const mine = await practitioner.agent.get('/api/v1/me/security');
    expect(mine.status).toBe(200);
    expect(mine.body.totp).not.toBeNull();
  });

  it('after step-up: factors and recovery codes gone, every session ended, the person mailed', async () => {
    await stepUp(admin);
    const reset = await resetOf(admin, practitioner, 'video_call');
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);

    // The old session is over.
    expect((await practitioner.agent.get('/api/v1/me')).status).toBe(401);

    const mail = h.mailer.last(practitioner.email, 'factors_reset_by_admin');
    expect(mail?.subject).toBe('Your Haven sign-in factors were reset');
    expect(mail?.text).toContain('by video call');

    // The old app code and recovery codes sign nobody in: the password leads to a new setup.
    const again = await signIn(h, { email: practitioner.email, password: practitioner.password }, { organisationId: org.orgId });
    expect(again.login.status).toBe(200);
    expect(again.login.body.status).toBe('enrolment_required');
    const recovery = await again.agent.post('/api/v1/auth/second-factor', { method: 'recovery_code', code: practitioner.recoveryCodes[0] });
    expect(recovery.status).toBeGreaterThanOrEqual(400);
    const summary = await again.agent.get('/api/v1/me/security');
    expect(summary.body.totp).toBeNull();
    expect(summary.body.recoveryCodes).toBeNull();
    expect(summary.body.passkeys).toBe(0);
  });

  it('is in the audit trail with who did it and how the identity was checked', async () => {
    await stepUp(org.owner);
    const page = await org.owner.agent.get('/api/v1/audit-events?action=mfa.factors_reset_by_admin');
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    const [event] = page.body.events as Array<{ actorAccountId: string; actorRole: string; resourceId: string; reason: string }>;
    expect(event).toMatchObject({ actorAccountId: admin.accountId, actorRole: 'admin', resourceId: practitioner.accountId, reason: 'identity checked: video_call' });
  });
});

describe('who may reset whose factors', () => {
  let org: TestOrganisation;
  let admin: TestPerson;
  let practitioner: TestPerson;
  let other: TestOrganisation;

  beforeAll(async () => {
    org = await createTestOrganisation(h);
    admin = await addMember(h, org, 'admin');
    practitioner = await addMember(h, org, 'practitioner');
    other = await createTestOrganisation(h);
  });

  it('a practitioner may not (403) and the colleague keeps their app', async () => {
    const assistant = await addMember(h, org, 'assistant');
    expectError(await resetOf(practitioner, assistant), 403, 'FORBIDDEN');
    expect((await assistant.agent.get('/api/v1/me/security')).body.totp).not.toBeNull();
  });

  it('an admin may not reset an owner; an owner may not reset themselves here', async () => {
    await stepUp(admin);
    expectError(await resetOf(admin, org.owner), 403, 'FORBIDDEN');
    await stepUp(org.owner);
    expectError(await resetOf(org.owner, org.owner), 409, 'FACTOR_RESET_OWN');
    expect((await org.owner.agent.get('/api/v1/me/security')).body.totp).not.toBeNull();
  });

  it("another practice's owner gets 404 and changes nothing", async () => {
    await stepUp(other.owner);
    expectError(await resetOf(other.owner, practitioner), 404, 'MEMBER_NOT_FOUND');
    expect((await practitioner.agent.get('/api/v1/me/security')).body.totp).not.toBeNull();
  });

  it('refuses an unknown identity check with 400 naming the field', async () => {
    await stepUp(org.owner);
    const answer = await resetOf(org.owner, practitioner, 'looked_familiar');
    expectError(answer, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(answer.body)).toContain('identityCheck');
  });
});
