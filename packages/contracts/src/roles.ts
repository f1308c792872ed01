import { z } from 'zod';
import { PermissionName } from './permissions.ts';

/** Built-in staff roles of an organisation; what each may do is in permissions.ts. */
export const staffRoles = ['owner', 'admin', 'practitioner', 'assistant'] as const;
export const StaffRole = z.enum(staffRoles);
export type StaffRole = z.infer<typeof StaffRole>;

export const locales = ['en', 'de', 'nl'] as const;
export const Locale = z.enum(locales);
export type Locale = z.infer<typeof Locale>;

export const countries = ['NL', 'DE', 'AT', 'other'] as const;
export const Country = z.enum(countries);

export const practiceKinds = [
  'psychotherapy',
  'general_practice',
  'physiotherapy',
  'specialist',
  'other',
] as const;
export const PracticeKind = z.enum(practiceKinds);

/** Versions of the legal documents a practice accepts at sign-up. */
export const currentTermsVersion = '2026-11';
export const currentDpaVersion = '2026-11';

// ---------- custom roles (issue 5, docs/design/patients-and-dossiers.md §1.2) ----------
/**
 * What a membership (or an invitation) holds: a built-in role, or 'custom' together with the id
 * of one of the practice's own roles (`customRoleId`, with its `roleName` beside it).
 */
export const membershipRoles = [...staffRoles, 'custom'] as const;
export const MembershipRole = z.enum(membershipRoles);
export type MembershipRole = z.infer<typeof MembershipRole>;

const jobTitle = z.string().trim().min(1).max(60).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');
const rolePermissions = z
  .array(PermissionName)
  .min(1)
  .refine((list) => new Set(list).size === list.length, 'each permission once');

/** POST /roles: a job title and a non-empty set of catalogue permissions. */
export const CustomRoleInput = z.strictObject({ name: jobTitle, permissions: rolePermissions });
export type CustomRoleInput = z.infer<typeof CustomRoleInput>;

/** PATCH /roles/:id: the name, the permissions, or both. */
export const CustomRoleUpdate = z
  .strictObject({ name: jobTitle.optional(), permissions: rolePermissions.optional() })
  .refine((value) => value.name !== undefined || value.permissions !== undefined, 'name or permissions');
export type CustomRoleUpdate = z.infer<typeof CustomRoleUpdate>;

export const CustomRole = z.object({
  id: z.uuid(),
  name: z.string(),
  permissions: z.array(PermissionName),
  /** Active members holding it. */
  memberCount: z.number().int().nonnegative(),
  /** Held by any member (deactivated ones too) or a pending invitation: it cannot be deleted (ROLE_IN_USE). */
  inUse: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CustomRole = z.infer<typeof CustomRole>;

/** GET /roles: the built-in roles (read-only) and the practice's own. */
export const RoleList = z.object({
  builtIn: z.array(z.object({ role: StaffRole, permissions: z.array(PermissionName) })),
  roles: z.array(CustomRole),
});
export type RoleList = z.infer<typeof RoleList>;
