import type { AuditEventInput } from '../../core/audit/record.ts';

/** What inviting patients to the portal records: always with the patient's id, never the address. */
export type PatientAccountAuditEvent =
  | { action: 'patient.invited'; outcome: 'success'; resourceType: 'patient_invitation'; resourceId: string; patientId: string; reason?: string }
  | { action: 'patient.invitation_revoked'; outcome: 'success'; resourceType: 'patient_invitation'; resourceId: string; patientId: string; reason?: string }
  | { action: 'patient.portal_joined'; outcome: 'success'; resourceType: 'patient_invitation'; resourceId: string; patientId: string };

export const patientAccountEvent = (event: PatientAccountAuditEvent): AuditEventInput => event;
