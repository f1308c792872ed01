import { Badge, Button, Card, Group, Modal, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Permission } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { InfoIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { api } from '../../lib/api';
import { useDescribeError } from '../../lib/errors';
import { roleLabel } from '../../lib/role-label';
import type { CustomRoleItem, RoleListBody } from '../../lib/types';
import { isStepUpCancelled, useStepUp } from '../security/step-up';
import { permissionHint, permissionLabel } from './permission-labels';
import { RoleEditor } from './role-editor';

export const rolesKey = ['roles'] as const;

/**
 * The practice's roles (`/roles`, permission role:manage): the built-in roles as Haven fixes
 * them, read-only, and the practice's own roles, which can be created, edited and deleted.
 * Every change asks "Confirm it's you" (step-up) when the last proof is older than five minutes.
 */
export function RolesPage() {
  const { t } = useTranslation();
  const roles = useQuery({ queryKey: rolesKey, queryFn: () => api.get<RoleListBody>('/roles') });
  const [editing, setEditing] = useState<CustomRoleItem | 'new' | null>(null);
  const [deleting, setDeleting] = useState<CustomRoleItem | null>(null);

  return (
    <>
      <PageHeader title={t('customRoles.title')} description={t('customRoles.subtitle')} />
      <Stack gap="xl">
        {roles.isError && !roles.data ? <ErrorAlert error={roles.error} /> : null}

        <Card withBorder padding="lg" data-testid="custom-roles">
          <Stack gap="md">
            <Group justify="space-between" wrap="wrap">
              <Title order={2} fz="lg">
                {t('customRoles.customTitle')}
              </Title>
              <Button onClick={() => setEditing('new')} data-testid="role-create">
                {t('customRoles.create')}
              </Button>
            </Group>
            {roles.isPending ? (
              <Skeleton height={48} />
            ) : (roles.data?.roles ?? []).length === 0 ? (
              <Text size="sm" c="dimmed" data-testid="no-custom-roles">
                {t('customRoles.none')}
              </Text>
            ) : (
              (roles.data?.roles ?? []).map((role) => (
                <Card key={role.id} withBorder padding="md" data-testid="custom-role" data-role-name={role.name}>
                  <Stack gap="xs">
                    <Group justify="space-between" wrap="wrap" gap="sm">
                      <div>
                        <Text fw={600}>{role.name}</Text>
                        <Text size="sm" c="dimmed">
                          {t('customRoles.members', { count: role.memberCount })}
                        </Text>
                      </div>
                      <Group gap="xs">
                        <Button size="xs" variant="default" onClick={() => setEditing(role)} data-testid="role-edit">
                          {t('customRoles.edit')}
                        </Button>
                        <Button size="xs" variant="light" color="red" onClick={() => setDeleting(role)} disabled={role.inUse} data-testid="role-delete">
                          {t('customRoles.delete')}
                        </Button>
                      </Group>
                    </Group>
                    <PermissionBadges permissions={role.permissions} />
                    {role.inUse ? (
                      <Text size="xs" c="dimmed">
                        {t('customRoles.inUse')}
                      </Text>
                    ) : null}
                  </Stack>
                </Card>
              ))
            )}
          </Stack>
        </Card>

        <Card withBorder padding="lg" data-testid="built-in-roles">
          <Stack gap="md">
            <div>
              <Title order={2} fz="lg">
                {t('customRoles.builtInTitle')}
              </Title>
              <Group gap={6} mt={4} wrap="nowrap" align="flex-start">
                <InfoIcon />
                <Text size="sm" c="dimmed">
                  {t('customRoles.builtInNote')}
                </Text>
              </Group>
            </div>
            {roles.isPending ? (
              <Skeleton height={96} />
            ) : (
              <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
                {(roles.data?.builtIn ?? []).map((builtIn) => (
                  <Card key={builtIn.role} withBorder padding="md" data-testid="built-in-role">
                    <Stack gap="xs">
                      <Text fw={600}>{roleLabel(t, builtIn)}</Text>
                      <PermissionBadges permissions={builtIn.permissions} />
                    </Stack>
                  </Card>
                ))}
              </SimpleGrid>
            )}
          </Stack>
        </Card>
      </Stack>

      <RoleEditor role={editing} onClose={() => setEditing(null)} />
      <DeleteRoleDialog role={deleting} onClose={() => setDeleting(null)} />
    </>
  );
}

function PermissionBadges({ permissions }: { permissions: readonly Permission[] }) {
  const { t } = useTranslation();
  return (
    <Group gap={6}>
      {permissions.map((permission) => (
        <Badge key={permission} variant="light" color="gray" tt="none" title={permissionHint(t, permission)}>
          {permissionLabel(t, permission)}
        </Badge>
      ))}
    </Group>
  );
}

function DeleteRoleDialog({ role, onClose }: { role: CustomRoleItem | null; onClose(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const describeError = useDescribeError();
  const remove = useMutation({
    mutationFn: (target: CustomRoleItem) => withStepUp(() => api.delete(`/roles/${target.id}`)),
    onSuccess: (_, target) => {
      notifications.show({ color: 'green', message: t('customRoles.deleted', { name: target.name }) });
      close();
    },
    onError: (error) => {
      if (!isStepUpCancelled(error)) notifications.show({ color: 'red', title: t('customRoles.failed'), message: describeError(error) });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: rolesKey }),
  });

  function close() {
    remove.reset();
    onClose();
  }

  return (
    <Modal opened={role !== null} onClose={close} title={role ? t('customRoles.deleteTitle', { name: role.name }) : ''} centered>
      <Stack gap="md">
        <Text size="sm">{t('customRoles.deleteBody')}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            {t('common.cancel')}
          </Button>
          <Button color="red" loading={remove.isPending} onClick={() => role && remove.mutate(role)} data-testid="role-delete-confirm">
            {t('customRoles.deleteConfirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
