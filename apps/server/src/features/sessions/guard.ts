import { stepUpWindowSeconds } from '@haven/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appendAudit } from '../../core/audit/record.ts';
import { noPermissions, permissionsOfMembership } from '../../core/authz/role-permissions.ts';
import { auditMeta, type Principal, type RequestContext, type Services } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { needsStepUp, type Access } from '../../core/http/access.ts';
import { allowedBy } from '../../core/security/ip-allowlist.ts';
import { newToken, safeEqual, sha256 } from '../../core/security/tokens.ts';
import { clientAddress } from '../../core/http/client-address.ts';
import { readDeviceToken } from '../devices/device-cookie.ts';
import { cookieNames, readCsrfCookie, readSessionToken, setCsrfCookie } from './cookies.ts';
import { endSession, isLocked, readSessionByToken, touchSession, type ActiveMembership, type ActivePatientAccount, type SessionRow } from './repository.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** Reading this route is not user activity (lock-state polling). */
    passive?: boolean;
  }
  interface FastifyRequest {
    ctx: RequestContext;
  }
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Activity is written at most this often per session; idle limits are minutes, so seconds do not matter. */
const touchEveryMs = 5_000;

type SessionState =
  | { state: 'none' }
  | { state: 'locked' | 'active'; row: SessionRow; token: string; membership: ActiveMembership | undefined; patientAccount: ActivePatientAccount | undefined };

/** The principal's part that the membership decides: role, custom role, permissions. */
const memberPart = (membership: ActiveMembership) => ({
  role: membership.role,
  customRoleId: membership.customRoleId,
  membershipId: membership.id,
  permissions: permissionsOfMembership(membership),
  kind: 'staff' as const,
});

/** The principal's part that a portal account decides: which patient; no role, no permissions. */
const patientPart = (account: ActivePatientAccount) => ({
  role: null,
  customRoleId: null,
  membershipId: null,
  permissions: noPermissions,
  kind: 'patient' as const,
  patientId: account.patientId,
});

/**
 * Reads the session cookie and classifies the session at `now`, ending it if past its lifetime.
 * The session, and in its practice the membership or else the portal account, come in one
 * statement (`haven_read_session`); everything decided about them is decided here.
 */
export async function readSession(services: Services, token: string | null, now: Date): Promise<SessionState> {
  if (!token) return { state: 'none' };
  const found = await readSessionByToken(services.db, token);
  if (!found) return { state: 'none' };
  const row = found.session;
  if (now >= row.absoluteExpiresAt) {
    await services.db.identity((tx) => endSession(tx, row.id, 'expired', now));
    return { state: 'none' };
  }
  return { state: isLocked(row, now) ? 'locked' : 'active', row, token, membership: found.membership, patientAccount: found.patientAccount };
}

/**
 * The one place that decides who a request is and whether it may reach its route:
 * session (cookie) → lock state → CSRF for writes → organisation membership or, for a patient,
 * portal account (looked up fresh, so a role change or deactivation applies at once) → the
 * permissions the route names, or the portal for a patient. Denials inside an organisation are
 * audited. Runs in onRequest, before any body is parsed.
 */
export function registerAccessGuard(app: FastifyInstance, services: Services): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const config = services.config;
    const baseCtx: RequestContext = {
      services,
      requestId: request.id,
      ip: clientAddress(request, config),
      userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
      principal: null,
      sessionState: 'none',
      sessionToken: null,
      deviceToken: readDeviceToken(request, config),
      log: request.log,
    };
    request.ctx = baseCtx;
    const routeAccess = request.routeOptions.config?.access;
    if (!routeAccess) return; // static files, health checks, 404s

    const csrfCookie = readCsrfCookie(request, config);
    if (!csrfCookie && safeMethods.has(request.method)) setCsrfCookie(reply, config, newToken());

    const now = services.clock.now();
    const session = await readSession(services, readSessionToken(request, config), now);

    if (!safeMethods.has(request.method)) {
      // Double-submit, bound to the session: the header must equal the cookie, and once signed
      // in, the cookie must be the one issued with this session. A cross-site form can send
      // neither the header nor read the cookie.
      const header = request.headers['x-csrf-token'];
      const headerValue = typeof header === 'string' ? header : null;
      const bound = session.state === 'none' || (csrfCookie !== null && safeEqual(sha256(csrfCookie), session.row.csrfHash));
      if (!csrfCookie || !headerValue || !safeEqual(headerValue, csrfCookie) || !bound) {
        throw new AppError('CSRF_REJECTED', { internal: `csrf rejected (${cookieNames(config).csrf} ${csrfCookie ? 'present' : 'missing'})` });
      }
    }

    if (session.state === 'none') {
      if (routeAccess.level !== 'public' && routeAccess.level !== 'locked') throw new AppError('AUTH_REQUIRED');
      if (routeAccess.level === 'locked') throw new AppError('SESSION_EXPIRED');
      return;
    }
    const row = session.row;
    const principalBase = {
      sessionId: row.id,
      accountId: row.accountId,
      idleTimeoutSeconds: row.idleTimeoutSeconds,
      absoluteExpiresAt: row.absoluteExpiresAt,
      lastActiveAt: row.lastActiveAt,
      pending: row.pending ?? null,
      reauthenticatedAt: row.reauthenticatedAt ?? null,
    };
    // The practice's network allowlist covers every request of a staff session bound to it, locked
    // or not (unlocking from elsewhere is refused too); signing out stays possible (a public route).
    // A patient's session is not held to it: patients sign in from home, not from the practice's
    // networks (only `membership` carries the allowlist).
    if (row.orgId && session.membership && routeAccess.level !== 'public' && !allowedBy(session.membership.ipAllowlist, baseCtx.ip)) {
      const membership = session.membership;
      const deniedCtx: RequestContext = {
        ...baseCtx,
        sessionState: session.state,
        sessionToken: session.token,
        principal: { ...principalBase, orgId: row.orgId, ...memberPart(membership), patientId: null },
      };
      request.ctx = deniedCtx;
      await services.db.tenant(row.orgId, (tx) =>
        appendAudit(tx, row.orgId!, auditMeta(deniedCtx, now), {
          action: 'access.denied',
          outcome: 'denied',
          resourceType: 'route',
          resourceId: `${request.method} ${request.routeOptions.url ?? ''}`,
          reason: 'ip_not_allowed',
        }),
      );
      throw new AppError('IP_NOT_ALLOWED', { internal: 'address outside the practice allowlist' });
    }
    if (session.state === 'locked') {
      request.ctx = { ...baseCtx, sessionState: 'locked', sessionToken: session.token, principal: { ...principalBase, orgId: row.orgId, role: null, customRoleId: null, membershipId: null, permissions: noPermissions, kind: null, patientId: null } };
      if (routeAccess.level === 'public' || routeAccess.level === 'locked') return;
      // A held sign-in waiting for its e-mail link may sit idle past the practice's limit; it can
      // do nothing but continue (or learn that its link expired), so the lock does not apply.
      if (routeAccess.level === 'held' && (row.pending === 'confirmation' || row.pending === 'confirmed')) return;
      throw new AppError('SESSION_LOCKED');
    }

    // A session that still owes a sign-in step reaches only the routes of that step.
    if (routeAccess.level === 'second_factor') {
      if (row.pending !== 'second_factor') throw new AppError('SECOND_FACTOR_NOT_PENDING');
      request.ctx = { ...baseCtx, sessionState: 'active', sessionToken: session.token, principal: { ...principalBase, orgId: row.orgId, role: null, customRoleId: null, membershipId: null, permissions: noPermissions, kind: null, patientId: null } };
      return;
    }
    // A held sign-in (features/devices) can only wait for its confirmation and then continue.
    if (routeAccess.level === 'held') {
      if (row.pending !== 'confirmation' && row.pending !== 'confirmed') throw new AppError('SIGN_IN_NOT_HELD');
      request.ctx = { ...baseCtx, sessionState: 'active', sessionToken: session.token, principal: { ...principalBase, orgId: row.orgId, role: null, customRoleId: null, membershipId: null, permissions: noPermissions, kind: null, patientId: null } };
      return;
    }
    if ((row.pending === 'confirmation' || row.pending === 'confirmed') && routeAccess.level !== 'public') throw new AppError('SIGN_IN_CONFIRMATION_REQUIRED');
    if (row.pending === 'second_factor' && routeAccess.level !== 'public') throw new AppError('SECOND_FACTOR_REQUIRED');
    if (row.pending === 'enrolment' && routeAccess.level !== 'public' && !(routeAccess.level === 'account' && routeAccess.duringEnrolment)) {
      throw new AppError('ENROLMENT_REQUIRED');
    }

    let principal: Principal = { ...principalBase, orgId: null, role: null, customRoleId: null, membershipId: null, permissions: noPermissions, kind: null, patientId: null };
    if (row.orgId && session.membership) {
      principal = { ...principal, orgId: row.orgId, ...memberPart(session.membership), patientId: null };
    } else if (row.orgId && session.patientAccount) {
      principal = { ...principal, orgId: row.orgId, ...patientPart(session.patientAccount) };
    }
    request.ctx = { ...baseCtx, principal, sessionState: 'active', sessionToken: session.token };

    if (routeAccess.level !== 'public' && !request.routeOptions.config?.passive && now.getTime() - row.lastActiveAt.getTime() >= touchEveryMs) {
      await services.db.identity((tx) => touchSession(tx, row.id, now));
    }

    // A route-level refusal inside the chosen practice is recorded there before it is answered.
    const refuseInPractice = async (orgId: string, internal: string): Promise<never> => {
      await services.db.tenant(orgId, (tx) =>
        appendAudit(tx, orgId, auditMeta(request.ctx, now), {
          action: 'access.denied',
          outcome: 'denied',
          resourceType: 'route',
          resourceId: `${request.method} ${request.routeOptions.url ?? ''}`,
        }),
      );
      throw new AppError('FORBIDDEN', { internal });
    };
    if (routeAccess.level === 'member') {
      // A patient of this practice reaches no staff route, whatever it needs.
      if (principal.orgId && principal.kind === 'patient') await refuseInPractice(principal.orgId, 'a patient on a staff route');
      if (!principal.orgId || !principal.role) {
        throw new AppError(row.orgId ? 'FORBIDDEN' : 'AUTH_ORGANISATION_REQUIRED', { internal: 'no active membership' });
      }
      const missing = routeAccess.permissions?.filter((permission) => !principal.permissions.has(permission)) ?? [];
      if (missing.length > 0) await refuseInPractice(principal.orgId, `role ${principal.role} lacks ${missing.join(', ')}`);
    }
    if (routeAccess.level === 'patient') {
      // The portal is for the practice's patients; its staff are refused (and recorded), however
      // much their role holds — staff read patients through the practice's routes and the care team.
      if (principal.orgId && principal.kind === 'staff') await refuseInPractice(principal.orgId, 'staff on a portal route');
      if (!principal.orgId || principal.kind !== 'patient' || !principal.patientId) {
        throw new AppError(row.orgId ? 'FORBIDDEN' : 'AUTH_ORGANISATION_REQUIRED', { internal: 'no active portal account' });
      }
    }
    // Last, so that someone without the role hears FORBIDDEN (and is audited), not "confirm it's you".
    if (needsStepUp(routeAccess) && row.pending === null) {
      const fresh = row.reauthenticatedAt !== null && now.getTime() - row.reauthenticatedAt.getTime() <= stepUpWindowSeconds * 1000;
      if (!fresh) throw new AppError('STEP_UP_REQUIRED');
    }
  });
}
