import { AcceptPatientInvitationRequest, PatientInvitationPreview, PatientInvitationRequest, PatientPortalStatus, TokenRequest, Uuid } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../core/context.ts';
import { access, strictRateLimit } from '../../core/http/access.ts';
import { acceptPatientInvitation, invitePatient, portalStatus, previewPatientInvitation, revokePatientInvitation } from './invitations-service.ts';

const tags = ['patient portal'];
const byId = z.strictObject({ id: Uuid });

/** Inviting patients to the portal (practice side) and accepting the invitation (the patient, by link). */
export function patientAccountRoutes(app: FastifyInstance, services: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const strict = strictRateLimit(services.config);
  r.get('/patients/:id/portal', { schema: { tags, summary: 'Whether the patient has portal access or a pending invitation', params: byId, response: { 200: PatientPortalStatus } }, config: { access: access.can('patient:read') } }, async (request) =>
    portalStatus(request.ctx, request.params.id),
  );
  r.post('/patients/:id/invitation', { schema: { tags, summary: 'Invite the patient to the portal by e-mail (7 days, single use)', params: byId, body: PatientInvitationRequest, response: { 201: PatientPortalStatus } }, config: { access: access.can('patient:invite') } }, async (request, reply) =>
    reply.status(201).send(await invitePatient(request.ctx, request.params.id, request.body)),
  );
  r.delete('/patients/:id/invitation', { schema: { tags, summary: "Revoke the patient's pending invitation", params: byId }, config: { access: access.can('patient:invite') } }, async (request, reply) => {
    await revokePatientInvitation(request.ctx, request.params.id);
    return reply.status(204).send();
  });
  r.post('/patient-invitations/preview', { schema: { tags, summary: 'What a patient invitation link offers', body: TokenRequest, response: { 200: PatientInvitationPreview } }, config: { access: access.public, ...strict } }, async (request) =>
    previewPatientInvitation(request.ctx, request.body),
  );
  r.post('/patient-invitations/accept', { schema: { tags, summary: 'Accept a patient invitation: set a password (or prove an existing account)', body: AcceptPatientInvitationRequest, response: { 200: z.object({ status: z.literal('accepted') }) } }, config: { access: access.public, ...strict } }, async (request) => {
    await acceptPatientInvitation(request.ctx, request.body);
    return { status: 'accepted' as const };
  });
}
