import { Alert, Anchor, Button, Divider, Group, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { LoginRequest, type Me, type SecondFactorMethod } from '@haven/contracts';
import { MailIcon, PasskeyIcon } from '../../components/icons';
import { api, isApiError } from '../../lib/api';
import { focusFirstError, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import type { LoginResponseBody, OrganisationChoiceItem, PendingSecondFactorBody } from '../../lib/types';
import { PasswordField } from '../../components/password-field';
import { answerWithPasskey, passkeysSupported } from '../security/passkey-api';
import { PasskeyErrorAlert } from '../security/passkey-ui';
import { OrganisationChoice } from './organisation-choice';
import { HeldSignInStep } from './held-sign-in-step';
import { SecondFactorStep } from './second-factor-step';

export type LoginStep = 'password' | 'second_factor' | 'choose_organisation' | 'confirmation';

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
  /** A reload found a sign-in held for confirmation by e-mail: wait for it. */
  resumeConfirmation?: boolean;
}

/** After a reload the waiting step's methods are unknown: offer them all (the server refuses what the account lacks). */
const allMethods: SecondFactorMethod[] = ['totp', 'passkey', 'sms', 'email_code', 'recovery_code'];

/**
 * E-mail and password; then, for accounts with a second factor, a passkey or the code from the
 * authenticator app (or a recovery code); then — for people in more than one organisation — the
 * choice of organisation. Wrong password, unknown e-mail and a locked account get the same
 * answer. Or, without the password, a passkey alone ("Sign in with a passkey").
 */
export function LoginForm({ initialEmail = '', onAuthenticated, resumeSecondFactor = false, onStepChange, onSecondFactorSettled, resumeConfirmation = false }: Props) {
  const { t } = useTranslation();
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const [choices, setChoicesState] = useState<OrganisationChoiceItem[] | null>(null);
  const [methods, setMethodsState] = useState<SecondFactorMethod[] | null>(resumeSecondFactor ? allMethods : null);
  const [resumed, setResumed] = useState(resumeSecondFactor);
  const [passkeyPending, setPasskeyPending] = useState(false);
  const [trustDeviceHours, setTrustDeviceHours] = useState(0);
  // A suspicious sign-in, held until the link in the e-mail is opened.
  const [held, setHeldState] = useState<{ expiresAt: string | null } | null>(resumeConfirmation ? { expiresAt: null } : null);
  const setHeld = (next: { expiresAt: string | null } | null) => {
    setHeldState(next);
    onStepChange?.(next ? 'confirmation' : 'password');
  };
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
    if (resumeSecondFactor) {
      onStepChange?.('second_factor');
      // A reload at the second step: ask the server what it offers (the person's own methods and
      // the trusted-browser hours); until it answers, every method stays on offer.
      api
        .get<PendingSecondFactorBody>('/auth/second-factor')
        .then((offer) => {
          if (offer.methods.length > 0) setMethodsState(offer.methods);
          setTrustDeviceHours(offer.trustDeviceHours);
        })
        .catch(() => undefined);
    }
    if (resumeConfirmation) onStepChange?.('confirmation');
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
        setResumed(false);
        setTrustDeviceHours(result.trustDeviceHours ?? 0);
        setMethods(result.methods.length > 0 ? result.methods : allMethods);
        return;
      }
      if (result.status === 'confirmation_required') {
        setPassword('');
        setHeld({ expiresAt: result.expiresAt });
        return;
      }
      signedInWith(result);
    } catch (caught) {
      setError(caught);
      if (isApiError(caught, 'AUTH_INVALID_CREDENTIALS')) setPassword('');
    } finally {
      setPending(false);
    }
  }

  function signedInWith(result: Exclude<LoginResponseBody, { status: 'second_factor_required' | 'confirmation_required' }>) {
    // Enrolment first, organisation after: the route guards send this session to the setup.
    if (result.status === 'enrolment_required' || (result.status === 'authenticated' && result.me.organisation)) {
      onAuthenticated(result.me);
      return;
    }
    setChoices(result.me.organisations);
    setPassword('');
  }

  /** Passwordless: the browser offers the passkeys it keeps for Haven; one of them signs in fully. */
  async function signInWithPasskey() {
    if (pending || passkeyPending) return;
    setFieldErrors({});
    setError(null);
    setPasskeyPending(true);
    try {
      const result = await answerWithPasskey<LoginResponseBody>('/auth/passkey');
      if (result.status === 'confirmation_required') setHeld({ expiresAt: result.expiresAt });
      else if (result.status !== 'second_factor_required') signedInWith(result);
    } catch (caught) {
      setError(caught);
    } finally {
      setPasskeyPending(false);
    }
  }

  if (held) {
    return (
      <HeldSignInStep
        expiresAt={held.expiresAt}
        onSignedIn={(result) => {
          setHeldState(null);
          signedInWith(result);
        }}
        onGone={(caught) => {
          setError(caught);
          setHeld(null);
        }}
      />
    );
  }

  if (methods) {
    return (
      <SecondFactorStep
        // Starts afresh once a reload learnt the person's own methods.
        key={methods.join(' ')}
        methods={methods}
        resumed={resumed}
        trustDeviceHours={trustDeviceHours}
        onSignedIn={(result) => {
          onSecondFactorSettled?.();
          if (result.status === 'confirmation_required') {
            setMethodsState(null);
            setHeld({ expiresAt: result.expiresAt });
            return;
          }
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
    <Stack gap="md">
      <form ref={formRef} onSubmit={submit} noValidate data-testid="login-form" aria-label={t('login.title')}>
        <Stack gap="md">
          {isApiError(error, 'AUTH_EMAIL_NOT_VERIFIED') ? (
            <Alert color="orange" icon={<MailIcon />} role="alert">
              {t('errors.AUTH_EMAIL_NOT_VERIFIED')}
            </Alert>
          ) : (
            <PasskeyErrorAlert error={error} />
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
          <Button type="submit" loading={pending} disabled={passkeyPending} fullWidth>
            {t('login.submit')}
          </Button>
        </Stack>
      </form>
      {/* Outside the form: it is no way of submitting e-mail and password. */}
      {passkeysSupported() ? (
        <>
          <Divider label={t('passkeys.signIn.or')} labelPosition="center" />
          <Stack gap={4}>
            <Button variant="default" fullWidth leftSection={<PasskeyIcon size={16} />} onClick={() => void signInWithPasskey()} loading={passkeyPending} disabled={pending} data-testid="login-passkey">
              {t('passkeys.signIn.button')}
            </Button>
            <Text size="xs" c="dimmed" ta="center">
              {t('passkeys.signIn.hint')}
            </Text>
          </Stack>
        </>
      ) : null}
    </Stack>
  );
}
