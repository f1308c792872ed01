import { Badge, Button, Card, Group, Skeleton, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { api } from '../../lib/api';
import { useDescribeError } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import type { SessionListBody } from '../../lib/types';
import { TrustedDevicesPanel } from '../devices/trusted-devices-panel';

/** Every signed-in device of the account; any of them can be ended from here. */
export function SessionsPage() {
  const { t, i18n } = useTranslation();
  const describeError = useDescribeError();
  const queryClient = useQueryClient();
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: () => api.get<SessionListBody>('/sessions') });

  const endOne = useMutation({
    mutationFn: (id: string) => api.delete(`/sessions/${id}`),
    onSuccess: () => notifications.show({ color: 'green', message: t('sessions.ended') }),
    onError: (error) => notifications.show({ color: 'red', message: describeError(error) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['sessions'] }),
  });
  const endOthers = useMutation({
    mutationFn: () => api.post<{ ended: number }>('/sessions/end-others'),
    onSuccess: (result) => notifications.show({ color: 'green', message: t('sessions.endedOthers', { count: result.ended }) }),
    onError: (error) => notifications.show({ color: 'red', message: describeError(error) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['sessions'] }),
  });

  const list = sessions.data?.sessions ?? [];
  const others = list.filter((session) => !session.current).length;
  const locale = i18n.resolvedLanguage ?? 'en';

  return (
    <>
      <PageHeader
        title={t('sessions.title')}
        description={t('sessions.subtitle')}
        actions={
          <Button
            variant="default"
            color="red"
            onClick={() => endOthers.mutate()}
            loading={endOthers.isPending}
            disabled={others === 0}
            data-testid="end-other-sessions"
          >
            {t('sessions.endOthers')}
          </Button>
        }
      />
      {sessions.isError && !sessions.data ? <ErrorAlert error={sessions.error} /> : null}
      <Card withBorder padding={0}>
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing="sm" horizontalSpacing="md" className="data-table" highlightOnHover>
            <caption className="visually-hidden-text">{t('sessions.caption')}</caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('sessions.columns.device')}</Table.Th>
                <Table.Th scope="col">{t('sessions.columns.ip')}</Table.Th>
                <Table.Th scope="col">{t('sessions.columns.created')}</Table.Th>
                <Table.Th scope="col">{t('sessions.columns.lastActive')}</Table.Th>
                <Table.Th scope="col">{t('sessions.columns.state')}</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden-text">{t('common.actions')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sessions.isPending
                ? [0, 1].map((row) => (
                    <Table.Tr key={row}>
                      <Table.Td colSpan={6}>
                        <Skeleton height={20} />
                      </Table.Td>
                    </Table.Tr>
                  ))
                : list.map((session) => (
                    <Table.Tr key={session.id} data-testid="session-row" data-current={session.current}>
                      <Table.Td>
                        <Stack gap={2}>
                          <Group gap="xs">
                            <Text fw={500} size="sm">
                              {session.device}
                            </Text>
                            {session.current ? (
                              <Badge variant="light" size="sm" data-testid="current-session-badge">
                                {t('sessions.current')}
                              </Badge>
                            ) : null}
                          </Group>
                        </Stack>
                      </Table.Td>
                      <Table.Td className="mono">{session.ip ?? '—'}</Table.Td>
                      <Table.Td className="nowrap">{formatDateTime(session.createdAt, locale)}</Table.Td>
                      <Table.Td className="nowrap">{formatDateTime(session.lastActiveAt, locale)}</Table.Td>
                      <Table.Td>
                        <Badge variant="dot" color={session.state === 'active' ? 'green' : 'gray'} size="sm">
                          {t(`sessions.states.${session.state}`)}
                        </Badge>
                      </Table.Td>
                      <Table.Td ta="right">
                        {session.current ? null : (
                          <Button
                            size="xs"
                            variant="light"
                            color="red"
                            onClick={() => endOne.mutate(session.id)}
                            loading={endOne.isPending && endOne.variables === session.id}
                            data-testid="end-session"
                          >
                            {t('sessions.end')}
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
      <Text size="sm" c="dimmed" mt="md">
        {t('sessions.footnote')}
      </Text>
      <Stack mt="xl">
        <TrustedDevicesPanel />
      </Stack>
    </>
  );
}
