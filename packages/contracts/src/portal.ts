import { z } from 'zod';
import { Email, Password, Token, Uuid } from './api.ts';
import { PasswordPolicy } from './policy.ts';
import { Locale } from './roles.ts';

/*
 * Patients' own accounts (issue 5 §2, §4). A patient account comes to be only through an
 * invitation the practice sends; these are the practice's and the invitee's views of it.
 */

/** POST /patients/:id/invitation: to the address given, or else to the patient's contact e-mail. */
export const PatientInvitationRequest = z.strictObject({
  email: Email.optional(),
  /** The language of the invitation mail. */
  locale: Locale,
});
export type PatientInvitationRequest = z.infer<typeof PatientInvitationRequest>;

/** GET /patients/:id/portal: whether the patient has a portal account, or an invitation under way. */
export const PatientPortalStatus = z.object({
  account: z.object({ status: z.enum(['active', 'deactivated']), createdAt: z.string() }).nullable(),
  invitation: z
    .object({ id: Uuid, email: z.string(), createdAt: z.string(), expiresAt: z.string(), invitedBy: z.string() })
    .nullable(),
});
export type PatientPortalStatus = z.infer<typeof PatientPortalStatus>;

/** POST /patient-invitations/preview: what the invitation page shows before accepting. */
export const PatientInvitationPreview = z.object({
  organisationName: z.string(),
  email: z.string(),
  /** The address already has a Haven account: the invitee proves it with its password. */
  accountExists: z.boolean(),
  passwordPolicy: PasswordPolicy,
});
export type PatientInvitationPreview = z.infer<typeof PatientInvitationPreview>;

/** POST /patient-invitations/accept. */
export const AcceptPatientInvitationRequest = z.strictObject({
  token: Token,
  password: Password,
  /** The name the new account shows (not needed when the address already has an account). */
  name: z.string().trim().min(1).max(200).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters').optional(),
  locale: Locale.optional(),
});
export type AcceptPatientInvitationRequest = z.infer<typeof AcceptPatientInvitationRequest>;
