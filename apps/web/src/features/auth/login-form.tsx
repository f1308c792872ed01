import { Alert, Anchor, Button, Group, Stack, TextInput } from '@mantine/core';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { LoginRequest, type Me, type SecondFactorMethod } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { MailIcon } from '../../components/icons';
import { api, isApiError } from '../../lib/api';
import { focusFirstError, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import type { LoginResponseBody, OrganisationChoiceItem } from '../../lib/types';
import { PasswordField } from '../../components/password-field';
import { OrganisationChoice } from './organisation-choice';
import { SecondFactorStep } from './second-factor-step';

export type LoginStep = 'password' | 'second_factor' | 'choose_organisation';

interface Props {
  initialEmail?: string;
  /** Signed in: fully, or with an authenticator app still to set up (`me.session.pending === 'enrolment'`). */
  onAuthenticated(me: Me): void;
  /** A reload found a sign-in waiting for its second factor: start at that step. */
  resumeSecondFactor?: boolean;
  /** The step has moved on or back (the page adjusts its subtitle). */
  onStepChange?: (step: LoginStep) => void;
  /** The waiting sign-in was finished, cancelled or has ended. */
  onSecondFactorSettled?: () => void;
}

const allMethods: SecondFactorMethod[] = ['totp', 'recovery_code'];

/**
 * E-mail and password; then, for accounts with a second factor, the code from the authenticator
 * app (or a recovery code); then — for people in more than one organisation — the choice of
 * organisation. Wrong password, unknown e-mail and a locked account get the same answer.
 */
export function LoginForm({ initialEmail = '', onAuthenticated, resumeSecondFactor = false, onStepChange, onSecondFactorSettled }: Props) {
  const { t } = useTranslation();
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const [choices, setChoicesState] = useState<OrganisationChoiceItem[] | null>(null);
  const [methods, setMethodsState] = useState<SecondFactorMethod[] | null>(resumeSecondFactor ? allMethods : null);
  const formRef = useRef<HTMLFormElement>(null);

  const setMethods = (next: SecondFactorMethod[] | null) => {
    setMethodsState(next);
    onStepChange?.(next ? 'second_factor' : 'password');
  };
  const setChoices = (next: OrganisationChoiceItem[] | null) => {
    setChoicesState(next);
    onStepChange?.(next ? 'choose_organisation' : 'password');
  };

  useEffect(() => {
    if (resumeSecondFactor) onStepChange?.('second_factor');
    // Only the first render can resume.
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = LoginRequest.safeParse({ email, password });
    if (!parsed.success) {
      setFieldErrors(zodFieldErrors(t, parsed.error));
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setFieldErrors({});
    setError(null);
    setPending(true);
    try {
      const result = await api.post<LoginResponseBody>('/auth/login', parsed.data);
      if (result.status === 'second_factor_required') {
        setPassword('');
        setMethods(result.methods.length > 0 ? result.methods : allMethods);
        return;
      }
      // Enrolment first, organisation after: the route guards send this session to the setup.
      if (result.status === 'enrolment_required' || (result.status === 'authenticated' && result.me.organisation)) {
        onAuthenticated(result.me);
        return;
      }
      setChoices(result.me.organisations);
      setPassword('');
    } catch (caught) {
      setError(caught);
      if (isApiError(caught, 'AUTH_INVALID_CREDENTIALS')) setPassword('');
    } finally {
      setPending(false);
    }
  }

  if (methods) {
    return (
      <SecondFactorStep
        methods={methods}
        onSignedIn={(result) => {
          onSecondFactorSettled?.();
          if (result.status === 'authenticated' && result.me.organisation) {
            onAuthenticated(result.me);
            return;
          }
          setMethodsState(null);
          setChoices(result.me.organisations);
        }}
        onCancel={() => {
          onSecondFactorSettled?.();
          setError(null);
          setMethods(null);
        }}
        onSessionGone={(caught) => {
          onSecondFactorSettled?.();
          setError(caught);
          setMethods(null);
        }}
      />
    );
  }

  if (choices) {
    return (
      <OrganisationChoice
        choices={choices}
        onChosen={onAuthenticated}
        footer={
          <Anchor component="button" type="button" size="sm" onClick={() => setChoices(null)}>
            {t('login.backToSignIn')}
          </Anchor>
        }
      />
    );
  }

  return (
    <form ref={formRef} onSubmit={submit} noValidate data-testid="login-form" aria-label={t('login.title')}>
      <Stack gap="md">
        {isApiError(error, 'AUTH_EMAIL_NOT_VERIFIED') ? (
          <Alert color="orange" icon={<MailIcon />} role="alert">
            {t('errors.AUTH_EMAIL_NOT_VERIFIED')}
          </Alert>
        ) : (
          <ErrorAlert error={error} />
        )}
        <TextInput
          label={t('fields.email')}
          type="email"
          autoComplete="username"
          value={email}
          onChange={(event) => setEmail(event.currentTarget.value)}
          error={fieldErrors['email']}
          required
        />
        <PasswordField
          label={t('fields.password')}
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          error={fieldErrors['password']}
          required
        />
        <Group justify="flex-end" mt={-8}>
          <Anchor component={Link} to="/forgot-password" size="sm">
            {t('login.forgot')}
          </Anchor>
        </Group>
        <Button type="submit" loading={pending} fullWidth>
          {t('login.submit')}
        </Button>
      </Stack>
    </form>
  );
}
