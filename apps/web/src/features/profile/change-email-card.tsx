import { Alert, Button, Card, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Email, type Me } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { MailIcon } from '../../components/icons';
import { api, isApiError } from '../../lib/api';
import { apiFieldErrors, focusFirstError, type FieldErrors } from '../../lib/errors';
import { useMe, useSession } from '../../session/session-provider';
import { PasswordField } from '../../components/password-field';

/** Changing the e-mail address needs the password; the new address only counts once confirmed. */
export function ChangeEmailCard() {
  const { t } = useTranslation();
  const me = useMe();
  const { setMe } = useSession();
  const [email, setEmail] = useState('');
  const [currentPassword, setCurrentPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const errors: FieldErrors = {};
    const parsedEmail = Email.safeParse(email);
    if (!email.trim()) errors['email'] = t('validation.required');
    else if (!parsedEmail.success) errors['email'] = t('validation.email');
    else if (parsedEmail.data === me.account.email) errors['email'] = t('profile.email.same');
    if (!currentPassword) errors['currentPassword'] = t('validation.required');
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0 || !parsedEmail.success) {
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setError(null);
    setPending(true);
    try {
      const updated = await api.patch<Me>('/me', { email: parsedEmail.data, currentPassword });
      setMe(updated);
      setEmail('');
      setCurrentPassword('');
    } catch (caught) {
      if (isApiError(caught, 'PASSWORD_INCORRECT') || isApiError(caught, 'AUTH_INVALID_CREDENTIALS')) {
        setFieldErrors({ currentPassword: t('errors.PASSWORD_INCORRECT') });
        setCurrentPassword('');
      } else {
        setError(caught);
        setFieldErrors(apiFieldErrors(t, caught));
      }
      requestAnimationFrame(() => focusFirstError(formRef.current));
    } finally {
      setPending(false);
    }
  }

  return (
    <Card withBorder padding="lg">
      <form ref={formRef} onSubmit={submit} noValidate data-testid="change-email-form">
        <Stack gap="md">
          <div>
            <Title order={2} fz="lg">
              {t('profile.email.title')}
            </Title>
            <Text size="sm" c="dimmed">
              {t('profile.email.current', { email: me.account.email })}
            </Text>
            <div aria-live="polite">
              {me.account.pendingEmail ? (
                <Alert color="haven" icon={<MailIcon />} data-testid="pending-email" mt="sm">
                  {t('profile.email.pending', { email: me.account.pendingEmail })}
                </Alert>
              ) : null}
            </div>
          </div>
          <ErrorAlert error={error} />
          <TextInput
            label={t('fields.newEmail')}
            type="email"
            autoComplete="email"
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
            error={fieldErrors['email']}
            required
          />
          <PasswordField
            label={t('fields.currentPassword')}
            autoComplete="current-password"
            value={currentPassword}
            onChange={(event) => setCurrentPassword(event.currentTarget.value)}
            error={fieldErrors['currentPassword']}
            required
          />
          <Group justify="flex-end">
            <Button type="submit" loading={pending}>
              {t('profile.email.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
