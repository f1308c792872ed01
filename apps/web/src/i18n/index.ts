import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { locales, type Locale } from '@haven/contracts';
import de from './de.json';
import en from './en.json';
import nl from './nl.json';

/**
 * Translations for English, German and Dutch. `scripts/check-i18n.mjs` keeps the three files
 * on exactly the same keys; the English file is the type of every `t()` key (see i18next.d.ts).
 * Only the chosen language is kept in localStorage, nothing else.
 */
export const localeStorageKey = 'haven.locale';

export const isLocale = (value: unknown): value is Locale =>
  typeof value === 'string' && (locales as readonly string[]).includes(value);

export const localeNames: Record<Locale, string> = { en: 'English', de: 'Deutsch', nl: 'Nederlands' };

function initialLocale(): Locale {
  try {
    const stored = window.localStorage.getItem(localeStorageKey);
    if (isLocale(stored)) return stored;
  } catch {
    // storage may be disabled; fall back to the browser language
  }
  for (const language of navigator.languages ?? [navigator.language]) {
    const base = language.slice(0, 2).toLowerCase();
    if (base === 'nl' || base === 'de') return base;
    if (base === 'en') return 'en';
  }
  return 'en';
}

export function setLocale(locale: Locale): void {
  try {
    window.localStorage.setItem(localeStorageKey, locale);
  } catch {
    // not remembered, still switched
  }
  void i18next.changeLanguage(locale);
}

export function currentLocale(): Locale {
  return isLocale(i18next.resolvedLanguage) ? i18next.resolvedLanguage : 'en';
}

i18next.on('languageChanged', (language) => {
  document.documentElement.lang = language;
});

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, de: { translation: de }, nl: { translation: nl } },
  lng: initialLocale(),
  fallbackLng: 'en',
  supportedLngs: [...locales],
  interpolation: { escapeValue: false },
  returnNull: false,
  showSupportNotice: false,
});
document.documentElement.lang = i18next.language;

export { i18next };
