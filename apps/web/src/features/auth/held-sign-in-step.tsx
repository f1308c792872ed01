import { Alert, Anchor, Button, Group, Loader, Stack, Text, ThemeIcon } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/error-alert';
import { InfoIcon, MailIcon } from '../../components/icons';
import { api, isApiError } from '../../lib/api';
import type { LoginResponseBody, SessionStateBody } from '../../lib/types';

export type ContinuedSignIn = Extract<LoginResponseBody, { status: 'authenticated' | 'choose_organisation' | 'enrolment_required' }>;

interface Props {
  /** When the link in the e-mail stops working (unknown after a reload). */
  expiresAt: string | null;
  onSignedIn(result: ContinuedSignIn): void;
  /** The held sign-in ended (link expired, signed out elsewhere) or was cancelled. */
  onGone(error: unknown): void;
}

/** How often the waiting page asks whether the link was opened (a passive read). */
const pollMs = 3000;
/** Errors after which this sign-in cannot go on: it has ended. */
const gone = ['AUTH_REQUIRED', 'SESSION_EXPIRED', 'SIGN_IN_CONFIRMATION_EXPIRED', 'SIGN_IN_NOT_HELD'] as const;

/**
 * A suspicious sign-in (a new country, travel faster than possible, many failed attempts) waits
 * until the person opens the link sent to their e-mail address — on this device or another. The
 * page notices by itself (it asks every few seconds) or on "I confirmed, continue".
 */
export function HeldSignInStep({ expiresAt, onSignedIn, onGone }: Props) {
  const { t } = useTranslation();
  const [pending, setPending] = useState(false);
  const [notYet, setNotYet] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const busy = useRef(false);

  const continueSignIn = useCallback(
    async (fromButton: boolean) => {
      if (busy.current) return;
      busy.current = true;
      setPending(true);
      setError(null);
      try {
        onSignedIn(await api.post<ContinuedSignIn>('/auth/confirm-sign-in/continue'));
      } catch (caught) {
        if (gone.some((code) => isApiError(caught, code))) onGone(caught);
        else if (isApiError(caught, 'SIGN_IN_NOT_CONFIRMED')) setNotYet(fromButton);
        else setError(caught);
      } finally {
        busy.current = false;
        setPending(false);
      }
    },
    [onGone, onSignedIn],
  );

  useEffect(() => {
    const timer = window.setInterval(() => {
      void api
        .get<SessionStateBody>('/auth/session')
        .then((state) => {
          if (state.state === 'none') onGone(null);
          else if (state.pending === 'confirmed') void continueSignIn(false);
        })
        .catch(() => undefined);
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [continueSignIn, onGone]);

  async function cancel() {
    try {
      await api.post<void>('/auth/logout');
    } catch {
      // An unconfirmed sign-in ends by itself after 15 minutes.
    }
    onGone(null);
  }

  const until = expiresAt ? new Date(expiresAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : null;
  return (
    <Stack gap="md" data-testid="held-sign-in" aria-live="polite">
      <Group gap="sm" wrap="nowrap" align="flex-start">
        <ThemeIcon variant="light" size={40} radius="xl" style={{ flex: 'none' }}>
          <MailIcon size={20} />
        </ThemeIcon>
        <div>
          <Text fw={600} fz="lg" component="h2">
            {t('devices.held.title')}
          </Text>
          <Text size="sm" c="dimmed">
            {t('devices.held.prompt')}
          </Text>
        </div>
      </Group>
      <Text size="sm">{until ? t('devices.held.validUntil', { time: until }) : t('devices.held.valid')}</Text>
      <Group gap="xs" c="dimmed">
        <Loader size="xs" />
        <Text size="sm" c="dimmed">
          {t('devices.held.waiting')}
        </Text>
      </Group>
      {notYet ? (
        <Alert color="orange" icon={<InfoIcon />} role="status" data-testid="held-not-yet">
          {t('errors.SIGN_IN_NOT_CONFIRMED')}
        </Alert>
      ) : null}
      <ErrorAlert error={error} />
      <Button onClick={() => void continueSignIn(true)} loading={pending} fullWidth data-testid="held-continue">
        {t('devices.held.continue')}
      </Button>
      <Text size="xs" c="dimmed">
        {t('devices.held.notYou')}
      </Text>
      <Group justify="flex-end">
        <Anchor component="button" type="button" size="sm" c="dimmed" onClick={() => void cancel()}>
          {t('secondFactor.cancel')}
        </Anchor>
      </Group>
    </Stack>
  );
}
