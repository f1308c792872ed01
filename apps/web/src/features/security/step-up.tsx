import { Anchor, Button, Group, Loader, Modal, Stack, Text } from '@mantine/core';
import { PasskeyIcon } from '../../components/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/error-alert';
import { PasswordField } from '../../components/password-field';
import { api, isApiError } from '../../lib/api';
import type { StepUpResponseBody } from '../../lib/types';
import { useSession } from '../../session/session-provider';
import { RecoveryCodeField, TotpCodeField } from './code-fields';
import { fetchSecuritySummary, isRecoveryCodeShape, isTotpCode, securitySummaryKey, totpDigits } from './codes';
import { answerWithPasskey } from './passkey-api';
import { PasskeyErrorAlert } from './passkey-ui';
import { SentCodeAnswer } from './sent-code';

/**
 * Step-up: sensitive actions (changing one's factors; later exports, the audit trail and
 * security settings) need a proof with the strongest factor from the last five minutes. When
 * the server answers STEP_UP_REQUIRED, "Confirm it's you" asks for a passkey (when the account
 * has one) or the authenticator code (or a recovery code, or the password for an account without
 * a second factor), sends it to `POST /auth/step-up` (or `/auth/step-up/passkey`) and then
 * repeats the action once by itself.
 *
 *   const withStepUp = useStepUp();
 *   await withStepUp(() => api.delete('/me/totp'));   // throws StepUpCancelled if cancelled
 */

/** The person closed "Confirm it's you": the action did not happen and needs no error message. */
export class StepUpCancelled extends Error {
  constructor() {
    super('Step-up was cancelled');
    this.name = 'StepUpCancelled';
  }
}
export const isStepUpCancelled = (error: unknown): error is StepUpCancelled => error instanceof StepUpCancelled;

interface StepUpContextValue {
  /** Opens the dialog (or joins the one open); resolves once confirmed, rejects with StepUpCancelled. */
  confirm(): Promise<void>;
}

const StepUpContext = createContext<StepUpContextValue | null>(null);

export type WithStepUp = <T>(action: () => Promise<T>) => Promise<T>;

/** Runs an action; on STEP_UP_REQUIRED asks "Confirm it's you" and runs it once more. */
export function useStepUp(): WithStepUp {
  const context = useContext(StepUpContext);
  return useCallback(
    async <T,>(action: () => Promise<T>): Promise<T> => {
      try {
        return await action();
      } catch (error) {
        if (!context || !isApiError(error, 'STEP_UP_REQUIRED')) throw error;
        await context.confirm();
        return action();
      }
    },
    [context],
  );
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** Holds the one "Confirm it's you" dialog of the signed-in app; mount it around the signed-in pages. */
export function StepUpProvider({ children }: { children: ReactNode }) {
  const waiters = useRef<Waiter[]>([]);
  const [opened, setOpened] = useState(false);

  const settle = useCallback((confirmed: boolean) => {
    const list = waiters.current;
    waiters.current = [];
    setOpened(false);
    for (const waiter of list) {
      if (confirmed) waiter.resolve();
      else waiter.reject(new StepUpCancelled());
    }
  }, []);

  // Leaving the signed-in app (signing out, session ended) cancels whatever waited.
  useEffect(() => () => settle(false), [settle]);

  const value = useMemo<StepUpContextValue>(
    () => ({
      confirm: () =>
        new Promise<void>((resolve, reject) => {
          waiters.current.push({ resolve, reject });
          setOpened(true);
        }),
    }),
    [],
  );

  return (
    <StepUpContext.Provider value={value}>
      {children}
      <StepUpModal opened={opened} onConfirmed={() => settle(true)} onCancel={() => settle(false)} />
    </StepUpContext.Provider>
  );
}

type Method = 'passkey' | 'totp' | 'sms' | 'email_code' | 'recovery_code' | 'password';

/** How to switch to another way of confirming: the link's text and test id. */
const switchLinks = {
  passkey: { label: 'passkeys.secondFactor.use', testId: 'step-up-use-passkey' },
  totp: { label: 'secondFactor.useTotp', testId: 'step-up-use-totp' },
  sms: { label: 'codeFactors.useSms', testId: 'step-up-use-sms' },
  email_code: { label: 'codeFactors.useEmail', testId: 'step-up-use-email' },
  recovery_code: { label: 'secondFactor.useRecovery', testId: 'step-up-switch' },
} as const satisfies Record<Exclude<Method, 'password'>, { label: string; testId: string }>;

function StepUpModal({ opened, onConfirmed, onCancel }: { opened: boolean; onConfirmed(): void; onCancel(): void }) {
  const { t } = useTranslation();
  const { locked } = useSession();
  return (
    <Modal
      opened={opened}
      onClose={onCancel}
      title={t('stepUp.title')}
      centered
      // Above any dialog the action came from (e.g. "Remove the app?").
      zIndex={400}
      trapFocus={!locked}
      closeOnClickOutside={false}
    >
      {opened ? <StepUpForm onConfirmed={onConfirmed} onCancel={onCancel} /> : null}
    </Modal>
  );
}

function StepUpForm({ onConfirmed, onCancel }: { onConfirmed(): void; onCancel(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  // Always asked afresh: whether there is an app decides what to ask for.
  const summary = useQuery({ queryKey: securitySummaryKey, queryFn: fetchSecuritySummary, staleTime: 0 });
  const [chosen, setChosen] = useState<Method | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  const hasApp = summary.data?.totp != null;
  const hasPasskey = (summary.data?.passkeys ?? 0) > 0;
  // The strongest first: a passkey, then the app; recovery codes back either up; the password only without a factor.
  // Codes by SMS and e-mail after them: sent only when chosen.
  const allowed = summary.data?.allowedFactors ?? [];
  const hasSms = summary.data?.phone?.verifiedAt != null && allowed.includes('sms');
  const hasEmailCode = summary.data?.emailCode != null && allowed.includes('email_code');
  const codeMethods: Method[] = [...(hasSms ? (['sms'] as const) : []), ...(hasEmailCode ? (['email_code'] as const) : [])];
  const available: Method[] =
    hasPasskey || hasApp || codeMethods.length > 0 ? [...(hasPasskey ? (['passkey'] as const) : []), ...(hasApp ? (['totp'] as const) : []), ...codeMethods, 'recovery_code'] : ['password'];
  const method: Method = chosen && available.includes(chosen) ? chosen : available[0]!;

  function switchMethod(next: Method) {
    setChosen(next);
    setCode('');
    setFieldError(undefined);
    setError(null);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    event.stopPropagation();
    if (pending || !summary.data) return;
    if (method === 'passkey') return confirmWithPasskey();
    let body: { method: Exclude<Method, 'passkey'>; code?: string; password?: string };
    if (method === 'password') {
      if (!password) return fail(t('validation.required'));
      body = { method, password };
    } else if (method === 'totp' || method === 'sms' || method === 'email_code') {
      if (!isTotpCode(code)) return fail(method === 'totp' ? t('secondFactor.totpFormat') : t('codeFactors.codeFormat'));
      body = { method, code: totpDigits(code) };
    } else {
      if (!isRecoveryCodeShape(code)) return fail(t('secondFactor.recoveryFormat'));
      body = { method, code: code.trim() };
    }
    setFieldError(undefined);
    setError(null);
    setPending(true);
    try {
      await api.post<StepUpResponseBody>('/auth/step-up', body);
      void queryClient.invalidateQueries({ queryKey: securitySummaryKey });
      onConfirmed();
    } catch (caught) {
      setPending(false);
      if (isApiError(caught, 'PASSWORD_INCORRECT')) {
        setPassword('');
        fail(t('stepUp.passwordIncorrect'));
        return;
      }
      // An app was set up meanwhile (the password is no longer accepted): ask for it instead.
      if (isApiError(caught, 'VALIDATION_FAILED') && method === 'password') void summary.refetch();
      setError(caught);
      setCode('');
      requestAnimationFrame(() => inputRef.current?.focus());
    }
  }

  async function confirmWithPasskey() {
    setError(null);
    setPending(true);
    try {
      await answerWithPasskey<StepUpResponseBody>('/auth/step-up/passkey');
      void queryClient.invalidateQueries({ queryKey: securitySummaryKey });
      onConfirmed();
    } catch (caught) {
      setPending(false);
      setError(caught);
    }
  }

  function fail(message: string) {
    setFieldError(message);
    requestAnimationFrame(() => inputRef.current?.focus());
  }

  if (summary.isPending) {
    return (
      <Group justify="center" py="lg">
        <Loader size="sm" aria-label={t('common.loading')} />
      </Group>
    );
  }
  if (summary.isError) {
    return (
      <Stack gap="md" data-testid="step-up-dialog">
        <ErrorAlert error={summary.error} />
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onCancel} data-testid="step-up-cancel">
            {t('stepUp.cancel')}
          </Button>
          <Button onClick={() => void summary.refetch()}>{t('common.tryAgain')}</Button>
        </Group>
      </Stack>
    );
  }

  return (
    <form onSubmit={submit} noValidate data-testid="step-up-dialog" data-method={method}>
      <Stack gap="md">
        <Text size="sm">
          {method === 'passkey'
            ? t('passkeys.stepUp.intro')
            : method === 'password'
              ? t('stepUp.introPassword')
              : method === 'totp'
                ? t('stepUp.introTotp')
                : method === 'sms'
                  ? t('codeFactors.smsPrompt')
                  : method === 'email_code'
                    ? t('codeFactors.emailPrompt')
                    : t('stepUp.introRecovery')}
        </Text>
        {method === 'passkey' ? <PasskeyErrorAlert error={error} /> : <ErrorAlert error={error} />}
        {method === 'passkey' ? null : method === 'password' ? (
          <PasswordField
            ref={inputRef}
            label={t('fields.password')}
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            error={fieldError}
            autoFocus
            data-autofocus
            required
          />
        ) : method === 'sms' || method === 'email_code' ? (
          <SentCodeAnswer key={method} sendPath="/auth/step-up/send" method={method} code={code} onCodeChange={setCode} fieldError={fieldError} inputRef={inputRef} />
        ) : method === 'totp' ? (
          <TotpCodeField key="totp" ref={inputRef} value={code} onChange={setCode} error={fieldError} autoFocus />
        ) : (
          <RecoveryCodeField key="recovery" ref={inputRef} value={code} onChange={setCode} error={fieldError} autoFocus />
        )}
        {available
          .filter((other): other is Exclude<Method, 'password'> => other !== method && other !== 'password')
          .map((other) => (
            <Anchor
              key={other}
              component="button"
              type="button"
              size="sm"
              onClick={() => switchMethod(other)}
              data-testid={switchLinks[other].testId}
              style={{ alignSelf: 'flex-start', textAlign: 'start' }}
            >
              {t(switchLinks[other].label)}
            </Anchor>
          ))}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onCancel} disabled={pending} data-testid="step-up-cancel">
            {t('stepUp.cancel')}
          </Button>
          <Button type="submit" loading={pending} leftSection={method === 'passkey' ? <PasskeyIcon size={16} /> : undefined} data-testid="step-up-submit">
            {method === 'passkey' ? t('passkeys.stepUp.button') : t('stepUp.submit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
