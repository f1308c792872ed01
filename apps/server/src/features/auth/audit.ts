import type { AuditEventInput } from '../../core/audit/record.ts';

/** The audit events of signing up, signing in and out, and passwords. */
export type AuthAuditEvent =
  | { action: 'org.signed_up'; outcome: 'success'; resourceType: 'organisation'; resourceId: string }
  | { action: 'account.email_verified'; outcome: 'success'; resourceType: 'account'; resourceId: string }
  | { action: 'auth.login_succeeded'; outcome: 'success'; resourceType: 'session'; resourceId: string }
  | { action: 'auth.password_verified'; outcome: 'success'; resourceType: 'session'; resourceId: string }
  | { action: 'auth.login_failed'; outcome: 'failed'; reason: LoginFailure }
  | { action: 'auth.login_locked'; outcome: 'failed'; reason: string }
  | { action: 'auth.logout'; outcome: 'success'; resourceType: 'session'; resourceId: string }
  | { action: 'auth.organisation_selected'; outcome: 'success'; resourceType: 'session'; resourceId: string }
  | { action: 'auth.session_unlocked'; outcome: 'success'; resourceType: 'session'; resourceId: string }
  | { action: 'auth.unlock_failed'; outcome: 'failed'; resourceType: 'session'; resourceId: string }
  | { action: 'password.reset_requested'; outcome: 'success'; resourceType: 'account'; resourceId: string }
  | { action: 'password.reset'; outcome: 'success'; resourceType: 'account'; resourceId: string }
  | { action: 'password.changed'; outcome: 'success' | 'failed'; resourceType: 'account'; resourceId: string; reason?: string };

/** Why a login failed, as recorded (never shown to the client, which always hears the same). */
export type LoginFailure = 'unknown_account' | 'wrong_password' | 'wrong_code' | 'locked' | 'throttled' | 'email_not_verified' | 'no_membership' | 'ip_not_allowed' | 'password_reset_required';

export const authEvent = (event: AuthAuditEvent): AuditEventInput => event;
