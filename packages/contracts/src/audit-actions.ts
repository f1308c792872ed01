/**
 * Every audit action Haven records, so the web app can name them and filters can offer them.
 * Features declare their typed events with these names (see apps/server/src/features/x/audit.ts).
 */
export const auditActions = [
  'org.signed_up',
  'org.updated',
  'account.email_verified',
  'auth.login_succeeded',
  'auth.login_failed',
  'auth.login_locked',
  'auth.logout',
  'auth.organisation_selected',
  'auth.session_locked',
  'auth.session_unlocked',
  'auth.unlock_failed',
  'session.ended',
  'session.ended_others',
  'session.ended_by_admin',
  'password.changed',
  'password.reset_requested',
  'password.reset',
  'profile.changed',
  'profile.email_change_requested',
  'profile.email_changed',
  'invitation.sent',
  'invitation.revoked',
  'invitation.accepted',
  'member.role_changed',
  'member.deactivated',
  'member.reactivated',
  'policy.changed',
  'audit.read',
  'keys.master_rotated',
  'keys.org_rotated',
  'keys.patient_shredded',
  'access.denied',
] as const;
export type AuditAction = (typeof auditActions)[number];
