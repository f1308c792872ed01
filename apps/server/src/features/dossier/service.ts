import { entryContent, type DossierQuery, type DossierView, type EnteredInErrorInput, type EntryInput, type EntryRevision, type EntryView, type EntryVersionView } from '@haven/contracts';
import { appendAudit, auditRow } from '../../core/audit/record.ts';
import { patientAuditFields, withPatientAccess, type AuthorizedPatient } from '../../core/authz/authorize.ts';
import { requirementFor, type AccessBasis } from '../../core/authz/policies.ts';
import { permissionsOfMembership } from '../../core/authz/role-permissions.ts';
import { actorRoleOf, auditMeta, memberOf, type RequestContext } from '../../core/context.ts';
import { PatientCipher } from '../../core/crypto/patient-cipher.ts';
import type { Sealed } from '../../core/crypto/sealed-column.ts';
import type { Tx } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { newId } from '../../core/security/tokens.ts';
import { accountFieldOpener, accountNameOpenerOutside } from '../accounts/repository.ts';
import { dossierEvent } from './audit.ts';
import {
  advanceEntry,
  appendRevision,
  careTeamMember,
  enteredInErrorPlace,
  insertEntry,
  markEnteredInError,
  openWith,
  openDossierPage,
  readEntry,
  readEntryHead,
  readVersions,
  versionPlace,
  type SealedAccountName,
  type SealedEntry,
} from './repository.ts';

/*
 * The dossier's use cases (docs/design/patients-and-dossiers.md §2, §7.1, increment 10). Each is
 * one `withPatientAccess` call: core/authz decides (care team or break-the-glass grant), the work
 * and its audit record share the transaction. Entries are never deleted: a revision appends a
 * version through a conditional update of the head, a mistake is marked entered in error.
 *
 * `openDossier` is the benchmark's request and the exception: one call of the database function
 * `haven_open_dossier` (§6.2), which evaluates the Requirement computed here and writes the audit
 * row in the same statement.
 */

/** Entries per dossier page. */
export const dossierPageSize = 20;

/** The author's role as stored beside a version: the built-in role's name or `custom:<roleId>`. */
const roleOf = (ctx: RequestContext): string => actorRoleOf(memberOf(ctx))!;

type NameOpener = (person: SealedAccountName) => Promise<{ accountId: string; name: string }>;

/** Opens account names (platform key), each account once per request. */
function nameOpener(open: (accountId: string, name: Sealed) => Promise<string>): NameOpener {
  const seen = new Map<string, Promise<string>>();
  return async (person) => {
    let name = seen.get(person.accountId);
    if (!name) {
      name = open(person.accountId, person.name);
      seen.set(person.accountId, name);
    }
    return { accountId: person.accountId, name: await name };
  };
}

/** The same in the caller's transaction (the house-path use cases). */
const namesIn = (tx: Tx, ctx: RequestContext): NameOpener => nameOpener(accountFieldOpener(tx, ctx.services.fields).name);

async function presentEntry(entry: SealedEntry, cipher: PatientCipher, names: NameOpener): Promise<EntryView> {
  const open = openWith(cipher);
  const content = JSON.parse(open.content(entry.id, entry.currentVersion, entry.content)) as EntryView['content'];
  return {
    id: entry.id,
    patientId: entry.patientId,
    kind: entry.kind,
    content,
    status: entry.status,
    currentVersion: entry.currentVersion,
    effectiveAt: entry.effectiveAt.toISOString(),
    documentId: entry.documentId,
    createdBy: await names(entry.createdBy),
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
    author: { ...(await names(entry.author)), role: entry.author.role },
    onBehalfOf: entry.onBehalfOf ? await names(entry.onBehalfOf) : null,
    enteredInError: entry.enteredInError
      ? { at: entry.enteredInError.at.toISOString(), by: await names(entry.enteredInError.by), reason: open.enteredInErrorReason(entry.id, entry.enteredInError.reason) }
      : null,
  } as EntryView;
}

// ---------------------------------------------------------------------------------------------
// The timeline cursor: (effective_at, id) of the last entry shown, opaque to the client
// ---------------------------------------------------------------------------------------------

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const anyCaseUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(entry: { effectiveAt: Date; id: string }): string {
  return Buffer.from(`${entry.effectiveAt.toISOString()}|${entry.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { effectiveAt: Date; id: string } {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const effectiveAt = new Date(at ?? '');
  if (rest.length > 0 || !id || !uuidPattern.test(id) || Number.isNaN(effectiveAt.getTime())) {
    throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'before', issue: 'not a cursor of this list' }] });
  }
  return { effectiveAt, id };
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/**
 * GET /patients/:id/dossier: the header, one page of the timeline (filters: kind, author =
 * account id of the entry's creator) and the basis of access. One `dossier.viewed` record.
 *
 * One round trip (`haven_open_dossier`, §6.2): the policy stays here — `requirementFor` computes
 * what must hold, the function loads the facts, evaluates exactly that, writes the audit row and
 * returns the sealed page, committed. Node opens it: the patient's key from the cache or from the
 * wrapped key the function returned, the names with the cached platform key (a cold key costs
 * one short transaction). A refusal is already recorded when it is thrown.
 */
export async function openDossier(ctx: RequestContext, input: { unverifiedPatientId: string; query: DossierQuery }): Promise<DossierView> {
  const { db, keys, fields, clock } = ctx.services;
  const principal = ctx.principal;
  if (!principal?.orgId || !principal.kind) throw new Error('openDossier() on a route without an organisation');
  const orgId = principal.orgId;
  const before = input.query.before ? decodeCursor(input.query.before) : undefined;
  // An id that is no UUID names no patient: 404, not recorded (as loadPatientFacts answers it).
  if (!anyCaseUuid.test(input.unverifiedPatientId)) throw new AppError('PATIENT_NOT_FOUND', { internal: 'patient access refused: not_found' });
  const requirement = requirementFor({ kind: principal.kind, permissions: principal.permissions }, 'dossier', 'read');
  if (requirement === 'practice') throw new Error('a dossier read is always care-team scoped'); // the catalogue says so; never widen it
  const now = clock.now();
  // The request's audit columns, cut exactly as appendAudit cuts them; the function adds the event's own.
  const columns = auditRow(orgId, auditMeta(ctx, now), { action: 'dossier.viewed', outcome: 'success' });
  const result = await openDossierPage(db, orgId, {
    unverifiedPatientId: input.unverifiedPatientId.toLowerCase(),
    requirement,
    membershipId: principal.kind === 'staff' ? principal.membershipId : null,
    selfPatientId: principal.kind === 'patient' ? principal.patientId : null,
    audit: { occurredAt: now, actorAccountId: columns.actorAccountId ?? null, actorRole: columns.actorRole ?? null, requestId: columns.requestId ?? null, ip: columns.ip ?? null, userAgent: columns.userAgent ?? null },
    filter: {
      ...(input.query.kind ? { kind: input.query.kind } : {}),
      ...(input.query.author ? { authorAccountId: input.query.author } : {}),
      ...(before ? { before } : {}),
      limit: dossierPageSize + 1,
    },
  });
  if ('refused' in result) throw new AppError(result.refused.code, { internal: `patient access refused: ${result.refused.reason}` });
  const { header, entries } = result;
  const cipher = await PatientCipher.fromRow(keys, orgId, header.id, header, { db });
  const place = (column: string) => ({ table: 'patients', column, rowId: header.id });
  const names = nameOpener(accountNameOpenerOutside(db, fields));
  const page = entries.slice(0, dossierPageSize);
  const views: EntryView[] = [];
  for (const entry of page) views.push(await presentEntry(entry, cipher, names));
  return {
    patient: {
      id: header.id,
      name: JSON.parse(cipher.open(place('name'), header.name)) as DossierView['patient']['name'],
      birthDate: cipher.open(place('birth_date'), header.birthDate),
      nationalId: header.nationalId && header.nationalIdKind ? { kind: header.nationalIdKind, value: cipher.open(place('national_id'), header.nationalId) } : null,
      status: header.status,
    },
    access: accessOf(result.basis, result.grant),
    entries: views,
    nextCursor: entries.length > dossierPageSize ? encodeCursor(page[page.length - 1]!) : null,
  };
}

function accessOf(basis: AccessBasis, grant: { expiresAt: Date } | null): DossierView['access'] {
  if (basis === 'care_team') return { basis: 'care_team', grantExpiresAt: null };
  if (basis === 'break_glass' && grant) return { basis: 'break_glass', grantExpiresAt: grant.expiresAt.toISOString() };
  // The dossier policy only ever answers care team or grant for staff; anything else is a bug.
  throw new Error(`unexpected dossier access basis: ${basis}`);
}

async function entryOrNotFound(tx: Tx, orgId: string, patient: AuthorizedPatient, entryId: string): Promise<SealedEntry> {
  const entry = await readEntry(tx, orgId, patient, entryId);
  if (!entry) throw new AppError('ENTRY_NOT_FOUND');
  return entry;
}

/** GET /patients/:id/entries/:entryId — an entry of another patient is ENTRY_NOT_FOUND. */
export async function getEntry(ctx: RequestContext, input: { unverifiedPatientId: string; entryId: string }): Promise<EntryView> {
  const { fields, clock } = ctx.services;
  return withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'dossier', action: 'read' }, async (tx, patient) => {
    const orgId = ctx.principal!.orgId!;
    const entry = await entryOrNotFound(tx, orgId, patient, input.entryId);
    const view = await presentEntry(entry, await fields.forPatient(tx, orgId, patient.patientId), namesIn(tx, ctx));
    await appendAudit(tx, orgId, auditMeta(ctx, clock.now()), dossierEvent({ action: 'entry.viewed', outcome: 'success', resourceType: 'entry', resourceId: entry.id, ...patientAuditFields(patient) }));
    return view;
  });
}

/** GET /patients/:id/entries/:entryId/versions — every version, oldest first, with who and when. */
export async function getEntryHistory(ctx: RequestContext, input: { unverifiedPatientId: string; entryId: string }): Promise<{ entryId: string; kind: SealedEntry['kind']; versions: EntryVersionView[] }> {
  const { fields, clock } = ctx.services;
  return withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'dossier', action: 'read' }, async (tx, patient) => {
    const orgId = ctx.principal!.orgId!;
    const head = await readEntryHead(tx, orgId, patient, input.entryId);
    if (!head) throw new AppError('ENTRY_NOT_FOUND');
    const cipher = await fields.forPatient(tx, orgId, patient.patientId);
    const open = openWith(cipher);
    const names = namesIn(tx, ctx);
    const versions: EntryVersionView[] = [];
    for (const version of await readVersions(tx, orgId, patient, input.entryId)) {
      versions.push({
        version: version.version,
        content: JSON.parse(open.content(input.entryId, version.version, version.content)) as EntryVersionView['content'],
        documentId: version.documentId,
        effectiveAt: version.effectiveAt.toISOString(),
        author: { ...(await names(version.author)), role: version.author.role },
        onBehalfOf: version.onBehalfOf ? await names(version.onBehalfOf) : null,
        changeReason: open.changeReason(input.entryId, version.version, version.changeReason),
        recordedAt: version.recordedAt.toISOString(),
      });
    }
    await appendAudit(tx, orgId, auditMeta(ctx, clock.now()), dossierEvent({ action: 'entry.history_viewed', outcome: 'success', resourceType: 'entry', resourceId: input.entryId, ...patientAuditFields(patient) }));
    return { entryId: input.entryId, kind: head.kind, versions };
  });
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/**
 * The account an entry is written for: an active member of this patient's care team whose role
 * may write dossiers. Anyone else is a validation error on the field (not a 403: the writer's own
 * access is fine, the value they chose is not).
 */
async function onBehalfOfAccount(ctx: RequestContext, tx: Tx, patient: AuthorizedPatient, membershipId: string | undefined): Promise<string | null> {
  if (!membershipId) return null;
  const actor = memberOf(ctx);
  const member = membershipId === actor.membershipId ? undefined : await careTeamMember(tx, actor.orgId, patient, membershipId);
  if (!member || !permissionsOfMembership({ role: member.role, customRolePermissions: member.customPermissions }).has('dossier:write')) {
    throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'onBehalfOfMembershipId', issue: 'not a care-team member who may write this dossier' }] });
  }
  return member.accountId;
}

/** POST /patients/:id/entries — the head and version 1. */
export async function createEntry(ctx: RequestContext, input: { unverifiedPatientId: string; body: EntryInput }): Promise<EntryView> {
  const { fields, clock } = ctx.services;
  const actor = memberOf(ctx);
  return withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'dossier', action: 'write' }, async (tx, patient) => {
    const now = clock.now();
    const onBehalfOf = await onBehalfOfAccount(ctx, tx, patient, input.body.onBehalfOfMembershipId);
    const cipher = await fields.forPatient(tx, actor.orgId, patient.patientId);
    const entryId = newId();
    const content = entryContent[input.body.kind].parse(input.body.content);
    await insertEntry(tx, actor.orgId, patient, {
      entryId,
      kind: input.body.kind,
      version: 1,
      content: cipher.seal(versionPlace(entryId, 1, 'content'), JSON.stringify(content)),
      // Stored to the millisecond, the precision of the timeline cursor.
      effectiveAt: new Date(input.body.effectiveAt),
      authorAccountId: actor.accountId,
      authorRole: roleOf(ctx),
      onBehalfOfAccountId: onBehalfOf,
      changeReason: null,
      now,
    });
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), dossierEvent({ action: 'entry.created', outcome: 'success', resourceType: 'entry', resourceId: entryId, ...(onBehalfOf ? { onBehalfOf } : {}), ...patientAuditFields(patient) }));
    return presentEntry(await entryOrNotFound(tx, actor.orgId, patient, entryId), cipher, namesIn(tx, ctx));
  });
}

/**
 * PUT /patients/:id/entries/:entryId — a new version, if the editor started from the current
 * one. The head moves first (conditional update), so two editors racing cannot both win; the
 * loser's transaction learns why from the head and writes nothing.
 */
export async function reviseEntry(ctx: RequestContext, input: { unverifiedPatientId: string; entryId: string; body: EntryRevision }): Promise<EntryView> {
  const { fields, clock } = ctx.services;
  const actor = memberOf(ctx);
  return withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'dossier', action: 'write' }, async (tx, patient) => {
    const now = clock.now();
    const effectiveAt = new Date(input.body.effectiveAt);
    const kind = await advanceEntry(tx, actor.orgId, patient, { entryId: input.entryId, expectedVersion: input.body.expectedVersion, effectiveAt, now });
    if (!kind) {
      const head = await readEntryHead(tx, actor.orgId, patient, input.entryId);
      if (!head) throw new AppError('ENTRY_NOT_FOUND');
      if (head.status === 'entered_in_error') throw new AppError('ENTRY_ENTERED_IN_ERROR');
      throw new AppError('ENTRY_VERSION_CONFLICT', { internal: `expected v${input.body.expectedVersion}, current v${head.currentVersion}` });
    }
    // The body was checked against every kind's shape; the entry's own kind decides. A failure
    // here rolls the head's move back with the transaction.
    const checked = entryContent[kind].safeParse(input.body.content);
    if (!checked.success) {
      throw new AppError('VALIDATION_FAILED', { fields: checked.error.issues.map((issue) => ({ path: ['content', ...issue.path.map(String)].join('.'), issue: issue.message })) });
    }
    const cipher = await fields.forPatient(tx, actor.orgId, patient.patientId);
    const version = input.body.expectedVersion + 1;
    await appendRevision(tx, actor.orgId, patient, {
      entryId: input.entryId,
      version,
      content: cipher.seal(versionPlace(input.entryId, version, 'content'), JSON.stringify(checked.data)),
      effectiveAt,
      authorAccountId: actor.accountId,
      authorRole: roleOf(ctx),
      onBehalfOfAccountId: null,
      changeReason: sealReason(cipher, input.entryId, version, input.body.changeReason),
      now,
    });
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), dossierEvent({ action: 'entry.revised', outcome: 'success', resourceType: 'entry', resourceId: input.entryId, ...patientAuditFields(patient) }));
    return presentEntry(await entryOrNotFound(tx, actor.orgId, patient, input.entryId), cipher, namesIn(tx, ctx));
  });
}

const sealReason = (cipher: PatientCipher, entryId: string, version: number, reason: string | undefined): Sealed | null => cipher.sealOptional(versionPlace(entryId, version, 'change_reason'), reason);

/** POST /patients/:id/entries/:entryId/entered-in-error — status and sealed reason; never a delete. */
export async function markEntryEnteredInError(ctx: RequestContext, input: { unverifiedPatientId: string; entryId: string; body: EnteredInErrorInput }): Promise<EntryView> {
  const { fields, clock } = ctx.services;
  const actor = memberOf(ctx);
  return withPatientAccess(ctx, { unverifiedPatientId: input.unverifiedPatientId, resource: 'dossier', action: 'write' }, async (tx, patient) => {
    const now = clock.now();
    const cipher = await fields.forPatient(tx, actor.orgId, patient.patientId);
    const marked = await markEnteredInError(tx, actor.orgId, patient, { entryId: input.entryId, byAccountId: actor.accountId, reason: cipher.seal(enteredInErrorPlace(input.entryId), input.body.reason), now });
    if (!marked) {
      const head = await readEntryHead(tx, actor.orgId, patient, input.entryId);
      throw new AppError(head ? 'ENTRY_ENTERED_IN_ERROR' : 'ENTRY_NOT_FOUND');
    }
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), dossierEvent({ action: 'entry.entered_in_error', outcome: 'success', resourceType: 'entry', resourceId: input.entryId, ...patientAuditFields(patient) }));
    return presentEntry(await entryOrNotFound(tx, actor.orgId, patient, input.entryId), cipher, namesIn(tx, ctx));
  });
}
