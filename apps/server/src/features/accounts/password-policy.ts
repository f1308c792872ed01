import {
  checkPassword,
  defaultPasswordPolicy,
  type PasswordPolicy,
} from '@haven/contracts';
import { AppError } from '../../core/errors.ts';
import { isCommonPassword } from '../../core/security/common-passwords.ts';
import type { MembershipWithOrganisation } from './repository.ts';

/** A person in several practices must satisfy the strictest of their policies. */
export function strictestPolicy(memberships: Pick<MembershipWithOrganisation, 'passwordPolicyMode' | 'passwordMinLength'>[]): PasswordPolicy {
  if (memberships.length === 0) return defaultPasswordPolicy;
  return {
    mode: memberships.some((m) => m.passwordPolicyMode === 'classes') ? 'classes' : 'nist',
    minLength: Math.max(...memberships.map((m) => m.passwordMinLength)),
  };
}

/** Refuses a password that breaks the policy, naming each problem (never echoing the password). */
export function assertPasswordAllowed(password: string, policy: PasswordPolicy, contextWords: string[]): void {
  const problems = checkPassword(password, policy, { contextWords, isCommon: isCommonPassword });
  if (problems.length > 0) {
    throw new AppError('PASSWORD_POLICY_VIOLATION', {
      fields: problems.map((issue) => ({ path: 'password', issue })),
    });
  }
}
