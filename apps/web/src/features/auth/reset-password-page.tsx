import { Alert, Anchor, Button, Paper, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { defaultPasswordPolicy, type PasswordPolicy } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { useDocumentTitle } from '../../components/page-header';
import { PasswordWithPolicy, usePasswordProblems } from '../../components/password-with-policy';
import { PublicLayout } from '../../components/public-layout';
import { api, isApiError } from '../../lib/api';
import { apiFieldErrors, focusFirstError, type FieldErrors } from '../../lib/errors';
import { useFragmentToken } from '../../lib/fragment-token';
import { newPasswordErrors } from '../../lib/new-password';
import type { LoginNotice } from './login-page';

const noContext: string[] = [];

export function ResetPasswordPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('reset.title'));
  const navigate = useNavigate();
  const token = useFragmentToken();
  const policyQuery = useQuery({ queryKey: ['password-policy'], queryFn: () => api.get<PasswordPolicy>('/password-policy') });
  const policy = policyQuery.data ?? defaultPasswordPolicy;
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const problems = usePasswordProblems(password, policy, noContext);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!token) return;
    const errors = newPasswordErrors(t, problems, password);
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) {
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setError(null);
    setPending(true);
    try {
      await api.post('/auth/password-reset/confirm', { token, password });
      void navigate('/login', { replace: true, state: { reason: 'passwordReset' } satisfies LoginNotice });
    } catch (caught) {
      setError(caught);
      setFieldErrors(apiFieldErrors(t, caught, { password: 'password' }));
      setPending(false);
    }
  }

  return (
    <PublicLayout>
      <Stack gap="lg">
        <div>
          <Title order={1} fz={28}>
            {t('reset.title')}
          </Title>
          <Text c="dimmed">{t('reset.subtitle')}</Text>
        </div>
        <Paper withBorder shadow="sm" p="xl">
          {!token || isApiError(error, 'TOKEN_INVALID') ? (
            <Stack gap="md">
              <Alert color="orange" role="alert">
                {t('errors.TOKEN_INVALID')}
              </Alert>
              <Button component={Link} to="/forgot-password" variant="default">
                {t('reset.requestNew')}
              </Button>
            </Stack>
          ) : (
            <form ref={formRef} onSubmit={submit} noValidate>
              <Stack gap="md">
                <ErrorAlert error={error} />
                <PasswordWithPolicy
                  label={t('fields.newPassword')}
                  value={password}
                  onChange={setPassword}
                  policy={policy}
                  contextWords={noContext}
                  error={fieldErrors['password']}
                />
                <Text size="xs" c="dimmed">
                  {t('reset.endsSessions')}
                </Text>
                <Button type="submit" loading={pending}>
                  {t('reset.submit')}
                </Button>
              </Stack>
            </form>
          )}
        </Paper>
        <Text size="sm" ta="center">
          <Anchor component={Link} to="/login">
            {t('common.backToLogin')}
          </Anchor>
        </Text>
      </Stack>
    </PublicLayout>
  );
}
