import type { z } from 'zod';
import type {
  AuditEvent,
  AuditPage,
  Invitation,
  InvitationList,
  InvitationPreview,
  LoginResponse,
  Member,
  MemberList,
  Organisation,
  OrganisationChoice,
  SessionList,
  SessionListItem,
  SessionState,
} from '@haven/contracts';

/** Response types of the API, inferred from the shared contract. */
export type LoginResponseBody = z.infer<typeof LoginResponse>;
export type SessionStateBody = z.infer<typeof SessionState>;
export type OrganisationChoiceItem = z.infer<typeof OrganisationChoice>;
export type SessionListBody = z.infer<typeof SessionList>;
export type SessionItem = z.infer<typeof SessionListItem>;
export type OrganisationBody = z.infer<typeof Organisation>;
export type MemberItem = z.infer<typeof Member>;
export type MemberListBody = z.infer<typeof MemberList>;
export type InvitationItem = z.infer<typeof Invitation>;
export type InvitationListBody = z.infer<typeof InvitationList>;
export type InvitationPreviewBody = z.infer<typeof InvitationPreview>;
export type AuditEventItem = z.infer<typeof AuditEvent>;
export type AuditPageBody = z.infer<typeof AuditPage>;
