import { Organisation, SecurityPolicy, UpdateOrganisationRequest } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { access } from '../../core/http/access.ts';
import { changeOrganisation, changeSecurityPolicy, getOrganisation, getSecurityPolicy } from './service.ts';

const tags = ['organisation'];
const detailsManagers = access.can('organisation:manage');
const policyManagers = access.can('policy:manage');

export function organisationRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/organisation', { schema: { tags, summary: 'My organisation', response: { 200: Organisation } }, config: { access: access.member } }, async (request) => getOrganisation(request.ctx));
  r.patch('/organisation', { schema: { tags, summary: 'Change the organisation details', body: UpdateOrganisationRequest, response: { 200: Organisation } }, config: { access: detailsManagers } }, async (request) => changeOrganisation(request.ctx, request.body));
  r.get('/organisation/security-policy', { schema: { tags, summary: 'Password policy and idle timeout', response: { 200: SecurityPolicy } }, config: { access: policyManagers } }, async (request) => getSecurityPolicy(request.ctx));
  r.put('/organisation/security-policy', { schema: { tags, summary: 'Change password policy and idle timeout', body: SecurityPolicy, response: { 200: SecurityPolicy } }, config: { access: access.stepUp(policyManagers) } }, async (request) => changeSecurityPolicy(request.ctx, request.body));
}
