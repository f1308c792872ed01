import { careTeamScoped, type CareTeamList, type CareTeamRole } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { permissionsOfMembership } from '../../core/authz/role-permissions.ts';
import { withPatientAccess, type AuthorizedPatient } from '../../core/authz/authorize.ts';
import { auditMeta, memberOf, type RequestContext } from '../../core/context.ts';
import type { Tx } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { careTeamEvent } from './audit.ts';
import { deleteCareTeamMember, findActiveGrant, findCareTeamRole, findMembershipForTeam, insertCareTeamMember, listCareTeam, setCareTeamRole } from './repository.ts';

/*
 * A patient's care team (issue 5 §1.4): the memberships whose care-team-scoped permissions
 * (dossier:*, document:*) reach this patient. Who may see the team and who may change it is the
 * patient policy's decision (withPatientAccess: 'read', 'manage_care_team'); this module decides
 * only who can be a member at all.
 */

async function presentTeam(ctx: RequestContext, tx: Tx, patient: AuthorizedPatient): Promise<CareTeamList> {
  const actor = memberOf(ctx);
  const members = await listCareTeam(tx, ctx.services.fields, actor.orgId, patient);
  // The caller's own emergency access, so the page can say until when it lasts.
  const grant = await findActiveGrant(tx, actor.orgId, patient.patientId, actor.membershipId, ctx.services.clock.now());
  return {
    members: members.map((member) => ({
      membershipId: member.membershipId,
      accountId: member.accountId,
      name: member.name,
      role: member.role,
      roleName: member.role === 'custom' ? member.roleName : null,
      roleInTeam: member.roleInTeam,
      addedAt: member.addedAt.toISOString(),
    })),
    ownGrant: grant ? { id: grant.id, expiresAt: grant.expiresAt.toISOString() } : null,
  };
}

export async function getCareTeam(ctx: RequestContext, unverifiedPatientId: string): Promise<CareTeamList> {
  return withPatientAccess(ctx, { unverifiedPatientId, resource: 'patient', action: 'read' }, (tx, patient) => presentTeam(ctx, tx, patient));
}

/**
 * Adds a member to the care team, or changes their role in it; the same request twice changes
 * nothing the second time. Only an active member of this practice whose role holds a
 * care-team-scoped permission can join: a care team of people who cannot open the dossier would
 * only widen who is told about it (and who appears to the patient as treating them).
 */
export async function putCareTeamMember(ctx: RequestContext, input: { unverifiedPatientId: string; unverifiedMembershipId: string; roleInTeam: CareTeamRole }): Promise<CareTeamList> {
  const actor = memberOf(ctx);
  const now = ctx.services.clock.now();
  return withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'patient', action: 'manage_care_team' }, async (tx, patient) => {
    const membership = await findMembershipForTeam(tx, actor.orgId, input.unverifiedMembershipId);
    // Another practice's membership is as absent as a made-up id.
    if (!membership) throw new AppError('CARE_TEAM_MEMBER_NOT_FOUND', { internal: 'no such membership in this practice' });
    if (membership.status !== 'active') throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'membershipId', issue: 'not_active' }] });
    const permissions = permissionsOfMembership(membership);
    if (![...permissions].some((permission) => careTeamScoped.has(permission))) {
      throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'membershipId', issue: 'no_clinical_permission' }] });
    }
    const current = await findCareTeamRole(tx, actor.orgId, patient, membership.id);
    const meta = auditMeta(ctx, now);
    if (current === null) {
      if (await insertCareTeamMember(tx, actor.orgId, patient, { membershipId: membership.id, roleInTeam: input.roleInTeam, addedByAccountId: actor.accountId, now })) {
        await appendAudit(tx, actor.orgId, meta, careTeamEvent({ action: 'care_team.member_added', outcome: 'success', resourceType: 'care_team', resourceId: membership.id, patientId: patient.patientId, reason: input.roleInTeam }));
      }
    } else if (current !== input.roleInTeam) {
      await setCareTeamRole(tx, actor.orgId, patient, membership.id, input.roleInTeam);
      await appendAudit(
        tx,
        actor.orgId,
        meta,
        careTeamEvent({ action: 'care_team.member_added', outcome: 'success', resourceType: 'care_team', resourceId: membership.id, patientId: patient.patientId, reason: input.roleInTeam, changedFields: ['roleInTeam'] }),
      );
    }
    return presentTeam(ctx, tx, patient);
  });
}

/**
 * Takes a member out of the care team. Their care-team-scoped access to the patient ends with
 * this transaction: the policy reads the team on every request (core/authz).
 */
export async function removeCareTeamMember(ctx: RequestContext, input: { unverifiedPatientId: string; unverifiedMembershipId: string }): Promise<void> {
  const actor = memberOf(ctx);
  const now = ctx.services.clock.now();
  await withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'patient', action: 'manage_care_team' }, async (tx, patient) => {
    if (!(await deleteCareTeamMember(tx, actor.orgId, patient, input.unverifiedMembershipId))) throw new AppError('CARE_TEAM_MEMBER_NOT_FOUND');
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), careTeamEvent({ action: 'care_team.member_removed', outcome: 'success', resourceType: 'care_team', resourceId: input.unverifiedMembershipId, patientId: patient.patientId }));
  });
}
