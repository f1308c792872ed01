import type { AccessLogEntry, AccessLogPage, BreakGlassReasonCode } from '@haven/contracts';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { AuthorizedPatient } from '../../core/authz/authorize.ts';
import type { FieldCrypto } from '../../core/crypto/field-crypto.ts';
import type { PatientCipher } from '../../core/crypto/patient-cipher.ts';
import { Sealed } from '../../core/crypto/sealed-column.ts';
import { queryRows, type Tx } from '../../core/db/database.ts';
import { breakGlassGrants, customRoles } from '../../core/db/schema.ts';
import { accountFieldOpener } from '../accounts/repository.ts';
import { reasonPlace } from '../care-teams/break-glass-service.ts';

/*
 * "Who opened my record" (issue 5 §4; design §4): the audit trail's events about this patient,
 * newest first, read on the index audit_events_org_patient_idx (org_id, patient_id, id desc).
 * Every event by staff or by the practice's system appears — reads, changes, refusals — and none
 * of the patient's own (they know what they did; reading this log is itself recorded and so
 * would otherwise list itself). Names are opened here; the web puts each entry into words.
 *
 * Runs inside the portal's transaction, behind the `portal_self` wall: even a wrong patient id
 * here could only ever find this patient's rows.
 */

export const accessLogPageSize = 50;

interface EventRow {
  id: string;
  occurred_at: Date | string;
  action: string;
  outcome: AccessLogEntry['outcome'];
  actor_account_id: string | null;
  actor_role: string | null;
  actor_name: Buffer | Uint8Array | null;
  on_behalf_of: string | null;
  on_behalf_of_name: Buffer | Uint8Array | null;
  resource_id: string | null;
  reason: string | null;
}

const sealedOf = (value: Buffer | Uint8Array): Sealed => Sealed.fromBytes(Buffer.isBuffer(value) ? value : Buffer.from(value));
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const breakGlassPrefix = 'break_glass:';
const customRolePrefix = 'custom:';
const maxBigint = 9223372036854775807n;

/** The grant an event rests on: the grant itself for its own events, else the `break_glass:<id>` reason. */
function grantIdOf(row: EventRow): string | null {
  if ((row.action === 'break_glass.granted' || row.action === 'break_glass.ended') && row.resource_id) return row.resource_id;
  if (row.reason?.startsWith(breakGlassPrefix)) return row.reason.slice(breakGlassPrefix.length);
  return null;
}

export async function readAccessLog(
  tx: Tx,
  deps: { fields: FieldCrypto; cipher: PatientCipher },
  input: { orgId: string; patient: AuthorizedPatient; selfAccountId: string; cursor: string | undefined },
): Promise<AccessLogPage> {
  const { orgId, patient } = input;
  // The contract allows 19 digits; past bigint's range there is nothing older to find than the top.
  const cursor = input.cursor === undefined ? undefined : BigInt(input.cursor) > maxBigint ? String(maxBigint) : input.cursor;
  const rows = await queryRows<EventRow>(
    tx,
    sql`select e.id::text as id, e.occurred_at, e.action, e.outcome, e.actor_account_id, e.actor_role, a.name as actor_name,
               e.on_behalf_of, b.name as on_behalf_of_name, e.resource_id, e.reason
          from audit_events e
          left join accounts a on a.id = e.actor_account_id
          left join accounts b on b.id = e.on_behalf_of
         where e.org_id = ${orgId}::uuid and e.patient_id = ${patient.patientId}::uuid
           and e.actor_account_id is distinct from ${input.selfAccountId}::uuid
           ${cursor ? sql`and e.id < ${cursor}::bigint` : sql``}
         order by e.id desc
         limit ${accessLogPageSize + 1}`,
  );
  const page = rows.slice(0, accessLogPageSize);

  // Custom roles by name (the trail keeps `custom:<id>`, which outlives a renamed role).
  const customRoleIds = [...new Set(page.map((row) => row.actor_role).filter((role): role is string => !!role?.startsWith(customRolePrefix)).map((role) => role.slice(customRolePrefix.length)).filter((id) => uuidPattern.test(id)))];
  const roleNames = new Map<string, string>();
  if (customRoleIds.length > 0) {
    const roles = await tx.select({ id: customRoles.id, name: customRoles.name }).from(customRoles).where(and(eq(customRoles.orgId, orgId), inArray(customRoles.id, customRoleIds)));
    for (const role of roles) roleNames.set(role.id, role.name);
  }

  // The break-the-glass grants these events rest on, with the reason the staff member gave.
  const grantIds = [...new Set(page.map(grantIdOf).filter((id): id is string => id !== null && uuidPattern.test(id)))];
  const grants = new Map<string, { reasonCode: BreakGlassReasonCode; reasonText: string | null }>();
  if (grantIds.length > 0) {
    const found = await tx
      .select({ id: breakGlassGrants.id, reasonCode: breakGlassGrants.reasonCode, reasonText: breakGlassGrants.reasonText })
      .from(breakGlassGrants)
      .where(and(eq(breakGlassGrants.orgId, orgId), eq(breakGlassGrants.patientId, patient.patientId), inArray(breakGlassGrants.id, grantIds)));
    for (const grant of found) {
      grants.set(grant.id, { reasonCode: grant.reasonCode as BreakGlassReasonCode, reasonText: grant.reasonText ? deps.cipher.open(reasonPlace(grant.id), grant.reasonText) : null });
    }
  }

  // Staff names are sealed under the platform key: each account opened once.
  const open = accountFieldOpener(tx, deps.fields);
  const names = new Map<string, Promise<string>>();
  const nameOf = (accountId: string, sealed: Buffer | Uint8Array): Promise<string> => {
    let name = names.get(accountId);
    if (!name) {
      name = open.name(accountId, sealedOf(sealed));
      names.set(accountId, name);
    }
    return name;
  };

  const entries: AccessLogEntry[] = [];
  for (const row of page) {
    const grantId = grantIdOf(row);
    entries.push({
      id: row.id,
      occurredAt: (row.occurred_at instanceof Date ? row.occurred_at : new Date(row.occurred_at)).toISOString(),
      action: row.action,
      outcome: row.outcome,
      actor: row.actor_account_id && row.actor_name ? { name: await nameOf(row.actor_account_id, row.actor_name), role: roleInWords(row.actor_role, roleNames) } : null,
      onBehalfOf: row.on_behalf_of && row.on_behalf_of_name ? await nameOf(row.on_behalf_of, row.on_behalf_of_name) : null,
      breakGlass: grantId ? (grants.get(grantId) ?? null) : null,
    });
  }
  return { entries, nextCursor: rows.length > accessLogPageSize ? page.at(-1)!.id : null };
}

/**
 * A built-in role stays its name (owner, admin, practitioner, assistant — the web translates it);
 * a custom role becomes the name the practice gave it, or `custom` once it was deleted.
 */
function roleInWords(actorRole: string | null, customRoles: ReadonlyMap<string, string>): string {
  if (!actorRole) return '';
  if (actorRole.startsWith(customRolePrefix)) return customRoles.get(actorRole.slice(customRolePrefix.length)) ?? 'custom';
  return actorRole;
}
