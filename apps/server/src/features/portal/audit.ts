import type { AuditEventInput } from '../../core/audit/record.ts';

/*
 * What the portal records (NEN 7513: event, time, patient, user). The patient is the actor and the
 * patient of every event, so the portal's own use is in the trail for the practice but never in
 * the patient's access log (features/portal/access-log.ts leaves the patient's own actions out).
 * Values never go in: a contact change names the fields, a comment records neither its text nor
 * its kind beyond the resource.
 */
type Self = { patientId: string };

export type PortalAuditEvent =
  | ({ action: 'portal.details_viewed'; outcome: 'success'; resourceType: 'patient'; resourceId: string } & Self)
  | ({ action: 'portal.contact_updated'; outcome: 'success'; resourceType: 'patient'; resourceId: string; changedFields: string[] } & Self)
  | ({ action: 'portal.comment_added'; outcome: 'success'; resourceType: 'patient_comment'; resourceId: string; reason: 'comment' | 'correction_request' } & Self)
  | ({ action: 'portal.access_log_viewed'; outcome: 'success'; resourceType: 'access_log'; resourceId: string } & Self)
  | ({ action: 'comment.list_viewed'; outcome: 'success'; resourceType: 'patient'; resourceId: string; reason?: string } & Self)
  | ({ action: 'comment.resolved'; outcome: 'success'; resourceType: 'patient_comment'; resourceId: string; reason?: string } & Self);

export const portalEvent = (event: PortalAuditEvent): AuditEventInput => event;
