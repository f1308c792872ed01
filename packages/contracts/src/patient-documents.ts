import { z } from 'zod';
import { Uuid } from './api.ts';
import { DocumentContent, EntryStatus, StaffRef } from './dossier.ts';
import { StoredFileType } from './files.ts';

/*
 * A patient's documents (issue 5, docs/design/patients-and-dossiers.md §2 "patient_documents",
 * §7.1). The file itself is encrypted under the patient's key; every upload is also a `document`
 * entry in the dossier, whose content (title, description) is what this view shows beside the file.
 */

/** The form fields an upload may carry before its file (multipart/form-data). */
export const documentUploadFieldNames = ['title', 'description'] as const;

/** The upload's form fields; a missing title becomes the file's (cleaned) name. */
export const DocumentUploadFields = z.strictObject({
  title: DocumentContent.shape.title.optional(),
  description: DocumentContent.shape.description,
});
export type DocumentUploadFields = z.infer<typeof DocumentUploadFields>;

export const PatientDocument = z.object({
  id: Uuid,
  patientId: Uuid,
  /** The document entry in the dossier whose current version points at this file. */
  entryId: Uuid,
  entryStatus: EntryStatus,
  title: z.string(),
  description: z.string().nullable(),
  /** The cleaned file name (sealed under the patient's key at rest). */
  name: z.string(),
  contentType: StoredFileType,
  sizeBytes: z.number().int().nonnegative(),
  uploadedBy: StaffRef,
  createdAt: z.string(),
  /** When it was made visible to the patient (in their portal, once portal accounts exist); null: not shared. */
  sharedWithPatientAt: z.string().nullable(),
  sharedBy: StaffRef.nullable(),
});
export type PatientDocument = z.infer<typeof PatientDocument>;

export const PatientDocumentList = z.object({
  documents: z.array(PatientDocument),
  /** What the server accepts, so the page can say it before an upload fails. */
  limits: z.object({ maxBytes: z.number().int().positive(), types: z.array(StoredFileType) }),
});
export type PatientDocumentList = z.infer<typeof PatientDocumentList>;

/** PUT /patients/:id/documents/:docId/sharing. */
export const DocumentSharing = z.strictObject({ shared: z.boolean() });
export type DocumentSharing = z.infer<typeof DocumentSharing>;
