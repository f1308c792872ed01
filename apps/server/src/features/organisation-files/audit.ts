import type { AuditEventInput } from '../../core/audit/record.ts';

export type OrganisationFileAuditEvent =
  | { action: 'file.uploaded'; outcome: 'success'; resourceType: 'organisation_file'; resourceId: string }
  | { action: 'file.downloaded'; outcome: 'success'; resourceType: 'organisation_file'; resourceId: string }
  | { action: 'file.deleted'; outcome: 'success'; resourceType: 'organisation_file'; resourceId: string };

export const organisationFileEvent = (event: OrganisationFileAuditEvent): AuditEventInput => event;
