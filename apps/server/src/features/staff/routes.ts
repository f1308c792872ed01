import {
  AcceptInvitationRequest,
  CreateInvitationRequest,
  Invitation,
  InvitationList,
  InvitationPreview,
  MemberList,
  ResetMemberFactorsRequest,
  TokenRequest,
  UpdateMemberRequest,
  Uuid,
} from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../core/context.ts';
import { access, strictRateLimit } from '../../core/http/access.ts';
import { acceptInvitation, inviteStaff, listInvitations, previewInvitation, revokeInvitation } from './invitations-service.ts';
import { changeRole, endMemberSessions, listStaff, resetMemberFactors, setMemberActive } from './members-service.ts';

const tags = ['staff'];
const managers = access.can('staff:manage');
const byId = z.strictObject({ id: Uuid });

export function staffRoutes(app: FastifyInstance, services: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/staff', { schema: { tags, summary: 'Staff members and how many owners and managing members there are', response: { 200: MemberList } }, config: { access: managers } }, async (request) => listStaff(request.ctx));
  r.patch('/staff/:id', { schema: { tags, summary: "Change a member's role", params: byId, body: UpdateMemberRequest, response: { 200: z.object({ status: z.literal('ok') }) } }, config: { access: managers } }, async (request) => {
    await changeRole(request.ctx, { unverifiedMembershipId: request.params.id, role: request.body.role, customRoleId: request.body.customRoleId });
    return { status: 'ok' as const };
  });
  r.post('/staff/:id/deactivate', { schema: { tags, summary: 'Deactivate a member (ends their sessions)', params: byId, response: { 200: z.object({ status: z.literal('ok') }) } }, config: { access: managers } }, async (request) => {
    await setMemberActive(request.ctx, { unverifiedMembershipId: request.params.id, active: false });
    return { status: 'ok' as const };
  });
  r.post('/staff/:id/reactivate', { schema: { tags, summary: 'Reactivate a member', params: byId, response: { 200: z.object({ status: z.literal('ok') }) } }, config: { access: managers } }, async (request) => {
    await setMemberActive(request.ctx, { unverifiedMembershipId: request.params.id, active: true });
    return { status: 'ok' as const };
  });
  r.post('/staff/:id/end-sessions', { schema: { tags, summary: "End a member's sessions in this practice", params: byId, response: { 200: z.object({ ended: z.number() }) } }, config: { access: managers } }, async (request) => ({
    ended: await endMemberSessions(request.ctx, { unverifiedMembershipId: request.params.id }),
  }));

  r.post(
    '/staff/:id/reset-second-factor',
    {
      schema: { tags, summary: "Reset a member's second factors after checking it is them (ends their sessions; they set up a new factor at the next sign-in)", params: byId, body: ResetMemberFactorsRequest, response: { 200: z.object({ status: z.literal('ok') }) } },
      config: { access: access.stepUp(managers) },
    },
    async (request) => {
      await resetMemberFactors(request.ctx, { unverifiedMembershipId: request.params.id, identityCheck: request.body.identityCheck });
      return { status: 'ok' as const };
    },
  );

  r.get('/invitations', { schema: { tags, summary: 'Pending invitations', response: { 200: InvitationList } }, config: { access: managers } }, async (request) => listInvitations(request.ctx));
  r.post('/invitations', { schema: { tags, summary: 'Invite a staff member by e-mail', body: CreateInvitationRequest, response: { 201: Invitation } }, config: { access: managers } }, async (request, reply) => reply.status(201).send(await inviteStaff(request.ctx, request.body)));
  r.delete('/invitations/:id', { schema: { tags, summary: 'Revoke a pending invitation', params: byId }, config: { access: managers } }, async (request, reply) => {
    await revokeInvitation(request.ctx, { unverifiedInvitationId: request.params.id });
    return reply.status(204).send();
  });
  const strict = strictRateLimit(services.config);
  r.post('/invitations/preview', { schema: { tags, summary: 'What an invitation link offers', body: TokenRequest, response: { 200: InvitationPreview } }, config: { access: access.public, ...strict } }, async (request) => previewInvitation(request.ctx, request.body));
  r.post('/invitations/accept', { schema: { tags, summary: 'Accept an invitation', body: AcceptInvitationRequest, response: { 200: z.object({ status: z.literal('accepted') }) } }, config: { access: access.public, ...strict } }, async (request) => {
    await acceptInvitation(request.ctx, request.body);
    return { status: 'accepted' as const };
  });
}
