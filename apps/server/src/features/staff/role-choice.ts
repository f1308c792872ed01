import { builtInRoles, type Permission, type StaffRole } from '@haven/contracts';
import type { Tx } from '../../core/db/database.ts';
import type { MembershipRoleColumn } from '../../core/db/schema.ts';
import { AppError } from '../../core/errors.ts';
import { findCustomRole } from '../roles/repository.ts';

/** A role to give a member or an invitee, resolved from the request: built-in or one of the practice's own. */
export interface RoleChoice {
  role: MembershipRoleColumn;
  customRoleId: string | null;
  /** The custom role's name (null for a built-in role). */
  roleName: string | null;
  permissions: readonly Permission[];
}

/**
 * Resolves `{ role }` or `{ customRoleId }` (the contract allows exactly one). The custom role is
 * read with a share lock, so that a concurrent delete either waits for this transaction (and then
 * finds the role in use) or has already happened (and the role is not found here).
 */
export async function resolveRoleChoice(tx: Tx, input: { role?: StaffRole | undefined; customRoleId?: string | undefined }): Promise<RoleChoice> {
  if (input.customRoleId !== undefined) {
    const custom = await findCustomRole(tx, input.customRoleId, 'share');
    if (!custom) throw new AppError('ROLE_NOT_FOUND');
    return { role: 'custom', customRoleId: custom.id, roleName: custom.name, permissions: custom.permissions };
  }
  if (!input.role) throw new AppError('VALIDATION_FAILED', { internal: 'neither role nor customRoleId' });
  return { role: input.role, customRoleId: null, roleName: null, permissions: builtInRoles[input.role] };
}

/** How the audit trail names a role: the built-in name or `custom:<roleId>` (never the custom name, which may change). */
export const roleLabel = (role: { role: string; customRoleId: string | null }): string => (role.role === 'custom' ? `custom:${role.customRoleId ?? 'deleted'}` : role.role);
