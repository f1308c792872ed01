import type { breakGlassReasonCodes, careTeamRoles, NationalIdKind, patientSexes, patientStatuses, PatientView } from '@haven/contracts';
import type { useTranslation } from 'react-i18next';
import en from '../../i18n/en.json';
import { plainT } from '../../lib/errors';

type T = ReturnType<typeof useTranslation>['t'];

/** "Jansen, Anna": family name first, as practices file and read them. */
export const patientName = (name: PatientView['name']): string => `${name.family}, ${name.given}`;

/*
 * Labels looked up at run time go through the plain `t` (the typed one hits TS2589 on unions);
 * these assignments check instead that every value has an English label (check-i18n keeps de
 * and nl in step), as lib/errors.ts does for error codes.
 */
const labelled: [
  Record<(typeof patientSexes)[number], string>,
  Record<(typeof patientStatuses)[number], string>,
  Record<NationalIdKind, string>,
  Record<NationalIdKind, string>,
  Record<(typeof careTeamRoles)[number], string>,
  Record<(typeof breakGlassReasonCodes)[number], string>,
] = [en.patients.sex, en.patients.status, en.patients.nationalIdKinds, en.patients.form.nationalIdFormat, en.careTeam.roles, en.breakGlass.reasons];
void labelled;

export const sexLabel = (t: T, sex: string): string => plainT(t)(`patients.sex.${sex}`);
export const statusLabel = (t: T, status: string): string => plainT(t)(`patients.status.${status}`);
export const nationalIdKindLabel = (t: T, kind: NationalIdKind): string => plainT(t)(`patients.nationalIdKinds.${kind}`);

/**
 * A birth date (YYYY-MM-DD) as a date in the user's language. Formatted from its parts in UTC, so
 * that no time zone can move it to the day before.
 */
export function formatBirthDate(iso: string, locale: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) return iso;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

/** Today as YYYY-MM-DD in the browser's time zone (a birth date may not be later). */
export function todayIsoDate(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Query keys of the patient pages, in one place so that changes refresh what shows them. */
export const patientKeys = {
  all: ['patients'] as const,
  browse: ['patients', 'browse'] as const,
  search: (terms: unknown) => ['patients', 'search', terms] as const,
  searchTerms: ['patients', 'search-terms'] as const,
  one: (id: string) => ['patients', 'one', id] as const,
  careTeam: (id: string) => ['patients', 'care-team', id] as const,
  dossier: (id: string) => ['patients', 'dossier', id] as const,
  portal: (id: string) => ['patients', 'portal', id] as const,
  comments: (id: string) => ['patients', 'comments', id] as const,
};
