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

export function VerifyEmailPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('verify.title'));
  const token = useFragmentToken();
  const [state] = useTokenAction('verify-email', token, (value) => api.post<{ verified: true }>('/auth/verify-email', { token: value }));

  return (
    <PublicLayout>
      <Paper withBorder shadow="sm" p="xl">
        <Stack gap="md" aria-live="polite">
          <Title order={1} fz={24}>
            {t('verify.title')}
          </Title>
          {state.status === 'pending' ? (
            <Stack align="center" py="md" role="status">
              <Loader />
              <Text c="dimmed">{t('verify.pending')}</Text>
            </Stack>
          ) : null}
          {state.status === 'done' ? (
            <>
              <Alert color="green" icon={<CheckIcon />} role="status" data-testid="verify-success">
                {t('verify.success')}
              </Alert>
              <Button component={Link} to="/login" state={{ reason: 'verified' }}>
                {t('verify.toLogin')}
              </Button>
            </>
          ) : null}
          {state.status === 'error' ? (
            <>
              <ErrorAlert error={state.error} />
              <Text size="sm" c="dimmed">
                {t('verify.failedHint')}
              </Text>
              <Button component={Link} to="/login" variant="default">
                {t('verify.toLogin')}
              </Button>
            </>
          ) : null}
          {state.status === 'missing' ? (
            <>
              <Alert color="orange" role="alert">
                {t('errors.TOKEN_INVALID')}
              </Alert>
              <Button component={Link} to="/login" variant="default">
                {t('verify.toLogin')}
              </Button>
            </>
          ) : null}
        </Stack>
      </Paper>
    </PublicLayout>
  );
}
