import { patientPageSize, validNationalId, nationalIdKinds, type PatientPage, type PatientSearch } from '@haven/contracts';
import { and, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { appendAudit } from '../../core/audit/record.ts';
import { auditMeta, memberOf, type RequestContext } from '../../core/context.ts';
import type { Tx } from '../../core/db/database.ts';
import { patientNameTokens, patients } from '../../core/db/schema.ts';
import { AppError } from '../../core/errors.ts';
import { patientEvent } from './audit.ts';
import { birthDatePurpose, namePurpose, nationalIdPurpose, readListItems } from './repository.ts';

/*
 * The patient directory: browsing (most recently changed first, keyset-paged) and searching by
 * name prefix, date of birth or national identifier through the blind indexes. What was typed
 * travels in a POST body (never in a URL, where names would reach proxies, logs and history), is
 * never logged, and is not audited; each search is recorded once, without the patients shown
 * (the lead's answer, design §9.5) — opening one of them is recorded with its id.
 */

const byName = (a: { name: { family: string; given: string } }, b: { name: { family: string; given: string } }) =>
  a.name.family.localeCompare(b.name.family) || a.name.given.localeCompare(b.name.given);

interface Cursor {
  updatedAt: string;
  id: string;
}

const encodeCursor = (cursor: Cursor) => Buffer.from(`${cursor.updatedAt}|${cursor.id}`).toString('base64url');

function decodeCursor(raw: string): Cursor {
  const [updatedAt, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  if (!updatedAt || !id || Number.isNaN(Date.parse(updatedAt)) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'cursor', issue: 'unknown' }] });
  }
  return { updatedAt, id };
}

/** Browse the directory: live patients, most recently changed first, 50 a page. */
export async function listPatients(ctx: RequestContext, query: { cursor?: string | undefined }): Promise<PatientPage> {
  const actor = memberOf(ctx);
  const { db, keys, clock } = ctx.services;
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const now = clock.now();
  return db.tenant(actor.orgId, async (tx) => {
    const conditions: SQL[] = [eq(patients.orgId, actor.orgId), sql`${patients.status} <> 'erased'`];
    if (after) {
      const at = new Date(after.updatedAt);
      conditions.push(or(lt(patients.updatedAt, at), and(eq(patients.updatedAt, at), sql`${patients.id} > ${after.id}::uuid`))!);
    }
    const page = await tx
      .select({ id: patients.id, updatedAt: patients.updatedAt })
      .from(patients)
      .where(and(...conditions))
      .orderBy(desc(patients.updatedAt), patients.id)
      .limit(patientPageSize + 1);
    const shown = page.slice(0, patientPageSize);
    const items = await readListItems(tx, keys, actor.orgId, shown.map((row) => row.id));
    const order = new Map(shown.map((row, index) => [row.id, index]));
    items.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), patientEvent({ action: 'patient.searched', outcome: 'success', resourceType: 'patient', reason: 'browse' }));
    const last = shown.at(-1);
    return { patients: items, nextCursor: page.length > patientPageSize && last ? encodeCursor({ updatedAt: last.updatedAt.toISOString(), id: last.id }) : null, truncated: false };
  });
}

/** The ids matching every given filter, at most one more than a page (to tell that there are more). */
async function matchingIds(tx: Tx, ctx: RequestContext, orgId: string, search: PatientSearch): Promise<string[]> {
  const { fields } = ctx.services;
  const conditions: SQL[] = [eq(patients.orgId, orgId), sql`${patients.status} <> 'erased'`];
  if (search.q) {
    const tokens = await fields.nameQueryTokens(tx, orgId, namePurpose, search.q);
    if (tokens.length === 0) throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'q', issue: 'too_short' }] });
    const holders = tx
      .select({ id: patientNameTokens.patientId })
      .from(patientNameTokens)
      .where(and(eq(patientNameTokens.orgId, orgId), inArray(patientNameTokens.token, tokens)))
      .groupBy(patientNameTokens.patientId)
      .having(sql`count(distinct ${patientNameTokens.token}) = ${tokens.length}`);
    conditions.push(inArray(patients.id, holders));
  }
  if (search.birthDate) conditions.push(eq(patients.birthDateBidx, await fields.index(tx, orgId, birthDatePurpose, search.birthDate)));
  if (search.nationalId) {
    // The kind is not typed: try every kind whose form and check digit the value fits.
    const candidates: SQL[] = [];
    for (const kind of nationalIdKinds) {
      const normalised = validNationalId(kind, search.nationalId);
      if (normalised) candidates.push(and(eq(patients.nationalIdKind, kind), eq(patients.nationalIdBidx, await fields.index(tx, orgId, nationalIdPurpose(kind), normalised)))!);
    }
    if (candidates.length === 0) throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'nationalId', issue: 'checksum' }] });
    conditions.push(or(...candidates)!);
  }
  const rows = await tx
    .select({ id: patients.id })
    .from(patients)
    .where(and(...conditions))
    .limit(patientPageSize + 1);
  return rows.map((row) => row.id);
}

/**
 * Search: up to 50 patients matching every filter given, sorted by name after decryption (a
 * sortable index would leak the order of names). `truncated` says there were more: narrow it down.
 */
export async function searchPatients(ctx: RequestContext, search: PatientSearch): Promise<PatientPage> {
  const actor = memberOf(ctx);
  if (!search.q && !search.birthDate && !search.nationalId) throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'q', issue: 'required' }] });
  const { db, keys, clock } = ctx.services;
  const now = clock.now();
  return db.tenant(actor.orgId, async (tx) => {
    const ids = await matchingIds(tx, ctx, actor.orgId, search);
    const items = await readListItems(tx, keys, actor.orgId, ids.slice(0, patientPageSize));
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), patientEvent({ action: 'patient.searched', outcome: 'success', resourceType: 'patient', reason: 'search' }));
    return { patients: items.sort(byName), nextCursor: null, truncated: ids.length > patientPageSize };
  });
}
