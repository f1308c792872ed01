import type { AuditEventInput } from '../../core/audit/record.ts';

/** Changes to a person's second factors, and step-up; recorded in each of their practices. */
export type SecondFactorAuditEvent =
  | { action: 'mfa.totp_enrolled'; outcome: 'success'; resourceType: 'account'; resourceId: string }
  | { action: 'mfa.totp_removed'; outcome: 'success'; resourceType: 'account'; resourceId: string }
  | { action: 'mfa.recovery_codes_generated'; outcome: 'success'; resourceType: 'account'; resourceId: string }
  | { action: 'mfa.recovery_code_used'; outcome: 'success'; resourceType: 'account'; resourceId: string }
  | { action: 'mfa.email_code_enabled' | 'mfa.email_code_removed' | 'mfa.phone_added' | 'mfa.phone_removed'; outcome: 'success'; resourceType: 'account'; resourceId: string }
  /** `reason` is `<method>:<purpose>`, e.g. `sms:sign_in`; never the number, address or code. */
  | { action: 'mfa.code_sent'; outcome: 'success'; resourceType: 'account'; resourceId: string; reason: string }
  | { action: 'auth.step_up'; outcome: 'success'; resourceType: 'session'; resourceId: string };

export const secondFactorEvent = (event: SecondFactorAuditEvent): AuditEventInput => event;
