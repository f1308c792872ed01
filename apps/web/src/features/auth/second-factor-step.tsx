import { Anchor, Button, Checkbox, Group, Stack, Text, ThemeIcon } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { SecondFactorMethod } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { KeyIcon, MailIcon, PasskeyIcon, PhoneIcon } from '../../components/icons';
import { api, isApiError } from '../../lib/api';
import type { LoginResponseBody } from '../../lib/types';
import { RecoveryCodeField, TotpCodeField } from '../security/code-fields';
import { isRecoveryCodeShape, isTotpCode, totpDigits } from '../security/codes';
import { answerWithPasskey } from '../security/passkey-api';
import { PasskeyErrorAlert } from '../security/passkey-ui';
import { SentCodeAnswer } from '../security/sent-code';

type SignedIn = Extract<LoginResponseBody, { status: 'authenticated' | 'choose_organisation' | 'confirmation_required' }>;

interface Props {
  methods: readonly SecondFactorMethod[];
  /** The methods are a guess (a reload found the step waiting): start with the app's code, not a passkey prompt. */
  resumed?: boolean;
  /** "Trust this browser for N hours" is offered (the practice's limit; 0 or absent: not offered). */
  trustDeviceHours?: number;
  /** `POST /auth/second-factor` answered: signed in (or the organisation is still to choose, or the sign-in is held for confirmation by e-mail). */
  onSignedIn(result: SignedIn): void;
  /** "Cancel": the pending session is signed out and the password step shows again. */
  onCancel(): void;
  /** The half-signed-in session is gone (expired, signed out elsewhere): start with the password again. */
  onSessionGone(error: unknown): void;
}

/** Errors after which this step cannot succeed any more: the session behind it has ended. */
const sessionGone = ['AUTH_REQUIRED', 'SESSION_EXPIRED', 'SESSION_LOCKED', 'SECOND_FACTOR_NOT_PENDING'] as const;

/** The links to the other ways of answering. */
const switchLinks = {
  passkey: { label: 'passkeys.secondFactor.use', testId: 'second-factor-use-passkey' },
  totp: { label: 'secondFactor.useTotp', testId: 'second-factor-use-totp' },
  sms: { label: 'codeFactors.useSms', testId: 'second-factor-use-sms' },
  email_code: { label: 'codeFactors.useEmail', testId: 'second-factor-use-email' },
  recovery_code: { label: 'secondFactor.useRecovery', testId: 'second-factor-use-recovery' },
} as const satisfies Record<SecondFactorMethod, { label: string; testId: string }>;

/**
 * The second step of signing in: a passkey (the browser asks for the fingerprint, face or PIN),
 * the six digits from the authenticator app, or one of the recovery codes. A wrong answer keeps
 * the form (with the same answer for wrong, used, expired or locked out, as the server gives).
 */
export function SecondFactorStep({ methods, resumed = false, trustDeviceHours = 0, onSignedIn, onCancel, onSessionGone }: Props) {
  const { t } = useTranslation();
  // The strongest first: a passkey, then the app; a recovery code when nothing else is at hand.
  // Codes by SMS and e-mail come after them (they can be intercepted) and are sent only when chosen.
  const preference: SecondFactorMethod[] = resumed ? ['totp', 'passkey', 'sms', 'email_code', 'recovery_code'] : ['passkey', 'totp', 'sms', 'email_code', 'recovery_code'];
  const available = preference.filter((candidate) => methods.includes(candidate));
  const [method, setMethod] = useState<SecondFactorMethod>(available[0] ?? 'recovery_code');
  const [code, setCode] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [trustDevice, setTrustDevice] = useState(false);
  const trustField = trustDevice && trustDeviceHours > 0 ? { trustDevice: true } : {};
  const inputRef = useRef<HTMLInputElement>(null);

  const focusInput = () => requestAnimationFrame(() => inputRef.current?.focus());

  function switchTo(next: SecondFactorMethod) {
    setMethod(next);
    setCode('');
    setFieldError(undefined);
    setError(null);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    if (method === 'passkey') return answerWithPasskeyNow();
    const sixDigits = method !== 'recovery_code';
    const valid = sixDigits ? isTotpCode(code) : isRecoveryCodeShape(code);
    if (!valid) {
      setFieldError(method === 'totp' ? t('secondFactor.totpFormat') : sixDigits ? t('codeFactors.codeFormat') : t('secondFactor.recoveryFormat'));
      focusInput();
      return;
    }
    setFieldError(undefined);
    setError(null);
    setPending(true);
    try {
      const result = await api.post<LoginResponseBody>('/auth/second-factor', { method, code: sixDigits ? totpDigits(code) : code.trim(), ...trustField });
      if (result.status === 'authenticated' || result.status === 'choose_organisation' || result.status === 'confirmation_required') {
        onSignedIn(result);
        return;
      }
      setPending(false);
    } catch (caught) {
      setPending(false);
      if (sessionGone.some((code) => isApiError(caught, code))) {
        onSessionGone(caught);
        return;
      }
      setError(caught);
      setCode('');
      focusInput();
    }
  }

  async function answerWithPasskeyNow() {
    setError(null);
    setPending(true);
    try {
      const result = await answerWithPasskey<LoginResponseBody>('/auth/second-factor/passkey', trustField);
      if (result.status === 'authenticated' || result.status === 'choose_organisation' || result.status === 'confirmation_required') {
        onSignedIn(result);
        return;
      }
      setPending(false);
    } catch (caught) {
      setPending(false);
      if (sessionGone.some((code) => isApiError(caught, code))) {
        onSessionGone(caught);
        return;
      }
      setError(caught);
    }
  }

  async function cancel() {
    setCancelling(true);
    try {
      await api.post<void>('/auth/logout');
    } catch {
      // Forgotten here either way; an unfinished sign-in ends by itself.
    }
    onCancel();
  }

  return (
    <form onSubmit={submit} noValidate data-testid="second-factor-form" data-method={method} aria-labelledby="second-factor-title">
      <Stack gap="md">
        <Group gap="sm" wrap="nowrap" align="flex-start">
          <ThemeIcon variant="light" size={40} radius="xl" style={{ flex: 'none' }}>
            {method === 'passkey' ? <PasskeyIcon size={20} /> : method === 'totp' || method === 'sms' ? <PhoneIcon size={20} /> : method === 'email_code' ? <MailIcon size={20} /> : <KeyIcon size={20} />}
          </ThemeIcon>
          <div>
            <Text fw={600} fz="lg" component="h2" id="second-factor-title">
              {method === 'passkey' ? t('passkeys.secondFactor.title') : method === 'totp' ? t('secondFactor.totpTitle') : method === 'sms' ? t('codeFactors.smsTitle') : method === 'email_code' ? t('codeFactors.emailTitle') : t('secondFactor.recoveryTitle')}
            </Text>
            <Text size="sm" c="dimmed">
              {method === 'passkey' ? t('passkeys.secondFactor.prompt') : method === 'totp' ? t('secondFactor.totpPrompt') : method === 'sms' ? t('codeFactors.smsPrompt') : method === 'email_code' ? t('codeFactors.emailPrompt') : t('secondFactor.recoveryPrompt')}
            </Text>
          </div>
        </Group>
        {method === 'passkey' ? <PasskeyErrorAlert error={error} /> : <ErrorAlert error={error} />}
        {method === 'passkey' ? null : method === 'sms' || method === 'email_code' ? (
          <SentCodeAnswer key={method} sendPath="/auth/second-factor/send" method={method} code={code} onCodeChange={setCode} fieldError={fieldError} inputRef={inputRef} />
        ) : method === 'totp' ? (
          <TotpCodeField key="totp" ref={inputRef} value={code} onChange={setCode} error={fieldError} autoFocus />
        ) : (
          <RecoveryCodeField key="recovery" ref={inputRef} value={code} onChange={setCode} error={fieldError} autoFocus />
        )}
        {trustDeviceHours > 0 ? (
          <Checkbox
            checked={trustDevice}
            onChange={(event) => setTrustDevice(event.currentTarget.checked)}
            label={t('devices.trustLabel', { count: trustDeviceHours })}
            description={t('devices.trustHint')}
            data-testid="second-factor-trust"
          />
        ) : null}
        <Button
          type="submit"
          loading={pending}
          disabled={cancelling}
          fullWidth
          leftSection={method === 'passkey' ? <PasskeyIcon size={16} /> : undefined}
          data-testid={method === 'passkey' ? 'second-factor-passkey' : 'second-factor-submit'}
        >
          {method === 'passkey' ? t('passkeys.secondFactor.button') : t('secondFactor.submit')}
        </Button>
        <Group justify="space-between" gap="xs" align="flex-start">
          <Stack gap={4} align="flex-start">
            {available
              .filter((other) => other !== method)
              .map((other) => (
                <Anchor key={other} component="button" type="button" size="sm" onClick={() => switchTo(other)} style={{ textAlign: 'start' }} data-testid={switchLinks[other].testId}>
                  {t(switchLinks[other].label)}
                </Anchor>
              ))}
          </Stack>
          <Anchor component="button" type="button" size="sm" c="dimmed" onClick={() => void cancel()} disabled={cancelling || pending} data-testid="second-factor-cancel">
            {t('secondFactor.cancel')}
          </Anchor>
        </Group>
      </Stack>
    </form>
  );
}

