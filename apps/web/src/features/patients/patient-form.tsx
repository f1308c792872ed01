import { Group, NativeSelect, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  countries,
  nationalIdKinds,
  normaliseNationalId,
  patientSexes,
  validNationalId,
  type NationalIdKind,
  type PatientInput,
  type PatientUpdate,
  type PatientView,
} from '@haven/contracts';
import type { z } from 'zod';

type Country = (typeof countries)[number];
import { ApiError } from '../../lib/api';
import { apiFieldErrors, plainT, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import { nationalIdKindLabel, sexLabel, todayIsoDate } from './patient-format';

type T = ReturnType<typeof useTranslation>['t'];

/** What the form holds: strings as typed; turned into PatientInput / PatientUpdate on saving. */
export interface PatientFormValues {
  family: string;
  given: string;
  birthDate: string;
  sex: string;
  gender: string;
  email: string;
  phone: string;
  street: string;
  postalCode: string;
  city: string;
  country: Country;
  notes: string;
  idKind: NationalIdKind | '';
  idValue: string;
}

export function emptyPatientForm(language: string): PatientFormValues {
  const country: Country = language === 'de' ? 'DE' : 'NL';
  return { family: '', given: '', birthDate: '', sex: '', gender: '', email: '', phone: '', street: '', postalCode: '', city: '', country, notes: '', idKind: '', idValue: '' };
}

export function patientFormFrom(patient: PatientView): PatientFormValues {
  const address = patient.contact.address;
  return {
    family: patient.name.family,
    given: patient.name.given,
    birthDate: patient.birthDate,
    sex: patient.sex,
    gender: patient.gender ?? '',
    email: patient.contact.email ?? '',
    phone: patient.contact.phone ?? '',
    street: address?.street ?? '',
    postalCode: address?.postalCode ?? '',
    city: address?.city ?? '',
    country: address?.country ?? 'NL',
    notes: patient.notes ?? '',
    idKind: patient.nationalId?.kind ?? '',
    idValue: patient.nationalId?.value ?? '',
  };
}

const trimmed = (value: string): string | undefined => (value.trim() ? value.trim() : undefined);

/** The contact part of the form (also the portal's own "change my contact details"). */
export type ContactFormValues = Pick<PatientFormValues, 'email' | 'phone' | 'street' | 'postalCode' | 'city' | 'country'>;

/** A patient's contact details as the contract has them (PatientContact), from the form's strings. */
export function contactOf(values: ContactFormValues) {
  // The address is all or nothing: any part typed sends it, and the schema asks for the rest.
  const anyAddress = [values.street, values.postalCode, values.city].some((part) => part.trim());
  return {
    ...(trimmed(values.email) ? { email: values.email.trim() } : {}),
    ...(trimmed(values.phone) ? { phone: values.phone.trim() } : {}),
    ...(anyAddress ? { address: { street: values.street, postalCode: values.postalCode, city: values.city, country: values.country } } : {}),
  };
}

/** The body of POST /patients (checked with PatientInput before sending). */
export function toPatientInput(values: PatientFormValues): unknown {
  return {
    name: { family: values.family, given: values.given },
    birthDate: values.birthDate,
    sex: values.sex,
    ...(trimmed(values.gender) ? { gender: values.gender } : {}),
    contact: contactOf(values),
    ...(trimmed(values.notes) ? { notes: values.notes } : {}),
    ...(values.idKind && values.idValue.trim() ? { nationalId: { kind: values.idKind, value: values.idValue } } : {}),
  } satisfies Partial<Record<keyof PatientInput, unknown>>;
}

/** The body of PATCH /patients/:id: every field, emptied ones as null (the form shows them all). */
export function toPatientUpdate(values: PatientFormValues): unknown {
  return {
    name: { family: values.family, given: values.given },
    birthDate: values.birthDate,
    sex: values.sex,
    gender: trimmed(values.gender) ? values.gender : null,
    contact: contactOf(values),
    notes: trimmed(values.notes) ? values.notes : null,
    nationalId: values.idKind && values.idValue.trim() ? { kind: values.idKind, value: values.idValue } : null,
  } satisfies Partial<Record<keyof PatientUpdate, unknown>>;
}

/** Field keys as the form names them: `nationalId.value` and `nationalId.kind` both land on the identifier. */
const normaliseKey = (key: string): string => (key.startsWith('nationalId') ? 'nationalId' : key);

/** Checks before sending: the contract schema, plus the birth date against today. */
export function clientPatientErrors(translate: T, values: PatientFormValues, error: z.ZodError | undefined): FieldErrors {
  const t = plainT(translate);
  const result: FieldErrors = {};
  if (error) {
    for (const [key, message] of Object.entries(zodFieldErrors(translate, error))) result[normaliseKey(key)] ??= message;
  }
  if (result['nationalId'] && values.idKind) result['nationalId'] = t('patients.form.nationalIdWrong', { kind: nationalIdKindLabel(translate, values.idKind) });
  if (values.birthDate && result['birthDate']) result['birthDate'] = t('patients.form.birthDateInvalid');
  if (!result['birthDate'] && values.birthDate > todayIsoDate()) result['birthDate'] = t('patients.form.birthDateInFuture');
  return result;
}

/** The server's refusals on the fields they concern, with the known issues in words. */
export function serverPatientErrors(translate: T, values: PatientFormValues, error: unknown): FieldErrors {
  const t = plainT(translate);
  const result: FieldErrors = {};
  for (const [key, message] of Object.entries(apiFieldErrors(translate, error))) result[normaliseKey(key)] ??= message;
  if (error instanceof ApiError) {
    for (const { path, issue } of error.fields) {
      if (path.startsWith('nationalId') && issue === 'checksum' && values.idKind) {
        result['nationalId'] = t('patients.form.nationalIdWrong', { kind: nationalIdKindLabel(translate, values.idKind) });
      }
      if (path === 'birthDate' && issue === 'in_future') result['birthDate'] = t('patients.form.birthDateInFuture');
    }
    if (error.code === 'PATIENT_ALREADY_EXISTS') result['nationalId'] = t('patients.form.nationalIdTaken');
  }
  return result;
}

/** The error key each form field's messages are under. */
const errorKeyOf: Record<keyof PatientFormValues, string> = {
  family: 'name.family',
  given: 'name.given',
  birthDate: 'birthDate',
  sex: 'sex',
  gender: 'gender',
  email: 'contact.email',
  phone: 'contact.phone',
  street: 'contact.address.street',
  postalCode: 'contact.address.postalCode',
  city: 'contact.address.city',
  country: 'contact.address.country',
  notes: 'notes',
  idKind: 'nationalId',
  idValue: 'nationalId',
};

/** Once a field is changed its old message no longer applies (the live checks take over). */
export function withoutChangedErrors(errors: FieldErrors, before: PatientFormValues, after: PatientFormValues): FieldErrors {
  const changed = new Set((Object.keys(errorKeyOf) as (keyof PatientFormValues)[]).filter((field) => before[field] !== after[field]).map((field) => errorKeyOf[field]));
  if (changed.size === 0) return errors;
  return Object.fromEntries(Object.entries(errors).filter(([key]) => !changed.has(key)));
}

/** How long each kind of identifier is once complete (a wrong one is only called wrong from then on). */
const completeLength: Record<NationalIdKind, number> = { bsn: 9, kvnr: 10, svnr: 10 };

/** The patient's fields, shared by "New patient" and the Details tab's edit form. */
export function PatientFormFields({
  values,
  onChange,
  errors,
}: {
  values: PatientFormValues;
  onChange(next: PatientFormValues): void;
  errors: FieldErrors;
}) {
  const { t } = useTranslation();
  const set = (field: keyof PatientFormValues) => (event: { currentTarget: { value: string } }) => onChange({ ...values, [field]: event.currentTarget.value });
  const optional = (label: string) => `${label} ${t('common.optionalSuffix')}`;

  return (
    <Stack gap="lg">
      <Stack gap="sm">
        <Title order={2} fz="md">
          {t('patients.form.personSection')}
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <TextInput label={t('patients.fields.familyName')} value={values.family} onChange={set('family')} error={errors['name.family']} required autoComplete="off" />
          <TextInput label={t('patients.fields.givenName')} value={values.given} onChange={set('given')} error={errors['name.given']} required autoComplete="off" />
          <TextInput label={t('patients.fields.birthDate')} type="date" value={values.birthDate} onChange={set('birthDate')} error={errors['birthDate']} required max={todayIsoDate()} min="1880-01-01" />
          <NativeSelect
            label={t('patients.fields.sex')}
            value={values.sex}
            onChange={set('sex')}
            error={errors['sex']}
            required
            data={[{ value: '', label: t('common.choose') }, ...patientSexes.map((sex) => ({ value: sex, label: sexLabel(t, sex) }))]}
          />
          <TextInput label={optional(t('patients.fields.gender'))} description={t('patients.form.genderHint')} value={values.gender} onChange={set('gender')} error={errors['gender']} autoComplete="off" />
        </SimpleGrid>
        <NationalIdField values={values} onChange={onChange} error={errors['nationalId']} />
      </Stack>
      <Stack gap="sm">
        <Title order={2} fz="md">
          {t('patients.form.contactSection')}
        </Title>
        <PatientContactFields values={values} onChange={(field, value) => onChange({ ...values, [field]: value })} errors={errors} />
      </Stack>
      <Textarea
        label={optional(t('patients.fields.notes'))}
        description={t('patients.form.notesHint')}
        value={values.notes}
        onChange={set('notes')}
        error={errors['notes']}
        autosize
        minRows={3}
        maxRows={10}
      />
    </Stack>
  );
}

/**
 * E-mail, phone and address, with their errors under `contact.…`. Staff typing someone else's
 * details get no autofill (`own` false); a patient changing their own in the portal does.
 */
export function PatientContactFields({
  values,
  onChange,
  errors,
  own = false,
}: {
  values: ContactFormValues;
  onChange(field: keyof ContactFormValues, value: string): void;
  errors: FieldErrors;
  own?: boolean;
}) {
  const { t } = useTranslation();
  const set = (field: keyof ContactFormValues) => (event: { currentTarget: { value: string } }) => onChange(field, event.currentTarget.value);
  const optional = (label: string) => `${label} ${t('common.optionalSuffix')}`;
  const auto = (token: string) => (own ? token : 'off');
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
      <TextInput label={optional(t('fields.email'))} type="email" value={values.email} onChange={set('email')} error={errors['contact.email']} autoComplete={auto('email')} />
      <TextInput label={optional(t('fields.phone'))} type="tel" placeholder={t('fields.phonePlaceholder')} value={values.phone} onChange={set('phone')} error={errors['contact.phone']} autoComplete={auto('tel')} />
      <TextInput label={optional(t('fields.street'))} value={values.street} onChange={set('street')} error={errors['contact.address.street']} autoComplete={auto('street-address')} />
      <TextInput label={optional(t('fields.postalCode'))} value={values.postalCode} onChange={set('postalCode')} error={errors['contact.address.postalCode']} autoComplete={auto('postal-code')} />
      <TextInput label={optional(t('fields.city'))} value={values.city} onChange={set('city')} error={errors['contact.address.city']} autoComplete={auto('address-level2')} />
      <NativeSelect
        label={t('fields.country')}
        value={values.country}
        onChange={set('country')}
        error={errors['contact.address.country']}
        data={countries.map((country) => ({ value: country, label: plainT(t)(`countries.${country}`) }))}
      />
    </SimpleGrid>
  );
}

/**
 * The national identifier with its check digit checked while typing (the same validator as the
 * server's), so a mistyped number is caught before anyone searches or saves with it.
 */
function NationalIdField({ values, onChange, error }: { values: PatientFormValues; onChange(next: PatientFormValues): void; error: string | undefined }) {
  const { t } = useTranslation();
  const [touched, setTouched] = useState(false);
  const kind = values.idKind;
  const typed = values.idValue.trim();
  const valid = kind && typed ? validNationalId(kind, typed) !== null : null;
  const complete = kind ? normaliseNationalId(typed).length >= completeLength[kind] : false;
  const kindName = kind ? nationalIdKindLabel(t, kind) : '';
  // A wrong number is said so once it is complete or the field is left; before that, only the format.
  const liveError = valid === false && (complete || touched) ? t('patients.form.nationalIdWrong', { kind: kindName }) : undefined;
  const shownError = error ?? liveError;
  const description = !kind
    ? t('patients.form.nationalIdChooseKind')
    : valid
      ? t('patients.form.nationalIdValid', { kind: kindName })
      : plainT(t)(`patients.form.nationalIdFormat.${kind}`);

  return (
    <Group align="flex-start" gap="sm" wrap="wrap" data-testid="national-id-field" data-state={valid === null ? 'empty' : valid ? 'valid' : 'invalid'}>
      <NativeSelect
        label={t('patients.fields.nationalIdKind')}
        value={kind}
        onChange={(event) => {
          const next = event.currentTarget.value;
          onChange({ ...values, idKind: (nationalIdKinds as readonly string[]).includes(next) ? (next as NationalIdKind) : '' });
        }}
        data={[{ value: '', label: t('patients.form.noNationalId') }, ...nationalIdKinds.map((value) => ({ value, label: nationalIdKindLabel(t, value) }))]}
        w={220}
      />
      <TextInput
        label={t('patients.fields.nationalId')}
        value={values.idValue}
        onChange={(event) => {
          onChange({ ...values, idValue: event.currentTarget.value });
          setTouched(false);
        }}
        onBlur={() => setTouched(true)}
        disabled={!kind}
        description={shownError ? undefined : description}
        error={shownError}
        inputMode={kind === 'kvnr' ? 'text' : 'numeric'}
        autoComplete="off"
        spellCheck={false}
        style={{ flex: '1 1 240px' }}
      />
      {/* Said aloud as it changes; the text beside the field says the same (not by colour alone). */}
      <Text className="visually-hidden-text" aria-live="polite" component="span">
        {shownError ?? (valid ? description : '')}
      </Text>
    </Group>
  );
}
