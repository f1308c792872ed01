import { z } from 'zod';
import type { StaffRole } from './roles.ts';

/**
 * The permission catalogue (issue 5): what a staff role may do, named once for the server's
 * guard, the policy functions, the roles page and the authorisation matrix. Built-in roles are
 * columns of this table; custom roles pick from it. See docs/design/patients-and-dossiers.md §1.
 */
export const permissions = [
  'staff:manage',
  'role:manage',
  'policy:manage',
  'organisation:manage',
  'files:manage',
  'audit:read',
  'export:run',
  'patient:read',
  'patient:create',
  'patient:update',
  'patient:invite',
  'careteam:manage',
  'dossier:read',
  'dossier:write',
  'document:read',
  'document:upload',
  'document:share',
  'breakglass:use',
] as const;
export type Permission = (typeof permissions)[number];
/** A catalogue permission in a request or response body. */
export const PermissionName = z.enum(permissions);

/**
 * Permissions that reach only patients whose care team the person is in (or for whom they hold
 * a break-the-glass grant). No role bypasses the care team, the owner's included.
 */
export const careTeamScoped: ReadonlySet<Permission> = new Set<Permission>(['dossier:read', 'dossier:write', 'document:read', 'document:upload', 'document:share']);

/** Permissions that make someone count as managing the practice (the staff page's counter). */
export const managingPermissions: ReadonlySet<Permission> = new Set<Permission>(['staff:manage', 'role:manage', 'policy:manage', 'audit:read', 'export:run']);

const practiceAdministration: readonly Permission[] = ['staff:manage', 'role:manage', 'policy:manage', 'organisation:manage', 'files:manage', 'audit:read'];
const patientDirectory: readonly Permission[] = ['patient:read', 'patient:create', 'patient:update', 'patient:invite'];
const clinical: readonly Permission[] = ['dossier:read', 'dossier:write', 'document:read', 'document:upload', 'document:share', 'breakglass:use'];

/**
 * The built-in roles. Administrators run the practice but read no clinical content (they assign
 * care teams); assistants keep the patient directory and scheduling; practitioners treat.
 */
export const builtInRoles: Readonly<Record<StaffRole, readonly Permission[]>> = {
  owner: [...practiceAdministration, 'export:run', ...patientDirectory, 'careteam:manage', ...clinical],
  admin: [...practiceAdministration, ...patientDirectory, 'careteam:manage'],
  practitioner: [...patientDirectory, ...clinical],
  assistant: [...patientDirectory],
};

export const roleHas = (role: StaffRole, permission: Permission): boolean => builtInRoles[role].includes(permission);
