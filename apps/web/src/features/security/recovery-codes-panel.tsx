import { Alert, Box, Button, Checkbox, Group, Paper, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { AlertIcon, CheckIcon, CopyIcon, DownloadFileIcon } from '../../components/icons';
import { formatDateTime } from '../../lib/format';
import { useSession } from '../../session/session-provider';
import { copyText, downloadText } from './codes';

interface Props {
  codes: readonly string[];
  /** After "I have stored these codes" is ticked and "Done" pressed. */
  onDone(): void;
  doneLabel?: string;
  pending?: boolean;
}

/**
 * A fresh set of recovery codes, shown this once (only their hashes are kept): copy, download as
 * a text file, and a tick that they are stored before going on.
 */
export function RecoveryCodesPanel({ codes, onDone, doneLabel, pending }: Props) {
  const { t, i18n } = useTranslation();
  const { me } = useSession();
  const [stored, setStored] = useState(false);
  const [storedError, setStoredError] = useState<string | undefined>();
  const [createdAt] = useState(() => new Date().toISOString());

  const plain = codes.join('\n');

  async function copy() {
    const copied = await copyText(plain);
    notifications.show(
      copied
        ? { color: 'green', message: t('recoveryCodes.copied') }
        : { color: 'red', message: t('recoveryCodes.copyFailed') },
    );
  }

  function download() {
    const lines = [
      t('recoveryCodes.file.title'),
      ...(me ? [t('recoveryCodes.file.account', { email: me.account.email })] : []),
      t('recoveryCodes.file.server', { server: window.location.host }),
      t('recoveryCodes.file.created', { date: formatDateTime(createdAt, i18n.resolvedLanguage ?? 'en') }),
      '',
      t('recoveryCodes.file.usage'),
      t('recoveryCodes.file.keep'),
      '',
      ...codes.map((code, index) => `${String(index + 1).padStart(2, ' ')}. ${code}`),
      '',
    ];
    downloadText('haven-recovery-codes.txt', lines.join('\r\n'));
  }

  function done() {
    if (!stored) {
      setStoredError(t('recoveryCodes.storedRequired'));
      return;
    }
    onDone();
  }

  return (
    <Stack gap="md" data-testid="recovery-codes-panel">
      <Alert color="orange" variant="light" icon={<AlertIcon />} title={t('recoveryCodes.onceTitle')}>
        <Text size="sm">{t('recoveryCodes.onceBody')}</Text>
      </Alert>
      <Paper withBorder p={{ base: 'sm', xs: 'md' }} radius="md" bg="gray.0">
        {/* A grid of one or two columns; the numbers sit inside each cell, so they never run into the codes. */}
        <Box
          component="ol"
          data-testid="recovery-codes"
          aria-label={t('recoveryCodes.listLabel')}
          m={0}
          p={0}
          ff="monospace"
          fz={{ base: 'xs', xs: 'sm' }}
          style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(min(20.5rem, 100%), 1fr))', columnGap: '2rem', rowGap: 6, listStylePosition: 'inside' }}
        >
          {codes.map((code) => (
            <li key={code} style={{ overflowWrap: 'anywhere' }}>
              <span data-testid="recovery-code">{code}</span>
            </li>
          ))}
        </Box>
      </Paper>
      <Group gap="sm">
        <Button variant="default" leftSection={<CopyIcon size={16} />} onClick={() => void copy()} data-testid="recovery-codes-copy">
          {t('recoveryCodes.copy')}
        </Button>
        <Button variant="default" leftSection={<DownloadFileIcon size={16} />} onClick={download} data-testid="recovery-codes-download">
          {t('recoveryCodes.download')}
        </Button>
      </Group>
      <Text size="sm" c="dimmed">
        {t('recoveryCodes.whereToKeep')}
      </Text>
      <Checkbox
        label={t('recoveryCodes.stored')}
        checked={stored}
        onChange={(event) => {
          setStored(event.currentTarget.checked);
          setStoredError(undefined);
        }}
        error={storedError}
        data-testid="recovery-codes-stored"
      />
      <Group justify="flex-end">
        <Button onClick={done} loading={pending} leftSection={<CheckIcon size={16} />} data-testid="recovery-codes-done">
          {doneLabel ?? t('recoveryCodes.done')}
        </Button>
      </Group>
    </Stack>
  );
}
