import { ActionIcon, Alert, Anchor, Box, Button, Code, Group, Image, List, Skeleton, Stack, Stepper, Text, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Me } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { CheckIcon, CopyIcon, InfoIcon } from '../../components/icons';
import { api, isApiError } from '../../lib/api';
import type { ConfirmTotpResponseBody, TotpSetupBody } from '../../lib/types';
import { TotpCodeField } from './code-fields';
import { copyText, inGroupsOfFour, isTotpCode, securitySummaryKey, totpDigits } from './codes';
import { RecoveryCodesPanel } from './recovery-codes-panel';
import { isStepUpCancelled, useStepUp } from './step-up';

interface Props {
  /** Signing in waits for this (no step-up is asked then). */
  enrolment: boolean;
  /** After the recovery codes are stored; `me` when this finished an enrolment sign-in. */
  onDone(me: Me | null): void;
  /** Leave without setting up (not offered during enrolment: signing out is the way out). */
  onCancel?: () => void;
}

/**
 * Setting up an authenticator app in three steps: connect the app (QR code, or the key typed
 * in), prove it with a first code, store the recovery codes that come with it. Nothing is in force
 * until the first code is confirmed; the secret never leaves Haven (the QR code is made on the
 * server).
 */
export function TotpSetupWizard({ enrolment, onDone, onCancel }: Props) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const [active, setActive] = useState(0);
  const [setup, setSetup] = useState<TotpSetupBody | null>(null);
  const [setupError, setSetupError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | undefined>();
  const [confirmError, setConfirmError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<ConfirmTotpResponseBody | null>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const started = useRef(false);
  const narrow = useMediaQuery('(max-width: 36em)') ?? false;

  async function start() {
    setStarting(true);
    setSetupError(null);
    setSetup(null);
    try {
      setSetup(await withStepUp(() => api.post<TotpSetupBody>('/me/totp/setup')));
    } catch (caught) {
      setSetupError(caught);
    } finally {
      setStarting(false);
    }
  }

  // One secret per visit (a second request would replace the first one's secret).
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void start();
  }, []);

  async function confirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (confirming) return;
    if (!isTotpCode(code)) {
      setCodeError(t('secondFactor.totpFormat'));
      requestAnimationFrame(() => codeRef.current?.focus());
      return;
    }
    setCodeError(undefined);
    setConfirmError(null);
    setConfirming(true);
    try {
      const answer = await withStepUp(() => api.post<ConfirmTotpResponseBody>('/me/totp/confirm', { code: totpDigits(code) }));
      void queryClient.invalidateQueries({ queryKey: securitySummaryKey });
      if (answer.recoveryCodes && answer.recoveryCodes.length > 0) {
        setResult(answer);
        setActive(2);
      } else {
        onDone(answer.me);
      }
    } catch (caught) {
      if (!isStepUpCancelled(caught)) setConfirmError(caught);
      setCode('');
      requestAnimationFrame(() => codeRef.current?.focus());
    } finally {
      setConfirming(false);
    }
  }

  async function copySecret() {
    if (!setup) return;
    const copied = await copyText(setup.secret);
    notifications.show(copied ? { color: 'green', message: t('totpSetup.keyCopied') } : { color: 'red', message: t('recoveryCodes.copyFailed') });
  }

  const setupBroken = isApiError(confirmError, 'TOTP_SETUP_NOT_STARTED');

  return (
    <Stack gap="lg" data-testid="totp-setup" data-step={active + 1}>
      <Stepper active={active} size="sm" wrap={false} allowNextStepsSelect={false} aria-label={t('totpSetup.progress')} styles={{ separator: { marginInline: 8, minWidth: 12 } }}>
        {/* On a phone only the numbers: the heading below names the step. */}
        <Stepper.Step label={narrow ? undefined : t('totpSetup.steps.connect')} aria-label={t('totpSetup.steps.connect')} />
        <Stepper.Step label={narrow ? undefined : t('totpSetup.steps.confirm')} aria-label={t('totpSetup.steps.confirm')} />
        <Stepper.Step label={narrow ? undefined : t('totpSetup.steps.codes')} aria-label={t('totpSetup.steps.codes')} />
      </Stepper>

      {active === 0 ? (
        <Stack gap="md" data-testid="totp-setup-connect">
          <Text fw={600} component="h2" fz="lg">
            {t('totpSetup.connect.title')}
          </Text>
          <Text size="sm">{t('totpSetup.connect.what')}</Text>
          <Text size="sm" c="dimmed">
            {t('totpSetup.connect.apps')}
          </Text>
          <List type="ordered" size="sm" spacing={4}>
            <List.Item>{t('totpSetup.connect.step1')}</List.Item>
            <List.Item>{t('totpSetup.connect.step2')}</List.Item>
            <List.Item>{t('totpSetup.connect.step3')}</List.Item>
          </List>
          {setupError ? (
            <Stack gap="sm" align="flex-start">
              {isStepUpCancelled(setupError) ? (
                <Alert color="gray" variant="light" icon={<InfoIcon />} data-testid="totp-setup-stepup-cancelled">
                  <Text size="sm">{t('totpSetup.stepUpCancelled')}</Text>
                </Alert>
              ) : (
                <ErrorAlert error={setupError} />
              )}
              {isApiError(setupError, 'TOTP_ALREADY_ENROLLED') ? null : (
                <Button variant="default" onClick={() => void start()} loading={starting}>
                  {t('common.tryAgain')}
                </Button>
              )}
            </Stack>
          ) : (
            <Group align="flex-start" gap="xl" wrap="wrap">
              <Box w={208} style={{ flex: 'none' }}>
                {setup ? (
                  <Image
                    src={setup.qrCode}
                    alt={t('totpSetup.connect.qrAlt')}
                    w={208}
                    h={208}
                    radius="sm"
                    bd="1px solid var(--mantine-color-gray-3)"
                    bg="white"
                    data-testid="totp-qr"
                  />
                ) : (
                  <Skeleton w={208} h={208} />
                )}
              </Box>
              <Stack gap={6} style={{ flex: '1 1 220px', minWidth: 0 }}>
                <Text size="sm" fw={600}>
                  {t('totpSetup.connect.keyLabel')}
                </Text>
                <Text size="sm" c="dimmed">
                  {t('totpSetup.connect.keyHint')}
                </Text>
                {setup ? (
                  <Group gap="xs" wrap="nowrap" align="center">
                    <Code
                      fz="md"
                      p="xs"
                      data-testid="totp-secret"
                      style={{ wordSpacing: '0.15em', overflowWrap: 'anywhere', userSelect: 'all' }}
                    >
                      {inGroupsOfFour(setup.secret)}
                    </Code>
                    <Tooltip label={t('totpSetup.connect.copyKey')} withArrow>
                      <ActionIcon variant="default" size="lg" onClick={() => void copySecret()} aria-label={t('totpSetup.connect.copyKey')} data-testid="totp-secret-copy">
                        <CopyIcon size={16} />
                      </ActionIcon>
                    </Tooltip>
                  </Group>
                ) : (
                  <Skeleton h={36} w="100%" maw={300} />
                )}
                <Text size="xs" c="dimmed">
                  {t('totpSetup.connect.keyDetails')}
                </Text>
              </Stack>
            </Group>
          )}
          <Group justify={onCancel ? 'space-between' : 'flex-end'} gap="sm">
            {onCancel ? (
              <Button variant="subtle" onClick={onCancel} data-testid="totp-setup-cancel">
                {t('totpSetup.cancel')}
              </Button>
            ) : null}
            <Button onClick={() => setActive(1)} disabled={!setup} data-testid="totp-setup-next">
              {t('totpSetup.connect.next')}
            </Button>
          </Group>
        </Stack>
      ) : null}

      {active === 1 ? (
        <form onSubmit={confirm} noValidate data-testid="totp-confirm-form">
          <Stack gap="md">
            <Text fw={600} component="h2" fz="lg">
              {t('totpSetup.confirm.title')}
            </Text>
            <Text size="sm">{t('totpSetup.confirm.body')}</Text>
            <ErrorAlert error={confirmError} />
            {isApiError(confirmError, 'SECOND_FACTOR_INVALID') ? (
              <Text size="sm" c="dimmed" data-testid="totp-confirm-clock-hint">
                {t('totpSetup.confirm.clockHint')}
              </Text>
            ) : null}
            {setupBroken ? (
              <Anchor
                component="button"
                type="button"
                size="sm"
                style={{ alignSelf: 'flex-start', textAlign: 'start' }}
                onClick={() => {
                  setConfirmError(null);
                  setActive(0);
                  void start();
                }}
              >
                {t('totpSetup.confirm.restart')}
              </Anchor>
            ) : null}
            <TotpCodeField ref={codeRef} value={code} onChange={setCode} error={codeError} autoFocus />
            <Group justify="space-between" gap="sm">
              <Button variant="subtle" onClick={() => setActive(0)} disabled={confirming} data-testid="totp-confirm-back">
                {t('totpSetup.back')}
              </Button>
              <Button type="submit" loading={confirming} leftSection={<CheckIcon size={16} />} data-testid="totp-confirm-submit">
                {t('totpSetup.confirm.submit')}
              </Button>
            </Group>
          </Stack>
        </form>
      ) : null}

      {active === 2 && result?.recoveryCodes ? (
        <Stack gap="md" data-testid="totp-setup-codes">
          <Text fw={600} component="h2" fz="lg">
            {t('totpSetup.codes.title')}
          </Text>
          <Alert color="green" variant="light" icon={<CheckIcon />} data-testid="totp-setup-confirmed">
            <Text size="sm">{enrolment ? t('totpSetup.codes.confirmedEnrolment') : t('totpSetup.codes.confirmed')}</Text>
          </Alert>
          <RecoveryCodesPanel codes={result.recoveryCodes} onDone={() => onDone(result.me)} doneLabel={enrolment ? t('totpSetup.codes.continue') : undefined} />
        </Stack>
      ) : null}
    </Stack>
  );
}
