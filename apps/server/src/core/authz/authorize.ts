import { sql } from 'drizzle-orm';
import { appendAudit } from '../audit/record.ts';
import { auditMeta, type Principal, type RequestContext } from '../context.ts';
import { queryRows, type Tx } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { satisfies, requirementFor, type AccessBasis, type ActionOf, type Decision, type PatientFacts, type PatientResource } from './policies.ts';

/*
 * The one place where patient-level access is decided for a request: load the facts, run the
 * resource's policy, audit a refusal. Services call `withPatientAccess` first and get an
 * `AuthorizedPatient` back; repository functions that touch patient data take that instead of
 * a plain id, so code that skipped the decision does not compile.
 */

declare const authorized: unique symbol;

/** A patient this request may act on, and on what basis (the audit records it). */
export interface AuthorizedPatient {
  readonly patientId: string;
  readonly basis: AccessBasis;
  /** The break-the-glass grant the access rests on, and when it ends (the facts already read it). */
  readonly grantId?: string;
  readonly grantExpiresAt?: Date;
  readonly [authorized]: true;
}

export interface PatientAccessRequest<R extends PatientResource = PatientResource> {
  /** The id from the URL; nothing is known about it until the facts are loaded. */
  readonly unverifiedPatientId: string;
  readonly resource: R;
  readonly action: ActionOf<R>;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface FactsRow {
  status: string;
  in_care_team: boolean;
  grant_id: string | null;
  grant_expires_at: Date | string | null;
}

/**
 * Everything the policies need in one statement. Row-level security limits it to the request's
 * practice, so another practice's patient reads as "not there".
 */
export async function loadPatientFacts(tx: Tx, principal: Principal, patientId: string, now: Date): Promise<PatientFacts> {
  const absent: PatientFacts = { exists: false, erased: false, inCareTeam: false, grant: null, isSelf: false };
  if (!uuidPattern.test(patientId) || !principal.orgId) return absent;
  const membershipId = principal.kind === 'staff' ? principal.membershipId : null;
  const [row] = await queryRows<FactsRow>(
    tx,
    sql`select p.status,
          exists (select 1 from care_team_members c
                   where c.org_id = p.org_id and c.patient_id = p.id and c.membership_id = ${membershipId}::uuid) as in_care_team,
          g.id as grant_id, g.expires_at as grant_expires_at
        from patients p
        left join lateral (
          select b.id, b.expires_at from break_glass_grants b
           where b.org_id = p.org_id and b.patient_id = p.id and b.membership_id = ${membershipId}::uuid
             and b.ended_at is null and b.expires_at > ${now.toISOString()}::timestamptz
           order by b.expires_at desc limit 1) g on true
        where p.org_id = ${principal.orgId}::uuid and p.id = ${patientId}::uuid`,
  );
  if (!row) return absent;
  return {
    exists: true,
    erased: row.status === 'erased',
    inCareTeam: row.in_care_team,
    grant: row.grant_id ? { id: row.grant_id, expiresAt: new Date(row.grant_expires_at!) } : null,
    isSelf: principal.kind === 'patient' && principal.patientId === patientId,
  };
}

export type Refusal = Extract<Decision, { allow: false }>;

/**
 * Decides, in the caller's transaction, and records a refusal there (`access.denied` with the
 * patient's id). Never throws for a refusal: the caller
 * must commit first, or the record would roll back with the error.
 */
export async function decidePatientAccess<R extends PatientResource>(ctx: RequestContext, tx: Tx, input: PatientAccessRequest<R>): Promise<{ allowed: AuthorizedPatient } | { refused: Refusal }> {
  const principal = ctx.principal;
  if (!principal?.orgId || !principal.kind) throw new Error('decidePatientAccess() on a route without an organisation');
  const now = ctx.services.clock.now();
  const facts = await loadPatientFacts(tx, principal, input.unverifiedPatientId, now);
  const decision = satisfies(requirementFor({ kind: principal.kind, permissions: principal.permissions }, input.resource, input.action), facts);
  if (decision.allow) {
    const grant = decision.grantId && facts.grant ? { grantId: decision.grantId, grantExpiresAt: facts.grant.expiresAt } : {};
    return { allowed: { patientId: input.unverifiedPatientId, basis: decision.basis, ...grant } as AuthorizedPatient };
  }
  // A refusal at a patient of this practice is recorded with the patient's id (it appears in
  // their access log). An id that names no patient here is answered 404 like every unknown id
  // and not recorded: it may be another practice's, whose existence this practice must not see.
  if (facts.exists) {
    await appendAudit(tx, principal.orgId, auditMeta(ctx, now), {
      action: 'access.denied',
      outcome: 'denied',
      resourceType: input.resource,
      resourceId: input.unverifiedPatientId,
      patientId: input.unverifiedPatientId,
      reason: `${decision.reason}:${String(input.action)}`,
    });
  }
  return { refused: decision };
}

/**
 * The shape of every patient use case: decide, do the work in the same transaction, and throw a
 * refusal only after its audit record is committed.
 */
export async function withPatientAccess<T, R extends PatientResource>(ctx: RequestContext, input: PatientAccessRequest<R>, work: (tx: Tx, patient: AuthorizedPatient) => Promise<T>): Promise<T> {
  const orgId = ctx.principal?.orgId;
  if (!orgId) throw new Error('withPatientAccess() on a route without an organisation');
  const outcome = await ctx.services.db.tenant(orgId, async (tx): Promise<{ done: T } | { refused: Refusal }> => {
    const decided = await decidePatientAccess(ctx, tx, input);
    if ('refused' in decided) return decided;
    return { done: await work(tx, decided.allowed) };
  }, portalWall(ctx));
  if ('refused' in outcome) throw new AppError(outcome.refused.code, { internal: `patient access refused: ${outcome.refused.reason}` });
  return outcome.done;
}

/**
 * A patient's transactions always run behind the `portal_self` row-level-security wall (design
 * §2), set from the session's patient — never from the request — so that even a portal bug that
 * names another patient's row finds nothing.
 */
export function portalWall(ctx: RequestContext): { patientId: string } | undefined {
  const principal = ctx.principal;
  if (principal?.kind !== 'patient') return undefined;
  if (!principal.patientId) throw new Error('a patient principal without a patient id');
  return { patientId: principal.patientId };
}

/** The audit fields every record of an authorised access carries (NEN 7513: which patient, on what basis). */
export function patientAuditFields(patient: AuthorizedPatient): { patientId: string; reason?: string } {
  return { patientId: patient.patientId, ...(patient.grantId ? { reason: `break_glass:${patient.grantId}` } : {}) };
}
