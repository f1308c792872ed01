import { Alert, Button, Checkbox, Fieldset, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { CustomRoleInput, type Permission } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { InfoIcon } from '../../components/icons';
import { api } from '../../lib/api';
import { apiFieldErrors, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import type { CustomRoleItem } from '../../lib/types';
import { holds, useMe } from '../../session/session-provider';
import { isStepUpCancelled, useStepUp } from '../security/step-up';
import { permissionGroups, permissionHint, permissionLabel } from './permission-labels';

/**
 * Creating or editing a custom role: a name and permission checkboxes grouped as on the page,
 * each with a one-line explanation. A permission the person does not hold cannot be given (the
 * server refuses it too: no escalation); one the role already has stays removable.
 */
export function RoleEditor({ role, onClose }: { role: CustomRoleItem | 'new' | null; onClose(): void }) {
  const { t } = useTranslation();
  const existing = role !== null && role !== 'new' ? role : null;
  return (
    <Modal opened={role !== null} onClose={onClose} title={existing ? t('customRoles.editTitle', { name: existing.name }) : t('customRoles.createTitle')} size="lg" centered>
      {/* Keyed, so that opening another role starts from that role's values. */}
      {role !== null ? <RoleForm key={existing?.id ?? 'new'} existing={existing} onClose={onClose} /> : null}
    </Modal>
  );
}

function RoleForm({ existing, onClose }: { existing: CustomRoleItem | null; onClose(): void }) {
  const { t } = useTranslation();
  const me = useMe();
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const [name, setName] = useState(existing?.name ?? '');
  const [chosen, setChosen] = useState<Set<Permission>>(() => new Set(existing?.permissions ?? []));
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);

  function toggle(permission: Permission, on: boolean) {
    setChosen((current) => {
      const next = new Set(current);
      if (on) next.add(permission);
      else next.delete(permission);
      return next;
    });
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = CustomRoleInput.safeParse({ name, permissions: [...chosen] });
    if (!parsed.success) {
      const errors = zodFieldErrors(t, parsed.error);
      if (chosen.size === 0) errors['permissions'] = t('customRoles.noneChosen');
      setFieldErrors(errors);
      return;
    }
    setFieldErrors({});
    setError(null);
    setPending(true);
    try {
      const saved = await withStepUp(() => (existing ? api.patch<CustomRoleItem>(`/roles/${existing.id}`, parsed.data) : api.post<CustomRoleItem>('/roles', parsed.data)));
      notifications.show({ color: 'green', message: t(existing ? 'customRoles.saved' : 'customRoles.created', { name: saved.name }) });
      void queryClient.invalidateQueries({ queryKey: ['roles'] });
      void queryClient.invalidateQueries({ queryKey: ['staff'] });
      onClose();
    } catch (caught) {
      if (isStepUpCancelled(caught)) return;
      setError(caught);
      setFieldErrors(apiFieldErrors(t, caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate data-testid="role-editor">
      <Stack gap="md">
        <ErrorAlert error={error} />
        <TextInput
          label={t('customRoles.name')}
          description={t('customRoles.nameHint')}
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          error={fieldErrors['name']}
          maxLength={60}
          required
          data-autofocus
          data-testid="role-name"
        />
        {permissionGroups.map((group) => (
          <Fieldset key={group.key} legend={t(`customRoles.groups.${group.key}`)} data-testid={`role-group-${group.key}`}>
            <Stack gap="sm">
              {group.key === 'clinical' ? (
                <Text size="sm" c="dimmed">
                  {t('customRoles.clinicalNote')}
                </Text>
              ) : null}
              {group.permissions.map((permission) => {
                const mine = holds(me, permission);
                const checked = chosen.has(permission);
                return (
                  <Checkbox
                    key={permission}
                    label={permissionLabel(t, permission)}
                    description={mine ? permissionHint(t, permission) : `${permissionHint(t, permission)} ${t('customRoles.notYours')}`}
                    checked={checked}
                    disabled={!mine && !checked}
                    onChange={(event) => toggle(permission, event.currentTarget.checked)}
                    data-testid={`permission-${permission}`}
                  />
                );
              })}
            </Stack>
          </Fieldset>
        ))}
        {fieldErrors['permissions'] ? (
          <Text size="sm" c="red" role="alert">
            {fieldErrors['permissions']}
          </Text>
        ) : null}
        {existing ? (
          <Alert color="blue" variant="light" icon={<InfoIcon />}>
            <Text size="sm">{t('customRoles.appliesNow')}</Text>
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={pending} data-testid="role-save">
            {t('customRoles.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
