import type { AuditEventInput } from '../../core/audit/record.ts';

/**
 * The audit events of known devices and suspicious sign-ins. Reasons carry signals, country codes
 * and counts only — never a device identifier, label or anything personal.
 */
export type DeviceAuditEvent =
  | { action: 'auth.login_risk_assessed'; outcome: 'success' | 'denied'; resourceType: 'session'; resourceId: string; reason: string }
  | { action: 'auth.login_held'; outcome: 'denied'; resourceType: 'session'; resourceId: string; reason: string }
  | { action: 'auth.login_confirmed'; outcome: 'success'; resourceType: 'session'; resourceId: string }
  | { action: 'auth.login_succeeded'; outcome: 'success'; resourceType: 'session'; resourceId: string }
  | { action: 'auth.second_factor_skipped'; outcome: 'success'; resourceType: 'session'; resourceId: string; reason: 'trusted_device' }
  | { action: 'auth.device_trusted'; outcome: 'success'; resourceType: 'device'; resourceId: string; reason: string }
  | { action: 'auth.device_trust_revoked'; outcome: 'success'; resourceType: 'device' | 'account'; resourceId: string; reason: string }
  | { action: 'auth.not_me'; outcome: 'success'; resourceType: 'account'; resourceId: string; reason: string };

export const deviceEvent = (event: DeviceAuditEvent): AuditEventInput => event;
