import { careTeamScoped, type ErrorCode, type Permission } from '@haven/contracts';

/*
 * Who may do what to a patient's data: one pure function per resource, no I/O. The route's guard
 * has already checked that the member's role holds the route's permission; these decide the
 * patient-level part — does the patient exist here, and does the care-team rule let this person
 * reach them. core/authz/authorize.ts loads the facts and calls them; handlers never decide.
 *
 * Every policy is `satisfies(requirementFor(subject, resource, action), facts)`. The requirement
 * is a plain value so that the one-statement dossier read (docs/design/patients-and-dossiers.md
 * §6) can evaluate the same rule inside the database without a second copy of it.
 */

/** What the policies need to know about who is asking (from the request's Principal). */
export interface PolicySubject {
  readonly permissions: ReadonlySet<Permission>;
  /** 'patient' for a patient signed in to the portal; staff otherwise. */
  readonly kind: 'staff' | 'patient';
}

/** What is true about the patient in question, for this subject, now (loaded in one query). */
export interface PatientFacts {
  /** A row in this practice (row-level security hides other practices' patients: false). */
  readonly exists: boolean;
  readonly erased: boolean;
  /** The subject's membership is in the patient's care team. */
  readonly inCareTeam: boolean;
  /** An unexpired, not ended break-the-glass grant of the subject's membership for this patient. */
  readonly grant: { readonly id: string; readonly expiresAt: Date } | null;
  /** The subject is this patient, signed in to the portal. */
  readonly isSelf: boolean;
}

export type AccessBasis = 'practice' | 'care_team' | 'break_glass' | 'self';

export type Decision =
  | { readonly allow: true; readonly basis: AccessBasis; readonly grantId?: string }
  | { readonly allow: false; readonly code: ErrorCode; readonly reason: 'not_found' | 'no_permission' | 'not_in_care_team' | 'not_self' };

/** The relation that must hold between subject and patient; 'deny' when none can. */
export type Requirement = 'deny' | 'practice' | 'self' | 'care_team_or_grant';

export type PatientResource = 'patient' | 'dossier' | 'document';

/**
 * The catalogue permission each patient-level action needs from staff; null: no permission
 * reaches it, only the patient themself (their own voice on the record, design §1.5).
 */
export const permissionFor = {
  patient: { read: 'patient:read', update: 'patient:update', update_contact: 'patient:update', invite: 'patient:invite', manage_care_team: 'careteam:manage', comment: null },
  dossier: { read: 'dossier:read', write: 'dossier:write' },
  document: { read: 'document:read', upload: 'document:upload', share: 'document:share' },
} as const satisfies Record<PatientResource, Record<string, Permission | null>>;

export type PatientAction = keyof (typeof permissionFor)['patient'];
export type DossierAction = keyof (typeof permissionFor)['dossier'];
export type DocumentAction = keyof (typeof permissionFor)['document'];
export type ActionOf<R extends PatientResource> = keyof (typeof permissionFor)[R];

/**
 * What a patient in the portal may do with their own record (`resource:action`): read their
 * details and shared documents, correct their contact details, comment. Everything else is refused.
 */
const selfService: ReadonlySet<string> = new Set(['patient:read', 'patient:update_contact', 'patient:comment', 'document:read']);

export function requirementFor<R extends PatientResource>(subject: PolicySubject, resource: R, action: ActionOf<R>): Requirement {
  const actions = permissionFor[resource] as Record<string, Permission | null>;
  if (!Object.hasOwn(actions, action as string)) return 'deny';
  if (subject.kind === 'patient') return selfService.has(`${resource}:${String(action)}`) ? 'self' : 'deny';
  const permission = actions[action as string];
  if (!permission || !subject.permissions.has(permission)) return 'deny';
  // No role bypasses the care team, the owner's included (the lead's answer, design §9.2).
  return careTeamScoped.has(permission) ? 'care_team_or_grant' : 'practice';
}

/**
 * Evaluates a requirement against the facts, in a fixed order: a patient who is not there (or
 * belongs to another practice, or was erased) is 404 for everyone; then the permission; then
 * the care team. CARE_TEAM_REQUIRED is what lets the web offer break-the-glass.
 */
export function satisfies(requirement: Requirement, facts: PatientFacts): Decision {
  if (!facts.exists || facts.erased) return { allow: false, code: 'PATIENT_NOT_FOUND', reason: 'not_found' };
  switch (requirement) {
    case 'deny':
      return { allow: false, code: 'FORBIDDEN', reason: 'no_permission' };
    case 'practice':
      return { allow: true, basis: 'practice' };
    case 'self':
      // Another patient's record is not there, as far as a patient can tell.
      return facts.isSelf ? { allow: true, basis: 'self' } : { allow: false, code: 'PATIENT_NOT_FOUND', reason: 'not_self' };
    case 'care_team_or_grant':
      if (facts.inCareTeam) return { allow: true, basis: 'care_team' };
      if (facts.grant) return { allow: true, basis: 'break_glass', grantId: facts.grant.id };
      return { allow: false, code: 'CARE_TEAM_REQUIRED', reason: 'not_in_care_team' };
  }
}

export const patientPolicy = (subject: PolicySubject, action: PatientAction, facts: PatientFacts): Decision => satisfies(requirementFor(subject, 'patient', action), facts);
export const dossierPolicy = (subject: PolicySubject, action: DossierAction, facts: PatientFacts): Decision => satisfies(requirementFor(subject, 'dossier', action), facts);
export const documentPolicy = (subject: PolicySubject, action: DocumentAction, facts: PatientFacts): Decision => satisfies(requirementFor(subject, 'document', action), facts);

/**
 * Defining or assigning a role: nobody hands out more than they hold (no escalation through a
 * custom role), and only an owner makes owners.
 */
export function rolePolicy(subject: PolicySubject & { isOwner: boolean }, role: { permissions: readonly Permission[]; owner?: boolean }): Decision {
  if (role.owner && !subject.isOwner) return { allow: false, code: 'FORBIDDEN', reason: 'no_permission' };
  const exceeding = role.permissions.some((permission) => !subject.permissions.has(permission));
  return exceeding ? { allow: false, code: 'ROLE_EXCEEDS_OWN_PERMISSIONS', reason: 'no_permission' } : { allow: true, basis: 'practice' };
}
