import { builtInRoles, staffRoles, type Permission } from '@haven/contracts';

/*
 * What a membership's role allows, from the catalogue in packages/contracts (permissions.ts).
 * The guard calls this on every request with the membership it has just read, so a changed role
 * applies at the next request.
 */

export const noPermissions: ReadonlySet<Permission> = new Set();

const builtInPermissions = new Map<string, ReadonlySet<Permission>>(staffRoles.map((role) => [role, new Set(builtInRoles[role])]));

/** The permissions of a membership's role; an unknown role holds none (fails closed). */
export function permissionsOfRole(role: string): ReadonlySet<Permission> {
  return builtInPermissions.get(role) ?? noPermissions;
}
