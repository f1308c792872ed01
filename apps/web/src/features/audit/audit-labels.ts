import type { useTranslation } from 'react-i18next';
import { auditActions, type AuditAction } from '@haven/contracts';
import en from '../../i18n/en.json';
import { plainT } from '../../lib/errors';

type T = ReturnType<typeof useTranslation>['t'];

/** i18next splits keys on '.', so `org.signed_up` is stored as `audit.actions.org_signed_up`. */
type Underscored<S extends string> = S extends `${infer Head}.${infer Tail}` ? `${Head}_${Underscored<Tail>}` : S;

export const isAuditAction = (action: string): action is AuditAction => (auditActions as readonly string[]).includes(action);

export function auditActionKey<A extends AuditAction>(action: A): `audit.actions.${Underscored<A>}` {
  return `audit.actions.${action.replace(/\./g, '_')}` as `audit.actions.${Underscored<A>}`;
}

/** The translated name of an action; an action this build does not know is shown as recorded. */
export function auditActionLabel(t: T, action: string): string {
  // A plain call (see plainT in lib/errors.ts); every action's label is checked just below.
  return isAuditAction(action) ? plainT(t)(auditActionKey(action)) : action;
}
const everyActionNamed: Record<Underscored<AuditAction>, string> = en.audit.actions;
void everyActionNamed;
