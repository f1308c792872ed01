import { z } from 'zod';
import { Uuid } from './api.ts';
import { NationalId, PatientStatus } from './patients.ts';

/*
 * Dossier entries (issue 5, docs/design/patients-and-dossiers.md §2 "Content" and §7.1). An entry
 * is a head (kind, status, current version) and append-only versions; the content of each version
 * is sealed under the patient's key as a whole, ICD-10 code included (a diagnosis code is health
 * data too).
 */

const singleLine = /^[^\u0000-\u001f\u007f]*$/;
const multiLine = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
const line = (max: number) => z.string().trim().min(1).max(max).regex(singleLine, 'no control characters');
const lines = (max: number) => z.string().trim().min(1).max(max).regex(multiLine, 'no control characters');

/** Longest free text of an entry, in characters. */
export const maxEntryTextLength = 20_000;
const entryText = lines(maxEntryTextLength);
const title = line(200);

export const entryKinds = ['finding', 'diagnosis', 'note', 'document'] as const;
export const EntryKind = z.enum(entryKinds);
export type EntryKind = z.infer<typeof EntryKind>;
/** Kinds written through POST /entries; document entries come with an upload. */
export const writableEntryKinds = ['finding', 'diagnosis', 'note'] as const;

/**
 * An ICD-10 (WHO / ICD-10-GM) code: a letter, two digits, and optionally a dot with up to four
 * digits or letters. U codes (U07.1 and the like) are included on purpose.
 */
export const icd10Pattern = /^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$/;
export const Icd10Code = z.string().trim().toUpperCase().regex(icd10Pattern, 'an ICD-10 code such as J45.0');

export const FindingContent = z.strictObject({ title, text: entryText });
/** ICD-10-GM Diagnosesicherheit: G confirmed, V suspected, Z state after, A excluded. */
const Certainty = z.enum(['G', 'V', 'Z', 'A']);
/** ICD-10-GM Seitenlokalisation: left, right, both. */
const Side = z.enum(['L', 'R', 'B']);
const icd10Text = line(500);
export const DiagnosisContent = z.strictObject({
  icd10Code: Icd10Code,
  icd10Text,
  text: entryText.optional(),
  certainty: Certainty.optional(),
  side: Side.optional(),
});
export const NoteContent = z.strictObject({ title: title.optional(), text: entryText });
const description = lines(2000);
export const DocumentContent = z.strictObject({ title, description: description.optional() });

/** The content schema of each kind: the server checks a revision against its entry's kind. */
export const entryContent = {
  finding: FindingContent,
  diagnosis: DiagnosisContent,
  note: NoteContent,
  document: DocumentContent,
} as const;
export type EntryContent<K extends EntryKind = EntryKind> = z.infer<(typeof entryContent)[K]>;

/** The clinical date and time an entry is about (orders the timeline), with its offset. */
const EffectiveAt = z.iso.datetime({ offset: true });

/*
 * Content as a request body carries it: one object with every field any kind has, each checked
 * as in its kind, and then the whole against the kind's own shape (`entryContent[kind]`, with
 * issues at `content.<field>`). A plain object rather than a union of the kinds, so that a
 * refusal names the field that is wrong (a union can only say "content").
 */
const contentFields = {
  title: title.optional(),
  text: entryText.optional(),
  icd10Code: Icd10Code.optional(),
  icd10Text: icd10Text.optional(),
  certainty: Certainty.optional(),
  side: Side.optional(),
};
const WritableContent = z.strictObject(contentFields);
const RevisedContent = z.strictObject({ ...contentFields, description: description.optional() });

/** Checks content against its kind's own schema; issues land at `content.<field>`. */
export function checkContentOfKind(kind: EntryKind, content: unknown, ctx: z.RefinementCtx): void {
  const checked = entryContent[kind].safeParse(content);
  if (checked.success) return;
  for (const issue of checked.error.issues) ctx.addIssue({ ...issue, path: ['content', ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
}

/** POST /patients/:id/entries. */
export const EntryInput = z
  .strictObject({
    kind: z.enum(writableEntryKinds),
    content: WritableContent,
    effectiveAt: EffectiveAt,
    /** Written for another care-team practitioner (they must hold dossier:write and be in the team). */
    onBehalfOfMembershipId: Uuid.optional(),
  })
  .superRefine((input, ctx) => checkContentOfKind(input.kind, input.content, ctx));
export type EntryInput = z.infer<typeof EntryInput>;

/**
 * PUT /patients/:id/entries/:entryId: a new version. `expectedVersion` is the version the editor
 * started from (ENTRY_VERSION_CONFLICT if another was saved meanwhile). The body does not repeat
 * the kind: the server checks `content` against the entry's own kind (`entryContent[kind]`).
 */
export const EntryRevision = z.strictObject({
  expectedVersion: z.number().int().min(1),
  content: RevisedContent,
  effectiveAt: EffectiveAt,
  changeReason: line(500).optional(),
});
export type EntryRevision = z.infer<typeof EntryRevision>;

/** POST /patients/:id/entries/:entryId/entered-in-error. */
export const EnteredInErrorInput = z.strictObject({ reason: line(500) });
export type EnteredInErrorInput = z.infer<typeof EnteredInErrorInput>;

/** A staff member as shown beside an entry; `role` is a built-in role name, `custom:<id>` or `patient`. */
export const StaffRef = z.object({ accountId: Uuid, name: z.string() });
const AuthorRef = StaffRef.extend({ role: z.string() });

export const entryStatuses = ['active', 'entered_in_error'] as const;
export const EntryStatus = z.enum(entryStatuses);

const entryViewBase = {
  id: Uuid,
  patientId: Uuid,
  status: EntryStatus,
  currentVersion: z.number().int().min(1),
  effectiveAt: z.string(),
  /** The document of a document entry's current version. */
  documentId: Uuid.nullable(),
  createdBy: StaffRef,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The author of the current version. */
  author: AuthorRef,
  onBehalfOf: StaffRef.nullable(),
  enteredInError: z.object({ at: z.string(), by: StaffRef, reason: z.string() }).nullable(),
};

/** An entry at its current version. */
export const EntryView = z.discriminatedUnion('kind', [
  z.object({ ...entryViewBase, kind: z.literal('finding'), content: FindingContent }),
  z.object({ ...entryViewBase, kind: z.literal('diagnosis'), content: DiagnosisContent }),
  z.object({ ...entryViewBase, kind: z.literal('note'), content: NoteContent }),
  z.object({ ...entryViewBase, kind: z.literal('document'), content: DocumentContent }),
]);
export type EntryView = z.infer<typeof EntryView>;

/** One version of an entry (GET …/versions lists them all, oldest first). */
export const EntryVersionView = z.object({
  version: z.number().int().min(1),
  content: z.union([FindingContent, DiagnosisContent, NoteContent, DocumentContent]),
  documentId: Uuid.nullable(),
  effectiveAt: z.string(),
  author: AuthorRef,
  onBehalfOf: StaffRef.nullable(),
  changeReason: z.string().nullable(),
  recordedAt: z.string(),
});
export type EntryVersionView = z.infer<typeof EntryVersionView>;
export const EntryVersionList = z.object({ entryId: Uuid, kind: EntryKind, versions: z.array(EntryVersionView) });

/** GET /patients/:id/dossier: filters, and `before` = the previous page's `nextCursor`. */
export const DossierQuery = z.strictObject({
  kind: EntryKind.optional(),
  /** The account id of whoever wrote the entry (`createdBy.accountId` in EntryView): it stays the same when the author's membership changes. */
  author: Uuid.optional(),
  before: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/, 'a cursor').optional(),
});
export type DossierQuery = z.infer<typeof DossierQuery>;

/** Why the reader may see this dossier: their care team, or a break-the-glass grant until `grantExpiresAt`. */
export const DossierAccess = z.object({
  basis: z.enum(['care_team', 'break_glass']),
  grantExpiresAt: z.string().nullable(),
});

export const DossierView = z.object({
  patient: z.object({
    id: Uuid,
    name: z.object({ family: z.string(), given: z.string() }),
    birthDate: z.string(),
    nationalId: NationalId.nullable(),
    status: PatientStatus,
  }),
  access: DossierAccess,
  entries: z.array(EntryView),
  nextCursor: z.string().nullable(),
});
export type DossierView = z.infer<typeof DossierView>;
