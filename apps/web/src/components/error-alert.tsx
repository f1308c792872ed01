import { Alert, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../lib/api';
import { describeError } from '../lib/errors';
import { AlertIcon } from './icons';

/** A translated error for a form or page, announced to screen readers; never a stack trace. */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  const { t } = useTranslation();
  if (!error) return null;
  const requestId = error instanceof ApiError && error.status >= 500 ? error.requestId : null;
  return (
    <Alert color="red" variant="light" icon={<AlertIcon />} title={title} role="alert" data-testid="error-alert">
      <Text size="sm">{describeError(t, error)}</Text>
      {requestId ? (
        <Text size="xs" c="dimmed" mt={4}>
          {t('errorExtras.reference', { id: requestId })}
        </Text>
      ) : null}
    </Alert>
  );
}
