import { TextInput } from '@mantine/core';
import type { Ref } from 'react';
import { useTranslation } from 'react-i18next';
import { totpDigits } from './codes';

interface CodeFieldProps {
  value: string;
  onChange(value: string): void;
  error?: string | undefined;
  autoFocus?: boolean;
  label?: string;
  description?: string;
  ref?: Ref<HTMLInputElement>;
}

/**
 * The six digits from an authenticator app: one field (paste-friendly, the phone offers the
 * number keyboard and browsers may fill a code they received), digits only, at most six.
 */
export function TotpCodeField({ value, onChange, error, autoFocus, label, description, ref }: CodeFieldProps) {
  const { t } = useTranslation();
  return (
    <TextInput
      ref={ref}
      label={label ?? t('secondFactor.totpLabel')}
      description={description}
      value={value}
      onChange={(event) => onChange(totpDigits(event.currentTarget.value).slice(0, 6))}
      error={error}
      autoComplete="one-time-code"
      inputMode="numeric"
      autoFocus={autoFocus}
      data-autofocus={autoFocus || undefined}
      spellCheck={false}
      maw={240}
      size="md"
      styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', letterSpacing: '0.3em', fontSize: 20 } }}
      required
      data-testid="totp-code-input"
    />
  );
}

/** A recovery code as printed (7 groups of 4 with hyphens) or typed without them. */
export function RecoveryCodeField({ value, onChange, error, autoFocus, label, description, ref }: CodeFieldProps) {
  const { t } = useTranslation();
  return (
    <TextInput
      ref={ref}
      label={label ?? t('secondFactor.recoveryLabel')}
      description={description ?? t('secondFactor.recoveryHint')}
      value={value}
      onChange={(event) => onChange(event.currentTarget.value.slice(0, 64))}
      error={error}
      autoComplete="off"
      autoCapitalize="characters"
      autoCorrect="off"
      autoFocus={autoFocus}
      data-autofocus={autoFocus || undefined}
      spellCheck={false}
      placeholder="XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX"
      styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
      inputWrapperOrder={['label', 'input', 'description', 'error']}
      required
      data-testid="recovery-code-input"
    />
  );
}
