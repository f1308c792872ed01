import { Alert, Anchor, Button, Card, Group, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { PatientInput, type PatientView } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { api, isApiError } from '../../lib/api';
import { focusFirstError, type FieldErrors } from '../../lib/errors';
import { patientKeys, patientName } from './patient-format';
import { clientPatientErrors, emptyPatientForm, PatientFormFields, serverPatientErrors, withoutChangedErrors, toPatientInput, type PatientFormValues } from './patient-form';

/** `/patients/new`: register a patient. Checked as the server checks it before anything is sent. */
export function NewPatientPage() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<PatientFormValues>(() => emptyPatientForm(i18n.resolvedLanguage ?? 'en'));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = PatientInput.safeParse(toPatientInput(values));
    const found = clientPatientErrors(t, values, parsed.success ? undefined : parsed.error);
    if (!parsed.success || Object.keys(found).length > 0) {
      setErrors(found);
      setError(null);
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setErrors({});
    setError(null);
    setPending(true);
    try {
      const created = await api.post<PatientView>('/patients', parsed.data);
      void queryClient.invalidateQueries({ queryKey: patientKeys.all });
      notifications.show({ color: 'green', message: t('patients.new.created', { name: patientName(created.name) }) });
      void navigate(`/patients/${created.id}`);
    } catch (caught) {
      setError(caught);
      setErrors(serverPatientErrors(t, values, caught));
      requestAnimationFrame(() => focusFirstError(formRef.current));
    } finally {
      setPending(false);
    }
  }

  const duplicate = isApiError(error, 'PATIENT_ALREADY_EXISTS');

  return (
    <>
      <PageHeader title={t('patients.new.title')} description={t('patients.new.subtitle')} />
      <Card withBorder padding="lg" maw={880}>
        <form ref={formRef} onSubmit={submit} noValidate data-testid="new-patient-form">
          <Stack gap="lg">
            {duplicate ? (
              <Alert color="orange" variant="light" icon={<AlertIcon />} title={t('patients.new.duplicateTitle')} role="alert" data-testid="patient-duplicate">
                <Stack gap={4}>
                  <Text size="sm">{t('patients.new.duplicateBody')}</Text>
                  <Anchor component={Link} to="/patients" size="sm">
                    {t('patients.new.duplicateSearch')}
                  </Anchor>
                </Stack>
              </Alert>
            ) : (
              <ErrorAlert error={error} />
            )}
            <PatientFormFields
              values={values}
              onChange={(next) => {
                setErrors((current) => withoutChangedErrors(current, values, next));
                setValues(next);
              }}
              errors={errors}
            />
            <Group justify="flex-end" gap="sm">
              <Button variant="default" component={Link} to="/patients">
                {t('common.cancel')}
              </Button>
              <Button type="submit" loading={pending} data-testid="new-patient-submit">
                {t('patients.new.submit')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Card>
    </>
  );
}
