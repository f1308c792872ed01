import { CustomRole, CustomRoleInput, CustomRoleUpdate, RoleList, Uuid } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../core/http/access.ts';
import { createRole, deleteRole, listRoles, updateRole } from './service.ts';

const tags = ['roles'];
const byId = z.strictObject({ id: Uuid });
/**
 * Changing what roles allow changes who can reach patient data, so it asks for a fresh proof
 * with the strongest factor, like the security policy; reading them is for staff managers, who
 * pick roles for members.
 */
const roleManagers = access.stepUp(access.can('role:manage'));

export function roleRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Readable by every member: the staff page (staff:manage) and the roles page (role:manage) both
  // need it, and role definitions hold nothing personal. Changing them is what is guarded.
  r.get('/roles', { schema: { tags, summary: 'Built-in roles, and the own roles of the practice with how many members hold each', response: { 200: RoleList } }, config: { access: access.member } }, async (request) => listRoles(request.ctx));
  r.post('/roles', { schema: { tags, summary: 'Define a custom role (no more permissions than the caller holds)', body: CustomRoleInput, response: { 201: CustomRole } }, config: { access: roleManagers } }, async (request, reply) =>
    reply.status(201).send(await createRole(request.ctx, request.body)),
  );
  r.patch('/roles/:id', { schema: { tags, summary: 'Rename a custom role or change its permissions (applies at the next request of its members)', params: byId, body: CustomRoleUpdate, response: { 200: CustomRole } }, config: { access: roleManagers } }, async (request) =>
    updateRole(request.ctx, { unverifiedRoleId: request.params.id, ...request.body }),
  );
  r.delete('/roles/:id', { schema: { tags, summary: 'Delete a custom role nobody holds', params: byId }, config: { access: roleManagers } }, async (request, reply) => {
    await deleteRole(request.ctx, { unverifiedRoleId: request.params.id });
    return reply.status(204).send();
  });
}
