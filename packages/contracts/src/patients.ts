import { z } from 'zod';
import { Email, Phone, Uuid } from './api.ts';
import { Country } from './roles.ts';
import { validNationalId } from './national-id.ts';

/*
 * Patients (issue 5, docs/design/patients-and-dossiers.md §2 and §7.1). Every field below is
 * personal data: the server seals it under the patient's key and never logs or audits values.
 */

/** One line of text: no control characters (a NUL byte cannot even be stored in PostgreSQL). */
const singleLine = /^[^\u0000-\u001f\u007f]*$/;
/** Several lines: tabs and line breaks, but no other control characters. */
const multiLine = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
const line = (max: number) => z.string().trim().min(1).max(max).regex(singleLine, 'no control characters');
const lines = (max: number) => z.string().trim().min(1).max(max).regex(multiLine, 'no control characters');

/** A calendar date, YYYY-MM-DD. */
export const IsoDate = z.iso.date();

export const PatientName = z.strictObject({ family: line(200), given: line(200) });
export type PatientName = z.infer<typeof PatientName>;

/** Sex as registered (administrative, as HL7 FHIR `AdministrativeGender`). */
export const patientSexes = ['female', 'male', 'other', 'unknown'] as const;
export const PatientSex = z.enum(patientSexes);

export const PatientAddress = z.strictObject({
  street: line(200),
  postalCode: line(20),
  city: line(100),
  country: Country,
});

export const PatientContact = z.strictObject({
  email: Email.optional(),
  phone: Phone.optional(),
  address: PatientAddress.optional(),
});
export type PatientContact = z.infer<typeof PatientContact>;

export const nationalIdKinds = ['bsn', 'kvnr', 'svnr'] as const;
export const NationalIdKindSchema = z.enum(nationalIdKinds);

/**
 * A national identifier as typed. Its check digit is verified here (web and server alike); the
 * server stores `validNationalId(kind, value)`, the normalised form. A wrong one is reported as
 * `{ path: 'nationalId', issue: 'checksum' }`.
 */
export const NationalIdInput = z
  .strictObject({ kind: NationalIdKindSchema, value: z.string().max(32) })
  .superRefine((id, ctx) => {
    if (validNationalId(id.kind, id.value) === null) ctx.addIssue({ code: 'custom', path: [], message: 'checksum' });
  });
export type NationalIdInput = z.infer<typeof NationalIdInput>;

const patientFields = {
  name: PatientName,
  /** Not checked against today here (the server does, with its clock). */
  birthDate: IsoDate.refine((date) => date >= '1880-01-01', 'a date after 1880'),
  sex: PatientSex,
  /** Gender identity in the patient's own words, when it differs from or adds to `sex`. */
  gender: line(100).optional(),
  contact: PatientContact.default({}),
  /** The practice's own administrative notes (not clinical content: that goes into the dossier). */
  notes: lines(2000).optional(),
  nationalId: NationalIdInput.optional(),
};

/** POST /patients. */
export const PatientInput = z.strictObject(patientFields);
export type PatientInput = z.infer<typeof PatientInput>;

/**
 * PATCH /patients/:id: only the fields sent change; `contact` is replaced as a whole; `null`
 * removes gender, notes or the national identifier.
 */
export const PatientUpdate = z
  .strictObject({
    name: patientFields.name.optional(),
    birthDate: patientFields.birthDate.optional(),
    sex: PatientSex.optional(),
    gender: line(100).nullable().optional(),
    contact: PatientContact.optional(),
    notes: lines(2000).nullable().optional(),
    nationalId: NationalIdInput.nullable().optional(),
  })
  .refine((value) => Object.keys(value).length > 0, 'at least one field');
export type PatientUpdate = z.infer<typeof PatientUpdate>;

export const patientStatuses = ['active', 'archived', 'erased'] as const;
export const PatientStatus = z.enum(patientStatuses);

/** A national identifier as stored (normalised). */
export const NationalId = z.object({ kind: NationalIdKindSchema, value: z.string() });

/** GET /patients/:id. */
export const PatientView = z.object({
  id: Uuid,
  name: z.object({ family: z.string(), given: z.string() }),
  birthDate: z.string(),
  sex: PatientSex,
  gender: z.string().nullable(),
  contact: z.object({
    email: z.string().optional(),
    phone: z.string().optional(),
    address: z.object({ street: z.string(), postalCode: z.string(), city: z.string(), country: Country }).optional(),
  }),
  notes: z.string().nullable(),
  nationalId: NationalId.nullable(),
  status: PatientStatus,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type PatientView = z.infer<typeof PatientView>;

/** One row of the directory: enough to tell namesakes apart, nothing clinical. */
export const PatientListItem = z.object({
  id: Uuid,
  name: z.object({ family: z.string(), given: z.string() }),
  birthDate: z.string(),
  sex: PatientSex,
  status: PatientStatus,
  updatedAt: z.string(),
});
export type PatientListItem = z.infer<typeof PatientListItem>;

/** Longest page of the directory or of search results. */
export const patientPageSize = 50;

/** GET /patients: browse the directory, most recently changed first; `cursor` is the previous page's `nextCursor`. */
export const PatientListQuery = z.strictObject({
  cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/, 'a cursor').optional(),
});
export type PatientListQuery = z.infer<typeof PatientListQuery>;

/**
 * POST /patients/search — a body, not a query string, so that names and numbers stay out of
 * URLs (proxies, server logs, browser history). Filters combine; at least one is needed. `q`:
 * name words, each matching the start of a word of the name (words under 3 letters match only
 * whole words); `birthDate`: exact; `nationalId`: exact, of whichever kind its form and check
 * digit fit. Never logged or audited.
 */
export const PatientSearch = z.strictObject({
  q: z.string().trim().max(200).regex(singleLine, 'no control characters').optional(),
  birthDate: IsoDate.optional(),
  nationalId: z.string().trim().max(32).regex(singleLine, 'no control characters').optional(),
});
export type PatientSearch = z.infer<typeof PatientSearch>;

/** A page of the directory or a search result (`truncated`: more matched than shown; narrow it down). */
export const PatientPage = z.object({ patients: z.array(PatientListItem), nextCursor: z.string().nullable(), truncated: z.boolean() });
export type PatientPage = z.infer<typeof PatientPage>;
