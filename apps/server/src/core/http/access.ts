import type { Permission } from '@haven/contracts';

/**
 * What a route needs, declared on the route (`config: { access }`) and enforced in one place
 * (the guard in http/guard.ts), never remembered per handler.
 *  - public:   anyone; a session is read if present.
 *  - locked:   a session that may be idle-locked (unlock, session state).
 *  - secondFactor: a session whose password was right and that still owes its second factor.
 *  - held:     a suspicious sign-in waiting for its confirmation link (features/devices).
 *  - account:  an active, fully signed-in session; an organisation need not be chosen.
 *              `duringEnrolment`: also while the account must first set up a second factor.
 *  - member:   an active session with an organisation and an active staff membership in it;
 *              `permissions`: the member's role holds every one of these (packages/contracts
 *              permissions.ts). Which *patients* a permission reaches is decided afterwards, by
 *              the patient policy (core/authz), never here.
 *  - patient:  an active, fully signed-in session whose chosen organisation is one where the
 *              account is a patient (an active portal account, the patient not erased): the
 *              portal. The principal has `kind` 'patient', `patientId` and no permissions; its
 *              transactions run behind the `portal_self` wall (`db.tenant(org, fn, { patientId })`,
 *              core/authz/authorize.ts#portalWall). Staff are refused (403, audited), as patients
 *              are on `member` routes.
 *  `stepUp` (account, member): the person proved themselves with their strongest factor in the
 *  last five minutes (security settings, factors, exports, the audit trail).
 */
import type { Config } from '../config.ts';

/**
 * The per-address limit of routes that check a secret or send mail (sign-in, sign-up, unlock,
 * reset, link confirmation), on top of the general one and the per-account lockout.
 */
export const strictRateLimit = (config: Config) => ({ rateLimit: { max: config.rateLimit.loginPerMinute, timeWindow: 60_000 } });

export type Access =
  | { level: 'public' }
  | { level: 'locked' }
  | { level: 'second_factor' }
  | { level: 'held' }
  | { level: 'account'; duringEnrolment?: boolean; stepUp?: boolean }
  | { level: 'member'; permissions?: readonly Permission[]; stepUp?: boolean }
  | { level: 'patient' };

export const access = {
  public: { level: 'public' },
  locked: { level: 'locked' },
  secondFactor: { level: 'second_factor' },
  held: { level: 'held' },
  account: { level: 'account' },
  /** Account routes that setting up a first second factor needs. */
  enrolment: { level: 'account', duringEnrolment: true },
  member: { level: 'member' },
  /** A patient signed in to the practice's portal. */
  patient: { level: 'patient' },
  /** A member whose role holds all of these permissions. */
  can: (...permissions: Permission[]): Extract<Access, { level: 'member' }> => ({ level: 'member', permissions }),
  /** The same access, plus a recent re-authentication. */
  stepUp: (base: Extract<Access, { level: 'account' | 'member' }>): Access => ({ ...base, stepUp: true }),
} as const;

/** Whether a route needs a recent re-authentication. */
export const needsStepUp = (routeAccess: Access): boolean => (routeAccess.level === 'account' || routeAccess.level === 'member') && routeAccess.stepUp === true;
