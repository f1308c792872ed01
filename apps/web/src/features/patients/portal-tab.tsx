import { Badge, Button, Card, Group, NativeSelect, Skeleton, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { locales, PatientInvitationRequest, type Locale, type PatientPortalStatus, type PatientView } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { currentLocale, localeNames } from '../../i18n';
import { api } from '../../lib/api';
import { apiFieldErrors, focusFirstError, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { patientKeys } from './patient-format';

/**
 * The Portal tab (patient:invite): whether the patient has portal access or an invitation under
 * way, and the invitation itself — to the patient's contact address unless another is given, in
 * the patient's language. An invitation can be withdrawn until it is used.
 */
export function PortalTab({ patient }: { patient: PatientView }) {
  const { t } = useTranslation();
  const status = useQuery({ queryKey: patientKeys.portal(patient.id), queryFn: () => api.get<PatientPortalStatus>(`/patients/${patient.id}/portal`) });

  return (
    <Card withBorder padding="lg" data-testid="patient-portal">
      <Stack gap="md">
        <div>
          <Title order={2} fz="lg">
            {t('patientPortal.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('patientPortal.subtitle')}
          </Text>
        </div>
        {status.isPending ? (
          <Skeleton height={80} />
        ) : status.isError ? (
          <ErrorAlert error={status.error} />
        ) : (
          <PortalState patient={patient} status={status.data} />
        )}
      </Stack>
    </Card>
  );
}

function PortalState({ patient, status }: { patient: PatientView; status: PatientPortalStatus }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const queryClient = useQueryClient();
  const [revoking, setRevoking] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function revoke() {
    setRevoking(true);
    setError(null);
    try {
      await api.delete(`/patients/${patient.id}/invitation`);
      notifications.show({ color: 'green', message: t('patientPortal.revoked') });
    } catch (caught) {
      setError(caught);
    } finally {
      setRevoking(false);
      void queryClient.invalidateQueries({ queryKey: patientKeys.portal(patient.id) });
    }
  }

  if (status.account) {
    const active = status.account.status === 'active';
    return (
      <Group gap="sm" data-testid="patient-portal-state" data-state={active ? 'active' : 'deactivated'}>
        <Badge color={active ? 'green' : 'gray'} variant="light">
          {active ? t('patientPortal.active') : t('patientPortal.deactivated')}
        </Badge>
        <Text size="sm">{t('patientPortal.since', { date: formatDateTime(status.account.createdAt, locale) })}</Text>
      </Group>
    );
  }
  if (status.invitation) {
    const invitation = status.invitation;
    return (
      <Stack gap="sm" data-testid="patient-portal-state" data-state="invited">
        <Group gap="sm">
          <Badge color="orange" variant="light">
            {t('patientPortal.invited')}
          </Badge>
          <Text size="sm" data-testid="patient-portal-invitation">
            {t('patientPortal.invitationSent', {
              email: invitation.email,
              date: formatDateTime(invitation.createdAt, locale),
              name: invitation.invitedBy || '—',
            })}
          </Text>
        </Group>
        <Text size="sm" c="dimmed">
          {t('patientPortal.validUntil', { date: formatDateTime(invitation.expiresAt, locale) })}
        </Text>
        <ErrorAlert error={error} />
        <Group>
          <Button variant="default" color="red" c="red.8" onClick={() => void revoke()} loading={revoking} data-testid="patient-portal-revoke">
            {t('patientPortal.revoke')}
          </Button>
        </Group>
      </Stack>
    );
  }
  return <InviteForm patient={patient} />;
}

function InviteForm({ patient }: { patient: PatientView }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState(patient.contact.email ?? '');
  const [language, setLanguage] = useState<Locale>(currentLocale());
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = PatientInvitationRequest.safeParse({ locale: language, ...(email.trim() ? { email: email.trim() } : {}) });
    const found: FieldErrors = parsed.success ? {} : zodFieldErrors(t, parsed.error);
    // The server would use the contact address; without one there is nowhere to send it.
    if (!email.trim()) found['email'] = t('validation.required');
    setErrors(found);
    if (!parsed.success || Object.keys(found).length > 0) {
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setError(null);
    setPending(true);
    try {
      const status = await api.post<PatientPortalStatus>(`/patients/${patient.id}/invitation`, parsed.data);
      queryClient.setQueryData(patientKeys.portal(patient.id), status);
      notifications.show({ color: 'green', message: t('patientPortal.sent', { email: parsed.data.email ?? email }) });
    } catch (caught) {
      setError(caught);
      setErrors(apiFieldErrors(t, caught));
      void queryClient.invalidateQueries({ queryKey: patientKeys.portal(patient.id) });
    } finally {
      setPending(false);
    }
  }

  return (
    <form ref={formRef} onSubmit={submit} noValidate data-testid="patient-portal-invite">
      <Stack gap="sm">
        <Group gap="sm" data-testid="patient-portal-state" data-state="none">
          <Badge color="gray" variant="light">
            {t('patientPortal.none')}
          </Badge>
          <Text size="sm">{t('patientPortal.inviteExplanation')}</Text>
        </Group>
        <ErrorAlert error={error} />
        <Group align="flex-start" gap="sm" wrap="wrap">
          <TextInput
            label={t('patientPortal.email')}
            description={patient.contact.email ? t('patientPortal.emailFromContact') : t('patientPortal.emailNoContact')}
            type="email"
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
            error={errors['email']}
            autoComplete="off"
            required
            style={{ flex: '1 1 280px' }}
          />
          <NativeSelect
            label={t('patientPortal.language')}
            value={language}
            onChange={(event) => setLanguage((locales as readonly string[]).includes(event.currentTarget.value) ? (event.currentTarget.value as Locale) : 'en')}
            data={locales.map((value) => ({ value, label: localeNames[value] }))}
            w={240}
          />
        </Group>
        <Group>
          <Button type="submit" loading={pending} data-testid="patient-portal-send">
            {t('patientPortal.send')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
