import { Button, Card, Group, NativeSelect, SimpleGrid, Skeleton, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { UpdateOrganisationRequest, countries, practiceKinds, type Me } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { api } from '../../lib/api';
import { apiFieldErrors, focusFirstError, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import type { OrganisationBody } from '../../lib/types';
import { useSession } from '../../session/session-provider';

export function OrganisationDetailsPage() {
  const { t } = useTranslation();
  const organisation = useQuery({ queryKey: ['organisation'], queryFn: () => api.get<OrganisationBody>('/organisation') });
  return (
    <>
      <PageHeader title={t('details.title')} description={t('details.subtitle')} />
      {organisation.data ? (
        <Stack gap="lg" maw={720}>
          <DetailsForm initial={organisation.data} />
          <Agreements organisation={organisation.data} />
        </Stack>
      ) : organisation.isError ? (
        <ErrorAlert error={organisation.error} />
      ) : (
        <Skeleton height={400} maw={720} />
      )}
    </>
  );
}

function DetailsForm({ initial }: { initial: OrganisationBody }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const { setMe } = useSession();
  const [form, setForm] = useState({
    name: initial.name,
    street: initial.street,
    postalCode: initial.postalCode,
    city: initial.city,
    country: initial.country as string,
    kind: initial.kind as string,
    companyName: initial.companyName ?? '',
    registrationNumber: initial.registrationNumber ?? '',
  });
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const set = (key: keyof typeof form) => (value: string) => setForm((previous) => ({ ...previous, [key]: value }));

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = UpdateOrganisationRequest.safeParse({
      ...form,
      companyName: form.companyName.trim() ? form.companyName : null,
      registrationNumber: form.registrationNumber.trim() ? form.registrationNumber : null,
    });
    if (!parsed.success) {
      setFieldErrors(zodFieldErrors(t, parsed.error));
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setFieldErrors({});
    setError(null);
    setPending(true);
    try {
      const saved = await api.patch<OrganisationBody>('/organisation', parsed.data);
      if (saved) queryClient.setQueryData(['organisation'], saved);
      else void queryClient.invalidateQueries({ queryKey: ['organisation'] });
      notifications.show({ color: 'green', message: t('details.saved') });
      api.get<Me>('/me').then(setMe, () => undefined);
    } catch (caught) {
      setError(caught);
      setFieldErrors(apiFieldErrors(t, caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <Card withBorder padding="lg">
      <form ref={formRef} onSubmit={submit} noValidate data-testid="organisation-form">
        <Stack gap="sm">
          <ErrorAlert error={error} />
          <TextInput label={t('fields.practiceName')} value={form.name} onChange={(e) => set('name')(e.currentTarget.value)} error={fieldErrors['name']} required />
          <TextInput label={t('fields.street')} value={form.street} onChange={(e) => set('street')(e.currentTarget.value)} error={fieldErrors['street']} required />
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label={t('fields.postalCode')} value={form.postalCode} onChange={(e) => set('postalCode')(e.currentTarget.value)} error={fieldErrors['postalCode']} required />
            <TextInput label={t('fields.city')} value={form.city} onChange={(e) => set('city')(e.currentTarget.value)} error={fieldErrors['city']} required />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <NativeSelect
              label={t('fields.country')}
              value={form.country}
              onChange={(e) => set('country')(e.currentTarget.value)}
              data={countries.map((country) => ({ value: country, label: t(`countries.${country}`) }))}
              error={fieldErrors['country']}
              required
            />
            <NativeSelect
              label={t('fields.practiceKind')}
              value={form.kind}
              onChange={(e) => set('kind')(e.currentTarget.value)}
              data={practiceKinds.map((kind) => ({ value: kind, label: t(`practiceKinds.${kind}`) }))}
              error={fieldErrors['kind']}
              required
            />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput
              label={`${t('fields.companyName')} ${t('common.optionalSuffix')}`}
              value={form.companyName}
              onChange={(e) => set('companyName')(e.currentTarget.value)}
              error={fieldErrors['companyName']}
            />
            <TextInput
              label={`${t('fields.registrationNumber')} ${t('common.optionalSuffix')}`}
              value={form.registrationNumber}
              onChange={(e) => set('registrationNumber')(e.currentTarget.value)}
              error={fieldErrors['registrationNumber']}
            />
          </SimpleGrid>
          <Group justify="flex-end" mt="sm">
            <Button type="submit" loading={pending}>
              {t('common.saveChanges')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function Agreements({ organisation }: { organisation: OrganisationBody }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  return (
    <Card withBorder padding="lg">
      <Stack gap="sm">
        <Title order={2} fz="lg">
          {t('details.agreements.title')}
        </Title>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('details.agreements.document')}</Table.Th>
              <Table.Th scope="col">{t('details.agreements.version')}</Table.Th>
              <Table.Th scope="col">{t('details.agreements.accepted')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            <Table.Tr>
              <Table.Td>{t('details.agreements.terms')}</Table.Td>
              <Table.Td className="mono">{organisation.termsVersion}</Table.Td>
              <Table.Td>{formatDateTime(organisation.termsAcceptedAt, locale)}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>{t('details.agreements.dpa')}</Table.Td>
              <Table.Td className="mono">{organisation.dpaVersion}</Table.Td>
              <Table.Td>{formatDateTime(organisation.dpaAcceptedAt, locale)}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
        <Text size="xs" c="dimmed">
          {t('details.agreements.note')}
        </Text>
      </Stack>
    </Card>
  );
}
