import type { StaffRole } from '@haven/contracts';

/**
 * What a route needs, declared on the route (`config: { access }`) and enforced in one place
 * (the guard in http/guard.ts), never remembered per handler.
 *  - public:   anyone; a session is read if present.
 *  - locked:   a session that may be idle-locked (unlock, session state).
 *  - account:  an active session; an organisation need not be chosen.
 *  - member:   an active session with an organisation and an active membership in it.
 *  - roles:    member with one of these roles.
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
  | { level: 'account' }
  | { level: 'member'; roles?: readonly StaffRole[] };

export const access = {
  public: { level: 'public' },
  locked: { level: 'locked' },
  account: { level: 'account' },
  member: { level: 'member' },
  roles: (...roles: StaffRole[]): Access => ({ level: 'member', roles }),
} as const satisfies Record<string, Access | ((...roles: StaffRole[]) => Access)>;
