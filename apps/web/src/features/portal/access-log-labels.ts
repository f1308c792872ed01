import type { useTranslation } from 'react-i18next';
import { staffRoles, type AccessLogEntry, type AuditAction, type BreakGlassReasonCode } from '@haven/contracts';
import en from '../../i18n/en.json';
import { plainT } from '../../lib/errors';

type T = ReturnType<typeof useTranslation>['t'];

/**
 * The actions a patient's access log can show, each with a plain sentence ("… opened your
 * record"). The server lists staff's and the practice's accesses to the patient's data; an
 * action without its own sentence here reads "… accessed your record".
 */
export const accessLogActions = [
  'patient.created',
  'patient.viewed',
  'patient.updated',
  'patient.invited',
  'patient.invitation_revoked',
  'care_team.member_added',
  'care_team.member_removed',
  'break_glass.granted',
  'break_glass.ended',
  'dossier.viewed',
  'entry.viewed',
  'entry.history_viewed',
  'entry.created',
  'entry.revised',
  'entry.entered_in_error',
  'document.uploaded',
  'document.downloaded',
  'document.shared',
  'document.unshared',
  'document.list_viewed',
  'comment.list_viewed',
  'comment.resolved',
  'access.denied',
] as const satisfies readonly AuditAction[];
type AccessLogAction = (typeof accessLogActions)[number];

/** i18next splits keys on '.', so `dossier.viewed` is stored as `accessLog.actions.dossier_viewed`. */
type Underscored<S extends string> = S extends `${infer Head}.${infer Tail}` ? `${Head}_${Underscored<Tail>}` : S;

// A plain `t` (the TS2589 note in docs/roadmap.md); this record makes a missing sentence a type error instead.
const everySentence: Record<Underscored<AccessLogAction> | 'other', string> = en.accessLog.actions;
void everySentence;

const isListed = (action: string): action is AccessLogAction => (accessLogActions as readonly string[]).includes(action);

/** "A. Jansen (Practitioner)"; the practice's own system when no person did it. */
export function actorLabel(t: T, actor: AccessLogEntry['actor']): string {
  if (!actor) return plainT(t)('accessLog.system');
  return actor.role ? `${actor.name} (${roleOf(t, actor.role)})` : actor.name;
}

/** A built-in role in words; a practice's own role by the name it was given. */
function roleOf(t: T, role: string): string {
  if ((staffRoles as readonly string[]).includes(role)) return plainT(t)(`roles.${role}`);
  if (role === 'custom' || role.startsWith('custom:')) return plainT(t)('roles.custom');
  return role;
}

/**
 * One entry as a sentence. A refusal reads "… tried to open your record and was refused",
 * whatever was asked for: the patient needs to know someone tried, not which screen.
 */
export function accessLogSentence(t: T, entry: AccessLogEntry): string {
  const who = actorLabel(t, entry.actor);
  const action = entry.outcome === 'denied' ? 'access.denied' : entry.action;
  const key = isListed(action) ? action.replace(/\./g, '_') : 'other';
  return plainT(t)(`accessLog.actions.${key}`, { who });
}

/** The reason code of an emergency access, in the words of the break-the-glass dialog (checked in patients/patient-format.ts). */
export const reasonCodeLabel = (t: T, code: BreakGlassReasonCode): string => plainT(t)(`breakGlass.reasons.${code}`);
