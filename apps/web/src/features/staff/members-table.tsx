import { Badge, Button, Card, Group, NativeSelect, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../lib/api';
import { useDescribeError } from '../../lib/errors';
import { formatDate } from '../../lib/format';
import type { MemberItem } from '../../lib/types';
import { useMe } from '../../session/session-provider';
import { ResetFactorsDialog } from './reset-factors-dialog';
import { roleChoiceOf, roleOptions, roleValue, useRoleList, type RoleChoice } from './role-options';
import { roleLabel } from '../../lib/role-label';

type Action = { kind: 'role'; member: MemberItem; choice: RoleChoice; label: string } | { kind: 'deactivate' | 'reactivate' | 'end-sessions'; member: MemberItem };

export function MembersTable({ members, loading }: { members: MemberItem[] | undefined; loading: boolean }) {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const describeError = useDescribeError();
  const queryClient = useQueryClient();
  const locale = i18n.resolvedLanguage ?? 'en';
  const [resetting, setResetting] = useState<MemberItem | null>(null);
  const roles = useRoleList();
  const options = roleOptions(t, roles.data, me);
  // Only owners touch owners (the server says the same); nobody resets their own factors here.
  const mayReset = (member: MemberItem) => member.accountId !== me.account.id && member.status === 'active' && (member.role !== 'owner' || me.organisation?.role === 'owner');

  const action = useMutation({
    mutationFn: async (input: Action) => {
      const path = `/staff/${input.member.id}`;
      switch (input.kind) {
        case 'role':
          return api.patch<unknown>(path, input.choice);
        case 'deactivate':
          return api.post<unknown>(`${path}/deactivate`);
        case 'reactivate':
          return api.post<unknown>(`${path}/reactivate`);
        case 'end-sessions':
          return api.post<{ ended: number }>(`${path}/end-sessions`);
      }
    },
    onSuccess: (result, input) => {
      const name = input.member.name;
      const message =
        input.kind === 'role'
          ? t('staff.members.roleChanged', { name, role: input.label })
          : input.kind === 'deactivate'
            ? t('staff.members.deactivated', { name })
            : input.kind === 'reactivate'
              ? t('staff.members.reactivated', { name })
              : t('staff.members.sessionsEnded', { name, count: (result as { ended?: number } | undefined)?.ended ?? 0 });
      notifications.show({ color: 'green', message });
    },
    onError: (error) => notifications.show({ color: 'red', title: t('staff.members.failed'), message: describeError(error) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['staff'] }),
  });

  const busy = (member: MemberItem, kind: Action['kind']) =>
    action.isPending && action.variables?.member.id === member.id && action.variables.kind === kind;

  return (
    <Card withBorder padding={0}>
      <Stack gap={0}>
        <Group p="lg" pb="sm">
          <Title order={2} fz="lg">
            {t('staff.members.title')}
          </Title>
        </Group>
        <Table.ScrollContainer minWidth={900}>
          <Table verticalSpacing="sm" horizontalSpacing="md" className="data-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('staff.members.columns.name')}</Table.Th>
                <Table.Th scope="col">{t('staff.members.columns.role')}</Table.Th>
                <Table.Th scope="col">{t('staff.members.columns.status')}</Table.Th>
                <Table.Th scope="col">{t('staff.members.columns.since')}</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden-text">{t('common.actions')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {loading
                ? [0, 1, 2].map((row) => (
                    <Table.Tr key={row}>
                      <Table.Td colSpan={5}>
                        <Skeleton height={24} />
                      </Table.Td>
                    </Table.Tr>
                  ))
                : (members ?? []).map((member) => {
                    const isSelf = member.accountId === me.account.id;
                    const active = member.status === 'active';
                    return (
                      <Table.Tr key={member.id} data-testid="member-row" data-member-id={member.id}>
                        <Table.Td>
                          <Group gap="xs" wrap="nowrap">
                            <Text size="sm" fw={500}>
                              {member.name}
                            </Text>
                            {isSelf ? (
                              <Badge size="xs" variant="outline">
                                {t('staff.members.you')}
                              </Badge>
                            ) : null}
                          </Group>
                          <Text size="xs" c="dimmed">
                            {member.email}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <NativeSelect
                            size="xs"
                            w={170}
                            aria-label={t('staff.members.roleOf', { name: member.name })}
                            value={roleValue(member)}
                            disabled={!active || action.isPending}
                            onChange={(event) => {
                              const select = event.currentTarget;
                              const value = select.value;
                              const label = select.selectedOptions[0]?.text ?? value;
                              if (value !== roleValue(member)) action.mutate({ kind: 'role', member, choice: roleChoiceOf(value), label });
                            }}
                            // A custom role deleted meanwhile, or not yet loaded, still shows by name.
                            data={options.some((option) => ('items' in option ? option.items : [option]).some((item) => item.value === roleValue(member))) ? options : [...options, { value: roleValue(member), label: roleLabel(t, member) }]}
                            data-testid="member-role"
                          />
                        </Table.Td>
                        <Table.Td>
                          <Badge variant="dot" color={active ? 'green' : 'gray'} size="sm">
                            {t(`staff.members.status.${member.status}`)}
                          </Badge>
                        </Table.Td>
                        <Table.Td className="nowrap">{formatDate(member.createdAt, locale)}</Table.Td>
                        <Table.Td>
                          <Group gap="xs" justify="flex-end" wrap="wrap">
                            <Button
                              size="xs"
                              variant="default"
                              onClick={() => action.mutate({ kind: 'end-sessions', member })}
                              loading={busy(member, 'end-sessions')}
                              disabled={!active}
                              data-testid="member-end-sessions"
                            >
                              {t('staff.members.endSessions')}
                            </Button>
                            {mayReset(member) ? (
                              <Button size="xs" variant="default" onClick={() => setResetting(member)} data-testid="member-reset-factors">
                                {t('staff.members.resetFactors')}
                              </Button>
                            ) : null}
                            {active ? (
                              <Button
                                size="xs"
                                variant="light"
                                color="red"
                                onClick={() => action.mutate({ kind: 'deactivate', member })}
                                loading={busy(member, 'deactivate')}
                                data-testid="member-deactivate"
                              >
                                {t('staff.members.deactivate')}
                              </Button>
                            ) : (
                              <Button
                                size="xs"
                                variant="light"
                                onClick={() => action.mutate({ kind: 'reactivate', member })}
                                loading={busy(member, 'reactivate')}
                                data-testid="member-reactivate"
                              >
                                {t('staff.members.reactivate')}
                              </Button>
                            )}
                          </Group>
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>
      <ResetFactorsDialog member={resetting} onClose={() => setResetting(null)} />
    </Card>
  );
}
