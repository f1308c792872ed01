import type { AuditEventInput } from '../../core/audit/record.ts';

export type SessionAuditEvent =
  | { action: 'session.ended'; outcome: 'success'; resourceType: 'session'; resourceId: string }
  | { action: 'auth.session_locked'; outcome: 'success'; resourceType: 'session'; resourceId: string }
  | { action: 'session.ended_others'; outcome: 'success'; resourceType: 'account'; resourceId: string; reason: string }
  | { action: 'session.ended_by_admin'; outcome: 'success'; resourceType: 'membership'; resourceId: string; reason: string };

export const sessionEvent = (event: SessionAuditEvent): AuditEventInput => event;
