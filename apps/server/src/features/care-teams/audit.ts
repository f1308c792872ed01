import type { BreakGlassReasonCode } from '@haven/contracts';
import type { AuditEventInput } from '../../core/audit/record.ts';

/*
 * What care teams and break-the-glass record (NEN 7513: event, time, patient, user). The reason
 * code of an emergency access is clear and goes in; its free text may hold health data and stays
 * sealed in the grant row.
 */
export type CareTeamAuditEvent =
  /** `reason`: the role in the team; `changedFields: ['roleInTeam']` when a member's role in the team changed. */
  | { action: 'care_team.member_added'; outcome: 'success'; resourceType: 'care_team'; resourceId: string; patientId: string; reason: string; changedFields?: ['roleInTeam'] }
  | { action: 'care_team.member_removed'; outcome: 'success'; resourceType: 'care_team'; resourceId: string; patientId: string }
  | { action: 'break_glass.granted'; outcome: 'success'; resourceType: 'break_glass_grant'; resourceId: string; patientId: string; reason: BreakGlassReasonCode }
  | { action: 'break_glass.ended'; outcome: 'success'; resourceType: 'break_glass_grant'; resourceId: string; patientId: string }
  /** Emergency access asked for a patient who is not there (erased): refused like every patient route. */
  | { action: 'access.denied'; outcome: 'denied'; resourceType: 'patient'; resourceId: string; patientId: string; reason: 'not_found:break_glass' };

export const careTeamEvent = (event: CareTeamAuditEvent): AuditEventInput => event;
