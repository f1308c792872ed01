import { Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { AcceptPatientInvitationRequest, type PatientInvitationPreview } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { BuildingIcon } from '../../components/icons';
import { InvitationFrame } from '../../components/invitation-frame';
import { PasswordField } from '../../components/password-field';
import { PasswordWithPolicy, usePasswordProblems } from '../../components/password-with-policy';
import { currentLocale } from '../../i18n';
import { api } from '../../lib/api';
import { apiFieldErrors, focusFirstError, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import { newPasswordErrors } from '../../lib/new-password';
import type { LoginNotice } from '../auth/login-page';

/**
 * `/accept-patient-invitation#token=…`: the link in the practice's invitation mail, the only way
 * a patient account comes to be. A new person gives the name their account shows and a password
 * under the practice's policy (checked live, as the server will); someone who already has a Haven
 * account proves it with that password. Then to the sign-in, which leads to the portal.
 */
export function AcceptPatientInvitationPage() {
  const { t } = useTranslation();
  return (
    <InvitationFrame<PatientInvitationPreview> title={t('portalInvitation.title')} subtitle={t('portalInvitation.subtitle')} previewPath="/patient-invitations/preview">
      {(token, preview) => <AcceptForm token={token} preview={preview} />}
    </InvitationFrame>
  );
}

function AcceptForm({ token, preview }: { token: string; preview: PatientInvitationPreview }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const contextWords = useMemo(() => [name, preview.email, preview.organisationName].filter(Boolean), [name, preview]);
  const problems = usePasswordProblems(password, preview.passwordPolicy, contextWords);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const candidate = preview.accountExists ? { token, password } : { token, password, name, locale: currentLocale() };
    const parsed = AcceptPatientInvitationRequest.safeParse(candidate);
    const errors: FieldErrors = parsed.success ? {} : zodFieldErrors(t, parsed.error);
    if (!preview.accountExists) {
      if (!name.trim()) errors['name'] = t('validation.required');
      Object.assign(errors, newPasswordErrors(t, problems, password));
    } else if (!password) {
      errors['password'] = t('validation.required');
    }
    setFieldErrors(errors);
    if (!parsed.success || Object.keys(errors).length > 0) {
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setError(null);
    setPending(true);
    try {
      await api.post('/patient-invitations/accept', parsed.data);
      void navigate('/login', {
        replace: true,
        state: { reason: 'portalJoined', organisationName: preview.organisationName, email: preview.email } satisfies LoginNotice,
      });
    } catch (caught) {
      setError(caught);
      setFieldErrors(apiFieldErrors(t, caught));
      setPending(false);
    }
  }

  return (
    <form ref={formRef} onSubmit={submit} noValidate data-testid="accept-patient-invitation-form">
      <Stack gap="md">
        <Group gap="sm" wrap="nowrap" align="flex-start">
          <BuildingIcon size={28} />
          <div>
            <Text fw={600} fz="lg" data-testid="patient-invitation-organisation">
              {preview.organisationName}
            </Text>
            <Text size="sm" c="dimmed">
              {t('portalInvitation.invitedBy')}
            </Text>
          </div>
        </Group>
        <ErrorAlert error={error} />
        <TextInput label={t('fields.email')} value={preview.email} readOnly variant="filled" data-testid="patient-invitation-email" />
        {preview.accountExists ? (
          <>
            <Text size="sm">{t('portalInvitation.existingAccount')}</Text>
            <PasswordField
              label={t('fields.password')}
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.currentTarget.value)}
              error={fieldErrors['password']}
              required
            />
          </>
        ) : (
          <>
            <Text size="sm" c="dimmed">
              {t('portalInvitation.newAccount')}
            </Text>
            <TextInput
              label={t('fields.fullName')}
              description={t('portalInvitation.nameHint')}
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
              error={fieldErrors['name']}
              autoComplete="name"
              required
            />
            <PasswordWithPolicy
              label={t('fields.password')}
              value={password}
              onChange={setPassword}
              policy={preview.passwordPolicy}
              contextWords={contextWords}
              error={fieldErrors['password']}
            />
          </>
        )}
        <Button type="submit" loading={pending} data-testid="patient-invitation-submit">
          {t('portalInvitation.submit')}
        </Button>
      </Stack>
    </form>
  );
}
