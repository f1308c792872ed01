import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, createTestPatient, signIn, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { signInPatient, type TestPatient } from '../../../test/support/patient-fixtures.ts';
import { portalWall } from '../../core/authz/authorize.ts';
import { patientOf } from '../../core/context.ts';
import { queryRows } from '../../core/db/database.ts';
import { access } from '../../core/http/access.ts';
import { registerErrorHandler } from '../../core/http/error-handler.ts';
import { registerAccessGuard } from './guard.ts';

/*
 * `access.patient` (the portal's access level) before the portal's own routes exist: a small app
 * with the real guard and two probe routes, sharing the harness's services and sessions. The
 * authorisation matrix covers the real routes once they are registered.
 */

let h: TestHarness;
let probe: FastifyInstance;
let org: TestOrganisation;
let patient: TestPatient;
beforeAll(async () => {
  h = await createHarness();
  probe = Fastify();
  await probe.register(fastifyCookie);
  registerAccessGuard(probe, h.services);
  registerErrorHandler(probe, { spaIndex: false });
  probe.get('/probe/portal', { config: { access: access.patient } }, async (request) => {
    const principal = patientOf(request.ctx);
    // The patient's transaction runs behind the portal_self wall: only their own patient row is there.
    const visible = await h.services.db.tenant(principal.orgId, (tx) => queryRows<{ id: string }>(tx, sql`select id from patients`), portalWall(request.ctx));
    return { kind: principal.kind, patientId: principal.patientId, orgId: principal.orgId, permissions: [...principal.permissions], visible: visible.map((row) => row.id) };
  });
  probe.get('/probe/staff', { config: { access: access.member } }, async () => ({ ok: true }));
  await probe.ready();
  org = await createTestOrganisation(h);
  await createTestPatient(org.owner); // another patient of the practice, which the portal must not show
  patient = await signInPatient(h, org);
});
afterAll(async () => {
  await probe.close();
  await h.close();
});

/** The same browser (its cookies), talking to the probe app. */
function onProbe(agent: TestAgent): TestAgent {
  const copy = new TestAgent(probe);
  for (const [name, value] of agent.cookies) copy.cookies.set(name, value);
  return copy;
}

describe('access.patient', () => {
  it('lets the patient in as a patient principal: kind, patient id, practice, no permissions, behind the portal wall', async () => {
    const answer = await onProbe(patient.agent).get('/probe/portal');
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toEqual({ kind: 'patient', patientId: patient.patientId, orgId: org.orgId, permissions: [], visible: [patient.patientId] });
  });

  it('refuses the practice’s staff (403 FORBIDDEN, audited), the owner included', async () => {
    const { agent } = await signIn(h, org.owner, { organisationId: org.orgId });
    const answer = await onProbe(agent).get('/probe/portal');
    expect({ status: answer.status, code: answer.body.error.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    const assistant = await addMember(h, org, 'assistant');
    expect((await onProbe(assistant.agent).get('/probe/portal')).status).toBe(403);
    const denied = (await agent.get(`/api/v1/audit-events?action=access.denied&resourceId=${encodeURIComponent('GET /probe/portal')}`)).body.events;
    expect(denied.map((event: { actorRole: string }) => event.actorRole).sort()).toEqual(['assistant', 'owner']);
  });

  it('refuses a patient on a staff route, and no session at all with 401', async () => {
    expect((await onProbe(patient.agent).get('/probe/staff')).status).toBe(403);
    const none = await new TestAgent(probe).get('/probe/portal');
    expect({ status: none.status, code: none.body.error.code }).toEqual({ status: 401, code: 'AUTH_REQUIRED' });
  });

  it("refuses another practice's patient: their session is in their own practice", async () => {
    const other = await createTestOrganisation(h);
    const theirs = await signInPatient(h, other);
    const answer = await onProbe(theirs.agent).get('/probe/portal');
    expect(answer.body).toMatchObject({ kind: 'patient', orgId: other.orgId, visible: [theirs.patientId] });
  });
});
