import { Alert, Button, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { CheckIcon } from '../../components/icons';
import { ErrorAlert } from '../../components/error-alert';
import { useDocumentTitle } from '../../components/page-header';
import { PublicLayout } from '../../components/public-layout';
import { api } from '../../lib/api';
import { useFragmentToken } from '../../lib/fragment-token';
import { useTokenAction } from '../../lib/use-token-action';

/**
 * The link from the "Was this you?" e-mail: opening it confirms the held sign-in, whichever device
 * shows the mail. The waiting browser then continues by itself.
 */
export function ConfirmSignInPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('devices.confirmSignIn.title'));
  const token = useFragmentToken();
  const [state] = useTokenAction('confirm-sign-in', token, (value) => api.post<{ confirmed: true }>('/auth/confirm-sign-in', { token: value }));

  return (
    <PublicLayout>
      <Paper withBorder shadow="sm" p="xl">
        <Stack gap="md" aria-live="polite">
          <Title order={1} fz={24}>
            {t('devices.confirmSignIn.title')}
          </Title>
          {state.status === 'pending' ? (
            <Stack align="center" py="md" role="status">
              <Loader />
              <Text c="dimmed">{t('devices.confirmSignIn.pending')}</Text>
            </Stack>
          ) : null}
          {state.status === 'done' ? (
            <>
              <Alert color="green" icon={<CheckIcon />} role="status" data-testid="confirm-sign-in-success">
                {t('devices.confirmSignIn.success')}
              </Alert>
              <Text size="sm">{t('devices.confirmSignIn.successHint')}</Text>
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
              <Text size="sm" c="dimmed" data-testid="confirm-sign-in-failed">
                {t('devices.confirmSignIn.failedHint')}
              </Text>
              <Button component={Link} to="/login" variant="default">
                {t('devices.confirmSignIn.toLogin')}
              </Button>
            </>
          ) : null}
        </Stack>
      </Paper>
    </PublicLayout>
  );
}
