import { Alert, Anchor, Button, Checkbox, Fieldset, NativeSelect, Paper, SimpleGrid, Stack, Text, TextInput, ThemeIcon, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import {
  SignupRequest,
  countries,
  currentDpaVersion,
  currentTermsVersion,
  defaultPasswordPolicy,
  practiceKinds,
  type PasswordPolicy,
} from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { MailIcon } from '../../components/icons';
import { useDocumentTitle } from '../../components/page-header';
import { PasswordWithPolicy, usePasswordProblems } from '../../components/password-with-policy';
import { PublicLayout } from '../../components/public-layout';
import { currentLocale } from '../../i18n';
import { api } from '../../lib/api';
import { apiFieldErrors, focusFirstError, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import { newPasswordErrors } from '../../lib/new-password';

const emptyForm = {
  organisation: { name: '', street: '', postalCode: '', city: '', country: '', kind: '', companyName: '', registrationNumber: '' },
  owner: { name: '', email: '', phone: '', profession: '', password: '' },
  acceptTerms: false,
  acceptDpa: false,
};
type Form = typeof emptyForm;

/** Sign-up of a practice and its owner; ends with "check your e-mail" whatever the address. */
export function SignupPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('signup.title'));
  const [form, setForm] = useState<Form>(emptyForm);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const policyQuery = useQuery({ queryKey: ['password-policy'], queryFn: () => api.get<PasswordPolicy>('/password-policy') });
  const policy = policyQuery.data ?? defaultPasswordPolicy;
  const contextWords = useMemo(
    () => [form.owner.name, form.owner.email, form.organisation.name].filter(Boolean),
    [form.owner.name, form.owner.email, form.organisation.name],
  );
  const problems = usePasswordProblems(form.owner.password, policy, contextWords);

  const setOrg = (key: keyof Form['organisation']) => (value: string) =>
    setForm((previous) => ({ ...previous, organisation: { ...previous.organisation, [key]: value } }));
  const setOwner = (key: keyof Form['owner']) => (value: string) =>
    setForm((previous) => ({ ...previous, owner: { ...previous.owner, [key]: value } }));

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const { organisation, owner } = form;
    const candidate = {
      organisation: {
        ...organisation,
        companyName: organisation.companyName.trim() || undefined,
        registrationNumber: organisation.registrationNumber.trim() || undefined,
      },
      owner: { ...owner, locale: currentLocale() },
      acceptTerms: form.acceptTerms,
      acceptDpa: form.acceptDpa,
      termsVersion: currentTermsVersion,
      dpaVersion: currentDpaVersion,
    };
    const parsed = SignupRequest.safeParse(candidate);
    const errors: FieldErrors = parsed.success ? {} : zodFieldErrors(t, parsed.error);
    Object.assign(errors, newPasswordErrors(t, problems, owner.password, 'owner.password'));
    setFieldErrors(errors);
    if (!parsed.success || Object.keys(errors).length > 0) {
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setError(null);
    setPending(true);
    try {
      await api.post('/signup', parsed.data);
      setSentTo(parsed.data.owner.email);
      window.scrollTo({ top: 0 });
    } catch (caught) {
      setError(caught);
      setFieldErrors(apiFieldErrors(t, caught, { password: 'owner.password' }));
      requestAnimationFrame(() => focusFirstError(formRef.current));
    } finally {
      setPending(false);
    }
  }

  if (sentTo) {
    return (
      <PublicLayout>
        <Paper withBorder shadow="sm" p="xl" data-testid="signup-done">
          <Stack gap="md" role="status">
            <ThemeIcon size={52} radius="xl" variant="light">
              <MailIcon size={26} />
            </ThemeIcon>
            <Title order={1} fz={26}>
              {t('signup.done.title')}
            </Title>
            <Text>{t('signup.done.body', { email: sentTo })}</Text>
            <Text size="sm" c="dimmed">
              {t('signup.done.hint')}
            </Text>
            <Button component={Link} to="/login" variant="default">
              {t('common.backToLogin')}
            </Button>
          </Stack>
        </Paper>
      </PublicLayout>
    );
  }

  const optional = (label: string) => `${label} ${t('common.optionalSuffix')}`;

  return (
    <PublicLayout width={720}>
      <Stack gap="lg">
        <div>
          <Title order={1} fz={28}>
            {t('signup.title')}
          </Title>
          <Text c="dimmed">{t('signup.subtitle')}</Text>
        </div>
        <Paper withBorder shadow="sm" p={{ base: 'md', sm: 'xl' }}>
          <form ref={formRef} onSubmit={submit} noValidate data-testid="signup-form">
            <Stack gap="xl">
              <ErrorAlert error={error} />
              <Fieldset legend={t('signup.practiceSection')} variant="unstyled">
                <Stack gap="sm">
                  <TextInput
                    label={t('fields.practiceName')}
                    value={form.organisation.name}
                    onChange={(e) => setOrg('name')(e.currentTarget.value)}
                    error={fieldErrors['organisation.name']}
                    autoComplete="organization"
                    required
                  />
                  <TextInput
                    label={t('fields.street')}
                    value={form.organisation.street}
                    onChange={(e) => setOrg('street')(e.currentTarget.value)}
                    error={fieldErrors['organisation.street']}
                    autoComplete="street-address"
                    required
                  />
                  <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                    <TextInput
                      label={t('fields.postalCode')}
                      value={form.organisation.postalCode}
                      onChange={(e) => setOrg('postalCode')(e.currentTarget.value)}
                      error={fieldErrors['organisation.postalCode']}
                      autoComplete="postal-code"
                      required
                    />
                    <TextInput
                      label={t('fields.city')}
                      value={form.organisation.city}
                      onChange={(e) => setOrg('city')(e.currentTarget.value)}
                      error={fieldErrors['organisation.city']}
                      autoComplete="address-level2"
                      required
                    />
                  </SimpleGrid>
                  <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                    <NativeSelect
                      label={t('fields.country')}
                      value={form.organisation.country}
                      onChange={(e) => setOrg('country')(e.currentTarget.value)}
                      error={fieldErrors['organisation.country']}
                      data={[
                        { value: '', label: t('common.choose') },
                        ...countries.map((country) => ({ value: country, label: t(`countries.${country}`) })),
                      ]}
                      required
                    />
                    <NativeSelect
                      label={t('fields.practiceKind')}
                      value={form.organisation.kind}
                      onChange={(e) => setOrg('kind')(e.currentTarget.value)}
                      error={fieldErrors['organisation.kind']}
                      data={[
                        { value: '', label: t('common.choose') },
                        ...practiceKinds.map((kind) => ({ value: kind, label: t(`practiceKinds.${kind}`) })),
                      ]}
                      required
                    />
                  </SimpleGrid>
                  <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                    <TextInput
                      label={optional(t('fields.companyName'))}
                      value={form.organisation.companyName}
                      onChange={(e) => setOrg('companyName')(e.currentTarget.value)}
                      error={fieldErrors['organisation.companyName']}
                    />
                    <TextInput
                      label={optional(t('fields.registrationNumber'))}
                      description={t('fields.registrationNumberHint')}
                      value={form.organisation.registrationNumber}
                      onChange={(e) => setOrg('registrationNumber')(e.currentTarget.value)}
                      error={fieldErrors['organisation.registrationNumber']}
                      inputWrapperOrder={['label', 'input', 'description', 'error']}
                    />
                  </SimpleGrid>
                </Stack>
              </Fieldset>

              <Fieldset legend={t('signup.ownerSection')} variant="unstyled">
                <Stack gap="sm">
                  <Text size="sm" c="dimmed">
                    {t('signup.ownerHint')}
                  </Text>
                  <TextInput
                    label={t('fields.fullName')}
                    value={form.owner.name}
                    onChange={(e) => setOwner('name')(e.currentTarget.value)}
                    error={fieldErrors['owner.name']}
                    autoComplete="name"
                    required
                  />
                  <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                    <TextInput
                      label={t('fields.email')}
                      type="email"
                      value={form.owner.email}
                      onChange={(e) => setOwner('email')(e.currentTarget.value)}
                      error={fieldErrors['owner.email']}
                      autoComplete="email"
                      required
                    />
                    <TextInput
                      label={t('fields.phone')}
                      type="tel"
                      placeholder={t('fields.phonePlaceholder')}
                      value={form.owner.phone}
                      onChange={(e) => setOwner('phone')(e.currentTarget.value)}
                      error={fieldErrors['owner.phone']}
                      autoComplete="tel"
                      required
                    />
                  </SimpleGrid>
                  <TextInput
                    label={t('fields.profession')}
                    description={t('fields.professionHint')}
                    value={form.owner.profession}
                    onChange={(e) => setOwner('profession')(e.currentTarget.value)}
                    error={fieldErrors['owner.profession']}
                    autoComplete="organization-title"
                    inputWrapperOrder={['label', 'input', 'description', 'error']}
                    required
                  />
                  <PasswordWithPolicy
                    label={t('fields.password')}
                    value={form.owner.password}
                    onChange={setOwner('password')}
                    policy={policy}
                    contextWords={contextWords}
                    error={fieldErrors['owner.password']}
                  />
                </Stack>
              </Fieldset>

              <Fieldset legend={t('signup.agreementsSection')} variant="unstyled">
                <Stack gap="sm">
                  <Checkbox
                    label={t('signup.acceptTerms', { version: currentTermsVersion })}
                    checked={form.acceptTerms}
                    onChange={(e) => {
                      const checked = e.currentTarget.checked;
                      setForm((previous) => ({ ...previous, acceptTerms: checked }));
                    }}
                    error={fieldErrors['acceptTerms']}
                    required
                  />
                  <Checkbox
                    label={t('signup.acceptDpa', { version: currentDpaVersion })}
                    checked={form.acceptDpa}
                    onChange={(e) => {
                      const checked = e.currentTarget.checked;
                      setForm((previous) => ({ ...previous, acceptDpa: checked }));
                    }}
                    error={fieldErrors['acceptDpa']}
                    required
                  />
                </Stack>
              </Fieldset>

              <Alert color="gray" variant="light">
                <Text size="sm">{t('signup.privacyNote')}</Text>
              </Alert>

              <Button type="submit" size="md" loading={pending}>
                {t('signup.submit')}
              </Button>
            </Stack>
          </form>
        </Paper>
        <Text size="sm" ta="center">
          {t('signup.haveAccount')}{' '}
          <Anchor component={Link} to="/login">
            {t('signup.loginLink')}
          </Anchor>
        </Text>
      </Stack>
    </PublicLayout>
  );
}
