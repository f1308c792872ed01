import { Alert, Anchor, Button, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { PasswordResetRequest } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { MailIcon } from '../../components/icons';
import { useDocumentTitle } from '../../components/page-header';
import { PublicLayout } from '../../components/public-layout';
import { api } from '../../lib/api';
import { focusFirstError, zodFieldErrors, type FieldErrors } from '../../lib/errors';

/** Always the same answer, whether or not the address has an account (no enumeration). */
export function ForgotPasswordPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('forgot.title'));
  const [email, setEmail] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = PasswordResetRequest.safeParse({ email });
    if (!parsed.success) {
      setFieldErrors(zodFieldErrors(t, parsed.error));
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setFieldErrors({});
    setError(null);
    setPending(true);
    try {
      await api.post('/auth/password-reset', parsed.data);
      setSentTo(parsed.data.email);
    } catch (caught) {
      setError(caught);
    } finally {
      setPending(false);
    }
  }

  return (
    <PublicLayout>
      <Stack gap="lg">
        <div>
          <Title order={1} fz={28}>
            {t('forgot.title')}
          </Title>
          <Text c="dimmed">{t('forgot.subtitle')}</Text>
        </div>
        <Paper withBorder shadow="sm" p="xl">
          {sentTo ? (
            <Stack gap="md">
              <Alert color="haven" icon={<MailIcon />} role="status" data-testid="reset-sent">
                {t('forgot.sent', { email: sentTo })}
              </Alert>
              <Button component={Link} to="/login" variant="default">
                {t('common.backToLogin')}
              </Button>
            </Stack>
          ) : (
            <form ref={formRef} onSubmit={submit} noValidate>
              <Stack gap="md">
                <ErrorAlert error={error} />
                <TextInput
                  label={t('fields.email')}
                  type="email"
                  autoComplete="email"
                  value={email}
                  onChange={(event) => setEmail(event.currentTarget.value)}
                  error={fieldErrors['email']}
                  required
                />
                <Button type="submit" loading={pending}>
                  {t('forgot.submit')}
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
