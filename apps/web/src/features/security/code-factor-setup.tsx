import { Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Me, SentCodeMethod } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { api, isApiError } from '../../lib/api';
import type { CodeSentBody } from '../../lib/types';
import { isTotpCode, securitySummaryKey, totpDigits } from './codes';
import { RecoveryCodesPanel } from './recovery-codes-panel';
import { CodeFactorRisk, SentCodeInput, useSentCode } from './sent-code';
import { isStepUpCancelled, useStepUp } from './step-up';

interface Props {
  method: SentCodeMethod;
  /** Signing in waits for this (no step-up is asked then). */
  enrolment: boolean;
  /** After the factor is in force (and any first recovery codes are stored); `me` when it finished an enrolment sign-in. */
  onDone(me: Me | null): void;
  onCancel?: () => void;
}

type Confirmed = { recoveryCodes: string[] | null; me: Me | null };

/**
 * Turning on codes by e-mail, or adding a phone for codes by SMS: nothing is in force until the
 * first code that was sent comes back. The risks are said before anything is sent.
 */
export function CodeFactorSetup({ method, enrolment, onDone, onCancel }: Props) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const [phone, setPhone] = useState('');
  const [phoneError, setPhoneError] = useState<string | undefined>();
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<Confirmed | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  const request = useCallback(
    () => withStepUp(() => (method === 'sms' ? api.post<CodeSentBody>('/me/phone', { phoneNumber: phone.trim() }) : api.post<CodeSentBody>('/me/email-code/setup'))),
    [withStepUp, method, phone],
  );
  const sentCode = useSentCode(request);

  async function start(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (method === 'sms' && !phone.trim()) {
      setPhoneError(t('validation.required'));
      return;
    }
    setPhoneError(undefined);
    await sentCode.send();
  }

  async function confirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    if (!isTotpCode(code)) {
      setCodeError(t('codeFactors.codeFormat'));
      inputRef.current?.focus();
      return;
    }
    setCodeError(undefined);
    setError(null);
    setPending(true);
    try {
      const answer = await withStepUp(() => api.post<Confirmed>(method === 'sms' ? '/me/phone/confirm' : '/me/email-code/confirm', { code: totpDigits(code) }));
      void queryClient.invalidateQueries({ queryKey: securitySummaryKey });
      if (answer.recoveryCodes?.length) setResult(answer);
      else onDone(answer.me);
    } catch (caught) {
      if (!isStepUpCancelled(caught)) setError(caught);
      setCode('');
      requestAnimationFrame(() => inputRef.current?.focus());
    } finally {
      setPending(false);
    }
  }

  if (result?.recoveryCodes) {
    return (
      <Stack gap="md" data-testid={`${method}-setup-codes`}>
        <Text size="sm">{t('codeFactors.confirmedWithCodes')}</Text>
        <RecoveryCodesPanel codes={result.recoveryCodes} onDone={() => onDone(result.me)} doneLabel={enrolment ? t('totpSetup.codes.continue') : undefined} />
      </Stack>
    );
  }

  const phoneRefused = isApiError(sentCode.sendError, 'PHONE_NUMBER_INVALID');
  return (
    <Stack gap="md" data-testid={`${method}-setup`}>
      <Text fw={600} component="h2" fz="lg">
        {method === 'sms' ? t('codeFactors.smsSetupTitle') : t('codeFactors.emailSetupTitle')}
      </Text>
      <CodeFactorRisk method={method} />
      {sentCode.sent ? (
        <form onSubmit={confirm} noValidate>
          <Stack gap="md">
            <ErrorAlert error={error} />
            <SentCodeInput method={method} state={sentCode} code={code} onCodeChange={setCode} fieldError={codeError} inputRef={inputRef} />
            <Group justify="flex-end" gap="sm">
              {onCancel ? (
                <Button variant="default" onClick={onCancel} disabled={pending}>
                  {t('mySecurity.cancel')}
                </Button>
              ) : null}
              <Button type="submit" loading={pending} data-testid={`${method}-setup-confirm`}>
                {t('codeFactors.confirm')}
              </Button>
            </Group>
          </Stack>
        </form>
      ) : (
        <form onSubmit={(event) => void start(event)} noValidate>
          <Stack gap="md">
            {method === 'sms' ? (
              <TextInput
                label={t('codeFactors.phoneLabel')}
                description={t('codeFactors.phoneHint')}
                value={phone}
                onChange={(event) => setPhone(event.currentTarget.value.slice(0, 40))}
                error={phoneError ?? (phoneRefused ? t('errors.PHONE_NUMBER_INVALID') : undefined)}
                type="tel"
                autoComplete="tel"
                inputMode="tel"
                autoFocus
                data-autofocus
                required
                data-testid="phone-input"
              />
            ) : (
              <Text size="sm">{t('codeFactors.emailSetupIntro')}</Text>
            )}
            {phoneRefused || isStepUpCancelled(sentCode.sendError) ? null : <ErrorAlert error={sentCode.sendError} />}
            <Group justify="flex-end" gap="sm">
              {onCancel ? (
                <Button variant="default" onClick={onCancel} disabled={sentCode.sending}>
                  {t('mySecurity.cancel')}
                </Button>
              ) : null}
              <Button type="submit" loading={sentCode.sending} data-testid={`${method}-setup-send`}>
                {t('codeFactors.send')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Stack>
  );
}
