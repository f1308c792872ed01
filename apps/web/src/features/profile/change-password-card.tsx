import { Alert, Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/error-alert';
import { CheckIcon } from '../../components/icons';
import { PasswordWithPolicy, usePasswordProblems } from '../../components/password-with-policy';
import { api, isApiError } from '../../lib/api';
import { apiFieldErrors, focusFirstError, type FieldErrors } from '../../lib/errors';
import { newPasswordErrors } from '../../lib/new-password';
import { useMe } from '../../session/session-provider';
import { PasswordField } from '../../components/password-field';

/** A new password under the organisation's policy; the server ends the other sessions. */
export function ChangePasswordCard() {
  const { t } = useTranslation();
  const me = useMe();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const [done, setDone] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const contextWords = useMemo(() => [me.account.name, me.account.email], [me.account.name, me.account.email]);
  const problems = usePasswordProblems(newPassword, me.passwordPolicy, contextWords);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const errors: FieldErrors = newPasswordErrors(t, problems, newPassword, 'newPassword');
    if (!currentPassword) errors['currentPassword'] = t('validation.required');
    setFieldErrors(errors);
    setDone(false);
    if (Object.keys(errors).length > 0) {
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setError(null);
    setPending(true);
    try {
      await api.post('/me/password', { currentPassword, newPassword });
      setCurrentPassword('');
      setNewPassword('');
      setDone(true);
    } catch (caught) {
      if (isApiError(caught, 'PASSWORD_INCORRECT')) {
        setFieldErrors({ currentPassword: t('errors.PASSWORD_INCORRECT') });
        setCurrentPassword('');
      } else {
        setError(caught);
        setFieldErrors(apiFieldErrors(t, caught, { password: 'newPassword' }));
      }
      requestAnimationFrame(() => focusFirstError(formRef.current));
    } finally {
      setPending(false);
    }
  }

  return (
    <Card withBorder padding="lg">
      <form ref={formRef} onSubmit={submit} noValidate data-testid="change-password-form">
        <Stack gap="md">
          <div>
            <Title order={2} fz="lg">
              {t('profile.password.title')}
            </Title>
            <Text size="sm" c="dimmed">
              {t('profile.password.subtitle')}
            </Text>
            <div aria-live="polite">
              {done ? (
                <Alert color="green" icon={<CheckIcon />} data-testid="password-changed" mt="sm">
                  {t('profile.password.done')}
                </Alert>
              ) : null}
            </div>
          </div>
          <ErrorAlert error={error} />
          <PasswordField
            label={t('fields.currentPassword')}
            autoComplete="current-password"
            value={currentPassword}
            onChange={(event) => setCurrentPassword(event.currentTarget.value)}
            error={fieldErrors['currentPassword']}
            required
          />
          <PasswordWithPolicy
            label={t('fields.newPassword')}
            value={newPassword}
            onChange={setNewPassword}
            policy={me.passwordPolicy}
            contextWords={contextWords}
            error={fieldErrors['newPassword']}
          />
          <Group justify="flex-end">
            <Button type="submit" loading={pending}>
              {t('profile.password.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
