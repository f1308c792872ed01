import { Alert, Anchor, Button, Group, Stack, TextInput } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { LoginRequest, type Me } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { MailIcon } from '../../components/icons';
import { api, ApiError, isApiError } from '../../lib/api';
import { focusFirstError, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import type { LoginResponseBody, OrganisationChoiceItem } from '../../lib/types';
import { PasswordField } from '../../components/password-field';
import { OrganisationChoice } from './organisation-choice';

interface Props {
  initialEmail?: string;
  onAuthenticated(me: Me): void;
}

/**
 * E-mail and password, then — for people in more than one organisation — the choice of
 * organisation. Wrong password, unknown e-mail and a locked account get the same answer.
 */
export function LoginForm({ initialEmail = '', onAuthenticated }: Props) {
  const { t } = useTranslation();
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const [choices, setChoices] = useState<OrganisationChoiceItem[] | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

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
        // The second step of signing in gets its own form in the next change (issue 4).
        setError(new ApiError({ code: 'SECOND_FACTOR_REQUIRED', status: 401, message: 'second factor required' }));
        return;
      }
      if ((result.status === 'authenticated' || result.status === 'enrolment_required') && result.me.organisation) {
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
