import { Button, Group, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import type { Me } from '@haven/contracts';
import { LogoutIcon, ShieldCheckIcon } from '../../components/icons';
import { useDocumentTitle } from '../../components/page-header';
import { PublicLayout } from '../../components/public-layout';
import { api } from '../../lib/api';
import { useSession } from '../../session/session-provider';
import { TotpSetupWizard } from './totp-setup-wizard';

/**
 * A practice requires a second factor and this person has none yet: signed in with the password,
 * but nothing else is reachable (the route guards send every page here, the server answers
 * ENROLMENT_REQUIRED) until an authenticator app is set up. Signing out is the only other way.
 */
export function EnrolmentPage() {
  const { t } = useTranslation();
  const { me, signedIn, logout } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  useDocumentTitle(t('enrolment.title'));

  async function finished(next: Me | null) {
    const from = (location.state as { from?: unknown } | null)?.from;
    const target = typeof from === 'string' && from.startsWith('/') && !from.startsWith('/security/setup') ? from : '/';
    const fresh = next ?? (await api.get<Me>('/me').catch(() => null));
    // Leave the setup page first, so the in-app setup page never opens behind it.
    void navigate(target, { replace: true });
    if (fresh) signedIn(fresh);
  }

  return (
    <PublicLayout width={720}>
      <Stack gap="lg" data-testid="enrolment-page">
        <Group gap="md" wrap="nowrap" align="flex-start">
          <ThemeIcon size={48} radius="xl" variant="light" style={{ flex: 'none' }}>
            <ShieldCheckIcon size={26} />
          </ThemeIcon>
          <div>
            <Title order={1} fz={28}>
              {t('enrolment.title')}
            </Title>
            <Text c="dimmed">{t('enrolment.subtitle')}</Text>
          </div>
        </Group>
        <Paper withBorder shadow="sm" p={{ base: 'md', sm: 'xl' }}>
          <TotpSetupWizard enrolment onDone={(next) => void finished(next)} />
        </Paper>
        <Group justify="space-between" gap="sm">
          {me ? (
            <Text size="sm" c="dimmed" data-testid="enrolment-account" style={{ overflowWrap: 'anywhere' }}>
              {t('login.chooseSignedInAs', { name: me.account.name, email: me.account.email })}
            </Text>
          ) : (
            <span />
          )}
          <Button variant="default" leftSection={<LogoutIcon size={16} />} onClick={() => void logout()} data-testid="enrolment-logout">
            {t('shell.signOut')}
          </Button>
        </Group>
      </Stack>
    </PublicLayout>
  );
}
