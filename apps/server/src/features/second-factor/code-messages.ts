import type { Locale } from '@haven/contracts';
import type { CodePurpose } from './sent-codes.ts';

const purposeWords: Record<CodePurpose, Record<Locale, string>> = {
  setup: { en: 'phone check', de: 'Telefon-Prüf', nl: 'telefooncontrole' },
  sign_in: { en: 'sign-in', de: 'Anmelde', nl: 'inlog' },
  step_up: { en: 'confirmation', de: 'Bestätigungs', nl: 'bevestigings' },
};

/**
 * The text of a code SMS: short (one message), the code first, a warning not to pass it on, and
 * the origin-bound last line of the WebOTP / "origin-bound one-time codes" format
 * (`@host #code`), with which browsers offer the code only on Haven's own host — a look-alike
 * site does not get it filled in.
 */
export function codeSmsText(input: { locale: Locale; purpose: CodePurpose; code: string; minutes: number; host: string }): string {
  const { locale, purpose, code, minutes, host } = input;
  const word = purposeWords[purpose][locale];
  const line =
    locale === 'de'
      ? `Haven: ${code} ist Ihr ${word}code, ${minutes} Min. gültig. Geben Sie ihn nie weiter.`
      : locale === 'nl'
        ? `Haven: ${code} is uw ${word}code, ${minutes} min. geldig. Geef hem nooit door.`
        : `Haven: ${code} is your ${word} code, valid for ${minutes} min. Never share it.`;
  return `${line}\n\n@${host} #${code}`;
}
