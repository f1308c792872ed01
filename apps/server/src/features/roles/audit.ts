import type { AuditEventInput } from '../../core/audit/record.ts';

/** Custom roles' audit events: which fields changed, never their values (names are job titles, but a rename stays out of the trail all the same). */
export type RoleAuditEvent =
  | { action: 'role.created'; outcome: 'success'; resourceType: 'custom_role'; resourceId: string; changedFields: Array<'name' | 'permissions'> }
  | { action: 'role.updated'; outcome: 'success'; resourceType: 'custom_role'; resourceId: string; changedFields: Array<'name' | 'permissions'> }
  | { action: 'role.deleted'; outcome: 'success'; resourceType: 'custom_role'; resourceId: string };

export const roleEvent = (event: RoleAuditEvent): AuditEventInput => event;
