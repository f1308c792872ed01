import { z } from 'zod';

/**
 * The kinds of file Haven accepts, decided by the file's content (its magic bytes), never by the
 * name or the browser's guess. Nothing a browser would run or render as a page is here: no HTML,
 * SVG, scripts, archives or executables. Downloads are sent with exactly this type, as an
 * attachment, with `nosniff`.
 */
export const uploadableFileTypes = [
  { mime: 'application/pdf', extensions: ['pdf'], kind: 'pdf' },
  { mime: 'image/png', extensions: ['png'], kind: 'image' },
  { mime: 'image/jpeg', extensions: ['jpg', 'jpeg'], kind: 'image' },
  { mime: 'image/webp', extensions: ['webp'], kind: 'image' },
  { mime: 'image/heic', extensions: ['heic'], kind: 'image' },
  { mime: 'text/plain', extensions: ['txt'], kind: 'text' },
  { mime: 'text/csv', extensions: ['csv'], kind: 'text' },
  { mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', extensions: ['docx'], kind: 'document' },
  { mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', extensions: ['xlsx'], kind: 'spreadsheet' },
  { mime: 'application/vnd.oasis.opendocument.text', extensions: ['odt'], kind: 'document' },
  { mime: 'application/vnd.oasis.opendocument.spreadsheet', extensions: ['ods'], kind: 'spreadsheet' },
] as const;

export type UploadableFileType = (typeof uploadableFileTypes)[number];
export type UploadableMime = UploadableFileType['mime'];

export const uploadableMimes = uploadableFileTypes.map((type) => type.mime) as UploadableMime[];

/** For a file picker's `accept` attribute. */
export const uploadAccept = uploadableFileTypes.flatMap((type) => [type.mime, ...type.extensions.map((ext) => `.${ext}`)]).join(',');

/** Longest stored file name, in characters, extension included. */
export const maxFileNameLength = 150;

export const StoredFileType = z.enum(uploadableMimes as [UploadableMime, ...UploadableMime[]]);

// ---------- the practice's own files ----------
export const OrganisationFile = z.object({
  id: z.uuid(),
  /** The cleaned name (see docs/encryption.md#files); sealed at rest. */
  name: z.string(),
  contentType: StoredFileType,
  sizeBytes: z.number().int().nonnegative(),
  uploadedBy: z.string(),
  createdAt: z.string(),
});
export const OrganisationFileList = z.object({
  files: z.array(OrganisationFile),
  /** What the server accepts, so the page can say it before an upload fails. */
  limits: z.object({ maxBytes: z.number().int().positive(), types: z.array(StoredFileType) }),
});
