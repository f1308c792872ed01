import { z } from 'zod';
import { Email, Password, Token, Uuid } from './api.ts';
import { BreakGlassReasonCode } from './care-teams.ts';
import { StaffRef } from './dossier.ts';
import { StoredFileType } from './files.ts';
import { NationalId, PatientContact, PatientSex, PatientView } from './patients.ts';
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

/*
 * The patient portal (issue 5 §4; docs/design/patients-and-dossiers.md §7.1). Every route here
 * answers for the signed-in patient only: the server takes the patient from the session, never
 * from the request, and the `portal_self` row-level-security wall holds it to that patient.
 */

/** GET /portal/me: the patient's own details as the practice registered them. */
export const PortalMe = z.object({
  organisation: z.object({ id: Uuid, name: z.string() }),
  patient: z.object({
    id: Uuid,
    name: z.object({ family: z.string(), given: z.string() }),
    birthDate: z.string(),
    sex: PatientSex,
    gender: z.string().nullable(),
    contact: PatientView.shape.contact,
    nationalId: NationalId.nullable(),
  }),
  /** Documents the practice shared, and the patient's comments still waiting for an answer. */
  sharedDocuments: z.number().int().nonnegative(),
  openComments: z.number().int().nonnegative(),
});
export type PortalMe = z.infer<typeof PortalMe>;

/** PATCH /portal/me/contact: the patient corrects their own contact details (replaced as a whole). */
export const PortalContactUpdate = PatientContact;
export type PortalContactUpdate = z.infer<typeof PortalContactUpdate>;

/** One document the practice shared with the patient. */
export const PortalDocument = z.object({
  id: Uuid,
  title: z.string(),
  description: z.string().nullable(),
  name: z.string(),
  contentType: StoredFileType,
  sizeBytes: z.number().int().nonnegative(),
  createdAt: z.string(),
  sharedAt: z.string(),
});
export type PortalDocument = z.infer<typeof PortalDocument>;

/** GET /portal/documents. */
export const PortalDocumentList = z.object({ documents: z.array(PortalDocument) });
export type PortalDocumentList = z.infer<typeof PortalDocumentList>;

/** A comment on the record, or a request to correct it: patients cannot change clinical content. */
export const patientCommentKinds = ['comment', 'correction_request'] as const;
export const PatientCommentKind = z.enum(patientCommentKinds);
export type PatientCommentKind = z.infer<typeof PatientCommentKind>;

const commentText = z.string().trim().min(1).max(4000).regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'no control characters');

/** POST /portal/comments: about the record as a whole, or about one shared document. */
export const PortalCommentInput = z.strictObject({
  kind: PatientCommentKind,
  documentId: Uuid.optional(),
  text: commentText,
});
export type PortalCommentInput = z.infer<typeof PortalCommentInput>;

/** A patient's comment as both sides see it (the portal and the practice's patient page). */
export const PatientCommentView = z.object({
  id: Uuid,
  kind: PatientCommentKind,
  documentId: Uuid.nullable(),
  /** The document's title, when the comment is about one. */
  documentTitle: z.string().nullable(),
  text: z.string(),
  createdAt: z.string(),
  status: z.enum(['open', 'resolved']),
  resolvedAt: z.string().nullable(),
  resolvedBy: StaffRef.nullable(),
  resolution: z.string().nullable(),
});
export type PatientCommentView = z.infer<typeof PatientCommentView>;

/** GET /portal/comments and GET /patients/:id/comments, newest first. */
export const PatientCommentList = z.object({ comments: z.array(PatientCommentView) });
export type PatientCommentList = z.infer<typeof PatientCommentList>;

/** POST /patients/:id/comments/:commentId/resolve: the practice's answer, which the patient reads. */
export const ResolveCommentInput = z.strictObject({ resolution: commentText });
export type ResolveCommentInput = z.infer<typeof ResolveCommentInput>;

/** GET /portal/access-log?cursor=: older pages by the `nextCursor` of the page before. */
export const AccessLogQuery = z.strictObject({ cursor: z.string().regex(/^[0-9]{1,19}$/).optional() });
export type AccessLogQuery = z.infer<typeof AccessLogQuery>;

/**
 * One access to the patient's record, from the audit trail, in words the web renders per action
 * ("Dr A. Jansen, practitioner, opened your record"). Only staff and the practice's own actions
 * appear; the patient's own portal use does not (they know it).
 */
export const AccessLogEntry = z.object({
  id: z.string(),
  occurredAt: z.string(),
  action: z.string(),
  outcome: z.enum(['success', 'denied', 'failed']),
  /** Who, and in which role; null when the practice's system did it (no person). */
  actor: z.object({ name: z.string(), role: z.string() }).nullable(),
  /** On whose behalf, when someone recorded for a colleague. */
  onBehalfOf: z.string().nullable(),
  /** Set when the access was under break-the-glass: the reason the staff member gave. */
  breakGlass: z.object({ reasonCode: BreakGlassReasonCode, reasonText: z.string().nullable() }).nullable(),
});
export type AccessLogEntry = z.infer<typeof AccessLogEntry>;

export const AccessLogPage = z.object({ entries: z.array(AccessLogEntry), nextCursor: z.string().nullable() });
export type AccessLogPage = z.infer<typeof AccessLogPage>;
