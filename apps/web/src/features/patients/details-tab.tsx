import { Button, Card, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { PatientUpdate, type PatientView } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { api } from '../../lib/api';
import { focusFirstError, plainT, type FieldErrors } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { holds, useMe } from '../../session/session-provider';
import { formatBirthDate, nationalIdKindLabel, patientKeys, sexLabel } from './patient-format';
import { clientPatientErrors, PatientFormFields, patientFormFrom, serverPatientErrors, withoutChangedErrors, toPatientUpdate, type PatientFormValues } from './patient-form';

/** The Details tab: what the practice registered, and (with patient:update) a form to change it. */
export function DetailsTab({ patient }: { patient: PatientView }) {
  const me = useMe();
  const [editing, setEditing] = useState(false);
  if (editing) return <EditDetails patient={patient} onDone={() => setEditing(false)} />;
  return <ViewDetails patient={patient} onEdit={holds(me, 'patient:update') ? () => setEditing(true) : undefined} />;
}

function ViewDetails({ patient, onEdit }: { patient: PatientView; onEdit: (() => void) | undefined }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const address = patient.contact.address;
  const none = t('patients.details.none');
  return (
    <Card withBorder padding="lg" data-testid="patient-details">
      <Stack gap="md">
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" component="dl" style={{ margin: 0 }}>
          <Item label={t('patients.fields.familyName')}>{patient.name.family}</Item>
          <Item label={t('patients.fields.givenName')}>{patient.name.given}</Item>
          <Item label={t('patients.fields.birthDate')}>{formatBirthDate(patient.birthDate, locale)}</Item>
          <Item label={t('patients.fields.sex')}>{sexLabel(t, patient.sex)}</Item>
          <Item label={t('patients.fields.gender')}>{patient.gender ?? none}</Item>
          <Item label={t('patients.fields.nationalId')}>
            {patient.nationalId ? `${nationalIdKindLabel(t, patient.nationalId.kind)}: ${patient.nationalId.value}` : none}
          </Item>
          <Item label={t('fields.email')}>{patient.contact.email ?? none}</Item>
          <Item label={t('fields.phone')}>{patient.contact.phone ?? none}</Item>
          <Item label={t('patients.details.address')}>
            {address ? `${address.street}, ${address.postalCode} ${address.city}, ${plainT(t)(`countries.${address.country}`)}` : none}
          </Item>
          <Item label={t('patients.details.updated')}>{formatDateTime(patient.updatedAt, locale)}</Item>
        </SimpleGrid>
        <Item label={t('patients.fields.notes')}>
          <span style={{ whiteSpace: 'pre-wrap' }}>{patient.notes ?? none}</span>
        </Item>
        {onEdit ? (
          <Group>
            <Button variant="default" onClick={onEdit} data-testid="patient-edit">
              {t('patients.details.edit')}
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Card>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text component="dt" size="xs" c="dimmed" fw={600}>
        {label}
      </Text>
      <Text component="dd" size="sm" m={0}>
        {children}
      </Text>
    </div>
  );
}

function EditDetails({ patient, onDone }: { patient: PatientView; onDone(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<PatientFormValues>(() => patientFormFrom(patient));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = PatientUpdate.safeParse(toPatientUpdate(values));
    const found = clientPatientErrors(t, values, parsed.success ? undefined : parsed.error);
    if (!parsed.success || Object.keys(found).length > 0) {
      setErrors(found);
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setErrors({});
    setError(null);
    setPending(true);
    try {
      const updated = await api.patch<PatientView>(`/patients/${patient.id}`, parsed.data);
      queryClient.setQueryData(patientKeys.one(patient.id), updated);
      void queryClient.invalidateQueries({ queryKey: patientKeys.browse });
      notifications.show({ color: 'green', message: t('patients.details.saved') });
      onDone();
    } catch (caught) {
      setError(caught);
      setErrors(serverPatientErrors(t, values, caught));
      requestAnimationFrame(() => focusFirstError(formRef.current));
    } finally {
      setPending(false);
    }
  }

  return (
    <Card withBorder padding="lg">
      <form ref={formRef} onSubmit={submit} noValidate data-testid="patient-edit-form">
        <Stack gap="lg">
          <ErrorAlert error={error} />
          <PatientFormFields
              values={values}
              onChange={(next) => {
                setErrors((current) => withoutChangedErrors(current, values, next));
                setValues(next);
              }}
              errors={errors}
            />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onDone} disabled={pending}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={pending} data-testid="patient-edit-save">
              {t('common.saveChanges')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
