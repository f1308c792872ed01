const cache = new Map<string, Intl.DateTimeFormat>();

/** English for a European audience: day before month, 24-hour clock. */
const intlLocale = (locale: string): string => (locale === 'en' ? 'en-GB' : locale);

function formatter(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  locale = intlLocale(locale);
  const key = `${locale}|${JSON.stringify(options)}`;
  let found = cache.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(locale, options);
    cache.set(key, found);
  }
  return found;
}

/** A date and time in the user's language, e.g. "3 Nov 2026, 14:05". */
export function formatDateTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return formatter(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** A date and time with seconds, for the audit trail. */
export function formatTimestamp(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return formatter(locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(date);
}

export function formatDate(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return formatter(locale, { dateStyle: 'long' }).format(date);
}

/** A time of day in the user's language, e.g. "14:05" (for lists grouped by day). */
export function formatTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return formatter(locale, { timeStyle: 'short' }).format(date);
}
