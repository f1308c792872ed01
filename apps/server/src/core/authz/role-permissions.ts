import { builtInRoles, permissions as catalogue, staffRoles, type Permission } from '@haven/contracts';

/*
 * What a membership's role allows, from the catalogue in packages/contracts (permissions.ts).
 * The guard calls this on every request with the membership (and, for a custom role, that role's
 * permission list) it has just read, so a changed role — or an edited custom role — applies at
 * the member's next request.
 */

export const noPermissions: ReadonlySet<Permission> = new Set();

const builtInPermissions = new Map<string, ReadonlySet<Permission>>(staffRoles.map((role) => [role, new Set(builtInRoles[role])]));
const known: ReadonlySet<string> = new Set(catalogue);

/** The permissions of a built-in role; an unknown role (and 'custom' without its list) holds none (fails closed). */
export function permissionsOfRole(role: string): ReadonlySet<Permission> {
  return builtInPermissions.get(role) ?? noPermissions;
}

/**
 * The permissions of a membership: its built-in role's, or for role 'custom' the custom role's
 * list as stored. Names the catalogue no longer knows are dropped rather than trusted (a
 * permission renamed or retired in code must not live on in a database row).
 */
export function permissionsOfMembership(membership: { role: string; customRolePermissions?: readonly string[] | null }): ReadonlySet<Permission> {
  if (membership.role !== 'custom') return permissionsOfRole(membership.role);
  const list = membership.customRolePermissions ?? [];
  return new Set(list.filter((name): name is Permission => known.has(name)));
}
