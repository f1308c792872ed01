import type { AuditEventInput } from '../../core/audit/record.ts';

export type OrganisationAuditEvent =
  | { action: 'org.updated'; outcome: 'success'; resourceType: 'organisation'; resourceId: string; changedFields: string[] }
  | { action: 'policy.changed'; outcome: 'success'; resourceType: 'organisation'; resourceId: string; changedFields: string[] };

export const organisationEvent = (event: OrganisationAuditEvent): AuditEventInput => event;
