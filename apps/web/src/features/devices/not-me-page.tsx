import { Alert, Button, Paper, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { z } from 'zod';
import type { NotMeResponse } from '@haven/contracts';
import { CheckIcon } from '../../components/icons';
import { ErrorAlert } from '../../components/error-alert';
import { useDocumentTitle } from '../../components/page-header';
import { PublicLayout } from '../../components/public-layout';
import { api } from '../../lib/api';
import { useFragmentToken } from '../../lib/fragment-token';
import { useTokenAction } from '../../lib/use-token-action';

type NotMeBody = z.infer<typeof NotMeResponse>;

/**
 * "This wasn't me", from the e-mail about a new browser. Nothing happens on opening the page (a
 * mail scanner might open links); the person presses the button, and is then told in plain words
 * what was done: signed out everywhere, no browser trusted, a new password needed.
 */
export function NotMePage() {
  const { t } = useTranslation();
  useDocumentTitle(t('devices.notMe.title'));
  const token = useFragmentToken();
  const [confirmed, setConfirmed] = useState(false);
  const [state] = useTokenAction('not-me', token, (value) => api.post<NotMeBody>('/auth/not-me', { token: value }), confirmed);

  return (
    <PublicLayout>
      <Paper withBorder shadow="sm" p="xl">
        <Stack gap="md" aria-live="polite">
          <Title order={1} fz={24}>
            {t('devices.notMe.title')}
          </Title>
          {!confirmed && token ? (
            <>
              <Text size="sm">{t('devices.notMe.successHint')}</Text>
              <Button color="red" onClick={() => setConfirmed(true)} data-testid="not-me-confirm">
                {t('devices.notMe.title')}
              </Button>
            </>
          ) : null}
          {confirmed && state.status === 'pending' ? <Text c="dimmed">{t('devices.notMe.pending')}</Text> : null}
          {state.status === 'done' ? (
            <>
              <Alert color="green" icon={<CheckIcon />} role="status" data-testid="not-me-done">
                {t('devices.notMe.success', { count: state.data.sessionsEnded })}
              </Alert>
              <Text size="sm">{t('devices.notMe.successHint')}</Text>
            </>
          ) : null}
          {state.status === 'error' || state.status === 'missing' ? (
            <>
              {state.status === 'error' ? (
                <ErrorAlert error={state.error} />
              ) : (
                <Alert color="orange" role="alert">
                  {t('errors.TOKEN_INVALID')}
                </Alert>
              )}
              <Text size="sm" c="dimmed">
                {t('devices.notMe.failedHint')}
              </Text>
              <Button component={Link} to="/forgot-password" variant="default">
                {t('devices.notMe.toForgot')}
              </Button>
            </>
          ) : null}
        </Stack>
      </Paper>
    </PublicLayout>
  );
}
