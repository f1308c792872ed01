import { Alert, Button, Card, Group, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { PortalContactUpdate, type PortalMe } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { InfoIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { api } from '../../lib/api';
import { apiFieldErrors, focusFirstError, plainT, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import { formatBirthDate, nationalIdKindLabel, sexLabel } from '../patients/patient-format';
import { contactOf, PatientContactFields, type ContactFormValues } from '../patients/patient-form';
import { CommentDialog } from './comment-dialog';
import { fetchPortalMe, portalKeys } from './portal-api';

/**
 * `/portal/details`: what the practice registered about the patient. Contact details are the
 * patient's own to keep current; everything else the practice corrects, on request.
 */
export function PortalDetailsPage() {
  const { t } = useTranslation();
  const portal = useQuery({ queryKey: portalKeys.me, queryFn: fetchPortalMe });
  const [editing, setEditing] = useState(false);
  const [requesting, setRequesting] = useState(false);

  return (
    <>
      <PageHeader title={t('portal.details.title')} description={t('portal.details.subtitle')} />
      {portal.isPending ? (
        <Skeleton height={240} />
      ) : portal.isError ? (
        <ErrorAlert error={portal.error} />
      ) : (
        <Stack gap="lg">
          <Registered portal={portal.data} />
          {editing ? (
            <EditContact portal={portal.data} onDone={() => setEditing(false)} />
          ) : (
            <Contact portal={portal.data} onEdit={() => setEditing(true)} />
          )}
          <Card withBorder padding="lg">
            <Group justify="space-between" align="center" gap="md" wrap="wrap">
              <div style={{ flex: '1 1 320px' }}>
                <Title order={2} fz="md">
                  {t('portal.details.wrong.title')}
                </Title>
                <Text size="sm" c="dimmed">
                  {t('portal.details.wrong.body')}
                </Text>
              </div>
              <Button variant="default" onClick={() => setRequesting(true)} data-testid="portal-request-correction">
                {t('portal.details.wrong.action')}
              </Button>
            </Group>
          </Card>
        </Stack>
      )}
      <CommentDialog opened={requesting} onClose={() => setRequesting(false)} initialKind="correction_request" />
    </>
  );
}

function Registered({ portal }: { portal: PortalMe }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const patient = portal.patient;
  const none = t('patients.details.none');
  return (
    <Card withBorder padding="lg" data-testid="portal-registered">
      <Stack gap="md">
        <div>
          <Title order={2} fz="lg">
            {t('portal.details.registered.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('portal.details.registered.subtitle', { organisation: portal.organisation.name })}
          </Text>
        </div>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" component="dl" style={{ margin: 0 }}>
          <Item label={t('patients.fields.familyName')}>{patient.name.family}</Item>
          <Item label={t('patients.fields.givenName')}>{patient.name.given}</Item>
          <Item label={t('patients.fields.birthDate')}>{formatBirthDate(patient.birthDate, locale)}</Item>
          <Item label={t('patients.fields.sex')}>{sexLabel(t, patient.sex)}</Item>
          <Item label={t('patients.fields.gender')}>{patient.gender ?? none}</Item>
          <Item label={t('patients.fields.nationalId')}>{patient.nationalId ? `${nationalIdKindLabel(t, patient.nationalId.kind)}: ${patient.nationalId.value}` : none}</Item>
        </SimpleGrid>
      </Stack>
    </Card>
  );
}

function Contact({ portal, onEdit }: { portal: PortalMe; onEdit(): void }) {
  const { t } = useTranslation();
  const contact = portal.patient.contact;
  const address = contact.address;
  const none = t('patients.details.none');
  return (
    <Card withBorder padding="lg" data-testid="portal-contact">
      <Stack gap="md">
        <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
          <div>
            <Title order={2} fz="lg">
              {t('portal.details.contact.title')}
            </Title>
            <Text size="sm" c="dimmed">
              {t('portal.details.contact.subtitle')}
            </Text>
          </div>
          <Button onClick={onEdit} data-testid="portal-contact-edit">
            {t('portal.details.contact.edit')}
          </Button>
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" component="dl" style={{ margin: 0 }}>
          <Item label={t('fields.email')} testId="portal-contact-email">
            {contact.email ?? none}
          </Item>
          <Item label={t('fields.phone')} testId="portal-contact-phone">
            {contact.phone ?? none}
          </Item>
          <Item label={t('patients.details.address')} testId="portal-contact-address">
            {address ? `${address.street}, ${address.postalCode} ${address.city}, ${plainT(t)(`countries.${address.country}`)}` : none}
          </Item>
        </SimpleGrid>
      </Stack>
    </Card>
  );
}

function Item({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div>
      <Text component="dt" size="xs" c="dimmed" fw={600}>
        {label}
      </Text>
      <Text component="dd" size="sm" m={0} data-testid={testId}>
        {children}
      </Text>
    </div>
  );
}

/** Error paths of the contact body (`email`, `address.city`) as the shared fields name them (`contact.…`). */
const underContact = (errors: FieldErrors): FieldErrors => Object.fromEntries(Object.entries(errors).map(([key, message]) => [`contact.${key}`, message]));

/** Where a field's message is kept: `contact.phone`, `contact.address.city`. */
const contactErrorKey = (field: keyof ContactFormValues): string => (field === 'email' || field === 'phone' ? `contact.${field}` : `contact.address.${field}`);

function EditContact({ portal, onDone }: { portal: PortalMe; onDone(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const contact = portal.patient.contact;
  const [values, setValues] = useState<ContactFormValues>({
    email: contact.email ?? '',
    phone: contact.phone ?? '',
    street: contact.address?.street ?? '',
    postalCode: contact.address?.postalCode ?? '',
    city: contact.address?.city ?? '',
    country: contact.address?.country ?? 'NL',
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = PortalContactUpdate.safeParse(contactOf(values));
    if (!parsed.success) {
      setErrors(underContact(zodFieldErrors(t, parsed.error)));
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setErrors({});
    setError(null);
    setPending(true);
    try {
      const updated = await api.patch<PortalMe | undefined>('/portal/me/contact', parsed.data);
      if (updated?.patient) queryClient.setQueryData(portalKeys.me, updated);
      await queryClient.invalidateQueries({ queryKey: portalKeys.me });
      notifications.show({ color: 'green', message: t('portal.details.contact.saved') });
      onDone();
    } catch (caught) {
      setError(caught);
      setErrors(underContact(apiFieldErrors(t, caught)));
      requestAnimationFrame(() => focusFirstError(formRef.current));
    } finally {
      setPending(false);
    }
  }

  return (
    <Card withBorder padding="lg">
      <form ref={formRef} onSubmit={submit} noValidate data-testid="portal-contact-form">
        <Stack gap="md">
          <Title order={2} fz="lg">
            {t('portal.details.contact.editTitle')}
          </Title>
          <Alert variant="light" color="haven" icon={<InfoIcon />}>
            <Text size="sm">{t('portal.details.contact.editHint')}</Text>
          </Alert>
          <ErrorAlert error={error} />
          <PatientContactFields
            values={values}
            onChange={(field, value) => {
              setValues({ ...values, [field]: value });
              // Once changed, the field's old message no longer applies.
              setErrors(({ [contactErrorKey(field)]: _dropped, ...rest }) => rest);
            }}
            errors={errors}
            own
          />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onDone} disabled={pending}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={pending} data-testid="portal-contact-save">
              {t('common.saveChanges')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
