import { z } from 'zod';
import { HeldSignIn } from './devices.ts';
import { Country, Locale, MembershipRole, membershipRoles, PracticeKind, StaffRole } from './roles.ts';
import { PermissionName } from './permissions.ts';
import { PasswordPolicy, SecurityPolicy, passwordMaxLength } from './policy.ts';

/*
 * Request and response shapes of the JSON API under /api/v1. Requests are strict:
 * unknown fields are refused (VALIDATION_FAILED), so a typo never silently drops data.
 */

/** One line of text: no control characters (a NUL byte cannot even be stored in PostgreSQL). */
const singleLine = /^[^\u0000-\u001f\u007f]*$/;
const text = (max: number) => z.string().trim().min(1).max(max).regex(singleLine, 'no control characters');
const optionalText = (max: number) => z.string().trim().max(max).regex(singleLine, 'no control characters').optional();
export const Email = z.string().trim().toLowerCase().max(254).pipe(z.email());
export const Password = z.string().min(1).max(passwordMaxLength * 4); // policy decides; cap stops hashing megabytes
export const Phone = z.string().trim().regex(/^\+?[0-9 ()\-./]{6,24}$/, 'a phone number such as +31 20 123 4567');
export const Token = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/, 'a link token');
export const Uuid = z.uuid();

// ---------- sign-up and verification ----------
export const SignupRequest = z.strictObject({
  organisation: z.strictObject({
    name: text(200),
    street: text(200),
    postalCode: text(20),
    city: text(100),
    country: Country,
    kind: PracticeKind,
    companyName: optionalText(200),
    registrationNumber: optionalText(50),
  }),
  owner: z.strictObject({
    name: text(200),
    email: Email,
    phone: Phone,
    profession: text(100),
    password: Password,
    locale: Locale.default('en'),
  }),
  acceptTerms: z.literal(true),
  acceptDpa: z.literal(true),
  termsVersion: z.string().max(20),
  dpaVersion: z.string().max(20),
});
export type SignupRequest = z.infer<typeof SignupRequest>;
export const SignupResponse = z.object({ status: z.literal('verification_sent') });

export const TokenRequest = z.strictObject({ token: Token });

// ---------- login and session ----------
export const LoginRequest = z.strictObject({
  email: Email,
  password: Password,
  organisationId: Uuid.optional(),
});
/**
 * What a session holds in its chosen practice: a staff role (built-in or 'custom'), or 'patient'
 * for a patient signed in to that practice's portal.
 */
export const SessionRole = z.enum([...membershipRoles, 'patient']);
export type SessionRole = z.infer<typeof SessionRole>;
/** Staff of the practice, or one of its patients (the portal). */
export const SessionKind = z.enum(['staff', 'patient']);
export type SessionKind = z.infer<typeof SessionKind>;
/**
 * A practice the account can sign in to: as staff (`role` a staff role; 'custom': one of the
 * practice's own roles, named by `roleName`, null for a built-in role) or as a patient (`kind`
 * 'patient', `role` 'patient', `roleName` null).
 */
export const OrganisationChoice = z.object({ id: Uuid, name: z.string(), kind: SessionKind, role: SessionRole, roleName: z.string().nullable() });
export const SelectOrganisationRequest = z.strictObject({ organisationId: Uuid });
export const UnlockRequest = z.strictObject({ password: Password });

/**
 * The sign-in step a session still owes: 'second_factor', 'enrolment' (set one up), or for a
 * suspicious sign-in 'confirmation' (the e-mail link) and then 'confirmed' (continue).
 */
export const SessionPending = z.enum(['second_factor', 'enrolment', 'confirmation', 'confirmed']);

export const SessionInfo = z.object({
  id: Uuid,
  idleTimeoutSeconds: z.number(),
  absoluteExpiresAt: z.string(),
  lastActiveAt: z.string(),
  /** 'enrolment': a second factor must be set up before anything else. */
  pending: SessionPending.nullable(),
  /** The last proof with the strongest factor (step-up needs it within five minutes). */
  reauthenticatedAt: z.string().nullable(),
});

export const Me = z.object({
  account: z.object({
    id: Uuid,
    name: z.string(),
    email: z.string(),
    pendingEmail: z.string().nullable(),
    phone: z.string().nullable(),
    profession: z.string().nullable(),
    locale: Locale,
  }),
  /**
   * The chosen practice. `permissions`: what the role allows here (the web shows pages by these;
   * the server enforces them). `role` 'custom': a role of the practice's own, `roleName` its name
   * (null for a built-in role). A patient (`kind` 'patient') has role 'patient', roleName null, no
   * permissions, and `patientId` names which patient they are (null for staff).
   */
  organisation: z
    .object({ id: Uuid, name: z.string(), kind: SessionKind, role: SessionRole, roleName: z.string().nullable(), patientId: Uuid.nullable(), permissions: z.array(PermissionName) })
    .nullable(),
  organisations: z.array(OrganisationChoice),
  session: SessionInfo,
  passwordPolicy: PasswordPolicy,
});
export type Me = z.infer<typeof Me>;

export const LoginResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('authenticated'), me: Me }),
  z.object({ status: z.literal('choose_organisation'), me: Me }),
  /** The password was right; the session waits for one of these (POST /auth/second-factor). */
  z.object({
    status: z.literal('second_factor_required'),
    methods: z.array(z.enum(['totp', 'passkey', 'sms', 'email_code', 'recovery_code'])),
    /** "Trust this browser for N hours" may be offered with the second factor (0: not offered). */
    trustDeviceHours: z.number().int().optional(),
  }),
  /** Right password (and second factor), but a suspicious sign-in: held until confirmed by e-mail. */
  HeldSignIn,
  /** Signed in, but a practice requires a second factor and there is none yet: set one up first. */
  z.object({ status: z.literal('enrolment_required'), me: Me }),
]);
export type LoginResponse = z.infer<typeof LoginResponse>;

/** GET /auth/session: the lock state, read without counting as activity. */
export const SessionState = z.object({
  state: z.enum(['active', 'locked', 'none']),
  /** A sign-in step still owed by an active session. */
  pending: SessionPending.nullable(),
  idleTimeoutSeconds: z.number().nullable(),
  idleExpiresAt: z.string().nullable(),
  absoluteExpiresAt: z.string().nullable(),
});

// ---------- passwords ----------
export const PasswordResetRequest = z.strictObject({ email: Email });
export const PasswordResetConfirm = z.strictObject({ token: Token, password: Password });
export const PasswordChangeRequest = z.strictObject({ currentPassword: Password, newPassword: Password });

// ---------- profile ----------
export const UpdateMeRequest = z
  .strictObject({
    name: text(200).optional(),
    phone: Phone.nullable().optional(),
    profession: optionalText(100).nullable(),
    locale: Locale.optional(),
    email: Email.optional(),
    /** Required when the e-mail address changes (ASVS 7.5.1: re-authenticate). */
    currentPassword: Password.optional(),
  })
  .refine((value) => Object.keys(value).length > 0, 'at least one field');

// ---------- sessions ----------
export const SessionListItem = z.object({
  id: Uuid,
  current: z.boolean(),
  device: z.string(),
  ip: z.string().nullable(),
  createdAt: z.string(),
  lastActiveAt: z.string(),
  state: z.enum(['active', 'locked']),
});
export const SessionList = z.object({ sessions: z.array(SessionListItem) });

// ---------- organisation ----------
export const Organisation = z.object({
  id: Uuid,
  name: z.string(),
  street: z.string(),
  postalCode: z.string(),
  city: z.string(),
  country: Country,
  kind: PracticeKind,
  companyName: z.string().nullable(),
  registrationNumber: z.string().nullable(),
  termsVersion: z.string(),
  termsAcceptedAt: z.string(),
  dpaVersion: z.string(),
  dpaAcceptedAt: z.string(),
});
export const UpdateOrganisationRequest = z
  .strictObject({
    name: text(200).optional(),
    street: text(200).optional(),
    postalCode: text(20).optional(),
    city: text(100).optional(),
    country: Country.optional(),
    kind: PracticeKind.optional(),
    companyName: optionalText(200).nullable(),
    registrationNumber: optionalText(50).nullable(),
  })
  .refine((value) => Object.keys(value).length > 0, 'at least one field');
export { SecurityPolicy };

// ---------- staff ----------
export const Member = z.object({
  id: Uuid,
  accountId: Uuid,
  name: z.string(),
  email: z.string(),
  /** A built-in role, or 'custom' with `customRoleId` and its `roleName` (both null otherwise). */
  role: MembershipRole,
  customRoleId: Uuid.nullable(),
  roleName: z.string().nullable(),
  status: z.enum(['active', 'deactivated']),
  createdAt: z.string(),
});
export const MemberList = z.object({
  members: z.array(Member),
  /** Active members: owners, those whose role holds any managing permission (owners included), all. */
  counts: z.object({ owners: z.number(), managing: z.number(), active: z.number() }),
});

/** Exactly one of a built-in role and a custom role's id. */
const exactlyOneRole = (value: { role?: unknown; customRoleId?: unknown }) => (value.role === undefined) !== (value.customRoleId === undefined);
/** PATCH /staff/:id: `{ role }` (built-in) or `{ customRoleId }`. */
export const UpdateMemberRequest = z.strictObject({ role: StaffRole.optional(), customRoleId: Uuid.optional() }).refine(exactlyOneRole, 'role or customRoleId');

/**
 * How the administrator made sure it is really the person asking (ASVS 6.4.4: a lost factor is
 * replaced only after identity proofing as strong as at enrolment). Recorded in the audit trail.
 */
export const IdentityCheck = z.enum(['in_person', 'video_call', 'phone_call']);
export type IdentityCheck = z.infer<typeof IdentityCheck>;
export const ResetMemberFactorsRequest = z.strictObject({ identityCheck: IdentityCheck });

export const Invitation = z.object({
  id: Uuid,
  email: z.string(),
  role: MembershipRole,
  customRoleId: Uuid.nullable(),
  roleName: z.string().nullable(),
  invitedBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
});
export const InvitationList = z.object({ invitations: z.array(Invitation) });
/** The invitee's role: `role` (built-in) or `customRoleId`, exactly one. */
export const CreateInvitationRequest = z
  .strictObject({ email: Email, role: StaffRole.optional(), customRoleId: Uuid.optional(), locale: Locale.default('en') })
  .refine(exactlyOneRole, 'role or customRoleId');
export const InvitationPreview = z.object({
  organisationName: z.string(),
  email: z.string(),
  role: MembershipRole,
  roleName: z.string().nullable(),
  accountExists: z.boolean(),
  passwordPolicy: PasswordPolicy,
});
export const AcceptInvitationRequest = z.strictObject({
  token: Token,
  password: Password,
  name: text(200).optional(),
  phone: Phone.optional(),
  profession: optionalText(100),
  locale: Locale.optional(),
});

// ---------- audit ----------
export const auditOutcomes = ['success', 'denied', 'failed'] as const;
export const AuditQuery = z.strictObject({
  actor: Uuid.optional(),
  action: z.string().max(64).regex(/^[a-z_.]+$/).optional(),
  resourceType: z.string().max(64).regex(/^[a-z_]+$/).optional(),
  resourceId: z.string().max(100).optional(),
  patient: Uuid.optional(),
  outcome: z.enum(auditOutcomes).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const AuditEvent = z.object({
  id: z.number(),
  occurredAt: z.string(),
  actorAccountId: z.string().nullable(),
  actorName: z.string().nullable(),
  actorRole: z.string().nullable(),
  onBehalfOf: z.string().nullable(),
  action: z.string(),
  resourceType: z.string().nullable(),
  resourceId: z.string().nullable(),
  patientId: z.string().nullable(),
  outcome: z.enum(auditOutcomes),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
  changedFields: z.array(z.string()),
  reason: z.string().nullable(),
  sealed: z.boolean(),
});
export const AuditPage = z.object({ events: z.array(AuditEvent), nextBefore: z.number().nullable() });
