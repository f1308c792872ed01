import type { PasswordProblem } from '@haven/contracts';
import type { useTranslation } from 'react-i18next';
import { plainT, type FieldErrors } from './errors';

type T = ReturnType<typeof useTranslation>['t'];

/**
 * Error for a new password under the policy, keyed `password`. There is no "repeat password"
 * field: every password field can show what was typed, which catches typos better.
 */
export function newPasswordErrors(translate: T, problems: PasswordProblem[], password: string, key = 'password'): FieldErrors {
  // A plain call (see plainT in lib/errors.ts, which also checks every problem has a text).
  const t = plainT(translate);
  if (!password) return { [key]: t('validation.required') };
  if (problems.length > 0) return { [key]: problems.map((problem) => t(`passwordProblems.${problem}`)).join(' ') };
  return {};
}
