import { Alert, Badge, Button, Card, Group, NativeSelect, Skeleton, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { entryKinds, type CareTeamMember, type DossierView, type EntryView } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon, ShieldIcon } from '../../components/icons';
import { api, isApiError } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import { holds, useMe } from '../../session/session-provider';
import { BreakGlassDialog } from '../patients/break-glass-dialog';
import { patientKeys } from '../patients/patient-format';
import { EntryContentView, KindBadge, kindLabel } from './entry-content';
import { EntryEditor } from './entry-editor';
import { EnteredInErrorDialog } from './entered-in-error-dialog';
import { EntryHistory } from './entry-history';

type Editing = { mode: 'new' } | { mode: 'revise'; entry: EntryView } | null;

/**
 * The Timeline tab: the dossier, newest first, filtered by kind and author, older entries on
 * request. Someone outside the care team is told why it stays closed and, with breakglass:use,
 * offered emergency access.
 */
export function Timeline({ patientId, careTeam }: { patientId: string; careTeam: CareTeamMember[] }) {
  const { t } = useTranslation();
  const me = useMe();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState('');
  const [author, setAuthor] = useState('');
  const [editing, setEditing] = useState<Editing>(null);
  const [historyOf, setHistoryOf] = useState<EntryView | null>(null);
  const [errorOf, setErrorOf] = useState<EntryView | null>(null);
  const canWrite = holds(me, 'dossier:write');

  const dossier = useInfiniteQuery({
    queryKey: [...patientKeys.dossier(patientId), kind, author],
    queryFn: ({ pageParam }) => api.get<DossierView>(`/patients/${patientId}/dossier`, { kind, author, before: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: patientKeys.dossier(patientId) });
  };

  if (dossier.isError && isApiError(dossier.error, 'CARE_TEAM_REQUIRED')) return <CareTeamRequired patientId={patientId} />;

  const entries = dossier.data?.pages.flatMap((page) => page.entries) ?? [];
  const authors = [{ accountId: me.account.id, name: t('dossier.filters.me') }, ...careTeam.filter((member) => member.accountId !== me.account.id)];

  return (
    <Stack gap="md" data-testid="timeline">
      <Group justify="space-between" align="flex-end" gap="sm" wrap="wrap">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <NativeSelect
            label={t('dossier.filters.kind')}
            value={kind}
            onChange={(event) => setKind(event.currentTarget.value)}
            data={[{ value: '', label: t('dossier.filters.allKinds') }, ...entryKinds.map((value) => ({ value, label: kindLabel(t, value) }))]}
            w={200}
            data-testid="timeline-filter-kind"
          />
          <NativeSelect
            label={t('dossier.filters.author')}
            value={author}
            onChange={(event) => setAuthor(event.currentTarget.value)}
            data={[{ value: '', label: t('dossier.filters.anyone') }, ...authors.map((person) => ({ value: person.accountId, label: person.name }))]}
            w={240}
            data-testid="timeline-filter-author"
          />
        </Group>
        {canWrite && editing === null ? (
          <Button onClick={() => setEditing({ mode: 'new' })} data-testid="entry-new">
            {t('dossier.newEntry')}
          </Button>
        ) : null}
      </Group>
      {editing?.mode === 'new' ? (
        <EntryEditor
          patientId={patientId}
          colleagues={careTeam.filter((member) => member.accountId !== me.account.id)}
          onSaved={() => {
            setEditing(null);
            notifications.show({ color: 'green', message: t('dossier.saved') });
            refresh();
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      {dossier.isError && !dossier.data ? <ErrorAlert error={dossier.error} /> : null}
      {dossier.isPending ? (
        <Stack>
          <Skeleton height={90} />
          <Skeleton height={90} />
        </Stack>
      ) : dossier.isSuccess && entries.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="timeline-empty">
          {kind || author ? t('dossier.emptyFiltered') : t('dossier.empty')}
        </Text>
      ) : (
        <Stack gap="sm" component="ol" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {entries.map((entry) =>
            editing?.mode === 'revise' && editing.entry.id === entry.id ? (
              <li key={entry.id}>
                <EntryEditor
                  patientId={patientId}
                  entry={entry}
                  onSaved={() => {
                    setEditing(null);
                    notifications.show({ color: 'green', message: t('dossier.revised') });
                    refresh();
                  }}
                  onCancel={() => setEditing(null)}
                />
              </li>
            ) : (
              <li key={entry.id}>
                <EntryCard
                  entry={entry}
                  canWrite={canWrite && editing === null}
                  onRevise={() => setEditing({ mode: 'revise', entry })}
                  onHistory={() => setHistoryOf(entry)}
                  onEnteredInError={() => setErrorOf(entry)}
                />
              </li>
            ),
          )}
        </Stack>
      )}
      {dossier.hasNextPage ? (
        <Group justify="center">
          <Button variant="default" onClick={() => void dossier.fetchNextPage()} loading={dossier.isFetchingNextPage} data-testid="timeline-load-older">
            {t('dossier.loadOlder')}
          </Button>
        </Group>
      ) : null}
      <EntryHistory patientId={patientId} entry={historyOf} onClose={() => setHistoryOf(null)} />
      <EnteredInErrorDialog
        patientId={patientId}
        entry={errorOf}
        onClose={() => setErrorOf(null)}
        onDone={() => {
          setErrorOf(null);
          notifications.show({ color: 'green', message: t('dossier.enteredInError.done') });
          refresh();
        }}
      />
    </Stack>
  );
}

function EntryCard({ entry, canWrite, onRevise, onHistory, onEnteredInError }: { entry: EntryView; canWrite: boolean; onRevise(): void; onHistory(): void; onEnteredInError(): void }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const inError = entry.status === 'entered_in_error';
  return (
    <Card withBorder padding="md" data-testid="dossier-entry" data-status={entry.status}>
      <Stack gap="xs">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Group gap="xs">
            <KindBadge t={t} kind={entry.kind} />
            {inError ? (
              <Badge color="red" variant="outline" data-testid="entry-in-error-badge">
                {t('dossier.enteredInError.label')}
              </Badge>
            ) : null}
            {entry.currentVersion > 1 ? <Badge variant="default">{t('dossier.history.version', { version: entry.currentVersion })}</Badge> : null}
          </Group>
          <Text size="xs" c="dimmed">
            {formatDateTime(entry.effectiveAt, locale)}
          </Text>
        </Group>
        <EntryContentView t={t} kind={entry.kind} content={entry.content} struck={inError} />
        {entry.enteredInError ? (
          <Text size="sm" c="red.8" data-testid="entry-in-error-reason">
            {t('dossier.enteredInError.reasonShown', { reason: entry.enteredInError.reason })}
          </Text>
        ) : null}
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Text size="xs" c="dimmed" data-testid="entry-author">
            {entry.onBehalfOf
              ? t('dossier.byOnBehalf', { name: entry.author.name, for: entry.onBehalfOf.name, time: formatDateTime(entry.updatedAt, locale) })
              : t('dossier.by', { name: entry.author.name, time: formatDateTime(entry.updatedAt, locale) })}
          </Text>
          <Group gap="xs">
            <Button size="xs" variant="subtle" onClick={onHistory} data-testid="entry-history-open">
              {t('dossier.history.open')}
            </Button>
            {canWrite && !inError && entry.kind !== 'document' ? (
              <Button size="xs" variant="light" onClick={onRevise} data-testid="entry-revise">
                {t('dossier.revise')}
              </Button>
            ) : null}
            {canWrite && !inError ? (
              <Button size="xs" variant="subtle" color="red" onClick={onEnteredInError} data-testid="entry-entered-in-error">
                {t('dossier.enteredInError.open')}
              </Button>
            ) : null}
          </Group>
        </Group>
      </Stack>
    </Card>
  );
}

/** Outside the care team: why the dossier stays closed, and emergency access for those allowed it. */
function CareTeamRequired({ patientId }: { patientId: string }) {
  const { t } = useTranslation();
  const me = useMe();
  const [open, setOpen] = useState(false);
  const canBreakGlass = holds(me, 'breakglass:use');
  return (
    <Alert color="gray" variant="light" icon={<ShieldIcon />} title={t('breakGlass.closedTitle')} data-testid="care-team-required">
      <Stack gap="sm">
        <Text size="sm">{t('errors.CARE_TEAM_REQUIRED')}</Text>
        {canBreakGlass ? (
          <>
            <Text size="sm">{t('breakGlass.offer')}</Text>
            <Group>
              <Button color="red" variant="outline" leftSection={<AlertIcon size={16} />} onClick={() => setOpen(true)} data-testid="break-glass-open">
                {t('breakGlass.open')}
              </Button>
            </Group>
          </>
        ) : (
          <Text size="sm">{t('breakGlass.askTeam')}</Text>
        )}
      </Stack>
      <BreakGlassDialog patientId={patientId} opened={open} onClose={() => setOpen(false)} />
    </Alert>
  );
}
