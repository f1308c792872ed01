import { Alert, Button, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Me } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { CheckIcon } from '../../components/icons';
import { useDocumentTitle } from '../../components/page-header';
import { PublicLayout } from '../../components/public-layout';
import { api, isApiError } from '../../lib/api';
import { useFragmentToken } from '../../lib/fragment-token';
import { useTokenAction } from '../../lib/use-token-action';
import { useSession } from '../../session/session-provider';
import { LoginForm } from './login-form';

/**
 * Confirms a changed e-mail address from the link sent to the new address. If the confirmation
 * needs a signed-in session, the user signs in here and the token (kept in memory only) is
 * sent right after.
 */
export function ConfirmEmailPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('confirmEmail.title'));
  const token = useFragmentToken();
  const { status, signedIn, setMe } = useSession();
  const [state, retry] = useTokenAction(
    'confirm-email',
    token,
    (value) => api.post<unknown>('/me/email/confirm', { token: value }),
    status !== 'loading',
  );
  const needsLogin = state.status === 'error' && isApiError(state.error, 'AUTH_REQUIRED');

  useEffect(() => {
    if (state.status === 'done' && status === 'authenticated') {
      api.get<Me>('/me').then(setMe, () => undefined);
    }
  }, [state.status, status, setMe]);

  return (
    <PublicLayout>
      <Stack gap="lg">
        <Title order={1} fz={28}>
          {t('confirmEmail.title')}
        </Title>
        <Paper withBorder shadow="sm" p="xl">
          <Stack gap="md" aria-live="polite">
            {state.status === 'pending' ? (
              <Stack align="center" py="md" role="status">
                <Loader />
                <Text c="dimmed">{t('confirmEmail.pending')}</Text>
              </Stack>
            ) : null}
            {state.status === 'done' ? (
              <>
                <Alert color="green" icon={<CheckIcon />} role="status" data-testid="confirm-email-success">
                  {t('confirmEmail.success')}
                </Alert>
                <Button component={Link} to={status === 'authenticated' ? '/profile' : '/login'}>
                  {status === 'authenticated' ? t('confirmEmail.toProfile') : t('verify.toLogin')}
                </Button>
              </>
            ) : null}
            {needsLogin ? (
              <>
                <Text size="sm">{t('confirmEmail.signInFirst')}</Text>
                <LoginForm
                  onAuthenticated={(me) => {
                    signedIn(me);
                    retry();
                  }}
                />
              </>
            ) : null}
            {state.status === 'error' && !needsLogin ? (
              <>
                <ErrorAlert error={state.error} />
                {isApiError(state.error, 'SESSION_LOCKED') ? (
                  <Button variant="default" onClick={retry}>
                    {t('common.tryAgain')}
                  </Button>
                ) : (
                  <Button component={Link} to="/" variant="default">
                    {t('common.continue')}
                  </Button>
                )}
              </>
            ) : null}
            {state.status === 'missing' ? (
              <Alert color="orange" role="alert">
                {t('errors.TOKEN_INVALID')}
              </Alert>
            ) : null}
          </Stack>
        </Paper>
      </Stack>
    </PublicLayout>
  );
}
