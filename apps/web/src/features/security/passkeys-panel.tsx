import { Badge, Button, Card, Group, Modal, Skeleton, Stack, Text, TextInput, ThemeIcon, Title, Tooltip } from '@mantine/core';
import { PasskeyIcon } from '../../components/icons';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { PasskeyName } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { api } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import type { PasskeyItem, PasskeyListBody, SecuritySummaryBody } from '../../lib/types';
import { securitySummaryKey } from './codes';
import { passkeysKey } from './passkey-api';
import { PasskeySetup } from './passkey-setup';
import { isStepUpCancelled, useStepUp } from './step-up';

/**
 * My passkeys, on My security: what they are and why they are the safest way in, the list (name,
 * added, last used, synced or on one device), add one, rename or remove one. Changes need a
 * recent proof (step-up), like every change to one's factors.
 */
export function PasskeysPanel({ summary }: { summary: SecuritySummaryBody }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: passkeysKey, queryFn: () => api.get<PasskeyListBody>('/me/passkeys') });
  const [adding, setAdding] = useState(false);
  const [renaming, setRenaming] = useState<PasskeyItem | null>(null);
  const [removing, setRemoving] = useState<PasskeyItem | null>(null);

  const passkeys = list.data?.passkeys ?? [];
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: passkeysKey });
    await queryClient.invalidateQueries({ queryKey: securitySummaryKey });
  };

  return (
    <Card withBorder padding="lg" data-testid="passkeys-status" data-count={list.data ? passkeys.length : undefined}>
      <Stack gap="md">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Group gap="sm" wrap="nowrap" align="flex-start">
            <ThemeIcon variant="light" size={36} radius="xl" style={{ flex: 'none' }}>
              <PasskeyIcon />
            </ThemeIcon>
            <div>
              <Title order={2} fz="lg">
                {t('passkeys.title')}
              </Title>
              <Text size="sm" c="dimmed">
                {t('passkeys.subtitle')}
              </Text>
            </div>
          </Group>
          <Badge color="green" variant="light" style={{ flex: 'none' }}>
            {t('passkeys.recommended')}
          </Badge>
        </Group>
        <Text size="sm">{t('passkeys.why')}</Text>

        {list.isError ? (
          <ErrorAlert error={list.error} />
        ) : !list.data ? (
          <Skeleton height={56} />
        ) : passkeys.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="passkeys-none">
            {t('passkeys.none')}
          </Text>
        ) : (
          <Stack gap={0} component="ul" p={0} m={0} style={{ listStyle: 'none' }}>
            {passkeys.map((passkey, index) => (
              <Group
                key={passkey.id}
                component="li"
                justify="space-between"
                wrap="wrap"
                gap="sm"
                py="sm"
                style={index > 0 ? { borderTop: '1px solid var(--mantine-color-gray-3)' } : undefined}
                data-testid="passkey-item"
                data-passkey-id={passkey.id}
              >
                <Stack gap={2} style={{ minWidth: 0, flex: '1 1 240px' }}>
                  <Group gap="xs" wrap="nowrap">
                    <Text fw={600} size="sm" data-testid="passkey-name" style={{ overflowWrap: 'anywhere' }}>
                      {passkey.name}
                    </Text>
                    {passkey.backedUp ? (
                      <Tooltip label={t('passkeys.syncedHint')} withArrow multiline w={260}>
                        <Badge size="sm" variant="light" color="gray" style={{ flex: 'none' }}>
                          {t('passkeys.synced')}
                        </Badge>
                      </Tooltip>
                    ) : null}
                  </Group>
                  <Text size="xs" c="dimmed">
                    {t('passkeys.created', { date: formatDateTime(passkey.createdAt, locale) })}
                    {' · '}
                    <span data-testid="passkey-last-used">
                      {passkey.lastUsedAt ? t('passkeys.lastUsed', { date: formatDateTime(passkey.lastUsedAt, locale) }) : t('passkeys.neverUsed')}
                    </span>
                  </Text>
                </Stack>
                <Group gap="xs">
                  <Button size="xs" variant="default" onClick={() => setRenaming(passkey)} data-testid="passkey-rename" aria-label={`${t('passkeys.rename')}: ${passkey.name}`}>
                    {t('passkeys.rename')}
                  </Button>
                  <Button size="xs" variant="default" c="red.8" onClick={() => setRemoving(passkey)} data-testid="passkey-remove" aria-label={`${t('passkeys.remove')}: ${passkey.name}`}>
                    {t('passkeys.remove')}
                  </Button>
                </Group>
              </Group>
            ))}
          </Stack>
        )}
        <Group justify="flex-end">
          <Button leftSection={<PasskeyIcon size={16} />} onClick={() => setAdding(true)} disabled={!list.data} data-testid="passkey-add">
            {t('passkeys.add')}
          </Button>
        </Group>
      </Stack>

      <Modal opened={adding} onClose={() => setAdding(false)} title={t('passkeys.setup.title')} centered size="lg">
        {adding ? (
          <PasskeySetup
            enrolment={false}
            onCancel={() => setAdding(false)}
            onDone={({ passkey }) => {
              setAdding(false);
              notifications.show({ color: 'green', message: t('passkeys.added', { name: passkey.name }) });
              void refresh();
            }}
          />
        ) : null}
      </Modal>
      <RenameDialog passkey={renaming} onClose={() => setRenaming(null)} onRenamed={() => void refresh()} />
      <RemoveDialog passkey={removing} last={passkeys.length === 1 && !summary.totp} onClose={() => setRemoving(null)} onRemoved={() => void refresh()} />
    </Card>
  );
}

function RenameDialog({ passkey, onClose, onRenamed }: { passkey: PasskeyItem | null; onClose(): void; onRenamed(): void }) {
  const { t } = useTranslation();
  return (
    <Modal opened={passkey !== null} onClose={onClose} title={t('passkeys.renameTitle')} centered>
      {passkey ? <RenameForm key={passkey.id} passkey={passkey} onClose={onClose} onRenamed={onRenamed} /> : null}
    </Modal>
  );
}

function RenameForm({ passkey, onClose, onRenamed }: { passkey: PasskeyItem; onClose(): void; onRenamed(): void }) {
  const { t } = useTranslation();
  const withStepUp = useStepUp();
  const [name, setName] = useState(passkey.name);
  const [nameError, setNameError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = PasskeyName.safeParse(name);
    if (!parsed.success) {
      setNameError(name.trim() ? t('passkeys.setup.nameInvalid') : t('validation.required'));
      requestAnimationFrame(() => inputRef.current?.focus());
      return;
    }
    setNameError(undefined);
    setError(null);
    setPending(true);
    try {
      await withStepUp(() => api.patch<PasskeyItem>(`/me/passkeys/${passkey.id}`, { name: parsed.data }));
      notifications.show({ color: 'green', message: t('passkeys.renamed') });
      onRenamed();
      onClose();
    } catch (caught) {
      if (!isStepUpCancelled(caught)) setError(caught);
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate data-testid="passkey-rename-dialog">
      <Stack gap="md">
        <ErrorAlert error={error} />
        <TextInput
          ref={inputRef}
          label={t('passkeys.setup.nameLabel')}
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          error={nameError}
          maxLength={64}
          required
          data-autofocus
          data-testid="passkey-rename-input"
        />
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose} disabled={pending}>
            {t('mySecurity.cancel')}
          </Button>
          <Button type="submit" loading={pending} data-testid="passkey-rename-submit">
            {t('passkeys.renameSubmit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function RemoveDialog({ passkey, last, onClose, onRemoved }: { passkey: PasskeyItem | null; last: boolean; onClose(): void; onRemoved(): void }) {
  const { t } = useTranslation();
  const withStepUp = useStepUp();
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);

  async function remove() {
    if (!passkey || pending) return;
    setError(null);
    setPending(true);
    try {
      await withStepUp(() => api.delete(`/me/passkeys/${passkey.id}`));
      notifications.show({ color: 'green', message: t('passkeys.removed') });
      onRemoved();
      onClose();
    } catch (caught) {
      if (!isStepUpCancelled(caught)) setError(caught);
    } finally {
      setPending(false);
    }
  }

  return (
    <Modal
      opened={passkey !== null}
      onClose={() => {
        if (pending) return;
        setError(null);
        onClose();
      }}
      title={t('passkeys.removeTitle')}
      centered
    >
      <Stack gap="lg" data-testid="passkey-remove-dialog">
        <Text size="sm">{t('passkeys.removeBody', { name: passkey?.name ?? '' })}</Text>
        {last ? <Text size="sm">{t('passkeys.removeBodyLast')}</Text> : null}
        <ErrorAlert error={error} />
        <Group justify="flex-end" gap="sm">
          <Button
            variant="default"
            onClick={() => {
              setError(null);
              onClose();
            }}
            disabled={pending}
            data-testid="passkey-remove-cancel"
          >
            {t('mySecurity.cancel')}
          </Button>
          <Button color="red" onClick={() => void remove()} loading={pending} data-testid="passkey-remove-confirm">
            {t('passkeys.removeConfirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
