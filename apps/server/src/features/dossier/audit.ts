import type { AuditEventInput } from '../../core/audit/record.ts';

/*
 * What the dossier records (NEN 7513: event, time, patient, user, on what basis). Every event
 * names the patient; `reason` is `break_glass:<grantId>` when the access rests on a grant. What
 * an entry says never goes in: not its content, not a change reason, not an entered-in-error
 * reason. `onBehalfOf` is the account of the care-team practitioner an entry was written for.
 */
type Basis = { patientId: string; reason?: string };

export type DossierAuditEvent =
  | ({ action: 'dossier.viewed'; outcome: 'success'; resourceType: 'dossier'; resourceId: string } & Basis)
  | ({ action: 'entry.viewed'; outcome: 'success'; resourceType: 'entry'; resourceId: string } & Basis)
  | ({ action: 'entry.history_viewed'; outcome: 'success'; resourceType: 'entry'; resourceId: string } & Basis)
  | ({ action: 'entry.created'; outcome: 'success'; resourceType: 'entry'; resourceId: string; onBehalfOf?: string } & Basis)
  | ({ action: 'entry.revised'; outcome: 'success'; resourceType: 'entry'; resourceId: string } & Basis)
  | ({ action: 'entry.entered_in_error'; outcome: 'success'; resourceType: 'entry'; resourceId: string } & Basis);

export const dossierEvent = (event: DossierAuditEvent): AuditEventInput => event;
