import { z } from 'zod';
import { Uuid } from './api.ts';
import { StaffRole } from './roles.ts';

/*
 * Care teams and break-the-glass (issue 5, docs/design/patients-and-dossiers.md §1.4 and §7.1).
 */

export const careTeamRoles = ['responsible', 'member'] as const;
export const CareTeamRole = z.enum(careTeamRoles);
export type CareTeamRole = z.infer<typeof CareTeamRole>;

/** One member of a patient's care team (GET /patients/:id/care-team). */
export const CareTeamMember = z.object({
  membershipId: Uuid,
  accountId: Uuid,
  name: z.string(),
  /** The practice role: built-in, or 'custom' with `roleName`. */
  role: z.union([StaffRole, z.literal('custom')]),
  roleName: z.string().nullable(),
  roleInTeam: CareTeamRole,
  addedAt: z.string(),
});
export type CareTeamMember = z.infer<typeof CareTeamMember>;
/** The caller's own break-the-glass grant for this patient, while it lasts (the web shows a banner). */
export const OwnBreakGlassGrant = z.object({ id: Uuid, expiresAt: z.string() });
export const CareTeamList = z.object({ members: z.array(CareTeamMember), ownGrant: OwnBreakGlassGrant.nullable() });
export type CareTeamList = z.infer<typeof CareTeamList>;

/** PUT /patients/:id/care-team/:membershipId. */
export const CareTeamMemberInput = z.strictObject({ roleInTeam: CareTeamRole.default('member') });

export const breakGlassReasonCodes = ['emergency', 'continuity_of_care', 'patient_request', 'other'] as const;
export const BreakGlassReasonCode = z.enum(breakGlassReasonCodes);
export type BreakGlassReasonCode = z.infer<typeof BreakGlassReasonCode>;

/** Longest free-text reason, in characters. */
export const maxBreakGlassReasonLength = 1000;

/**
 * POST /patients/:id/break-glass. The code goes into the audit record; the text (may hold health
 * data) is sealed under the patient key and shown to the care team and the patient. 'other'
 * needs a text: `{ path: 'reasonText', issue: 'required' }` otherwise.
 */
export const BreakGlassInput = z
  .strictObject({
    reasonCode: BreakGlassReasonCode,
    reasonText: z
      .string()
      .trim()
      .min(1)
      .max(maxBreakGlassReasonLength)
      .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'no control characters')
      .optional(),
  })
  .superRefine((value, ctx) => {
    if (value.reasonCode === 'other' && !value.reasonText) ctx.addIssue({ code: 'custom', path: ['reasonText'], message: 'required' });
  });
export type BreakGlassInput = z.infer<typeof BreakGlassInput>;

/** A break-the-glass grant: valid until `expiresAt`, unless ended earlier (`endedAt`). */
export const BreakGlassGrant = z.object({
  id: Uuid,
  patientId: Uuid,
  reasonCode: BreakGlassReasonCode,
  reasonText: z.string().nullable(),
  grantedAt: z.string(),
  expiresAt: z.string(),
  endedAt: z.string().nullable(),
});
export type BreakGlassGrant = z.infer<typeof BreakGlassGrant>;
