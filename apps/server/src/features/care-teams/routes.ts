import { BreakGlassGrant, BreakGlassInput, CareTeamList, CareTeamMemberInput, Uuid } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../core/http/access.ts';
import { breakTheGlass, endBreakGlass } from './break-glass-service.ts';
import { getCareTeam, putCareTeamMember, removeCareTeamMember } from './service.ts';

const tags = ['care teams'];
const byPatient = z.strictObject({ id: Uuid });
const byMember = z.strictObject({ id: Uuid, membershipId: Uuid });

/**
 * Care teams and break-the-glass. Routes name the permission; whether this person may reach this
 * patient is decided in core/authz (withPatientAccess) or, for emergency access, in the service.
 */
export function careTeamRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/patients/:id/care-team', { schema: { tags, summary: "A patient's care team, and the caller's own emergency access to the patient if running", params: byPatient, response: { 200: CareTeamList } }, config: { access: access.can('patient:read') } }, async (request) =>
    getCareTeam(request.ctx, request.params.id),
  );
  r.put(
    '/patients/:id/care-team/:membershipId',
    { schema: { tags, summary: 'Add a staff member to the care team, or change their role in it', params: byMember, body: CareTeamMemberInput, response: { 200: CareTeamList } }, config: { access: access.can('careteam:manage') } },
    async (request) => putCareTeamMember(request.ctx, { unverifiedPatientId: request.params.id, unverifiedMembershipId: request.params.membershipId, roleInTeam: request.body.roleInTeam }),
  );
  r.delete('/patients/:id/care-team/:membershipId', { schema: { tags, summary: 'Take a staff member out of the care team', params: byMember }, config: { access: access.can('careteam:manage') } }, async (request, reply) => {
    await removeCareTeamMember(request.ctx, { unverifiedPatientId: request.params.id, unverifiedMembershipId: request.params.membershipId });
    return reply.status(204).send();
  });
  r.post(
    '/patients/:id/break-glass',
    { schema: { tags, summary: "Emergency access to a patient outside one's care team (recorded; the care team is told)", params: byPatient, body: BreakGlassInput, response: { 200: BreakGlassGrant, 201: BreakGlassGrant } }, config: { access: access.stepUp(access.can('breakglass:use')) } },
    async (request, reply) => {
      const { grant, created } = await breakTheGlass(request.ctx, { unverifiedPatientId: request.params.id, ...request.body });
      return reply.status(created ? 201 : 200).send(grant);
    },
  );
  r.delete('/patients/:id/break-glass', { schema: { tags, summary: 'End your own emergency access to a patient early', params: byPatient }, config: { access: access.can('breakglass:use') } }, async (request, reply) => {
    await endBreakGlass(request.ctx, { unverifiedPatientId: request.params.id });
    return reply.status(204).send();
  });
}
