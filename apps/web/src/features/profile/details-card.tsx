import { Button, Card, Group, NativeSelect, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { UpdateMeRequest, locales, type Me } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { isLocale, localeNames } from '../../i18n';
import { api } from '../../lib/api';
import { apiFieldErrors, focusFirstError, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import { useMe, useSession } from '../../session/session-provider';

export function DetailsCard() {
  const { t } = useTranslation();
  const me = useMe();
  const { setMe } = useSession();
  const [name, setName] = useState(me.account.name);
  const [phone, setPhone] = useState(me.account.phone ?? '');
  const [profession, setProfession] = useState(me.account.profession ?? '');
  const [locale, setLocaleValue] = useState(me.account.locale);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = UpdateMeRequest.safeParse({
      name,
      phone: phone.trim() ? phone : null,
      profession: profession.trim() ? profession : null,
      locale,
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
      const updated = await api.patch<Me>('/me', parsed.data);
      setMe(updated);
      notifications.show({ color: 'green', message: t('profile.details.saved') });
    } catch (caught) {
      setError(caught);
      setFieldErrors(apiFieldErrors(t, caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <Card withBorder padding="lg">
      <form ref={formRef} onSubmit={submit} noValidate data-testid="profile-details-form">
        <Stack gap="md">
          <div>
            <Title order={2} fz="lg">
              {t('profile.details.title')}
            </Title>
            <Text size="sm" c="dimmed">
              {t('profile.details.subtitle')}
            </Text>
          </div>
          <ErrorAlert error={error} />
          <TextInput
            label={t('fields.fullName')}
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            error={fieldErrors['name']}
            autoComplete="name"
            required
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput
              label={`${t('fields.phone')} ${t('common.optionalSuffix')}`}
              type="tel"
              value={phone}
              onChange={(event) => setPhone(event.currentTarget.value)}
              error={fieldErrors['phone']}
              autoComplete="tel"
            />
            <TextInput
              label={`${t('fields.profession')} ${t('common.optionalSuffix')}`}
              value={profession}
              onChange={(event) => setProfession(event.currentTarget.value)}
              error={fieldErrors['profession']}
            />
          </SimpleGrid>
          <NativeSelect
            label={t('fields.emailLanguage')}
            description={t('fields.emailLanguageHint')}
            value={locale}
            onChange={(event) => {
              const next = event.currentTarget.value;
              if (isLocale(next)) setLocaleValue(next);
            }}
            data={locales.map((value) => ({ value, label: localeNames[value] }))}
            maw={320}
          />
          <Group justify="flex-end">
            <Button type="submit" loading={pending}>
              {t('common.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
