import { Badge, Button, Group, Paper, Radio, SimpleGrid, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import type { Me } from '@haven/contracts';
import { useQuery } from '@tanstack/react-query';
import { LogoutIcon, MailIcon, PasskeyIcon, PhoneIcon, ShieldCheckIcon } from '../../components/icons';
import { useDocumentTitle } from '../../components/page-header';
import { PublicLayout } from '../../components/public-layout';
import { api } from '../../lib/api';
import { useSession } from '../../session/session-provider';
import { CodeFactorSetup } from './code-factor-setup';
import { fetchSecuritySummary, securitySummaryKey } from './codes';
import { passkeysSupported } from './passkey-api';
import { PasskeySetup } from './passkey-setup';
import { TotpSetupWizard } from './totp-setup-wizard';

type FactorChoice = 'passkey' | 'totp' | 'sms' | 'email_code';

/**
 * A practice requires a second factor and this person has none yet: signed in with the password,
 * but nothing else is reachable (the route guards send every page here, the server answers
 * ENROLMENT_REQUIRED) until a passkey or an authenticator app is set up. The passkey comes first:
 * it is the one a fake sign-in page cannot catch. Signing out is the only other way.
 */
export function EnrolmentPage() {
  const { t } = useTranslation();
  const { me, signedIn, logout } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  useDocumentTitle(t('enrolment.title'));
  // The app stays the preselected choice for now (the browser tests of the app setup start here);
  // the passkey is offered first and marked as recommended.
  const [choice, setChoice] = useState<FactorChoice>('totp');
  const canUsePasskeys = passkeysSupported();
  // Only the kinds the person's practices allow are offered (the server refuses the others).
  const summary = useQuery({ queryKey: securitySummaryKey, queryFn: fetchSecuritySummary });
  const allowed = summary.data?.allowedFactors ?? ['passkey', 'totp'];
  const offers = (kind: FactorChoice) => allowed.includes(kind);
  const current: FactorChoice = offers(choice) ? choice : offers('totp') ? 'totp' : 'passkey';

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
        <Radio.Group value={current} onChange={(value) => setChoice(value as FactorChoice)} label={t('enrolment.choose')} data-testid="enrolment-choice">
          <SimpleGrid cols={{ base: 1, sm: 2 }} mt="xs">
            <Radio.Card value="passkey" p="md" radius="md" disabled={!canUsePasskeys || !offers('passkey')} data-testid="enrolment-choose-passkey">
              <Group wrap="nowrap" align="flex-start" gap="sm">
                <Radio.Indicator />
                <div>
                  <Group gap="xs">
                    <PasskeyIcon size={18} />
                    <Text fw={600}>{t('enrolment.passkeyOption')}</Text>
                    <Badge size="sm" color="green" variant="light">
                      {t('passkeys.recommended')}
                    </Badge>
                  </Group>
                  <Text size="sm" c="dimmed" mt={4}>
                    {t('enrolment.passkeyOptionHint')}
                  </Text>
                </div>
              </Group>
            </Radio.Card>
            <Radio.Card value="totp" p="md" radius="md" disabled={!offers('totp')} data-testid="enrolment-choose-totp">
              <Group wrap="nowrap" align="flex-start" gap="sm">
                <Radio.Indicator />
                <div>
                  <Group gap="xs">
                    <PhoneIcon size={18} />
                    <Text fw={600}>{t('enrolment.appOption')}</Text>
                  </Group>
                  <Text size="sm" c="dimmed" mt={4}>
                    {t('enrolment.appOptionHint')}
                  </Text>
                </div>
              </Group>
            </Radio.Card>
            {offers('sms') ? (
              <Radio.Card value="sms" p="md" radius="md" data-testid="enrolment-choose-sms">
                <Group wrap="nowrap" align="flex-start" gap="sm">
                  <Radio.Indicator />
                  <div>
                    <Group gap="xs">
                      <PhoneIcon size={18} />
                      <Text fw={600}>{t('codeFactors.smsOption')}</Text>
                      <Badge size="sm" color="yellow" variant="light">
                        {t('codeFactors.lessSafe')}
                      </Badge>
                    </Group>
                    <Text size="sm" c="dimmed" mt={4}>
                      {t('codeFactors.smsOptionHint')}
                    </Text>
                  </div>
                </Group>
              </Radio.Card>
            ) : null}
            {offers('email_code') ? (
              <Radio.Card value="email_code" p="md" radius="md" data-testid="enrolment-choose-email">
                <Group wrap="nowrap" align="flex-start" gap="sm">
                  <Radio.Indicator />
                  <div>
                    <Group gap="xs">
                      <MailIcon size={18} />
                      <Text fw={600}>{t('codeFactors.emailOption')}</Text>
                      <Badge size="sm" color="orange" variant="light">
                        {t('codeFactors.leastSafe')}
                      </Badge>
                    </Group>
                    <Text size="sm" c="dimmed" mt={4}>
                      {t('codeFactors.emailOptionHint')}
                    </Text>
                  </div>
                </Group>
              </Radio.Card>
            ) : null}
          </SimpleGrid>
        </Radio.Group>
        <Paper withBorder shadow="sm" p={{ base: 'md', sm: 'xl' }}>
          {current === 'sms' || current === 'email_code' ? (
            <CodeFactorSetup key={current} method={current} enrolment onDone={(next) => void finished(next)} />
          ) : current === 'passkey' ? (
            <Stack gap="md">
              <Text fw={600} component="h2" fz="lg">
                {t('passkeys.setup.title')}
              </Text>
              <Text size="sm">{t('passkeys.why')}</Text>
              <PasskeySetup enrolment onDone={({ me: next }) => void finished(next)} />
            </Stack>
          ) : (
            <TotpSetupWizard enrolment onDone={(next) => void finished(next)} />
          )}
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
