import type { useTranslation } from 'react-i18next';
import type { Permission } from '@haven/contracts';
import en from '../../i18n/en.json';
import { plainT } from '../../lib/errors';

type T = ReturnType<typeof useTranslation>['t'];

/** i18next reads ':' as a namespace separator, so `staff:manage` is stored as `permissions.staff_manage`. */
type Keyed<S extends string> = S extends `${infer Head}:${infer Tail}` ? `${Head}_${Keyed<Tail>}` : S;
const keyOf = (permission: Permission): Keyed<Permission> => permission.replace(/:/g, '_') as Keyed<Permission>;

/**
 * The permission groups of the roles page: running the practice, the patient directory, and
 * what reaches medical records (only within the care team). Every catalogue permission is in one.
 */
export const permissionGroups = [
  { key: 'practice', permissions: ['staff:manage', 'role:manage', 'policy:manage', 'organisation:manage', 'files:manage', 'audit:read', 'export:run'] },
  { key: 'patients', permissions: ['patient:read', 'patient:create', 'patient:update', 'patient:invite', 'careteam:manage'] },
  { key: 'clinical', permissions: ['dossier:read', 'dossier:write', 'document:read', 'document:upload', 'document:share', 'breakglass:use'] },
] as const satisfies ReadonlyArray<{ key: 'practice' | 'patients' | 'clinical'; permissions: readonly Permission[] }>;

// Every catalogue permission is in some group: a new one without a group is a type error here.
type Grouped = (typeof permissionGroups)[number]['permissions'][number];
const everyPermissionGrouped: Record<Permission, true> = {} as Record<Grouped, true>;
void everyPermissionGrouped;

// A plain `t` (the TS2589 note in docs/roadmap.md); this record makes a missing label a type error instead.
const everyPermissionExplained: Record<Keyed<Permission>, { label: string; hint: string }> = en.permissions;
void everyPermissionExplained;

export const permissionLabel = (t: T, permission: Permission): string => plainT(t)(`permissions.${keyOf(permission)}.label`);
export const permissionHint = (t: T, permission: Permission): string => plainT(t)(`permissions.${keyOf(permission)}.hint`);
