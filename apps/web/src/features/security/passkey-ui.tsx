import { Alert, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/error-alert';
import { InfoIcon } from '../../components/icons';
import { isApiError } from '../../lib/api';
import { PasskeyBrowserError } from './passkey-api';

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
