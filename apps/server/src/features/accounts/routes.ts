import { Me, TokenRequest, UpdateMeRequest } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../core/context.ts';
import { access, strictRateLimit } from '../../core/http/access.ts';
import { confirmEmailChange, getMe, updateMe } from './service.ts';

const tags = ['profile'];

export function accountRoutes(app: FastifyInstance, services: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/me', { schema: { tags, summary: 'Who I am: account, organisation, session', response: { 200: Me } }, config: { access: access.enrolment } }, async (request) => getMe(request.ctx));
  r.patch('/me', { schema: { tags, summary: 'Change my own data', body: UpdateMeRequest, response: { 200: Me } }, config: { access: access.account } }, async (request) => updateMe(request.ctx, request.body));
  r.post('/me/email/confirm', { schema: { tags, summary: 'Confirm a new e-mail address with the link token', body: TokenRequest, response: { 200: z.object({ status: z.literal('email_changed') }) } }, config: { access: access.public, ...strictRateLimit(services.config) } }, async (request) => {
    await confirmEmailChange(request.ctx, request.body);
    return { status: 'email_changed' as const };
  });
}
