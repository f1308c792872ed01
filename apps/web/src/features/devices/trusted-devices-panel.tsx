import { Badge, Button, Card, Group, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/error-alert';
import { api } from '../../lib/api';
import { useDescribeError } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import type { DeviceListBody } from '../../lib/types';

/** A country code as its name in the reader's language ("DE" → "Germany"). */
function countryName(code: string | null, locale: string, unknown: string): string {
  if (!code) return unknown;
  try {
    return new Intl.DisplayNames([locale], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * The browsers that have signed in to my account, with their trust ("skip the second factor until
 * …"): shown on the sessions page and on My security. Trust ends one by one or all at once.
 */
export function TrustedDevicesPanel() {
  const { t, i18n } = useTranslation();
  const describeError = useDescribeError();
  const queryClient = useQueryClient();
  const devices = useQuery({ queryKey: ['devices'], queryFn: () => api.get<DeviceListBody>('/me/devices') });
  const locale = i18n.resolvedLanguage ?? 'en';
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['devices'] });

  const revokeOne = useMutation({
    mutationFn: (id: string) => api.delete(`/me/devices/${id}/trust`),
    onSuccess: () => notifications.show({ color: 'green', message: t('devices.revoked') }),
    onError: (error) => notifications.show({ color: 'red', message: describeError(error) }),
    onSettled: refresh,
  });
  const revokeAll = useMutation({
    mutationFn: () => api.post<{ revoked: number }>('/me/devices/end-trust'),
    onSuccess: (result) => notifications.show({ color: 'green', message: t('devices.revokedAll', { count: result.revoked }) }),
    onError: (error) => notifications.show({ color: 'red', message: describeError(error) }),
    onSettled: refresh,
  });

  const list = devices.data?.devices ?? [];
  const trusted = list.filter((device) => device.trustedUntil !== null).length;
  const countries = (devices.data?.countries ?? []).map((code) => countryName(code, locale, code)).join(', ');

  return (
    <Card withBorder padding="lg" data-testid="trusted-devices">
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start">
          <div>
            <Title order={2} fz="lg">
              {t('devices.title')}
            </Title>
            <Text size="sm" c="dimmed">
              {t('devices.intro')}
            </Text>
          </div>
          <Button variant="default" color="red" size="xs" onClick={() => revokeAll.mutate()} loading={revokeAll.isPending} disabled={trusted === 0} data-testid="revoke-all-trust">
            {t('devices.revokeAll')}
          </Button>
        </Group>
        {devices.data && devices.data.trustedDeviceHours === 0 ? (
          <Text size="sm" c="dimmed">
            {t('devices.trustOff')}
          </Text>
        ) : null}
        {devices.isError && !devices.data ? <ErrorAlert error={devices.error} /> : null}
        <Table.ScrollContainer minWidth={640}>
          <Table verticalSpacing="xs" className="data-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('sessions.columns.device')}</Table.Th>
                <Table.Th scope="col">{t('devices.lastSeen')}</Table.Th>
                <Table.Th scope="col">{t('devices.country')}</Table.Th>
                <Table.Th scope="col">{t('devices.trust')}</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden-text">{t('common.actions')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {devices.isPending ? (
                <Table.Tr>
                  <Table.Td colSpan={5}>
                    <Skeleton height={20} />
                  </Table.Td>
                </Table.Tr>
              ) : list.length === 0 ? (
                <Table.Tr>
                  <Table.Td colSpan={5}>
                    <Text size="sm" c="dimmed">
                      {t('devices.none')}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ) : (
                list.map((device) => (
                  <Table.Tr key={device.id} data-testid="device-row" data-current={device.current} data-trusted={device.trustedUntil !== null}>
                    <Table.Td>
                      <Group gap="xs">
                        <Text fw={500} size="sm">
                          {device.label}
                        </Text>
                        {device.current ? (
                          <Badge variant="light" size="sm">
                            {t('devices.current')}
                          </Badge>
                        ) : null}
                      </Group>
                      <Text size="xs" c="dimmed">
                        {t('devices.firstSeen')}: {formatDateTime(device.firstSeenAt, locale)}
                      </Text>
                    </Table.Td>
                    <Table.Td className="nowrap">{formatDateTime(device.lastSeenAt, locale)}</Table.Td>
                    <Table.Td>{countryName(device.lastCountry, locale, t('devices.unknownCountry'))}</Table.Td>
                    <Table.Td className="nowrap">
                      {device.trustedUntil ? (
                        <Badge variant="dot" color="green" size="sm">
                          {t('devices.trustedUntil', { time: formatDateTime(device.trustedUntil, locale) })}
                        </Badge>
                      ) : (
                        <Text size="sm" c="dimmed">
                          {t('devices.notTrusted')}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td ta="right">
                      {device.trustedUntil ? (
                        <Button
                          size="xs"
                          variant="light"
                          color="red"
                          onClick={() => revokeOne.mutate(device.id)}
                          loading={revokeOne.isPending && revokeOne.variables === device.id}
                          data-testid="revoke-trust"
                        >
                          {t('devices.revoke')}
                        </Button>
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                ))
              )}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {countries ? (
          <Text size="xs" c="dimmed">
            {t('devices.countries', { list: countries })}
          </Text>
        ) : null}
      </Stack>
    </Card>
  );
}
