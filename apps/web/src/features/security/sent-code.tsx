import { Alert, Anchor, Group, Stack, Text } from '@mantine/core';
import { useCallback, useEffect, useRef, useState, type Ref } from 'react';
import { useTranslation } from 'react-i18next';
import type { SentCodeMethod } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon } from '../../components/icons';
import { api, isApiError } from '../../lib/api';
import type { CodeSentBody } from '../../lib/types';
import { TotpCodeField } from './code-fields';

/**
 * Codes Haven sends by SMS or e-mail: sent when asked for (choosing the method, or "send again"),
 * valid a few minutes, and not sent again within 30 seconds — the countdown says when "send
 * again" works, so nobody runs into the server's limit by clicking.
 */

/** Seconds until `until` (ms since epoch), ticking once a second; 0 once it has passed. */
function useSecondsUntil(until: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === null || until <= Date.now()) return;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [until]);
  return until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}

export interface SentCodeState {
  sent: CodeSentBody | null;
  sending: boolean;
  sendError: unknown;
  /** Seconds until "send again" is allowed. */
  waitSeconds: number;
  send(): Promise<void>;
}

/** Sends a code through `request` and remembers where it went and when another may be sent. */
export function useSentCode(request: () => Promise<CodeSentBody>): SentCodeState {
  const [sent, setSent] = useState<CodeSentBody | null>(null);
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<unknown>(null);
  const [resendAt, setResendAt] = useState<number | null>(null);
  const waitSeconds = useSecondsUntil(resendAt);
  const send = useCallback(async () => {
    setSending(true);
    setSendError(null);
    try {
      const answer = await request();
      setSent(answer);
      setResendAt(Date.now() + answer.resendAfterSeconds * 1000);
    } catch (caught) {
      // The server says how long to wait: the countdown shows it too.
      if (isApiError(caught, 'CODE_RESEND_TOO_SOON') && caught.retryAfterSeconds) setResendAt(Date.now() + caught.retryAfterSeconds * 1000);
      setSendError(caught);
    } finally {
      setSending(false);
    }
  }, [request]);
  return { sent, sending, sendError, waitSeconds, send };
}

interface InputProps {
  method: SentCodeMethod;
  state: SentCodeState;
  code: string;
  onCodeChange(code: string): void;
  fieldError?: string | undefined;
  inputRef?: Ref<HTMLInputElement>;
}

/** "We sent a code to +31 6 •••• ••78", the code field, and "send again" with its countdown. */
export function SentCodeInput({ method, state, code, onCodeChange, fieldError, inputRef }: InputProps) {
  const { t } = useTranslation();
  const { sent, sending, sendError, waitSeconds, send } = state;
  return (
    <Stack gap="sm" data-testid="sent-code" data-method={method}>
      {sent ? (
        <Text size="sm" data-testid="sent-code-destination">
          {t(method === 'sms' ? 'codeFactors.sentSms' : 'codeFactors.sentEmail', { to: sent.sentTo, minutes: Math.round((new Date(sent.expiresAt).getTime() - Date.now()) / 60_000) || 1 })}
        </Text>
      ) : null}
      <ErrorAlert error={sendError} />
      <TotpCodeField ref={inputRef} value={code} onChange={onCodeChange} error={fieldError} autoFocus label={t('codeFactors.codeLabel')} />
      <Group gap="xs">
        <Anchor
          component="button"
          type="button"
          size="sm"
          onClick={() => void send()}
          disabled={sending || waitSeconds > 0}
          c={sending || waitSeconds > 0 ? 'dimmed' : undefined}
          data-testid="sent-code-resend"
        >
          {sent ? t('codeFactors.sendAgain') : t('codeFactors.send')}
        </Anchor>
        {waitSeconds > 0 ? (
          <Text size="sm" c="dimmed" data-testid="sent-code-countdown" aria-live="polite">
            {t('codeFactors.sendAgainIn', { count: waitSeconds })}
          </Text>
        ) : null}
      </Group>
    </Stack>
  );
}

/** Why a code factor is weaker, in the words the person needs before choosing it. */
export function CodeFactorRisk({ method }: { method: SentCodeMethod }) {
  const { t } = useTranslation();
  return (
    <Alert color={method === 'email_code' ? 'orange' : 'yellow'} variant="light" icon={<AlertIcon />} data-testid={`${method}-risk`}>
      <Text size="sm">{method === 'email_code' ? t('codeFactors.emailRisk') : t('codeFactors.smsRisk')}</Text>
    </Alert>
  );
}

/**
 * A code by SMS or e-mail as an answer (second step of signing in, step-up): sent as soon as the
 * method is chosen (mount with `key={method}`), with "send again".
 */
export function SentCodeAnswer({ sendPath, method, code, onCodeChange, fieldError, inputRef }: { sendPath: string } & Omit<InputProps, 'state'>) {
  const state = useSentCode(useCallback(() => api.post<CodeSentBody>(sendPath, { method }), [sendPath, method]));
  const asked = useRef(false);
  useEffect(() => {
    // Once per choice (StrictMode runs effects twice; a second send would only meet the 30 s limit).
    if (asked.current) return;
    asked.current = true;
    void state.send();
  }, [state]);
  return <SentCodeInput method={method} state={state} code={code} onCodeChange={onCodeChange} fieldError={fieldError} inputRef={inputRef} />;
}
