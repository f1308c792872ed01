import type { AuditEventInput } from '../../core/audit/record.ts';

/*
 * What the patient directory records (NEN 7513: event, time, patient, user). Values never go in:
 * `changedFields` names fields, a search records neither what was typed nor whom it found.
 */
export type PatientAuditEvent =
  | { action: 'patient.created'; outcome: 'success'; resourceType: 'patient'; resourceId: string; patientId: string }
  | { action: 'patient.viewed'; outcome: 'success'; resourceType: 'patient'; resourceId: string; patientId: string; reason?: string }
  | { action: 'patient.updated'; outcome: 'success'; resourceType: 'patient'; resourceId: string; patientId: string; changedFields: string[]; reason?: string }
  | { action: 'patient.searched'; outcome: 'success'; resourceType: 'patient'; reason: 'browse' | 'search' }
  | { action: 'care_team.member_added'; outcome: 'success'; resourceType: 'care_team'; resourceId: string; patientId: string; reason: string };

export const patientEvent = (event: PatientAuditEvent): AuditEventInput => event;
