import { NativeSelect } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { locales } from '@haven/contracts';
import { currentLocale, isLocale, localeNames, setLocale } from '../i18n';
import { GlobeIcon } from './icons';

/** Each language named in itself, so anyone can find their own. */
export function LanguageSwitcher() {
  const { t, i18n } = useTranslation();
  const value = isLocale(i18n.resolvedLanguage) ? i18n.resolvedLanguage : currentLocale();
  return (
    <NativeSelect
      aria-label={t('language.label')}
      data-testid="language-switcher"
      size="xs"
      w={140}
      leftSection={<GlobeIcon size={14} />}
      value={value}
      onChange={(event) => {
        const next = event.currentTarget.value;
        if (isLocale(next)) setLocale(next);
      }}
      data={locales.map((locale) => ({ value: locale, label: localeNames[locale] }))}
    />
  );
}
