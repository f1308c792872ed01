import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createTestOrganisation, createTestPatient, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { appendAudit, auditRow, type AuditMeta } from '../../core/audit/record.ts';
import { verifyOrganisation } from '../../core/audit/verify.ts';
import { decidePatientAccess, loadPatientFacts, portalWall } from '../../core/authz/authorize.ts';
import { permissionsOfRole } from '../../core/authz/role-permissions.ts';
import { satisfies, type Decision, type Requirement } from '../../core/authz/policies.ts';
import type { Principal, RequestContext } from '../../core/context.ts';
import { dbFunctions } from '../../core/db/functions.ts';
import { auditEvents, breakGlassGrants, careTeamMembers, patients } from '../../core/db/schema.ts';
import { dossierEvent } from './audit.ts';
import { openDossierPage } from './repository.ts';

/*
 * One rule, two evaluators (docs/design/patients-and-dossiers.md §6.2): the policy is TypeScript's
 * (`requirementFor` + `satisfies` over `loadPatientFacts`); `haven_open_dossier` only evaluates
 * the Requirement it is given, inside the database. Every Requirement × facts combination must
 * come out the same through both, and the audit row the function writes must equal the one
 * `appendAudit` writes for the same event on the house path — after which the chain verifies.
 */

let h: TestHarness;
let org: TestOrganisation;
let other: TestOrganisation;
let subject: TestPerson; // the practitioner whose access is decided
let colleague: TestPerson; // holds grants that are not the subject's
let assistant: TestPerson;
beforeAll(async () => {
  h = await createHarness();
  org = await createTestOrganisation(h, { secondFactor: 'not-required' });
  other = await createTestOrganisation(h, { secondFactor: 'not-required' });
  subject = await addMember(h, org, 'practitioner');
  colleague = await addMember(h, org, 'practitioner');
  assistant = await addMember(h, org, 'assistant');
});
afterAll(() => h.close());

const hours = (n: number) => n * 3_600_000;

async function joinCareTeam(patientId: string, member: TestPerson): Promise<void> {
  await h.db.tenant(org.orgId, (tx) =>
    tx.insert(careTeamMembers).values({ orgId: org.orgId, patientId, membershipId: member.membershipId, roleInTeam: 'member', addedByAccountId: org.owner.accountId, addedAt: h.clock.now() }),
  );
}

async function grant(patientId: string, member: TestPerson, shape: { fromHours: number; toHours: number; ended?: boolean }): Promise<string> {
  const id = randomUUID();
  const now = h.clock.now().getTime();
  const grantedAt = new Date(now + hours(shape.fromHours));
  await h.db.tenant(org.orgId, (tx) =>
    tx.insert(breakGlassGrants).values({
      orgId: org.orgId,
      id,
      patientId,
      membershipId: member.membershipId,
      accountId: member.accountId,
      reasonCode: 'emergency',
      grantedAt,
      expiresAt: new Date(now + hours(shape.toHours)),
      ...(shape.ended ? { endedAt: grantedAt } : {}),
    }),
  );
  return id;
}

/** The facts a scenario sets up for `subject` and one patient; returns the patient id asked for. */
type Scenario = { name: string; setUp: () => Promise<string> };
const newPatient = async () => (await createTestPatient(org.owner)).id;
const scenarios: Scenario[] = [
  { name: 'not in the care team, no grant', setUp: newPatient },
  { name: 'in the care team', setUp: async () => { const id = await newPatient(); await joinCareTeam(id, subject); return id; } },
  { name: 'valid grant', setUp: async () => { const id = await newPatient(); await grant(id, subject, { fromHours: -0.5, toHours: 0.5 }); return id; } },
  { name: 'two valid grants (the later-ending one is named)', setUp: async () => { const id = await newPatient(); await grant(id, subject, { fromHours: -0.5, toHours: 0.5 }); await grant(id, subject, { fromHours: -0.2, toHours: 0.9 }); return id; } },
  { name: 'in the care team and a valid grant', setUp: async () => { const id = await newPatient(); await joinCareTeam(id, subject); await grant(id, subject, { fromHours: -0.5, toHours: 0.5 }); return id; } },
  { name: 'expired grant', setUp: async () => { const id = await newPatient(); await grant(id, subject, { fromHours: -2, toHours: -1 }); return id; } },
  { name: 'grant ending exactly now (expired)', setUp: async () => { const id = await newPatient(); await grant(id, subject, { fromHours: -1, toHours: 0 }); return id; } },
  { name: 'ended grant', setUp: async () => { const id = await newPatient(); await grant(id, subject, { fromHours: -0.5, toHours: 0.5, ended: true }); return id; } },
  { name: "another member's grant", setUp: async () => { const id = await newPatient(); await grant(id, colleague, { fromHours: -0.5, toHours: 0.5 }); return id; } },
  { name: 'a grant for another patient', setUp: async () => { const id = await newPatient(); await grant(await newPatient(), subject, { fromHours: -0.5, toHours: 0.5 }); return id; } },
  {
    name: 'erased (in the care team)',
    setUp: async () => {
      const id = await newPatient();
      await joinCareTeam(id, subject);
      await h.db.tenant(org.orgId, (tx) => tx.update(patients).set({ status: 'erased', erasedAt: h.clock.now() } as never).where(and(eq(patients.orgId, org.orgId), eq(patients.id, id))));
      return id;
    },
  },
  { name: 'no such patient', setUp: async () => randomUUID() },
  { name: "another practice's patient", setUp: async () => (await createTestPatient(other.owner)).id },
];

/** Who asks: the staff member, or a patient in the portal who is (or is not) the patient asked for. */
type Asker = 'staff' | 'the patient' | 'another patient';
const askers: Asker[] = ['staff', 'the patient', 'another patient'];
const requirements = ['care_team_or_grant', 'self', 'deny'] as const;

function principalOf(asker: Asker, patientId: string, otherPatientId: string): Principal {
  const base = { orgId: org.orgId, sessionId: 'test', accountId: subject.accountId, role: null, customRoleId: null };
  return (
    asker === 'staff'
      ? { ...base, kind: 'staff', role: 'practitioner', membershipId: subject.membershipId, patientId: null, permissions: permissionsOfRole('practitioner') }
      : { ...base, kind: 'patient', membershipId: null, patientId: asker === 'the patient' ? patientId : otherPatientId, permissions: new Set() }
  ) as unknown as Principal;
}

const metaFor = (principal: Principal, requestId: string): AuditMeta => ({
  now: h.clock.now(),
  requestId,
  ip: '192.0.2.7',
  // Longer than the record keeps: both paths must cut it the same way.
  userAgent: `Mozilla/5.0 (parity) ${'x'.repeat(500)}`,
  actorAccountId: principal.accountId,
  actorRole: principal.role,
});

/**
 * The house path for a dossier read, as `withPatientAccess` (a patient behind the portal wall),
 * `decidePatientAccess` and the old `openDossier` did it: decision and audit row.
 */
async function housePath(requirement: Requirement, principal: Principal, patientId: string, meta: AuditMeta): Promise<Decision> {
  const wall = portalWall({ principal } as unknown as RequestContext);
  return h.db.tenant(org.orgId, async (tx) => {
    const facts = await loadPatientFacts(tx, principal, patientId, meta.now);
    const decision = satisfies(requirement, facts);
    if (decision.allow) {
      await appendAudit(tx, org.orgId, meta, dossierEvent({ action: 'dossier.viewed', outcome: 'success', resourceType: 'dossier', resourceId: patientId, patientId, ...(decision.grantId ? { reason: `break_glass:${decision.grantId}` } : {}) }));
    } else if (facts.exists) {
      await appendAudit(tx, org.orgId, meta, { action: 'access.denied', outcome: 'denied', resourceType: 'dossier', resourceId: patientId, patientId, reason: `${decision.reason}:read` });
    }
    return decision;
  }, wall);
}

/** The same read through `haven_open_dossier`, its result as a Decision. */
async function functionPath(requirement: (typeof requirements)[number], principal: Principal, patientId: string, meta: AuditMeta): Promise<Decision & { grantExpiresAt?: string }> {
  const row = auditRow(org.orgId, meta, { action: 'dossier.viewed', outcome: 'success' });
  const result = await openDossierPage(h.db, org.orgId, {
    unverifiedPatientId: patientId,
    requirement,
    membershipId: principal.membershipId,
    selfPatientId: principal.kind === 'patient' ? principal.patientId : null,
    audit: { occurredAt: meta.now, actorAccountId: row.actorAccountId ?? null, actorRole: row.actorRole ?? null, requestId: row.requestId ?? null, ip: row.ip ?? null, userAgent: row.userAgent ?? null },
    filter: { limit: 21 },
  });
  if ('refused' in result) return result.refused;
  return { allow: true, basis: result.basis, ...(result.grant ? { grantId: result.grant.id, grantExpiresAt: result.grant.expiresAt.toISOString() } : {}) };
}

/** The audit rows of one request id, without the two columns that differ by construction. */
async function auditRowsOf(requestId: string) {
  const rows = await h.db.tenant(org.orgId, (tx) => tx.select().from(auditEvents).where(eq(auditEvents.requestId, requestId)));
  return rows.map(({ id: _id, requestId: _requestId, ...rest }) => rest);
}

describe('haven_open_dossier against satisfies (every Requirement × facts)', () => {
  it('decides every combination as satisfies does, and writes the audit row appendAudit writes', async () => {
    const otherPatientId = await newPatient();
    let compared = 0;
    let recorded = 0;
    let allowed = 0;
    for (const scenario of scenarios) {
      const patientId = await scenario.setUp();
      for (const asker of askers) {
        for (const requirement of requirements) {
          const label = `${scenario.name} / ${asker} / ${requirement}`;
          const principal = principalOf(asker, patientId, otherPatientId);
          const houseId = `house-${randomUUID()}`;
          const functionId = `fn-${randomUUID()}`;
          const expected = await housePath(requirement, principal, patientId, metaFor(principal, houseId));
          const actual = await functionPath(requirement, principal, patientId, metaFor(principal, functionId));
          const { grantExpiresAt, ...decision } = actual;
          expect(decision, label).toEqual(expected);
          if (expected.allow && expected.basis === 'break_glass') {
            // The expiry the dossier shows is the one the facts read.
            const facts = await h.db.tenant(org.orgId, (tx) => loadPatientFacts(tx, principal, patientId, h.clock.now()));
            expect(grantExpiresAt, label).toBe(facts.grant!.expiresAt.toISOString());
          } else {
            expect(grantExpiresAt, label).toBeUndefined();
          }
          const [houseRows, functionRows] = [await auditRowsOf(houseId), await auditRowsOf(functionId)];
          expect(functionRows, label).toEqual(houseRows);
          expect(functionRows.length, label).toBeLessThanOrEqual(1);
          compared += 1;
          recorded += functionRows.length;
          if (expected.allow) allowed += 1;
        }
      }
    }
    expect(compared).toBe(scenarios.length * askers.length * requirements.length);
    // Not a vacuous comparison: both outcomes and both kinds of record occurred.
    expect(allowed).toBeGreaterThanOrEqual(6);
    expect(recorded).toBeGreaterThan(allowed);
  });

  it('writes the same refusal rows as decidePatientAccess for real staff principals (care team rule, and a role without dossier:read)', async () => {
    const patientId = await newPatient();
    for (const person of [subject, assistant]) {
      const principal = { orgId: org.orgId, sessionId: 'test', accountId: person.accountId, kind: 'staff', role: person.role, customRoleId: null, membershipId: person.membershipId, patientId: null, permissions: permissionsOfRole(person.role) } as unknown as Principal;
      const ctx = (requestId: string) => ({ services: h.services, requestId, ip: '198.51.100.3', userAgent: 'parity-agent', principal }) as unknown as RequestContext;
      const houseId = `house-${randomUUID()}`;
      const functionId = `fn-${randomUUID()}`;
      const decided = await h.db.tenant(org.orgId, (tx) => decidePatientAccess(ctx(houseId), tx, { unverifiedPatientId: patientId, resource: 'dossier', action: 'read' }));
      const requirement = person === subject ? 'care_team_or_grant' : 'deny';
      const result = await openDossierPage(h.db, org.orgId, {
        unverifiedPatientId: patientId,
        requirement,
        membershipId: person.membershipId,
        selfPatientId: null,
        audit: { occurredAt: h.clock.now(), actorAccountId: person.accountId, actorRole: person.role, requestId: functionId, ip: '198.51.100.3', userAgent: 'parity-agent' },
        filter: { limit: 21 },
      });
      expect('refused' in decided && decided.refused).toEqual('refused' in result && result.refused);
      const houseRows = await auditRowsOf(houseId);
      expect(houseRows).toHaveLength(1);
      expect(await auditRowsOf(functionId)).toEqual(houseRows);
    }
  });

  it('refuses any Requirement a dossier read cannot have, recording nothing', async () => {
    const patientId = await newPatient();
    await joinCareTeam(patientId, subject);
    for (const requirement of ['practice', 'anything', null]) {
      const requestId = `fn-${randomUUID()}`;
      const call = h.db.callTenantFunction(org.orgId, dbFunctions.openDossier, [patientId, subject.accountId, 'practitioner', subject.membershipId, null, requirement, h.clock.now().toISOString(), 21, null, null, null, null, requestId, null, null]);
      await expect(call).rejects.toThrow(/cannot have requirement/);
      expect(await auditRowsOf(requestId)).toEqual([]);
    }
  });

  it('leaves an audit chain that verifies once sealed', async () => {
    await h.services.sealer.sealOnce();
    const result = await verifyOrganisation(h.db, org.orgId, h.services.signer.publicKey, h.clock.now());
    expect(result.problem).toBeNull();
    expect(result.unsealedRecent).toBe(0);
    const viewed = await h.db.tenant(org.orgId, (tx) => tx.select({ id: auditEvents.id }).from(auditEvents).where(eq(auditEvents.action, 'dossier.viewed')));
    expect(viewed.length).toBeGreaterThan(0);
    expect(result.recordsChecked).toBeGreaterThanOrEqual(viewed.length);
  });
});
