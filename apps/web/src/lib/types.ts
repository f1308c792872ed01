import type { z } from 'zod';
import type {
  AuditEvent,
  DeviceList,
  AuditPage,
  CodeSent,
  ConfirmTotpResponse,
  Invitation,
  InvitationList,
  InvitationPreview,
  LoginResponse,
  PendingSecondFactor,
  Me,
  Member,
  MemberList,
  Organisation,
  OrganisationChoice,
  Passkey,
  CustomRole,
  RoleList,
  PasskeyList,
  RecoveryCodes,
  RegisterPasskeyResponse,
  SecuritySummary,
  SessionList,
  SessionListItem,
  SessionState,
  TotpSetup,
} from '@haven/contracts';

/** Response types of the API, inferred from the shared contract. */
export type LoginResponseBody = z.infer<typeof LoginResponse>;
export type PendingSecondFactorBody = z.infer<typeof PendingSecondFactor>;
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
export type SecuritySummaryBody = z.infer<typeof SecuritySummary>;
export type TotpSetupBody = z.infer<typeof TotpSetup>;
/** `me` is set when confirming finished a sign-in that had to set up a second factor first. */
export type ConfirmTotpResponseBody = z.infer<typeof ConfirmTotpResponse> & { me: Me | null };
export type RecoveryCodesBody = z.infer<typeof RecoveryCodes>;
export type StepUpResponseBody = { reauthenticatedAt: string };
export type PasskeyItem = z.infer<typeof Passkey>;
export type PasskeyListBody = z.infer<typeof PasskeyList>;
/** `me` is set when registering finished a sign-in that had to set up a second factor first. */
export type RegisterPasskeyResponseBody = z.infer<typeof RegisterPasskeyResponse>;
export type CodeSentBody = z.infer<typeof CodeSent>;
export type DeviceListBody = z.infer<typeof DeviceList>;
export type CustomRoleItem = z.infer<typeof CustomRole>;
export type RoleListBody = z.infer<typeof RoleList>;
