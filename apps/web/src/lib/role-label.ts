import type { useTranslation } from 'react-i18next';
import { plainT } from './errors';

type T = ReturnType<typeof useTranslation>['t'];

/**
 * How a role is shown: a built-in role by its translated name, a practice's own role by the name
 * the practice gave it ("Reception"), or "Custom role" when that role has since been deleted.
 */
export function roleLabel(t: T, holder: { role: string; roleName?: string | null }): string {
  if (holder.role === 'custom') return holder.roleName ?? plainT(t)('roles.custom');
  return plainT(t)(`roles.${holder.role}`);
}
