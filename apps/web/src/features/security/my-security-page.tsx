import { Alert, Badge, Button, Card, Group, Modal, Skeleton, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon, InfoIcon, KeyIcon, PhoneIcon, ShieldCheckIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { api } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import type { RecoveryCodesBody, SecuritySummaryBody } from '../../lib/types';
import { fetchSecuritySummary, securitySummaryKey } from './codes';
import { CodeFactorsPanel } from './code-factors-panel';
import { TrustedDevicesPanel } from '../devices/trusted-devices-panel';
import { PasskeysPanel } from './passkeys-panel';
import { RecoveryCodesPanel } from './recovery-codes-panel';
import { isStepUpCancelled, useStepUp } from './step-up';

/** Recovery codes per set (the server makes ten). */
const codesPerSet = 10;
/** From this many left on, the page suggests a new set. */
const lowCodes = 3;

/**
 * My security (staff at `/security`, patients at `/portal/security` with their own `why` and
 * `setupPath`): the second factor of this account (all its practices share it), the recovery codes
 * left, and why this matters. Removing the app and making new codes need a recent proof (step-up).
 */
export function MySecurityPage({ setupPath = '/security/setup', why, description }: { setupPath?: string; why?: string; description?: string }) {
  const { t } = useTranslation();
  const summary = useQuery({ queryKey: securitySummaryKey, queryFn: fetchSecuritySummary });
  return (
    <>
      <PageHeader title={t('mySecurity.title')} description={description ?? t('mySecurity.subtitle')} />
      <Stack gap="lg" maw={760} data-testid="my-security">
        <Card withBorder padding="lg">
          <Group gap="sm" wrap="nowrap" align="flex-start">
            <ThemeIcon variant="light" size={36} radius="xl" style={{ flex: 'none' }}>
              <ShieldCheckIcon />
            </ThemeIcon>
            <div>
              <Title order={2} fz="lg">
                {t('mySecurity.why.title')}
              </Title>
              <Text size="sm" mt={4}>
                {why ?? t('mySecurity.why.body')}
              </Text>
            </div>
          </Group>
        </Card>
        {summary.data ? (
          <SecurityCards summary={summary.data} setupPath={setupPath} />
        ) : summary.isError ? (
          <ErrorAlert error={summary.error} />
        ) : (
          <>
            <Skeleton height={160} />
            <Skeleton height={140} />
          </>
        )}
        <TrustedDevicesPanel />
      </Stack>
    </>
  );
}

function SecurityCards({ summary, setupPath }: { summary: SecuritySummaryBody; setupPath: string }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const [removeOpen, setRemoveOpen] = useState(false);
  const [removing, setRemoving] = useState(false);
  const [removeError, setRemoveError] = useState<unknown>(null);
  const [regenerateOpen, setRegenerateOpen] = useState(false);
  const [regenerating, setRegenerating] = useState(false);
  const [regenerateError, setRegenerateError] = useState<unknown>(null);
  const [newCodes, setNewCodes] = useState<string[] | null>(null);

  const totp = summary.totp;
  const codes = summary.recoveryCodes;
  // A passkey is a second factor as much as the app is: either brings and keeps the recovery codes.
  const hasFactor = totp !== null || summary.passkeys > 0 || summary.emailCode !== null || summary.phone?.verifiedAt != null;
  const refresh = () => queryClient.invalidateQueries({ queryKey: securitySummaryKey });

  async function remove() {
    setRemoving(true);
    setRemoveError(null);
    try {
      await withStepUp(() => api.delete('/me/totp'));
      setRemoveOpen(false);
      notifications.show({ color: 'green', message: t('mySecurity.app.removed') });
      await refresh();
    } catch (caught) {
      if (!isStepUpCancelled(caught)) setRemoveError(caught);
    } finally {
      setRemoving(false);
    }
  }

  async function regenerate() {
    setRegenerating(true);
    setRegenerateError(null);
    try {
      const result = await withStepUp(() => api.post<RecoveryCodesBody>('/me/recovery-codes'));
      setRegenerateOpen(false);
      setNewCodes(result.codes);
      void refresh();
    } catch (caught) {
      if (!isStepUpCancelled(caught)) setRegenerateError(caught);
    } finally {
      setRegenerating(false);
    }
  }

  return (
    <>
      {summary.required ? (
        <Alert color="haven" variant="light" icon={<InfoIcon />} data-testid="security-required-notice">
          <Text size="sm">{hasFactor ? t('mySecurity.requiredWithApp') : t('mySecurity.requiredWithoutApp')}</Text>
        </Alert>
      ) : null}

      <PasskeysPanel summary={summary} />

      <Card withBorder padding="lg" data-testid="totp-status" data-state={totp ? 'on' : 'off'}>
        <Stack gap="md">
          <Group justify="space-between" wrap="nowrap" align="flex-start">
            <Group gap="sm" wrap="nowrap" align="flex-start">
              <ThemeIcon variant="light" size={36} radius="xl" style={{ flex: 'none' }}>
                <PhoneIcon />
              </ThemeIcon>
              <div>
                <Title order={2} fz="lg">
                  {t('mySecurity.app.title')}
                </Title>
                <Text size="sm" c="dimmed">
                  {t('mySecurity.app.subtitle')}
                </Text>
              </div>
            </Group>
            <Badge color={totp ? 'green' : 'gray'} variant="light" style={{ flex: 'none' }} data-testid="totp-badge">
              {totp ? t('mySecurity.app.on') : t('mySecurity.app.off')}
            </Badge>
          </Group>
          {totp ? (
            <>
              <Stack gap={2}>
                <Text size="sm" data-testid="totp-confirmed-at">
                  {t('mySecurity.app.since', { date: formatDateTime(totp.confirmedAt, locale) })}
                </Text>
                <Text size="sm" data-testid="totp-last-used">
                  {totp.lastUsedAt ? t('mySecurity.app.lastUsed', { date: formatDateTime(totp.lastUsedAt, locale) }) : t('mySecurity.app.neverUsed')}
                </Text>
              </Stack>
              <Group justify="flex-end">
                <Button
                  variant="default"
                  color="red"
                  c="red.8"
                  onClick={() => {
                    setRemoveError(null);
                    setRemoveOpen(true);
                  }}
                  data-testid="totp-remove"
                >
                  {t('mySecurity.app.remove')}
                </Button>
              </Group>
            </>
          ) : (
            <>
              <Text size="sm">{summary.passkeys > 0 ? t('mySecurity.app.noneWithPasskeys') : t('mySecurity.app.none')}</Text>
              <Group justify="flex-end">
                <Button component={Link} to={setupPath} leftSection={<PhoneIcon size={16} />} data-testid="totp-setup-link">
                  {t('mySecurity.app.setUp')}
                </Button>
              </Group>
            </>
          )}
        </Stack>
      </Card>

      <CodeFactorsPanel summary={summary} />

      <Card withBorder padding="lg" data-testid="recovery-status">
        <Stack gap="md">
          <Group gap="sm" wrap="nowrap" align="flex-start">
            <ThemeIcon variant="light" size={36} radius="xl" style={{ flex: 'none' }}>
              <KeyIcon />
            </ThemeIcon>
            <div>
              <Title order={2} fz="lg">
                {t('mySecurity.codes.title')}
              </Title>
              <Text size="sm" c="dimmed">
                {t('mySecurity.codes.subtitle')}
              </Text>
            </div>
          </Group>
          {newCodes ? (
            <RecoveryCodesPanel
              codes={newCodes}
              onDone={() => {
                setNewCodes(null);
                notifications.show({ color: 'green', message: t('mySecurity.codes.stored') });
              }}
            />
          ) : hasFactor && codes ? (
            <>
              <Stack gap={2}>
                <Text size="sm" fw={600} data-testid="recovery-remaining" data-remaining={codes.remaining}>
                  {t('mySecurity.codes.remaining', { count: codes.remaining, total: String(codesPerSet) })}
                </Text>
                <Text size="sm" c="dimmed">
                  {t('mySecurity.codes.created', { date: formatDateTime(codes.createdAt, locale) })}
                </Text>
              </Stack>
              {codes.remaining <= lowCodes ? (
                <Alert color="orange" variant="light" icon={<AlertIcon />} data-testid="recovery-low-warning">
                  <Text size="sm">{codes.remaining === 0 ? t('mySecurity.codes.none') : t('mySecurity.codes.low', { count: codes.remaining })}</Text>
                </Alert>
              ) : null}
              <Group justify="flex-end">
                <Button
                  variant={codes.remaining <= lowCodes ? 'filled' : 'default'}
                  onClick={() => {
                    setRegenerateError(null);
                    setRegenerateOpen(true);
                  }}
                  data-testid="recovery-regenerate"
                >
                  {t('mySecurity.codes.regenerate')}
                </Button>
              </Group>
            </>
          ) : hasFactor ? (
            <Group justify="space-between">
              <Text size="sm">{t('mySecurity.codes.missing')}</Text>
              <Button onClick={() => setRegenerateOpen(true)} data-testid="recovery-regenerate">
                {t('mySecurity.codes.regenerate')}
              </Button>
            </Group>
          ) : (
            <Text size="sm" c="dimmed">
              {t('mySecurity.codes.withFactor')}
            </Text>
          )}
        </Stack>
      </Card>

      <Modal opened={removeOpen} onClose={() => (removing ? undefined : setRemoveOpen(false))} title={t('mySecurity.app.removeTitle')} centered>
        <Stack gap="lg" data-testid="totp-remove-dialog">
          <Text size="sm">{summary.passkeys > 0 ? t('mySecurity.app.removeBodyWithPasskeys') : t('mySecurity.app.removeBody')}</Text>
          <ErrorAlert error={removeError} />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={() => setRemoveOpen(false)} disabled={removing} data-testid="totp-remove-cancel">
              {t('mySecurity.cancel')}
            </Button>
            <Button color="red" onClick={() => void remove()} loading={removing} data-testid="totp-remove-confirm">
              {t('mySecurity.app.removeConfirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>

      <Modal opened={regenerateOpen} onClose={() => (regenerating ? undefined : setRegenerateOpen(false))} title={t('mySecurity.codes.regenerateTitle')} centered>
        <Stack gap="lg" data-testid="recovery-regenerate-dialog">
          <Text size="sm">{t('mySecurity.codes.regenerateBody')}</Text>
          <ErrorAlert error={regenerateError} />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={() => setRegenerateOpen(false)} disabled={regenerating} data-testid="recovery-regenerate-cancel">
              {t('mySecurity.cancel')}
            </Button>
            <Button onClick={() => void regenerate()} loading={regenerating} data-testid="recovery-regenerate-confirm">
              {t('mySecurity.codes.regenerateConfirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
