import { Badge, Button, Card, Group, NativeSelect, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { careTeamRoles, type CareTeamList, type CareTeamMember, type CareTeamRole } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { api } from '../../lib/api';
import { plainT, useDescribeError } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { roleLabel } from '../../lib/role-label';
import type { MemberListBody } from '../../lib/types';
import { holds, useMe } from '../../session/session-provider';
import { patientKeys } from './patient-format';

/** The Care team tab: who may open this patient's dossier; added and removed with careteam:manage. */
export function CareTeamTab({ patientId, careTeam }: { patientId: string; careTeam: UseQueryResult<CareTeamList> }) {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const describeError = useDescribeError();
  const queryClient = useQueryClient();
  const locale = i18n.resolvedLanguage ?? 'en';
  const canManage = holds(me, 'careteam:manage');

  const remove = useMutation({
    mutationFn: (member: CareTeamMember) => api.delete(`/patients/${patientId}/care-team/${member.membershipId}`),
    onSuccess: (_, member) => notifications.show({ color: 'green', message: t('careTeam.removed', { name: member.name }) }),
    onError: (error) => notifications.show({ color: 'red', message: describeError(error) }),
    onSettled: () => {
      // Who is in the team decides who may read the dossier: ask again for both.
      void queryClient.invalidateQueries({ queryKey: patientKeys.careTeam(patientId) });
      void queryClient.invalidateQueries({ queryKey: patientKeys.dossier(patientId) });
    },
  });

  const members = careTeam.data?.members ?? [];
  return (
    <Card withBorder padding={0} data-testid="care-team">
      <Stack gap={0}>
        <Stack gap={4} p="lg" pb="sm">
          <Title order={2} fz="lg">
            {t('careTeam.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('careTeam.subtitle')}
          </Text>
        </Stack>
        {careTeam.isError && !careTeam.data ? (
          <Stack p="lg">
            <ErrorAlert error={careTeam.error} />
          </Stack>
        ) : careTeam.isPending ? (
          <Stack p="lg">
            <Skeleton height={24} />
          </Stack>
        ) : members.length === 0 ? (
          <Text size="sm" c="dimmed" p="lg" data-testid="care-team-empty">
            {t('careTeam.none')}
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={620}>
            <Table verticalSpacing="sm" horizontalSpacing="md" className="data-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('careTeam.columns.name')}</Table.Th>
                  <Table.Th scope="col">{t('careTeam.columns.role')}</Table.Th>
                  <Table.Th scope="col">{t('careTeam.columns.roleInTeam')}</Table.Th>
                  <Table.Th scope="col">{t('careTeam.columns.added')}</Table.Th>
                  {canManage ? (
                    <Table.Th scope="col">
                      <span className="visually-hidden-text">{t('common.actions')}</span>
                    </Table.Th>
                  ) : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {members.map((member) => (
                  <Table.Tr key={member.membershipId} data-testid="care-team-row">
                    <Table.Td fw={500}>{member.name}</Table.Td>
                    <Table.Td>{roleLabel(t, member)}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={member.roleInTeam === 'responsible' ? 'blue' : 'gray'}>
                        {plainT(t)(`careTeam.roles.${member.roleInTeam}`)}
                      </Badge>
                    </Table.Td>
                    <Table.Td className="nowrap">{formatDateTime(member.addedAt, locale)}</Table.Td>
                    {canManage ? (
                      <Table.Td ta="right">
                        <Button
                          size="xs"
                          variant="light"
                          color="red"
                          onClick={() => remove.mutate(member)}
                          loading={remove.isPending && remove.variables?.membershipId === member.membershipId}
                          aria-label={t('careTeam.removeNamed', { name: member.name })}
                          data-testid="care-team-remove"
                        >
                          {t('careTeam.remove')}
                        </Button>
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {canManage ? <AddMember patientId={patientId} members={members} /> : null}
      </Stack>
    </Card>
  );
}

/** Adding someone: chosen from the practice's active staff (the list needs staff:manage). */
function AddMember({ patientId, members }: { patientId: string; members: CareTeamMember[] }) {
  const { t } = useTranslation();
  const me = useMe();
  const queryClient = useQueryClient();
  const canListStaff = holds(me, 'staff:manage');
  const staff = useQuery({ queryKey: ['staff'], queryFn: () => api.get<MemberListBody>('/staff'), enabled: canListStaff });
  const [membershipId, setMembershipId] = useState('');
  const [roleInTeam, setRoleInTeam] = useState<CareTeamRole>('member');
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);

  if (!canListStaff) {
    return (
      <Text size="sm" c="dimmed" p="lg">
        {t('careTeam.askManager')}
      </Text>
    );
  }
  const inTeam = new Set(members.map((member) => member.membershipId));
  const candidates = (staff.data?.members ?? []).filter((member) => member.status === 'active' && !inTeam.has(member.id));

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending || !membershipId) return;
    setError(null);
    setPending(true);
    try {
      const list = await api.put<CareTeamList>(`/patients/${patientId}/care-team/${membershipId}`, { roleInTeam });
      queryClient.setQueryData(patientKeys.careTeam(patientId), list);
      void queryClient.invalidateQueries({ queryKey: patientKeys.dossier(patientId) });
      const added = candidates.find((candidate) => candidate.id === membershipId);
      notifications.show({ color: 'green', message: t('careTeam.added', { name: added?.name ?? '' }) });
      setMembershipId('');
    } catch (caught) {
      setError(caught);
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate data-testid="care-team-add">
      <Stack gap="sm" p="lg" pt="sm">
        <ErrorAlert error={error} />
        <Group align="flex-end" gap="sm" wrap="wrap">
          <NativeSelect
            label={t('careTeam.addWho')}
            value={membershipId}
            onChange={(event) => setMembershipId(event.currentTarget.value)}
            data={[{ value: '', label: t('common.choose') }, ...candidates.map((member) => ({ value: member.id, label: `${member.name} (${roleLabel(t, member)})` }))]}
            style={{ flex: '1 1 260px' }}
          />
          <NativeSelect
            label={t('careTeam.columns.roleInTeam')}
            value={roleInTeam}
            onChange={(event) => setRoleInTeam(event.currentTarget.value === 'responsible' ? 'responsible' : 'member')}
            data={careTeamRoles.map((value) => ({ value, label: plainT(t)(`careTeam.roles.${value}`) }))}
            w={200}
          />
          <Button type="submit" loading={pending} disabled={!membershipId}>
            {t('careTeam.add')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
