import type { useTranslation } from 'react-i18next';
import { uploadableFileTypes, type UploadableFileType, type UploadableMime } from '@haven/contracts';
import { plainT } from '../../lib/errors';

type T = ReturnType<typeof useTranslation>['t'];

/** English for a European audience, as in lib/format.ts. */
const intlLocale = (locale: string): string => (locale === 'en' ? 'en-GB' : locale);

const units = ['kilobyte', 'megabyte', 'gigabyte'] as const;

/**
 * A size in words people know: "512 bytes", "84 KB", "2.4 MB" (1 KB = 1024 bytes, so the
 * default 25 MiB limit reads "25 MB", as the operating system would show the file).
 */
export function formatBytes(bytes: number, locale: string): string {
  const language = intlLocale(locale);
  if (bytes < 1024) return new Intl.NumberFormat(language, { style: 'unit', unit: 'byte', unitDisplay: 'long' }).format(bytes);
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return new Intl.NumberFormat(language, {
    style: 'unit',
    unit: units[unit],
    unitDisplay: 'short',
    maximumFractionDigits: value < 10 ? 1 : 0,
  }).format(value);
}

const typeOf = (mime: string): UploadableFileType | undefined => uploadableFileTypes.find((type) => type.mime === mime);

/** "Word document", "PNG image", …; a type this build does not know is shown as sent. */
export function fileTypeLabel(translate: T, mime: string): string {
  // A plain call (see plainT in lib/errors.ts).
  const t = plainT(translate);
  const type = typeOf(mime);
  return type ? t(`files.types.${type.extensions[0]}`) : mime;
}

/** Format names are the same in every language. */
const formatNames: Record<UploadableMime, string> = {
  'application/pdf': 'PDF',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/webp': 'WebP',
  'image/heic': 'HEIC',
  'text/plain': 'TXT',
  'text/csv': 'CSV',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel',
  'application/vnd.oasis.opendocument.text': 'OpenDocument',
  'application/vnd.oasis.opendocument.spreadsheet': 'OpenDocument',
};

/** What the server accepts, grouped by kind: "PDF, images (PNG, JPEG, WebP, HEIC), … and spreadsheets (Excel, OpenDocument)". */
export function acceptedKinds(translate: T, mimes: readonly string[], locale: string): string {
  const t = plainT(translate);
  const byKind = new Map<UploadableFileType['kind'], string[]>();
  for (const mime of mimes) {
    const type = typeOf(mime);
    if (!type) continue;
    const formats = byKind.get(type.kind) ?? [];
    if (!formats.includes(formatNames[type.mime])) formats.push(formatNames[type.mime]);
    byKind.set(type.kind, formats);
  }
  const parts = [...byKind].map(([kind, formats]) => t(`files.upload.kinds.${kind}`, { formats: formats.join(', ') }));
  return new Intl.ListFormat(intlLocale(locale), { style: 'long', type: 'conjunction' }).format(parts);
}
