import type { AuditEventInput } from '../../core/audit/record.ts';

/*
 * What patient documents record (NEN 7513: event, time, patient, user, on what basis). Every
 * event names the patient; `reason` is `break_glass:<grantId>` when the access rests on a grant.
 * Never the file's name, title or content.
 */
type Basis = { patientId: string; reason?: string };

export type PatientDocumentAuditEvent =
  | ({ action: 'document.uploaded'; outcome: 'success'; resourceType: 'document'; resourceId: string } & Basis)
  | ({ action: 'document.downloaded'; outcome: 'success'; resourceType: 'document'; resourceId: string } & Basis)
  | ({ action: 'document.shared'; outcome: 'success'; resourceType: 'document'; resourceId: string } & Basis)
  | ({ action: 'document.unshared'; outcome: 'success'; resourceType: 'document'; resourceId: string } & Basis)
  /** The list shows titles and descriptions (health data too), so reading it is an access of its own. */
  | ({ action: 'document.list_viewed'; outcome: 'success'; resourceType: 'patient'; resourceId: string } & Basis);

export const patientDocumentEvent = (event: PatientDocumentAuditEvent): AuditEventInput => event;
