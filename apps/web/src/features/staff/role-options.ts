import { useQuery } from '@tanstack/react-query';
import type { useTranslation } from 'react-i18next';
import { builtInRoles, staffRoles, type Me, type Permission, type StaffRole } from '@haven/contracts';
import { api } from '../../lib/api';
import { plainT } from '../../lib/errors';
import type { RoleListBody } from '../../lib/types';

type T = ReturnType<typeof useTranslation>['t'];

/**
 * A role picked in a select: built-in roles by name, the practice's own as `custom:<id>`, so one
 * select can offer both.
 */
export type RoleChoice = { role: StaffRole } | { customRoleId: string };

export const roleValue = (holder: { role: string; customRoleId?: string | null }): string => (holder.role === 'custom' ? `custom:${holder.customRoleId ?? ''}` : holder.role);

export function roleChoiceOf(value: string): RoleChoice {
  return value.startsWith('custom:') ? { customRoleId: value.slice('custom:'.length) } : { role: value as StaffRole };
}

/** The practice's roles (the same query as the roles page), for the staff page's selects. */
export const useRoleList = () => useQuery({ queryKey: ['roles'], queryFn: () => api.get<RoleListBody>('/roles') });

/**
 * Whether the signed-in person may hand out a role: only one whose permissions they hold
 * themselves, and owner only as an owner (the server's rolePolicy; offering the rest would only
 * lead to ROLE_EXCEEDS_OWN_PERMISSIONS).
 */
function mayGrant(me: Me, permissions: readonly Permission[], owner = false): boolean {
  if (owner && me.organisation?.role !== 'owner') return false;
  const held = new Set(me.organisation?.permissions ?? []);
  return permissions.every((permission) => held.has(permission));
}

/** Options for a role select: the built-in roles, then the practice's own in a group of their own. */
export function roleOptions(t: T, roles: RoleListBody | undefined, me: Me) {
  const tt = plainT(t);
  const grantable = staffRoles.filter((role) => mayGrant(me, builtInRoles[role], role === 'owner'));
  const builtIn = { group: tt('staff.roleGroups.builtIn'), items: grantable.map((role) => ({ value: role, label: tt(`roles.${role}`) })) };
  const custom = (roles?.roles ?? []).filter((role) => mayGrant(me, role.permissions));
  return custom.length === 0 ? builtIn.items : [builtIn, { group: tt('staff.roleGroups.custom'), items: custom.map((role) => ({ value: `custom:${role.id}`, label: role.name })) }];
}
