import type { AuditEventInput } from '../../core/audit/record.ts';

/** The audit events of a person's own profile. Changed field names only, never values. */
export type AccountAuditEvent =
  | { action: 'profile.changed'; outcome: 'success'; resourceType: 'account'; resourceId: string; changedFields: string[] }
  | { action: 'profile.email_change_requested'; outcome: 'success'; resourceType: 'account'; resourceId: string; changedFields: ['email'] }
  | { action: 'profile.email_changed'; outcome: 'success' | 'failed'; resourceType: 'account'; resourceId: string; changedFields: ['email']; reason?: string };

export const accountEvent = (event: AccountAuditEvent): AuditEventInput => event;
