import { maxFileNameLength, type UploadableFileType } from '@haven/contracts';

/**
 * Characters removed from names: C0/C1 controls and DEL; bidirectional overrides and isolates
 * (U+202E turns "report‮fdp.exe" into what looks like "reportexe.pdf"); zero-width and other
 * invisible formatting characters; the byte-order mark.
 */
const invisible = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb]/gu;
/** Characters no file system on the download side accepts in a name; replaced by "_". */
const reserved = /[<>:"/\\|?*]/g;
/** Device names Windows refuses as a file name, with or without an extension. */
const windowsDevice = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;

/**
 * A file name that is safe to store, show and offer as a download: the last path segment only,
 * NFC, without invisible or reserved characters, no leading dots (hidden files), no trailing
 * dots or spaces, not a Windows device name, at most {@link maxFileNameLength} characters, and
 * ending in an extension of the type the content really has (a PDF named "x.exe" becomes
 * "x.exe.pdf"). Never empty. The name is only ever a label: files are stored under random ids.
 */
export function safeFileName(raw: string, type: UploadableFileType): string {
  const lastSegment = raw.split(/[/\\]/).pop() ?? '';
  let name = lastSegment
    .normalize('NFC')
    .replace(invisible, '')
    .replace(reserved, '_')
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/^\.+/, '')
    .replace(/[. ]+$/, '');

  const allowed: readonly string[] = type.extensions;
  const dot = name.lastIndexOf('.');
  const hasRightExtension = dot > 0 && allowed.includes(name.slice(dot + 1).toLowerCase());
  let stem = hasRightExtension ? name.slice(0, dot) : name;
  const extension = hasRightExtension ? name.slice(dot + 1) : allowed[0]!;

  stem = stem.replace(/[. ]+$/, '');
  if (windowsDevice.test(stem.split('.')[0] ?? '')) stem = `_${stem}`;
  if (stem === '') stem = 'file';

  // Cut by code points, never inside a surrogate pair.
  const room = maxFileNameLength - extension.length - 1;
  const codePoints = [...stem];
  if (codePoints.length > room) stem = codePoints.slice(0, room).join('').replace(/[. ]+$/, '') || 'file';
  name = `${stem}.${extension}`;
  return name;
}
