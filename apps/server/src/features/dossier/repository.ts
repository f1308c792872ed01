import type { EntryKind, NationalIdKind } from '@haven/contracts';
import { sql } from 'drizzle-orm';
import type { AuthorizedPatient, Refusal } from '../../core/authz/authorize.ts';
import type { AccessBasis, Requirement } from '../../core/authz/policies.ts';
import type { PatientCipher, PatientPlace } from '../../core/crypto/patient-cipher.ts';
import { Sealed } from '../../core/crypto/sealed-column.ts';
import { queryRows, type Database, type Tx } from '../../core/db/database.ts';
import { dbFunctions } from '../../core/db/functions.ts';
import type { PatientStatus } from '../../core/db/schema.ts';

/*
 * Dossier rows: heads (dossier_entries) and their append-only versions (entry_versions). What an
 * entry says is sealed under the patient's key: a version's content and change reason with the
 * row id `<entryId>:v<version>` in the additional data (one version's ciphertext does not open as
 * another's), the entered-in-error reason with the entry's id. Every function takes the
 * AuthorizedPatient core/authz handed out, and names the patient in its WHERE clause, so an entry
 * of another patient is simply not found.
 */

export const versionPlace = (entryId: string, version: number, column: 'content' | 'change_reason'): PatientPlace => ({ table: 'entry_versions', column, rowId: `${entryId}:v${version}` });
export const enteredInErrorPlace = (entryId: string): PatientPlace => ({ table: 'dossier_entries', column: 'entered_in_error_reason', rowId: entryId });

/** Raw bytea from either driver (pg: Buffer, PGlite: Uint8Array) as the opaque sealed value. */
const sealedOf = (value: Buffer | Uint8Array): Sealed => Sealed.fromBytes(Buffer.isBuffer(value) ? value : Buffer.from(value));
const sealedOrNull = (value: Buffer | Uint8Array | null): Sealed | null => (value ? sealedOf(value) : null);
const dateOf = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : dateOf(value));

/** A person named beside an entry; the name is sealed under the platform key (accounts.name). */
export interface SealedAccountName {
  accountId: string;
  name: Sealed;
}

/** An entry at its current version, still sealed, with the sealed names of the people on it. */
export interface SealedEntry {
  id: string;
  patientId: string;
  kind: EntryKind;
  status: 'active' | 'entered_in_error';
  currentVersion: number;
  effectiveAt: Date;
  createdAt: Date;
  updatedAt: Date;
  createdBy: SealedAccountName;
  content: Sealed;
  documentId: string | null;
  author: SealedAccountName & { role: string };
  onBehalfOf: SealedAccountName | null;
  enteredInError: { at: Date; by: SealedAccountName; reason: Sealed } | null;
}

interface EntryRow {
  id: string;
  patient_id: string;
  kind: EntryKind;
  status: 'active' | 'entered_in_error';
  current_version: number;
  effective_at: Date | string;
  created_at: Date | string;
  updated_at: Date | string;
  created_by_account_id: string;
  created_by_name: Buffer | Uint8Array;
  entered_in_error_at: Date | string | null;
  entered_in_error_by_account_id: string | null;
  entered_in_error_by_name: Buffer | Uint8Array | null;
  entered_in_error_reason: Buffer | Uint8Array | null;
  content: Buffer | Uint8Array;
  document_id: string | null;
  author_account_id: string;
  author_role: string;
  author_name: Buffer | Uint8Array;
  on_behalf_of_account_id: string | null;
  on_behalf_of_name: Buffer | Uint8Array | null;
}

/*
 * The columns of an entry at its current version, with the names of everyone on it joined in
 * (accounts is a platform table the request role may read). `e` is the head, `v` its current version.
 */
const entryColumns = sql`e.id, e.patient_id, e.kind, e.status, e.current_version, e.effective_at, e.created_at, e.updated_at,
  e.created_by_account_id, cb.name as created_by_name,
  e.entered_in_error_at, e.entered_in_error_by_account_id, eb.name as entered_in_error_by_name, e.entered_in_error_reason,
  v.content, v.document_id, v.author_account_id, v.author_role, au.name as author_name,
  v.on_behalf_of_account_id, ob.name as on_behalf_of_name`;

const entryJoins = sql`join entry_versions v on v.org_id = e.org_id and v.entry_id = e.id and v.version = e.current_version
  join accounts cb on cb.id = e.created_by_account_id
  join accounts au on au.id = v.author_account_id
  left join accounts ob on ob.id = v.on_behalf_of_account_id
  left join accounts eb on eb.id = e.entered_in_error_by_account_id`;

function sealedEntry(row: EntryRow): SealedEntry {
  return {
    id: row.id,
    patientId: row.patient_id,
    kind: row.kind,
    status: row.status,
    currentVersion: row.current_version,
    effectiveAt: dateOf(row.effective_at),
    createdAt: dateOf(row.created_at),
    updatedAt: dateOf(row.updated_at),
    createdBy: { accountId: row.created_by_account_id, name: sealedOf(row.created_by_name) },
    content: sealedOf(row.content),
    documentId: row.document_id,
    author: { accountId: row.author_account_id, name: sealedOf(row.author_name), role: row.author_role },
    onBehalfOf: row.on_behalf_of_account_id && row.on_behalf_of_name ? { accountId: row.on_behalf_of_account_id, name: sealedOf(row.on_behalf_of_name) } : null,
    enteredInError:
      row.entered_in_error_at && row.entered_in_error_by_account_id && row.entered_in_error_by_name && row.entered_in_error_reason
        ? { at: dateOf(row.entered_in_error_at), by: { accountId: row.entered_in_error_by_account_id, name: sealedOf(row.entered_in_error_by_name) }, reason: sealedOf(row.entered_in_error_reason) }
        : null,
  };
}

/** The patient's header for the dossier, still sealed, with the wrapped patient key beside it. */
export interface SealedDossierHeader {
  id: string;
  name: Sealed;
  birthDate: Sealed;
  nationalIdKind: NationalIdKind | null;
  nationalId: Sealed | null;
  status: PatientStatus;
  /** Null once the key was shredded (`KeyRing.patientKeyFromRow` then refuses). */
  wrappedKey: Buffer | null;
  orgKeyVersion: number;
}

export interface TimelineFilter {
  kind?: EntryKind;
  authorAccountId?: string;
  before?: { effectiveAt: Date; id: string };
  limit: number;
}

/** What `haven_open_dossier` needs besides the organisation: who asks, the Requirement, the page. */
export interface DossierReadRequest {
  /** Not yet authorised: the function decides, from `requirement`. */
  unverifiedPatientId: string;
  /** `requirementFor(principal, 'dossier', 'read')`; the function refuses any other than these. */
  requirement: Extract<Requirement, 'care_team_or_grant' | 'self' | 'deny'>;
  /** The asker's membership (staff; null for a patient) and, for a patient in the portal, who they are. */
  membershipId: string | null;
  selfPatientId: string | null;
  /** The audit row's columns, exactly as `auditRow` builds them for this request. */
  audit: { occurredAt: Date; actorAccountId: string | null; actorRole: string | null; requestId: string | null; ip: string | null; userAgent: string | null };
  filter: TimelineFilter;
}

export type DossierReadResult =
  | { refused: Refusal }
  | { basis: AccessBasis; grant: { id: string; expiresAt: Date } | null; header: SealedDossierHeader; entries: SealedEntry[] };

/** One row of `haven_open_dossier`: 'denied', or 'patient', the page's 'entry' rows, then one 'account' row per person on them. */
interface OpenDossierRow extends Partial<Omit<EntryRow, 'id' | 'status' | 'patient_id'>> {
  row_kind: 'denied' | 'patient' | 'entry' | 'account';
  code: string | null;
  reason: string | null;
  basis: string | null;
  grant_id: string | null;
  grant_expires_at: Date | string | null;
  id: string | null;
  name: Buffer | null;
  birth_date: Buffer | null;
  national_id_kind: NationalIdKind | null;
  national_id: Buffer | null;
  status: string | null;
  wrapped_key: Buffer | null;
  org_key_version: number | null;
}

const refusals: Record<string, Refusal> = {
  'PATIENT_NOT_FOUND:not_found': { allow: false, code: 'PATIENT_NOT_FOUND', reason: 'not_found' },
  'PATIENT_NOT_FOUND:not_self': { allow: false, code: 'PATIENT_NOT_FOUND', reason: 'not_self' },
  'FORBIDDEN:no_permission': { allow: false, code: 'FORBIDDEN', reason: 'no_permission' },
  'CARE_TEAM_REQUIRED:not_in_care_team': { allow: false, code: 'CARE_TEAM_REQUIRED', reason: 'not_in_care_team' },
};
const bases: ReadonlySet<string> = new Set<AccessBasis>(['care_team', 'break_glass', 'self']);

/**
 * The dossier read in one statement (docs/design/patients-and-dossiers.md §6.2): the function
 * loads the facts, evaluates the Requirement Node computed, writes the audit row (the refusal or
 * `dossier.viewed`) and returns the sealed header, the wrapped patient key and one page of the
 * timeline with every name on it — one round trip, committed when it returns. Unlike the other
 * functions here it takes an unverified id: the decision is made inside the statement, in the
 * same transaction as the read and its record. Newest first by the clinical time, then id, so
 * the keyset cursor (effective_at, id) is stable.
 */
export async function openDossierPage(db: Database, orgId: string, request: DossierReadRequest): Promise<DossierReadResult> {
  const { filter, audit } = request;
  const rows = await db.callTenantFunction<OpenDossierRow>(orgId, dbFunctions.openDossier, [
    request.unverifiedPatientId,
    audit.actorAccountId,
    audit.actorRole,
    request.membershipId,
    request.selfPatientId,
    request.requirement,
    audit.occurredAt.toISOString(),
    filter.limit,
    filter.before?.effectiveAt.toISOString() ?? null,
    filter.before?.id ?? null,
    filter.kind ?? null,
    filter.authorAccountId ?? null,
    audit.requestId,
    audit.ip,
    audit.userAgent,
  ]);
  const [first, ...rest] = rows;
  if (first?.row_kind === 'denied') {
    const refused = refusals[`${first.code}:${first.reason}`];
    if (!refused) throw new Error('haven_open_dossier answered an unknown refusal');
    return { refused };
  }
  if (first?.row_kind !== 'patient' || !first.id || !first.name || !first.birth_date || !first.status || first.org_key_version === null || !first.basis || !bases.has(first.basis)) {
    throw new Error('haven_open_dossier answered without a patient row');
  }
  const header: SealedDossierHeader = {
    id: first.id,
    name: sealedOf(first.name),
    birthDate: sealedOf(first.birth_date),
    nationalIdKind: first.national_id_kind,
    nationalId: sealedOrNull(first.national_id),
    status: first.status as PatientStatus,
    wrappedKey: first.wrapped_key,
    orgKeyVersion: first.org_key_version,
  };
  const grant = first.grant_id && first.grant_expires_at ? { id: first.grant_id, expiresAt: dateOf(first.grant_expires_at) } : null;
  // The entries come first, newest first; then each account named on them, once.
  const names = new Map<string, Buffer | Uint8Array>();
  for (const row of rest) if (row.row_kind === 'account' && row.id && row.name) names.set(row.id, row.name);
  const nameOf = (accountId: string | null | undefined) => {
    const name = accountId ? names.get(accountId) : undefined;
    if (accountId && !name) throw new Error('haven_open_dossier answered an entry without its account row');
    return name ?? null;
  };
  const entries = rest
    .filter((row) => row.row_kind === 'entry')
    .map((row) => {
      const entry = row as unknown as EntryRow;
      return sealedEntry({
        ...entry,
        patient_id: header.id,
        created_by_name: nameOf(entry.created_by_account_id)!,
        author_name: nameOf(entry.author_account_id)!,
        on_behalf_of_name: nameOf(entry.on_behalf_of_account_id),
        entered_in_error_by_name: nameOf(entry.entered_in_error_by_account_id),
      });
    });
  return { basis: first.basis as AccessBasis, grant, header, entries };
}

/** One entry of the authorised patient at its current version (undefined: none such). */
export async function readEntry(tx: Tx, orgId: string, patient: AuthorizedPatient, entryId: string): Promise<SealedEntry | undefined> {
  const [row] = await queryRows<EntryRow>(
    tx,
    sql`select ${entryColumns} from dossier_entries e ${entryJoins}
        where e.org_id = ${orgId}::uuid and e.patient_id = ${patient.patientId}::uuid and e.id = ${entryId}::uuid`,
  );
  return row ? sealedEntry(row) : undefined;
}

/** The head's state, to tell why a conditional update found nothing. */
export async function readEntryHead(tx: Tx, orgId: string, patient: AuthorizedPatient, entryId: string): Promise<{ kind: EntryKind; status: 'active' | 'entered_in_error'; currentVersion: number } | undefined> {
  const [row] = await queryRows<{ kind: EntryKind; status: 'active' | 'entered_in_error'; current_version: number }>(
    tx,
    sql`select kind, status, current_version from dossier_entries
        where org_id = ${orgId}::uuid and patient_id = ${patient.patientId}::uuid and id = ${entryId}::uuid`,
  );
  return row ? { kind: row.kind, status: row.status, currentVersion: row.current_version } : undefined;
}

export interface SealedVersion {
  version: number;
  content: Sealed;
  documentId: string | null;
  effectiveAt: Date;
  author: SealedAccountName & { role: string };
  onBehalfOf: SealedAccountName | null;
  changeReason: Sealed | null;
  recordedAt: Date;
}

/** Every version of one entry of the authorised patient, oldest first. */
export async function readVersions(tx: Tx, orgId: string, patient: AuthorizedPatient, entryId: string): Promise<SealedVersion[]> {
  const rows = await queryRows<{
    version: number;
    content: Buffer | Uint8Array;
    document_id: string | null;
    effective_at: Date | string;
    author_account_id: string;
    author_role: string;
    author_name: Buffer | Uint8Array;
    on_behalf_of_account_id: string | null;
    on_behalf_of_name: Buffer | Uint8Array | null;
    change_reason: Buffer | Uint8Array | null;
    recorded_at: Date | string;
  }>(
    tx,
    sql`select v.version, v.content, v.document_id, v.effective_at, v.author_account_id, v.author_role, au.name as author_name,
          v.on_behalf_of_account_id, ob.name as on_behalf_of_name, v.change_reason, v.recorded_at
        from entry_versions v
        join accounts au on au.id = v.author_account_id
        left join accounts ob on ob.id = v.on_behalf_of_account_id
        where v.org_id = ${orgId}::uuid and v.patient_id = ${patient.patientId}::uuid and v.entry_id = ${entryId}::uuid
        order by v.version`,
  );
  return rows.map((row) => ({
    version: row.version,
    content: sealedOf(row.content),
    documentId: row.document_id,
    effectiveAt: dateOf(row.effective_at),
    author: { accountId: row.author_account_id, name: sealedOf(row.author_name), role: row.author_role },
    onBehalfOf: row.on_behalf_of_account_id && row.on_behalf_of_name ? { accountId: row.on_behalf_of_account_id, name: sealedOf(row.on_behalf_of_name) } : null,
    changeReason: sealedOrNull(row.change_reason),
    recordedAt: dateOf(row.recorded_at),
  }));
}

export interface NewVersion {
  entryId: string;
  version: number;
  content: Sealed;
  effectiveAt: Date;
  authorAccountId: string;
  authorRole: string;
  onBehalfOfAccountId: string | null;
  changeReason: Sealed | null;
  now: Date;
}

/**
 * A new entry: its head and version 1, in the caller's transaction. A document entry names its
 * file (`documentId`, a patient_documents row of the same patient).
 */
export async function insertEntry(tx: Tx, orgId: string, patient: AuthorizedPatient, entry: { kind: EntryKind; documentId?: string } & NewVersion): Promise<void> {
  await tx.execute(sql`insert into dossier_entries (org_id, id, patient_id, kind, current_version, status, effective_at, created_by_account_id, created_at, updated_at)
    values (${orgId}::uuid, ${entry.entryId}::uuid, ${patient.patientId}::uuid, ${entry.kind}, 1, 'active', ${entry.effectiveAt.toISOString()}::timestamptz,
            ${entry.authorAccountId}::uuid, ${entry.now.toISOString()}::timestamptz, ${entry.now.toISOString()}::timestamptz)`);
  await insertVersion(tx, orgId, patient, entry, entry.documentId ? { documentId: entry.documentId } : null);
}

/**
 * Appends a version. `documentFrom` copies the document of an earlier version (a revised
 * document entry keeps its file until an upload replaces it).
 */
async function insertVersion(tx: Tx, orgId: string, patient: AuthorizedPatient, version: NewVersion, documentFrom: number | { documentId: string } | null): Promise<void> {
  const documentId =
    documentFrom === null
      ? sql`null::uuid`
      : typeof documentFrom === 'object'
        ? sql`${documentFrom.documentId}::uuid`
        : sql`(select d.document_id from entry_versions d where d.org_id = ${orgId}::uuid and d.entry_id = ${version.entryId}::uuid and d.version = ${documentFrom})`;
  await tx.execute(sql`insert into entry_versions (org_id, entry_id, version, patient_id, content, document_id, effective_at, author_account_id, author_role, on_behalf_of_account_id, change_reason, recorded_at)
    values (${orgId}::uuid, ${version.entryId}::uuid, ${version.version}, ${patient.patientId}::uuid, ${version.content.bytes}, ${documentId},
            ${version.effectiveAt.toISOString()}::timestamptz, ${version.authorAccountId}::uuid, ${version.authorRole},
            ${version.onBehalfOfAccountId}::uuid, ${version.changeReason?.bytes ?? null}, ${version.now.toISOString()}::timestamptz)`);
}

/**
 * A revision, as one conditional update: the head moves from `expectedVersion` to the next only
 * if nobody moved it meanwhile and it is not entered in error (no read-then-write race). Returns
 * the entry's kind, or null when the head was not in that state (the caller tells why).
 */
export async function advanceEntry(tx: Tx, orgId: string, patient: AuthorizedPatient, input: { entryId: string; expectedVersion: number; effectiveAt: Date; now: Date }): Promise<EntryKind | null> {
  const [row] = await queryRows<{ kind: EntryKind }>(
    tx,
    sql`update dossier_entries set current_version = current_version + 1, effective_at = ${input.effectiveAt.toISOString()}::timestamptz, updated_at = ${input.now.toISOString()}::timestamptz
        where org_id = ${orgId}::uuid and patient_id = ${patient.patientId}::uuid and id = ${input.entryId}::uuid
          and current_version = ${input.expectedVersion} and status = 'active'
        returning kind`,
  );
  return row?.kind ?? null;
}

export async function appendRevision(tx: Tx, orgId: string, patient: AuthorizedPatient, version: NewVersion): Promise<void> {
  await insertVersion(tx, orgId, patient, version, version.version - 1);
}

/** Marks an active entry as entered in error (never deleted); false when it is not active here. */
export async function markEnteredInError(tx: Tx, orgId: string, patient: AuthorizedPatient, input: { entryId: string; byAccountId: string; reason: Sealed; now: Date }): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update dossier_entries set status = 'entered_in_error', entered_in_error_at = ${input.now.toISOString()}::timestamptz,
          entered_in_error_by_account_id = ${input.byAccountId}::uuid, entered_in_error_reason = ${input.reason.bytes}, updated_at = ${input.now.toISOString()}::timestamptz
        where org_id = ${orgId}::uuid and patient_id = ${patient.patientId}::uuid and id = ${input.entryId}::uuid and status = 'active'
        returning id`,
  );
  return rows.length === 1;
}

/**
 * A care-team member of the authorised patient, by membership, with what their role allows
 * (a built-in role's name, or a custom role's permission list): for writing on their behalf.
 */
export async function careTeamMember(tx: Tx, orgId: string, patient: AuthorizedPatient, membershipId: string): Promise<{ accountId: string; role: string; customPermissions: string[] | null } | undefined> {
  const [row] = await queryRows<{ account_id: string; role: string; permissions: string[] | null }>(
    tx,
    sql`select m.account_id, m.role, r.permissions
        from care_team_members c
        join memberships m on m.org_id = c.org_id and m.id = c.membership_id and m.status = 'active'
        left join custom_roles r on r.org_id = m.org_id and r.id = m.custom_role_id
        where c.org_id = ${orgId}::uuid and c.patient_id = ${patient.patientId}::uuid and c.membership_id = ${membershipId}::uuid`,
  );
  return row ? { accountId: row.account_id, role: row.role, customPermissions: row.permissions } : undefined;
}

/** Opens a sealed value of this patient (a helper so the service stays free of places). */
export const openWith = (cipher: PatientCipher) => ({
  content: (entryId: string, version: number, value: Sealed) => cipher.open(versionPlace(entryId, version, 'content'), value),
  changeReason: (entryId: string, version: number, value: Sealed | null) => cipher.openOptional(versionPlace(entryId, version, 'change_reason'), value),
  enteredInErrorReason: (entryId: string, value: Sealed) => cipher.open(enteredInErrorPlace(entryId), value),
});
