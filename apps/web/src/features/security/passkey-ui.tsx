import { Alert, Text } from '@mantine/core';
import type { SVGProps } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/error-alert';
import { InfoIcon } from '../../components/icons';
import { isApiError } from '../../lib/api';
import { PasskeyBrowserError } from './passkey-api';

/** A passkey: a person with a key beside them (the common passkey glyph, drawn here; decorative). */
export function PasskeyIcon({ size = 18, ...rest }: SVGProps<SVGSVGElement> & { size?: number }) {
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      {...rest}
    >
      <circle cx="9" cy="7" r="4" />
      <path d="M2 21v-1a6 6 0 0 1 10.5-4" />
      <circle cx="18" cy="11" r="2.5" />
      <path d="M18 13.5V21l1.5-1.5L18 18l1.5-1.5L18 15" />
    </svg>
  );
}

/**
 * What went wrong with a passkey, in plain words: the browser's side (cancelled, no passkey on
 * this device, already registered, not possible here) or the server's answer. A refused second
 * factor gets a passkey sentence instead of the one about codes.
 */
export function PasskeyErrorAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  if (error instanceof PasskeyBrowserError) {
    return (
      <Alert color={error.reason === 'cancelled' ? 'orange' : 'red'} variant="light" icon={<InfoIcon />} role="alert" data-testid="passkey-error" data-reason={error.reason}>
        <Text size="sm">{t(`passkeys.browser.${error.reason}`)}</Text>
      </Alert>
    );
  }
  if (isApiError(error, 'SECOND_FACTOR_INVALID')) {
    return (
      <Alert color="red" variant="light" icon={<InfoIcon />} role="alert" data-testid="passkey-error" data-reason="refused">
        <Text size="sm">{t('passkeys.secondFactor.failed')}</Text>
      </Alert>
    );
  }
  return <ErrorAlert error={error} />;
}
