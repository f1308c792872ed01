import { Alert, Anchor, Paper, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { InfoIcon } from '../../components/icons';
import { useDocumentTitle } from '../../components/page-header';
import { PublicLayout } from '../../components/public-layout';
import { useSession } from '../../session/session-provider';
import { LoginForm, type LoginStep } from './login-form';

/** Why the user landed on the login page, passed in router state by whoever sent them. */
export type LoginNotice =
  | { reason: 'expired' | 'signedOut' | 'passwordReset' | 'verified' | 'emailConfirmed' }
  | { reason: 'joined'; organisationName: string; email?: string }
  | { reason: 'portalJoined'; organisationName: string; email?: string };

export function LoginPage() {
  const { t } = useTranslation();
  const { signedIn, pendingSecondFactor, forgetPendingSecondFactor, pendingConfirmation } = useSession();
  const [step, setStep] = useState<LoginStep>('password');
  const navigate = useNavigate();
  const location = useLocation();
  const state = (location.state ?? null) as (Partial<LoginNotice> & { from?: string; email?: string }) | null;
  useDocumentTitle(t('login.title'));

  const notice = (() => {
    switch (state?.reason) {
      case 'expired':
        return t('login.notice.expired');
      case 'signedOut':
        return t('login.notice.signedOut');
      case 'passwordReset':
        return t('login.notice.passwordReset');
      case 'verified':
        return t('login.notice.verified');
      case 'emailConfirmed':
        return t('login.notice.emailConfirmed');
      case 'joined':
        return t('login.notice.joined', { organisation: (state as { organisationName?: string }).organisationName ?? '' });
      case 'portalJoined':
        return t('login.notice.portalJoined', { organisation: (state as { organisationName?: string }).organisationName ?? '' });
      default:
        return null;
    }
  })();

  return (
    <PublicLayout>
      <Stack gap="lg">
        <div>
          <Title order={1} fz={28}>
            {t('login.title')}
          </Title>
          <Text c="dimmed">{step === 'second_factor' ? t('secondFactor.subtitle') : t('login.subtitle')}</Text>
        </div>
        {notice && step === 'password' ? (
          <Alert icon={<InfoIcon />} color={state?.reason === 'expired' ? 'orange' : 'haven'} role="status" data-testid="login-notice">
            {notice}
          </Alert>
        ) : null}
        <Paper withBorder shadow="sm" p="xl">
          <LoginForm
            initialEmail={state?.email ?? ''}
            resumeSecondFactor={pendingSecondFactor}
            resumeConfirmation={pendingConfirmation}
            onStepChange={setStep}
            onSecondFactorSettled={forgetPendingSecondFactor}
            onAuthenticated={(me) => {
              signedIn(me);
              const from = state?.from;
              void navigate(typeof from === 'string' && from.startsWith('/') ? from : '/', { replace: true });
            }}
          />
        </Paper>
        <Text size="sm" ta="center">
          {t('login.noAccount')}{' '}
          <Anchor component={Link} to="/signup">
            {t('login.signupLink')}
          </Anchor>
        </Text>
      </Stack>
    </PublicLayout>
  );
}
