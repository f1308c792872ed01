import { Alert, Badge, Card, Group, Modal, Skeleton, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { EntryVersionView, EntryView } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon } from '../../components/icons';
import { api } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import { roleLabel } from '../../lib/role-label';
import { useSession } from '../../session/session-provider';
import { EntryContentView } from './entry-content';

type VersionList = { entryId: string; kind: EntryView['kind']; versions: EntryVersionView[] };

/**
 * Every version of an entry, oldest first: who wrote it (and for whom), when, and why it changed.
 * An entry entered in error stays readable, struck through, with who marked it, when and why.
 */
export function EntryHistory({ patientId, entry, onClose }: { patientId: string; entry: EntryView | null; onClose(): void }) {
  const { t } = useTranslation();
  const { locked } = useSession();
  return (
    <Modal opened={entry !== null} onClose={onClose} title={t('dossier.history.title')} size="lg" centered trapFocus={!locked}>
      {entry ? <HistoryBody patientId={patientId} entry={entry} /> : null}
    </Modal>
  );
}

function HistoryBody({ patientId, entry }: { patientId: string; entry: EntryView }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const history = useQuery({
    queryKey: ['patients', 'dossier', patientId, 'versions', entry.id, entry.currentVersion, entry.status],
    queryFn: () => api.get<VersionList>(`/patients/${patientId}/entries/${entry.id}/versions`),
  });
  const struck = entry.status === 'entered_in_error';

  return (
    <Stack gap="md" data-testid="entry-history">
      {entry.enteredInError ? (
        <Alert color="red" variant="light" icon={<AlertIcon />} title={t('dossier.enteredInError.label')} data-testid="entry-history-error">
          <Text size="sm">
            {t('dossier.enteredInError.by', { name: entry.enteredInError.by.name, time: formatDateTime(entry.enteredInError.at, locale) })}
          </Text>
          <Text size="sm">{t('dossier.enteredInError.reasonShown', { reason: entry.enteredInError.reason })}</Text>
        </Alert>
      ) : null}
      {history.isPending ? <Skeleton height={80} /> : null}
      <ErrorAlert error={history.isError ? history.error : null} />
      {history.data?.versions.map((version) => (
        <Card key={version.version} withBorder padding="md" data-testid="entry-version" data-version={version.version}>
          <Stack gap="xs">
            <Group justify="space-between" gap="xs" wrap="wrap">
              <Group gap="xs">
                <Badge variant="light">{t('dossier.history.version', { version: version.version })}</Badge>
                {version.version === entry.currentVersion ? <Badge variant="outline">{t('dossier.history.current')}</Badge> : null}
              </Group>
              <Text size="xs" c="dimmed" data-testid="entry-version-recorded">
                {t('dossier.history.recorded', { time: formatDateTime(version.recordedAt, locale) })}
              </Text>
            </Group>
            <Text size="sm" data-testid="entry-version-author">
              {t('dossier.history.author', { name: version.author.name, role: roleLabel(t, { role: version.author.role }) })}
              {version.onBehalfOf ? ` ${t('dossier.history.onBehalfOf', { name: version.onBehalfOf.name })}` : ''}
            </Text>
            <Text size="sm" c="dimmed">
              {t('dossier.history.effective', { time: formatDateTime(version.effectiveAt, locale) })}
            </Text>
            <Text size="sm" data-testid="entry-version-reason">
              {version.changeReason
                ? t('dossier.history.changeReason', { reason: version.changeReason })
                : version.version === 1
                  ? t('dossier.history.firstVersion')
                  : t('dossier.history.noReason')}
            </Text>
            <EntryContentView t={t} kind={history.data.kind} content={version.content} struck={struck} />
          </Stack>
        </Card>
      ))}
    </Stack>
  );
}
