import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { errorCodes, passwordProblems, type ErrorCode, type PasswordProblem } from '@haven/contracts';
import type { z } from 'zod';
import en from '../i18n/en.json';
import { ApiError } from './api';

export type FieldErrors = Record<string, string>;
type T = ReturnType<typeof useTranslation>['t'];

const isErrorCode = (code: string): code is ErrorCode => (errorCodes as string[]).includes(code);
export const isPasswordProblem = (issue: string): issue is PasswordProblem =>
  (passwordProblems as readonly string[]).includes(issue);

/**
 * `t` for keys computed at run time. With some 800 keys, checking a call whose key is a union
 * (`errors.${code}`) against i18next's typed overloads exceeds TypeScript's instantiation limit
 * (TS2589); a plain signature is used instead, and the coverage that typed call gave — every code
 * and password problem has an English text — is checked cheaply below (de and nl are kept in step
 * by scripts/check-i18n.mjs).
 */
export type PlainT = (key: string, options?: Record<string, unknown>) => string;
export const plainT = (t: T): PlainT => t as unknown as PlainT;
const everyErrorTranslated: Record<ErrorCode, string> = en.errors;
const everyProblemTranslated: Record<PasswordProblem, string> = en.passwordProblems;
void everyErrorTranslated;
void everyProblemTranslated;

/** A translated, user-safe sentence for any error; falls back to the server's own message. */
export function describeError(translate: T, error: unknown): string {
  const t = plainT(translate);
  if (error instanceof ApiError) {
    if (error.code === 'NETWORK') return t('errorExtras.network');
    if (error.code === 'RATE_LIMITED' && error.retryAfterSeconds) {
      return t('errorExtras.rateLimitedWait', { count: Math.ceil(error.retryAfterSeconds) });
    }
    if (error.code === 'CODE_RESEND_TOO_SOON' && error.retryAfterSeconds) {
      return t('codeFactors.resendWait', { count: Math.ceil(error.retryAfterSeconds) });
    }
    if (isErrorCode(error.code)) return t(`errors.${error.code}`);
    return error.message;
  }
  return t('errorExtras.unknown');
}

export function useDescribeError(): (error: unknown) => string {
  const { t } = useTranslation();
  return useCallback((error: unknown) => describeError(t, error), [t]);
}

/** Per-field messages from a VALIDATION_FAILED / PASSWORD_POLICY_VIOLATION answer. */
export function apiFieldErrors(translate: T, error: unknown, pathMap: Record<string, string> = {}): FieldErrors {
  const t = plainT(translate);
  if (!(error instanceof ApiError)) return {};
  const result: FieldErrors = {};
  for (const { path, issue } of error.fields) {
    const key = pathMap[path] ?? path;
    const message = isPasswordProblem(issue) ? t(`passwordProblems.${issue}`) : t('validation.invalid');
    result[key] = result[key] ? `${result[key]} ${message}` : message;
  }
  if (error.code === 'PASSWORD_POLICY_VIOLATION' && Object.keys(result).length === 0 && pathMap['password']) {
    result[pathMap['password']] = t('errors.PASSWORD_POLICY_VIOLATION');
  }
  return result;
}

/** Translated per-field messages from a failed contract schema check (client side, before sending). */
export function zodFieldErrors(translate: T, error: z.ZodError): FieldErrors {
  const t = plainT(translate);
  const result: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.');
    if (result[key]) continue;
    result[key] = messageForIssue(t, key, issue);
  }
  return result;
}

function messageForIssue(t: PlainT, key: string, issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return Number(issue.minimum) <= 1 && issue.origin === 'string'
        ? t('validation.required')
        : t('validation.tooSmall', { min: Number(issue.minimum) });
    case 'too_big':
      return issue.origin === 'string'
        ? t('validation.tooLong', { max: Number(issue.maximum) })
        : t('validation.tooBig', { max: Number(issue.maximum) });
    case 'invalid_format':
      if (issue.format === 'email') return t('validation.email');
      if (key.endsWith('phone')) return t('validation.phone');
      return t('validation.invalid');
    case 'invalid_value':
      if (key.startsWith('accept')) return t('validation.mustAccept');
      return t('validation.choose');
    case 'invalid_type':
      return t('validation.required');
    default:
      return t('validation.invalid');
  }
}

/** The first field with an error gets focus, so keyboard and screen-reader users land on it. */
export function focusFirstError(form: HTMLFormElement | null): void {
  const invalid = form?.querySelector<HTMLElement>('[aria-invalid="true"]');
  invalid?.focus();
}
