import { builtInRoles, permissions as catalogue, staffRoles, type CustomRole, type CustomRoleInput, type CustomRoleUpdate, type Permission, type RoleList } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { rolePolicy } from '../../core/authz/policies.ts';
import { auditMeta, memberOf, type RequestContext } from '../../core/context.ts';
import type { Tx } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { newId } from '../../core/security/tokens.ts';
import { roleEvent } from './audit.ts';
import { deleteCustomRole, findCustomRole, insertCustomRole, listCustomRoles, nameTaken, roleInUse, updateCustomRole } from './repository.ts';

/*
 * Custom roles (docs/design/patients-and-dossiers.md §1.2): a practice names a job ("Reception")
 * and picks its permissions from the catalogue. Nobody defines or hands out more than they hold
 * themselves (rolePolicy), so a custom role is never a way up. Refusals return their error out of
 * the transaction, so that the `access.denied` record they write is committed.
 */

/**
 * Checks that the caller may hand out a role with these permissions (defining, changing or
 * assigning it); on refusal records `access.denied` in `tx` and returns the error to throw once
 * the transaction has committed.
 */
export async function refuseRoleGrant(
  ctx: RequestContext,
  tx: Tx,
  role: { permissions: readonly Permission[]; owner?: boolean },
  resource: { type: string; id?: string },
): Promise<AppError | null> {
  const actor = memberOf(ctx);
  const decision = rolePolicy({ permissions: actor.permissions, kind: 'staff', isOwner: actor.role === 'owner' }, role);
  if (decision.allow) return null;
  const ownerReason = resource.type === 'invitation' ? 'only owners invite owners' : 'only owners assign owners';
  const reason = role.owner && actor.role !== 'owner' ? ownerReason : 'role exceeds own permissions';
  await appendAudit(tx, actor.orgId, auditMeta(ctx), {
    action: 'access.denied',
    outcome: 'denied',
    resourceType: resource.type,
    ...(resource.id ? { resourceId: resource.id } : {}),
    reason,
  });
  return new AppError(decision.code, { internal: reason });
}

type Listed = Awaited<ReturnType<typeof listCustomRoles>>[number];
const shown = (row: Listed): CustomRole => ({
  id: row.id,
  name: row.name,
  permissions: row.permissions,
  memberCount: Number(row.memberCount),
  inUse: Boolean(row.inUse),
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

async function shownRole(tx: Tx, id: string, now: Date): Promise<CustomRole> {
  const row = (await listCustomRoles(tx, now, id))[0];
  if (!row) throw new AppError('ROLE_NOT_FOUND');
  return shown(row);
}

/** The built-in roles with their permissions, and the practice's own roles with who holds them. */
export async function listRoles(ctx: RequestContext): Promise<RoleList> {
  const { orgId } = memberOf(ctx);
  const now = ctx.services.clock.now();
  const rows = await ctx.services.db.tenant(orgId, (tx) => listCustomRoles(tx, now));
  return {
    builtIn: staffRoles.map((role) => ({ role, permissions: [...builtInRoles[role]] })),
    roles: rows.map(shown),
  };
}

/** Keeps the catalogue's order, so that a role's permissions read the same wherever they are shown. */
const inCatalogueOrder = (list: readonly Permission[]): Permission[] => {
  const wanted = new Set(list);
  return catalogue.filter((permission) => wanted.has(permission));
};

export async function createRole(ctx: RequestContext, input: CustomRoleInput): Promise<CustomRole> {
  const actor = memberOf(ctx);
  const now = ctx.services.clock.now();
  const result = await ctx.services.db.tenant(actor.orgId, async (tx) => {
    const denied = await refuseRoleGrant(ctx, tx, { permissions: input.permissions }, { type: 'custom_role' });
    if (denied) return { denied };
    if (await nameTaken(tx, input.name)) throw new AppError('ROLE_NAME_TAKEN');
    const id = newId();
    await insertCustomRole(tx, { orgId: actor.orgId, id, name: input.name, permissions: inCatalogueOrder(input.permissions), createdByAccountId: actor.accountId, createdAt: now, updatedAt: now });
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), roleEvent({ action: 'role.created', outcome: 'success', resourceType: 'custom_role', resourceId: id, changedFields: ['name', 'permissions'] }));
    return { role: await shownRole(tx, id, now) };
  });
  if ('denied' in result) throw result.denied;
  return result.role;
}

/**
 * Renames a role or changes its permissions; members holding it have the new permissions from
 * their next request (the guard reads them fresh). The role as it will be must not exceed the
 * caller's own permissions — so someone who holds less can narrow a role, never widen or keep it.
 */
export async function updateRole(ctx: RequestContext, input: { unverifiedRoleId: string } & CustomRoleUpdate): Promise<CustomRole> {
  const actor = memberOf(ctx);
  const now = ctx.services.clock.now();
  const result = await ctx.services.db.tenant(actor.orgId, async (tx) => {
    const role = await findCustomRole(tx, input.unverifiedRoleId, 'update');
    if (!role) throw new AppError('ROLE_NOT_FOUND');
    const permissions = input.permissions ? inCatalogueOrder(input.permissions) : role.permissions;
    const denied = await refuseRoleGrant(ctx, tx, { permissions }, { type: 'custom_role', id: role.id });
    if (denied) return { denied };
    const changedFields: Array<'name' | 'permissions'> = [];
    if (input.name !== undefined && input.name !== role.name) {
      if (await nameTaken(tx, input.name, role.id)) throw new AppError('ROLE_NAME_TAKEN');
      changedFields.push('name');
    }
    const samePermissions = permissions.length === role.permissions.length && permissions.every((permission) => role.permissions.includes(permission));
    if (!samePermissions) changedFields.push('permissions');
    if (changedFields.length > 0) {
      await updateCustomRole(tx, role.id, {
        ...(changedFields.includes('name') ? { name: input.name! } : {}),
        ...(changedFields.includes('permissions') ? { permissions } : {}),
        updatedAt: now,
      });
      await appendAudit(tx, actor.orgId, auditMeta(ctx, now), roleEvent({ action: 'role.updated', outcome: 'success', resourceType: 'custom_role', resourceId: role.id, changedFields }));
    }
    return { role: await shownRole(tx, role.id, now) };
  });
  if ('denied' in result) throw result.denied;
  return result.role;
}

/**
 * Deletes a role nobody holds. The row is locked first, so that an assignment or invitation
 * racing with the delete either finishes before (and the role is in use) or finds no role.
 */
export async function deleteRole(ctx: RequestContext, input: { unverifiedRoleId: string }): Promise<void> {
  const actor = memberOf(ctx);
  const now = ctx.services.clock.now();
  await ctx.services.db.tenant(actor.orgId, async (tx) => {
    const role = await findCustomRole(tx, input.unverifiedRoleId, 'update');
    if (!role) throw new AppError('ROLE_NOT_FOUND');
    if (await roleInUse(tx, role.id, now)) throw new AppError('ROLE_IN_USE');
    await deleteCustomRole(tx, role.id);
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), roleEvent({ action: 'role.deleted', outcome: 'success', resourceType: 'custom_role', resourceId: role.id }));
  });
}
