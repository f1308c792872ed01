import { AuditPage, AuditQuery } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { access } from '../../core/http/access.ts';
import { readAuditTrail } from './service.ts';

export function auditRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/audit-events', { schema: { tags: ['audit'], summary: "The organisation's audit trail (reading it is recorded)", querystring: AuditQuery, response: { 200: AuditPage } }, config: { access: access.stepUp(access.can('audit:read')) } }, async (request) => readAuditTrail(request.ctx, request.query));
}
