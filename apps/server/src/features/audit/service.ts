import { appendAudit } from '../../core/audit/record.ts';
import { auditMeta, memberOf, type RequestContext } from '../../core/context.ts';
import { accountFieldOpener } from '../accounts/repository.ts';
import { queryAuditEvents, type AuditFilter } from './repository.ts';

/**
 * Reads the practice's audit trail. The read is itself recorded, in the same transaction
 * (NEN 7513: access to the logs is logged), with the filters used as the reason.
 */
export async function readAuditTrail(ctx: RequestContext, filter: AuditFilter) {
  const member = memberOf(ctx);
  const now = ctx.services.clock.now();
  return ctx.services.db.tenant(member.orgId, async (tx) => {
    const rows = await queryAuditEvents(tx, filter);
    const page = rows.slice(0, filter.limit);
    const usedFilters = Object.entries(filter)
      .filter(([key, value]) => value !== undefined && key !== 'limit')
      .map(([key]) => key);
    await appendAudit(tx, member.orgId, auditMeta(ctx, now), {
      action: 'audit.read',
      outcome: 'success',
      resourceType: 'audit_trail',
      reason: usedFilters.length > 0 ? `filters: ${usedFilters.join(', ')}` : 'no filters',
    });
    const open = accountFieldOpener(tx, ctx.services.fields);
    const names = new Map<string, string>();
    for (const { event, actorName } of page) {
      if (event.actorAccountId && actorName && !names.has(event.actorAccountId)) names.set(event.actorAccountId, await open.name(event.actorAccountId, actorName));
    }
    return {
      events: page.map(({ event, sealed }) => ({
        id: Number(event.id),
        occurredAt: event.occurredAt.toISOString(),
        actorAccountId: event.actorAccountId,
        actorName: (event.actorAccountId && names.get(event.actorAccountId)) || null,
        actorRole: event.actorRole,
        onBehalfOf: event.onBehalfOf,
        action: event.action,
        resourceType: event.resourceType,
        resourceId: event.resourceId,
        patientId: event.patientId,
        outcome: event.outcome,
        ip: event.ip,
        userAgent: event.userAgent,
        requestId: event.requestId,
        changedFields: event.changedFields,
        reason: event.reason,
        sealed: Boolean(sealed),
      })),
      nextBefore: rows.length > filter.limit ? Number(page.at(-1)!.event.id) : null,
    };
  });
}
