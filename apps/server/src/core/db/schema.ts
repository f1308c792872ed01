import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { NationalIdKind, Permission, UploadableMime } from '@haven/contracts';
import { sealed } from '../crypto/sealed-column.ts';

/*
 * The Drizzle view of the tables created by the SQL migrations in apps/server/migrations.
 * The migrations are the source of truth (they also hold roles, grants and RLS policies);
 * a test checks every column here exists there with the same name.
 */

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const accounts = pgTable('accounts', {
  id: uuid('id').primaryKey(),
  /** Sealed under the platform key; found through `emailBidx`. */
  email: sealed('email').notNull(),
  emailBidx: bytea('email_bidx').notNull(),
  emailVerifiedAt: ts('email_verified_at'),
  pendingEmail: sealed('pending_email'),
  name: sealed('name').notNull(),
  phone: sealed('phone'),
  profession: text('profession'),
  locale: text('locale').$type<'en' | 'de' | 'nl'>().notNull(),
  passwordHash: text('password_hash').notNull(),
  passwordChangedAt: ts('password_changed_at').notNull(),
  failedLoginCount: integer('failed_login_count').notNull().default(0),
  /** Wrong second-factor codes (same lock, own count). */
  failedCodeCount: integer('failed_code_count').notNull().default(0),
  throttledUntil: ts('throttled_until'),
  lockedUntil: ts('locked_until'),
  lockCount: integer('lock_count').notNull().default(0),
  /** "This wasn't me": the next sign-in needs a password reset first. */
  passwordResetRequiredAt: ts('password_reset_required_at'),
  /** Failed attempts since the last complete sign-in (risk signal; features/devices). */
  failuresSinceSignIn: integer('failures_since_sign_in').notNull().default(0),
  createdAt: ts('created_at').notNull(),
  updatedAt: ts('updated_at').notNull(),
});

export const organisations = pgTable('organisations', {
  id: uuid('id').primaryKey(),
  /** Sealed under the platform key (listed at sign-in across practices). */
  name: sealed('name').notNull(),
  /** Contact details: sealed under the organisation's own key. */
  street: sealed('street'),
  postalCode: sealed('postal_code'),
  city: sealed('city'),
  country: text('country').$type<'NL' | 'DE' | 'AT' | 'other'>().notNull(),
  kind: text('kind').notNull(),
  companyName: sealed('company_name'),
  registrationNumber: sealed('registration_number'),
  termsVersion: text('terms_version').notNull(),
  termsAcceptedAt: ts('terms_accepted_at').notNull(),
  dpaVersion: text('dpa_version').notNull(),
  dpaAcceptedAt: ts('dpa_accepted_at').notNull(),
  acceptedByAccountId: uuid('accepted_by_account_id').notNull(),
  passwordPolicyMode: text('password_policy_mode').$type<'nist' | 'classes'>().notNull(),
  passwordMinLength: integer('password_min_length').notNull(),
  idleTimeoutMinutes: integer('idle_timeout_minutes').notNull(),
  secondFactorRequired: boolean('second_factor_required').notNull().default(true),
  /** CIDR ranges staff may work from; empty: anywhere. */
  ipAllowlist: text('ip_allowlist').array().notNull().default(sql`'{}'::text[]`),
  /** Which second factors staff and patients may use (contracts `Factor`). */
  allowedStaffFactors: text('allowed_staff_factors').array().$type<Array<'passkey' | 'totp' | 'sms' | 'email_code'>>().notNull().default(sql`'{passkey,totp,sms}'::text[]`),
  allowedPatientFactors: text('allowed_patient_factors').array().$type<Array<'passkey' | 'totp' | 'sms' | 'email_code'>>().notNull().default(sql`'{passkey,totp,sms}'::text[]`),
  /** How long staff may trust a browser after a second factor (0: never, at most 12). */
  trustedDeviceHours: integer('trusted_device_hours').notNull().default(12),
  /** How long a break-the-glass grant lasts, in minutes (15–240). */
  breakGlassMinutes: integer('break_glass_minutes').notNull().default(60),
  /** Must patients sign in to the portal with a second factor (default off; issue 5 §9.3). */
  patientSecondFactorRequired: boolean('patient_second_factor_required').notNull().default(false),
  createdAt: ts('created_at').notNull(),
  updatedAt: ts('updated_at').notNull(),
});

export type StaffRoleColumn = 'owner' | 'admin' | 'practitioner' | 'assistant';
/** What memberships.role and invitations.role may hold: a built-in role, or 'custom' with custom_role_id. */
export type MembershipRoleColumn = StaffRoleColumn | 'custom';

export const memberships = pgTable(
  'memberships',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    accountId: uuid('account_id').notNull(),
    role: text('role').$type<MembershipRoleColumn>().notNull(),
    /** Set exactly when `role` is 'custom' (a CHECK says so); one of this practice's custom_roles. */
    customRoleId: uuid('custom_role_id'),
    status: text('status').$type<'active' | 'deactivated'>().notNull(),
    createdAt: ts('created_at').notNull(),
    deactivatedAt: ts('deactivated_at'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

export type ActionTokenPurpose = 'verify_email' | 'password_reset' | 'invitation' | 'email_change' | 'sign_in_confirmation' | 'not_me' | 'patient_invitation';

export const actionTokens = pgTable('action_tokens', {
  id: uuid('id').primaryKey(),
  purpose: text('purpose').$type<ActionTokenPurpose>().notNull(),
  tokenHash: bytea('token_hash').notNull(),
  accountId: uuid('account_id'),
  orgId: uuid('org_id'),
  email: sealed('email'),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  consumedAt: ts('consumed_at'),
});

export const invitations = pgTable(
  'invitations',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    /** Sealed under the organisation's key; `emailBidx` under its blind-index key. */
    email: sealed('email').notNull(),
    emailBidx: bytea('email_bidx').notNull(),
    role: text('role').$type<MembershipRoleColumn>().notNull(),
    /** Set only when `role` is 'custom'; cleared when that role is deleted (finished invitations stay as history). */
    customRoleId: uuid('custom_role_id'),
    invitedByAccountId: uuid('invited_by_account_id').notNull(),
    tokenId: uuid('token_id').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    acceptedAt: ts('accepted_at'),
    acceptedAccountId: uuid('accepted_account_id'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

export const sessions = pgTable('sessions', {
  id: uuid('id').primaryKey(),
  tokenHash: bytea('token_hash').notNull(),
  csrfHash: bytea('csrf_hash').notNull(),
  accountId: uuid('account_id').notNull(),
  orgId: uuid('org_id'),
  ip: text('ip'),
  userAgent: text('user_agent'),
  createdAt: ts('created_at').notNull(),
  lastActiveAt: ts('last_active_at').notNull(),
  absoluteExpiresAt: ts('absolute_expires_at').notNull(),
  idleTimeoutSeconds: integer('idle_timeout_seconds').notNull(),
  /** Set by "lock now"; cleared by unlock. Idle locking is derived from last_active_at. */
  lockedAt: ts('locked_at'),
  endedAt: ts('ended_at'),
  endReason: text('end_reason'),
  /** null: signed in; otherwise the sign-in step still owed (see features/second-factor). */
  pending: text('pending').$type<SessionPending>(),
  /** The last proof with the account's strongest factor; step-up looks at it. */
  reauthenticatedAt: ts('reauthenticated_at'),
  /** SHA-256(account id ":" device cookie) of the browser that opened it (features/devices). */
  deviceHash: bytea('device_hash'),
  /** Risk signals seen at the password step, for the decision after the second factor. */
  riskSignals: text('risk_signals').array(),
  /** The confirmation link of a sign-in held for confirmation by e-mail. */
  holdTokenId: uuid('hold_token_id'),
});

/**
 * The sign-in step a session still owes: its second factor, setting one up, or (a suspicious
 * sign-in) the confirmation link from the e-mail — 'confirmed' once opened, until the waiting
 * browser continues.
 */
export type SessionPending = 'second_factor' | 'enrolment' | 'confirmation' | 'confirmed';

export const auditEvents = pgTable(
  'audit_events',
  {
    orgId: uuid('org_id').notNull(),
    id: bigint('id', { mode: 'number' }).notNull(),
    occurredAt: ts('occurred_at').notNull(),
    actorAccountId: uuid('actor_account_id'),
    actorRole: text('actor_role'),
    onBehalfOf: uuid('on_behalf_of'),
    action: text('action').notNull(),
    resourceType: text('resource_type'),
    resourceId: text('resource_id'),
    patientId: uuid('patient_id'),
    outcome: text('outcome').$type<'success' | 'denied' | 'failed'>().notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    changedFields: text('changed_fields').array().notNull(),
    reason: text('reason'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

export const auditChain = pgTable(
  'audit_chain',
  {
    orgId: uuid('org_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    prevHash: bytea('prev_hash').notNull(),
    hash: bytea('hash').notNull(),
    sealedAt: ts('sealed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.seq] })],
);

export const auditCheckpoints = pgTable(
  'audit_checkpoints',
  {
    orgId: uuid('org_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    headHash: bytea('head_hash').notNull(),
    signedAt: ts('signed_at').notNull(),
    keyId: text('key_id').notNull(),
    signature: bytea('signature').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.seq] })],
);

export const platformKeys = pgTable('platform_keys', {
  version: integer('version').primaryKey(),
  wrappedKey: bytea('wrapped_key').notNull(),
  createdAt: ts('created_at').notNull(),
  retiredAt: ts('retired_at'),
});

export const orgKeys = pgTable(
  'org_keys',
  {
    orgId: uuid('org_id').notNull(),
    version: integer('version').notNull(),
    wrappedKey: bytea('wrapped_key'),
    createdAt: ts('created_at').notNull(),
    retiredAt: ts('retired_at'),
    shreddedAt: ts('shredded_at'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.version] })],
);

export const patientKeys = pgTable(
  'patient_keys',
  {
    orgId: uuid('org_id').notNull(),
    patientId: uuid('patient_id').notNull(),
    wrappedKey: bytea('wrapped_key'),
    orgKeyVersion: integer('org_key_version').notNull(),
    createdAt: ts('created_at').notNull(),
    shreddedAt: ts('shredded_at'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.patientId] })],
);

export const erasureLedger = pgTable(
  'erasure_ledger',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    keyKind: text('key_kind').$type<'patient' | 'organisation'>().notNull(),
    subjectId: uuid('subject_id').notNull(),
    shreddedAt: ts('shredded_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

/** A practice's own files; the contents are an encrypted blob (core/files). */
export const organisationFiles = pgTable(
  'organisation_files',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    blobId: uuid('blob_id').notNull(),
    /** Sealed under the organisation's key. */
    name: sealed('name').notNull(),
    contentType: text('content_type').$type<UploadableMime>().notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    uploadedByAccountId: uuid('uploaded_by_account_id').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

/** A practice's own roles: a name and a subset of the permission catalogue (checked in the app). */
export const customRoles = pgTable(
  'custom_roles',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    /** A job title, not personal: clear. Unique per practice, case-insensitively. */
    name: text('name').notNull(),
    permissions: text('permissions').array().$type<Permission[]>().notNull(),
    createdByAccountId: uuid('created_by_account_id').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

export type PatientStatus = 'active' | 'archived' | 'erased';

/**
 * Patients. Every personal column is sealed under the patient's key (place
 * `patients:<column>:<org>:<id>`, key ref `patient:<id>`); the blind indexes use the
 * practice's index key. `id` is also the `patient_keys.patient_id`.
 */
export const patients = pgTable(
  'patients',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    /** JSON `{ family, given }`. */
    name: sealed('name').notNull(),
    /** ISO date. */
    birthDate: sealed('birth_date').notNull(),
    /** NULL only once erased. */
    birthDateBidx: bytea('birth_date_bidx'),
    /** JSON: sex, gender, contact, practice notes. */
    details: sealed('details').notNull(),
    nationalIdKind: text('national_id_kind').$type<NationalIdKind>(),
    nationalId: sealed('national_id'),
    nationalIdBidx: bytea('national_id_bidx'),
    status: text('status').$type<PatientStatus>().notNull(),
    createdByAccountId: uuid('created_by_account_id').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    erasedAt: ts('erased_at'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

/** Blind-index tokens of name prefixes, one row per token (search by name). */
export const patientNameTokens = pgTable(
  'patient_name_tokens',
  {
    orgId: uuid('org_id').notNull(),
    token: bytea('token').notNull(),
    patientId: uuid('patient_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.token, t.patientId] })],
);

/** A patient's care team: memberships whose care-team-scoped permissions reach this patient. */
export const careTeamMembers = pgTable(
  'care_team_members',
  {
    orgId: uuid('org_id').notNull(),
    patientId: uuid('patient_id').notNull(),
    membershipId: uuid('membership_id').notNull(),
    roleInTeam: text('role_in_team').$type<'responsible' | 'member'>().notNull(),
    addedByAccountId: uuid('added_by_account_id').notNull(),
    addedAt: ts('added_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.patientId, t.membershipId] })],
);

export type BreakGlassReasonCode = 'emergency' | 'continuity_of_care' | 'patient_request' | 'other';

/** Break-the-glass grants; only `ended_at` may change (column grant). */
export const breakGlassGrants = pgTable(
  'break_glass_grants',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    patientId: uuid('patient_id').notNull(),
    membershipId: uuid('membership_id').notNull(),
    accountId: uuid('account_id').notNull(),
    /** Clear: it goes into the audit record. */
    reasonCode: text('reason_code').$type<BreakGlassReasonCode>().notNull(),
    /** Free text, may hold health data: sealed under the patient key. */
    reasonText: sealed('reason_text'),
    grantedAt: ts('granted_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    endedAt: ts('ended_at'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

export type DossierEntryKind = 'finding' | 'diagnosis' | 'note' | 'document';

/** The head of a dossier entry: kind, status, current version, timeline date. */
export const dossierEntries = pgTable(
  'dossier_entries',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    patientId: uuid('patient_id').notNull(),
    kind: text('kind').$type<DossierEntryKind>().notNull(),
    currentVersion: integer('current_version').notNull(),
    status: text('status').$type<'active' | 'entered_in_error'>().notNull(),
    effectiveAt: ts('effective_at').notNull(),
    createdByAccountId: uuid('created_by_account_id').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    enteredInErrorAt: ts('entered_in_error_at'),
    enteredInErrorByAccountId: uuid('entered_in_error_by_account_id'),
    enteredInErrorReason: sealed('entered_in_error_reason'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

/** Append-only versions of an entry (the request role may only SELECT and INSERT). */
export const entryVersions = pgTable(
  'entry_versions',
  {
    orgId: uuid('org_id').notNull(),
    entryId: uuid('entry_id').notNull(),
    version: integer('version').notNull(),
    patientId: uuid('patient_id').notNull(),
    /** JSON per kind; the AAD row id is `<entryId>:v<version>`. */
    content: sealed('content').notNull(),
    documentId: uuid('document_id'),
    effectiveAt: ts('effective_at').notNull(),
    authorAccountId: uuid('author_account_id').notNull(),
    /** A built-in role name or `custom:<roleId>`. */
    authorRole: text('author_role').notNull(),
    onBehalfOfAccountId: uuid('on_behalf_of_account_id'),
    changeReason: sealed('change_reason'),
    recordedAt: ts('recorded_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.entryId, t.version] })],
);

/** A patient's files; the contents are a blob encrypted under the patient key (core/files). */
export const patientDocuments = pgTable(
  'patient_documents',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    patientId: uuid('patient_id').notNull(),
    blobId: uuid('blob_id').notNull(),
    /** Sealed under the patient key. */
    name: sealed('name').notNull(),
    contentType: text('content_type').$type<UploadableMime>().notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    uploadedByAccountId: uuid('uploaded_by_account_id').notNull(),
    createdAt: ts('created_at').notNull(),
    sharedWithPatientAt: ts('shared_with_patient_at'),
    sharedByAccountId: uuid('shared_by_account_id'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

/** An account's authenticator app; the secret sealed under the platform key. */
export const accountTotp = pgTable('account_totp', {
  accountId: uuid('account_id').primaryKey(),
  secret: sealed('secret').notNull(),
  createdAt: ts('created_at').notNull(),
  confirmedAt: ts('confirmed_at'),
  lastUsedStep: bigint('last_used_step', { mode: 'number' }),
  lastUsedAt: ts('last_used_at'),
});

export const recoveryCodes = pgTable('recovery_codes', {
  id: uuid('id').primaryKey(),
  accountId: uuid('account_id').notNull(),
  lookup: text('lookup').notNull(),
  codeHash: text('code_hash').notNull(),
  createdAt: ts('created_at').notNull(),
  usedAt: ts('used_at'),
});

/** An account's passkeys (WebAuthn credentials); the name sealed under the platform key. */
export const accountPasskeys = pgTable('account_passkeys', {
  id: uuid('id').primaryKey(),
  accountId: uuid('account_id').notNull(),
  /** base64url, as browsers report it; unique across all accounts. */
  credentialId: text('credential_id').notNull(),
  /** The COSE public key. */
  publicKey: bytea('public_key').notNull(),
  counter: bigint('counter', { mode: 'number' }).notNull(),
  transports: text('transports').array().notNull(),
  deviceType: text('device_type').$type<'singleDevice' | 'multiDevice'>().notNull(),
  backedUp: boolean('backed_up').notNull(),
  /** The WebAuthn user.id (base64url), random, shared by the account's passkeys. */
  userHandle: text('user_handle').notNull(),
  name: sealed('name').notNull(),
  createdAt: ts('created_at').notNull(),
  lastUsedAt: ts('last_used_at'),
});

/** Open WebAuthn ceremonies: the challenge's hash, bound to who asked and for what. */
export const webauthnChallenges = pgTable('webauthn_challenges', {
  id: uuid('id').primaryKey(),
  ceremony: text('ceremony').$type<'registration' | 'second_factor' | 'step_up' | 'passwordless'>().notNull(),
  boundTo: text('bound_to').notNull(),
  accountId: uuid('account_id'),
  challengeHash: text('challenge_hash').notNull(),
  userHandle: text('user_handle'),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
});

/** Browsers an account completed a sign-in from; the cookie only as a hash (features/devices). */
export const accountDevices = pgTable('account_devices', {
  id: uuid('id').primaryKey(),
  accountId: uuid('account_id').notNull(),
  deviceHash: bytea('device_hash').notNull(),
  label: text('label').notNull(),
  firstSeenAt: ts('first_seen_at').notNull(),
  lastSeenAt: ts('last_seen_at').notNull(),
  lastCountry: text('last_country'),
  trustedAt: ts('trusted_at'),
  trustedUntil: ts('trusted_until'),
});

/** Countries an account completed a sign-in from. */
export const accountCountries = pgTable(
  'account_countries',
  {
    accountId: uuid('account_id').notNull(),
    country: text('country').notNull(),
    firstSeenAt: ts('first_seen_at').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.country] })],
);

/** The e-mail code factor of an account; in force once confirmed. */
export const accountEmailCode = pgTable('account_email_code', {
  accountId: uuid('account_id').primaryKey(),
  createdAt: ts('created_at').notNull(),
  confirmedAt: ts('confirmed_at'),
});

/** The phone for SMS codes (E.164, sealed under the platform key); a factor once verified. */
export const accountPhones = pgTable('account_phones', {
  accountId: uuid('account_id').primaryKey(),
  number: sealed('number').notNull(),
  createdAt: ts('created_at').notNull(),
  verifiedAt: ts('verified_at'),
});

/** The last code sent by SMS or e-mail per account and channel, as a keyed hash only. */
export const sentCodes = pgTable(
  'sent_codes',
  {
    accountId: uuid('account_id').notNull(),
    channel: text('channel').$type<'sms' | 'email'>().notNull(),
    purpose: text('purpose').$type<'setup' | 'sign_in' | 'step_up'>().notNull(),
    boundTo: text('bound_to').notNull(),
    codeId: uuid('code_id').notNull(),
    codeHash: bytea('code_hash'),
    sentAt: ts('sent_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    failedAttempts: integer('failed_attempts').notNull(),
    usedAt: ts('used_at'),
    windowStartedAt: ts('window_started_at').notNull(),
    windowSends: integer('window_sends').notNull(),
  },
  (table) => [primaryKey({ columns: [table.accountId, table.channel] })],
);

/**
 * A patient's portal account in a practice (the patient's counterpart of a membership; created
 * only by accepting a patient invitation). `memberships` stays staff-only.
 */
export const patientAccounts = pgTable(
  'patient_accounts',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    patientId: uuid('patient_id').notNull(),
    accountId: uuid('account_id').notNull(),
    status: text('status').$type<'active' | 'deactivated'>().notNull(),
    createdAt: ts('created_at').notNull(),
    deactivatedAt: ts('deactivated_at'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

/** Invitations to the portal; the address sealed under the practice's key, found by its blind index. */
export const patientInvitations = pgTable(
  'patient_invitations',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    patientId: uuid('patient_id').notNull(),
    email: sealed('email').notNull(),
    emailBidx: bytea('email_bidx').notNull(),
    invitedByAccountId: uuid('invited_by_account_id').notNull(),
    tokenId: uuid('token_id').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    acceptedAt: ts('accepted_at'),
    acceptedAccountId: uuid('accepted_account_id'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

/** A patient's comment or correction request; text and resolution sealed under the patient's key. */
export const patientComments = pgTable(
  'patient_comments',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    patientId: uuid('patient_id').notNull(),
    kind: text('kind').$type<'comment' | 'correction_request'>().notNull(),
    documentId: uuid('document_id'),
    entryId: uuid('entry_id'),
    text: sealed('text').notNull(),
    createdByAccountId: uuid('created_by_account_id').notNull(),
    createdAt: ts('created_at').notNull(),
    resolvedAt: ts('resolved_at'),
    resolvedByAccountId: uuid('resolved_by_account_id'),
    resolution: sealed('resolution'),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

export const schema = {
  accounts,
  organisations,
  memberships,
  actionTokens,
  invitations,
  sessions,
  auditEvents,
  auditChain,
  auditCheckpoints,
  platformKeys,
  orgKeys,
  patientKeys,
  erasureLedger,
  organisationFiles,
  customRoles,
  patients,
  patientNameTokens,
  careTeamMembers,
  breakGlassGrants,
  dossierEntries,
  entryVersions,
  patientDocuments,
  patientAccounts,
  patientInvitations,
  patientComments,
  accountTotp,
  recoveryCodes,
  accountPasskeys,
  webauthnChallenges,
  accountDevices,
  accountCountries,
  accountEmailCode,
  accountPhones,
  sentCodes,
};
