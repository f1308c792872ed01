import { SessionList, Uuid } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../core/http/access.ts';
import { endMyOtherSessions, endMySession, listMySessions, lockMySession } from './service.ts';

const tags = ['sessions'];

export function sessionRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/sessions', { schema: { tags, summary: 'My active sessions', response: { 200: SessionList } }, config: { access: access.account } }, async (request) => listMySessions(request.ctx));
  r.delete('/sessions/:id', { schema: { tags, summary: 'End one of my sessions', params: z.strictObject({ id: Uuid }) }, config: { access: access.account } }, async (request, reply) => {
    await endMySession(request.ctx, { unverifiedSessionId: request.params.id });
    return reply.status(204).send();
  });
  r.post('/auth/lock', { schema: { tags: ['auth'], summary: 'Lock my session now (the password unlocks it)' }, config: { access: access.account } }, async (request, reply) => {
    await lockMySession(request.ctx);
    return reply.status(204).send();
  });
  r.post('/sessions/end-others', { schema: { tags, summary: 'End all my other sessions', response: { 200: z.object({ ended: z.number() }) } }, config: { access: access.account } }, async (request) => ({
    ended: await endMyOtherSessions(request.ctx),
  }));
}
