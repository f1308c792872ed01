import type { AuditEventInput } from '../../core/audit/record.ts';

export type StaffAuditEvent =
  | { action: 'invitation.sent'; outcome: 'success'; resourceType: 'invitation'; resourceId: string; reason: string }
  | { action: 'invitation.revoked'; outcome: 'success'; resourceType: 'invitation'; resourceId: string }
  | { action: 'invitation.accepted'; outcome: 'success'; resourceType: 'invitation'; resourceId: string }
  | { action: 'member.role_changed'; outcome: 'success'; resourceType: 'membership'; resourceId: string; changedFields: ['role']; reason: string }
  | { action: 'member.deactivated'; outcome: 'success'; resourceType: 'membership'; resourceId: string }
  | { action: 'member.reactivated'; outcome: 'success'; resourceType: 'membership'; resourceId: string };

export const staffEvent = (event: StaffAuditEvent): AuditEventInput => event;
