import { Button, Card, Divider, Group, NativeSelect, Skeleton, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { CreateInvitationRequest, locales, type Locale } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { currentLocale, isLocale, localeNames } from '../../i18n';
import { api } from '../../lib/api';
import { apiFieldErrors, focusFirstError, useDescribeError, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import type { InvitationItem, InvitationListBody } from '../../lib/types';
import { roleChoiceOf, roleOptions, useRoleList } from './role-options';
import { useMe } from '../../session/session-provider';
import { roleLabel } from '../../lib/role-label';

export function InvitationsCard() {
  const { t, i18n } = useTranslation();
  const describeError = useDescribeError();
  const queryClient = useQueryClient();
  const invitations = useQuery({ queryKey: ['invitations'], queryFn: () => api.get<InvitationListBody>('/invitations') });
  const locale = i18n.resolvedLanguage ?? 'en';

  const revoke = useMutation({
    mutationFn: (invitation: InvitationItem) => api.delete(`/invitations/${invitation.id}`),
    onSuccess: (_, invitation) => notifications.show({ color: 'green', message: t('staff.invitations.revoked', { email: invitation.email }) }),
    onError: (error) => notifications.show({ color: 'red', message: describeError(error) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['invitations'] }),
  });

  const list = invitations.data?.invitations ?? [];

  return (
    <Card withBorder padding={0}>
      <Stack gap={0}>
        <Stack gap={4} p="lg" pb="sm">
          <Title order={2} fz="lg">
            {t('staff.invitations.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('staff.invitations.subtitle')}
          </Text>
        </Stack>
        <InviteForm />
        <Divider />
        {invitations.isError && !invitations.data ? (
          <Stack p="lg">
            <ErrorAlert error={invitations.error} />
          </Stack>
        ) : invitations.isPending ? (
          <Stack p="lg">
            <Skeleton height={24} />
          </Stack>
        ) : list.length === 0 ? (
          <Text size="sm" c="dimmed" p="lg" data-testid="no-invitations">
            {t('staff.invitations.none')}
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={720}>
            <Table verticalSpacing="sm" horizontalSpacing="md" className="data-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('staff.invitations.columns.email')}</Table.Th>
                  <Table.Th scope="col">{t('staff.invitations.columns.role')}</Table.Th>
                  <Table.Th scope="col">{t('staff.invitations.columns.invitedBy')}</Table.Th>
                  <Table.Th scope="col">{t('staff.invitations.columns.expires')}</Table.Th>
                  <Table.Th scope="col">
                    <span className="visually-hidden-text">{t('common.actions')}</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((invitation) => (
                  <Table.Tr key={invitation.id} data-testid="invitation-row">
                    <Table.Td>
                      <Text size="sm" fw={500}>
                        {invitation.email}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {t('staff.invitations.sentAt', { date: formatDateTime(invitation.createdAt, locale) })}
                      </Text>
                    </Table.Td>
                    <Table.Td>{roleLabel(t, invitation)}</Table.Td>
                    <Table.Td>{invitation.invitedBy}</Table.Td>
                    <Table.Td className="nowrap">{formatDateTime(invitation.expiresAt, locale)}</Table.Td>
                    <Table.Td ta="right">
                      <Button
                        size="xs"
                        variant="light"
                        color="red"
                        onClick={() => revoke.mutate(invitation)}
                        loading={revoke.isPending && revoke.variables?.id === invitation.id}
                        data-testid="revoke-invitation"
                      >
                        {t('staff.invitations.revoke')}
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Card>
  );
}

function InviteForm() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const me = useMe();
  const [role, setRole] = useState<string>('practitioner');
  const roles = useRoleList();
  const options = roleOptions(t, roles.data, me);
  // Someone who may not hand out the default (an administrator, practitioner) starts on the first role they may.
  const offered = options.flatMap((option) => ('items' in option ? option.items : [option])).map((item) => item.value);
  const chosenRole = offered.includes(role) ? role : (offered[0] ?? role);
  const [locale, setLocale] = useState<Locale>(currentLocale());
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = CreateInvitationRequest.safeParse({ email, ...roleChoiceOf(chosenRole), locale });
    if (!parsed.success) {
      setFieldErrors(zodFieldErrors(t, parsed.error));
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setFieldErrors({});
    setError(null);
    setPending(true);
    try {
      await api.post<InvitationItem>('/invitations', parsed.data);
      notifications.show({ color: 'green', message: t('staff.invitations.sent', { email: parsed.data.email }) });
      setEmail('');
      void queryClient.invalidateQueries({ queryKey: ['invitations'] });
    } catch (caught) {
      setError(caught);
      setFieldErrors(apiFieldErrors(t, caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <form ref={formRef} onSubmit={submit} noValidate data-testid="invite-form">
      <Stack gap="sm" px="lg" pb="lg">
        <ErrorAlert error={error} />
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput
            label={t('fields.email')}
            type="email"
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
            error={fieldErrors['email']}
            required
            style={{ flex: '1 1 260px' }}
          />
          <NativeSelect
            label={t('staff.invitations.role')}
            value={chosenRole}
            onChange={(event) => setRole(event.currentTarget.value)}
            data={options}
            data-testid="invite-role"
            w={180}
          />
          <NativeSelect
            label={t('staff.invitations.language')}
            value={locale}
            onChange={(event) => {
              const next = event.currentTarget.value;
              if (isLocale(next)) setLocale(next);
            }}
            data={locales.map((value) => ({ value, label: localeNames[value] }))}
            w={160}
          />
          <Button type="submit" loading={pending}>
            {t('staff.invitations.send')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
