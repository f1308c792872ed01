import { UAParser } from 'ua-parser-js';
import { appendAudit } from '../../core/audit/record.ts';
import { auditMeta, signedIn, type RequestContext } from '../../core/context.ts';
import { platformOrgId } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { sessionEvent } from './audit.ts';
import { endAccountSessions, endSession, isLocked, listOpenSessions, lockSessionNow } from './repository.ts';

/** "Firefox 140 on Windows" from a user agent, for people to recognise their devices. */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const parsed = UAParser(userAgent);
  const browser = [parsed.browser.name, parsed.browser.major].filter(Boolean).join(' ');
  const os = [parsed.os.name, parsed.os.version].filter(Boolean).join(' ');
  if (!browser && !os) return userAgent.slice(0, 60);
  return [browser || 'Browser', os && `on ${os}`].filter(Boolean).join(' ');
}

export async function listMySessions(ctx: RequestContext) {
  const principal = signedIn(ctx);
  const now = ctx.services.clock.now();
  const rows = await ctx.services.db.identity((tx) => listOpenSessions(tx, principal.accountId, now));
  return {
    sessions: rows.map((row) => ({
      id: row.id,
      current: row.id === principal.sessionId,
      device: describeDevice(row.userAgent),
      ip: row.ip,
      createdAt: row.createdAt.toISOString(),
      lastActiveAt: row.lastActiveAt.toISOString(),
      state: isLocked(row, now) ? ('locked' as const) : ('active' as const),
    })),
  };
}

/** Ends one of my sessions. Someone else's session id is simply not found. */
export async function endMySession(ctx: RequestContext, input: { unverifiedSessionId: string }): Promise<void> {
  const principal = signedIn(ctx);
  const now = ctx.services.clock.now();
  const orgId = principal.orgId ?? platformOrgId;
  await ctx.services.db.tenant(orgId, async (tx) => {
    if (!(await endSession(tx, input.unverifiedSessionId, 'ended_by_user', now, principal.accountId))) throw new AppError('SESSION_NOT_FOUND');
    await appendAudit(tx, orgId, auditMeta(ctx, now), sessionEvent({ action: 'session.ended', outcome: 'success', resourceType: 'session', resourceId: input.unverifiedSessionId }));
  });
}

export async function endMyOtherSessions(ctx: RequestContext): Promise<number> {
  const principal = signedIn(ctx);
  const now = ctx.services.clock.now();
  const orgId = principal.orgId ?? platformOrgId;
  return ctx.services.db.tenant(orgId, async (tx) => {
    const ended = await endAccountSessions(tx, principal.accountId, 'ended_by_user', now, { except: principal.sessionId });
    await appendAudit(tx, orgId, auditMeta(ctx, now), sessionEvent({ action: 'session.ended_others', outcome: 'success', resourceType: 'account', resourceId: principal.accountId, reason: `${ended} sessions` }));
    return ended;
  });
}

/**
 * Locks my session now, for someone leaving a shared desk: the page stays as it was under the
 * lock screen and the password (not a new login) continues it.
 */
export async function lockMySession(ctx: RequestContext): Promise<void> {
  const principal = signedIn(ctx);
  const now = ctx.services.clock.now();
  const orgId = principal.orgId ?? platformOrgId;
  await ctx.services.db.tenant(orgId, async (tx) => {
    if (await lockSessionNow(tx, principal.sessionId, now)) {
      await appendAudit(tx, orgId, auditMeta(ctx, now), sessionEvent({ action: 'auth.session_locked', outcome: 'success', resourceType: 'session', resourceId: principal.sessionId }));
    }
  });
}
