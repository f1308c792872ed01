import type { AuditEventInput } from '../../core/audit/record.ts';

/**
 * Changes to a person's passkeys; recorded in each of their practices like the other second
 * factors. The resource is the passkey's own id; its name is personal and stays out of the trail.
 */
export type PasskeyAuditEvent =
  | { action: 'mfa.passkey_added'; outcome: 'success'; resourceType: 'passkey'; resourceId: string }
  | { action: 'mfa.passkey_renamed'; outcome: 'success'; resourceType: 'passkey'; resourceId: string }
  | { action: 'mfa.passkey_removed'; outcome: 'success'; resourceType: 'passkey'; resourceId: string };

export const passkeyEvent = (event: PasskeyAuditEvent): AuditEventInput => event;
