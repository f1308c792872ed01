import { Alert, Badge, Button, Card, Group, Skeleton, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { AccessLogEntry } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon, AuditIcon, InfoIcon, ShieldIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { formatDate, formatTime } from '../../lib/format';
import { accessLogSentence, reasonCodeLabel } from './access-log-labels';
import { fetchAccessLog, portalKeys } from './portal-api';

/**
 * `/portal/access-log`, "who opened my record": every access by the practice to the patient's
 * data, from the audit trail, newest first, one plain sentence each. Emergency access stands out
 * with the reason the staff member gave; refused attempts are listed too.
 */
export function PortalAccessLogPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const log = useInfiniteQuery({
    queryKey: portalKeys.accessLog,
    queryFn: ({ pageParam }) => fetchAccessLog(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const entries = log.data?.pages.flatMap((page) => page.entries) ?? [];

  return (
    <>
      <PageHeader title={t('portal.accessLog.title')} description={t('portal.accessLog.subtitle')} />
      <Stack gap="md">
        <Alert variant="light" color="haven" icon={<InfoIcon />}>
          <Text size="sm">{t('portal.accessLog.explanation')}</Text>
        </Alert>
        {log.isPending ? (
          <Stack gap="sm">
            <Skeleton height={64} />
            <Skeleton height={64} />
            <Skeleton height={64} />
          </Stack>
        ) : log.isError && entries.length === 0 ? (
          <ErrorAlert error={log.error} />
        ) : entries.length === 0 ? (
          <Card withBorder padding="xl">
            <Text c="dimmed" ta="center" data-testid="access-log-empty">
              {t('portal.accessLog.none')}
            </Text>
          </Card>
        ) : (
          <Stack gap="lg" data-testid="access-log">
            {byDay(entries, locale, { today: t('portal.accessLog.today'), yesterday: t('portal.accessLog.yesterday') }).map((day) => (
              <Stack gap="xs" component="section" key={day.label} aria-label={day.label}>
                <Title order={2} fz="sm" c="dimmed" fw={600}>
                  {day.label}
                </Title>
                <Stack gap="sm" component="ol" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
                  {runsOf(day.entries).map((run) => (
                    <AccessLogItem key={run.newest.id} entry={run.newest} oldest={run.oldest} count={run.count} />
                  ))}
                </Stack>
              </Stack>
            ))}
          </Stack>
        )}
        {log.isError && entries.length > 0 ? <ErrorAlert error={log.error} /> : null}
        {log.hasNextPage ? (
          <Group justify="center">
            <Button variant="default" onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage} data-testid="access-log-older">
              {t('portal.accessLog.older')}
            </Button>
          </Group>
        ) : entries.length > 0 ? (
          <Text size="sm" c="dimmed" ta="center" data-testid="access-log-end">
            {t('portal.accessLog.end')}
          </Text>
        ) : null}
      </Stack>
    </>
  );
}

/** Entries (newest first) under one heading per day ("Today", "Yesterday", then dates), so a long log reads like a diary. */
function byDay(entries: AccessLogEntry[], locale: string, near: { today: string; yesterday: string }): Array<{ label: string; entries: AccessLogEntry[] }> {
  const now = new Date();
  const today = formatDate(now.toISOString(), locale);
  const yesterday = formatDate(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1, 12).toISOString(), locale);
  const days: Array<{ label: string; entries: AccessLogEntry[] }> = [];
  for (const entry of entries) {
    const date = formatDate(entry.occurredAt, locale);
    const label = date === today ? near.today : date === yesterday ? near.yesterday : date;
    const last = days.at(-1);
    if (last?.label === label) last.entries.push(entry);
    else days.push({ label, entries: [entry] });
  }
  return days;
}

interface Run {
  newest: AccessLogEntry;
  oldest: AccessLogEntry;
  count: number;
}

/**
 * The same person doing the same thing several times in a row (opening the details during a
 * consultation) reads as one line with a count, not as a page of identical lines. Emergency
 * access and refusals always stand alone.
 */
function runsOf(entries: AccessLogEntry[]): Run[] {
  const runs: Run[] = [];
  const same = (a: AccessLogEntry, b: AccessLogEntry) =>
    a.action === b.action && a.outcome === b.outcome && a.outcome === 'success' && !a.breakGlass && !b.breakGlass && a.onBehalfOf === b.onBehalfOf && a.actor?.name === b.actor?.name && a.actor?.role === b.actor?.role;
  for (const entry of entries) {
    const last = runs.at(-1);
    if (last && same(last.oldest, entry)) {
      last.oldest = entry;
      last.count += 1;
    } else {
      runs.push({ newest: entry, oldest: entry, count: 1 });
    }
  }
  return runs;
}

function AccessLogItem({ entry, oldest = entry, count = 1 }: { entry: AccessLogEntry; oldest?: AccessLogEntry; count?: number }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const newestTime = formatTime(entry.occurredAt, locale);
  const oldestTime = formatTime(oldest.occurredAt, locale);
  const when = count === 1 ? newestTime : oldestTime === newestTime ? t('portal.accessLog.repeatedAt', { count, time: newestTime }) : t('portal.accessLog.repeated', { count, from: oldestTime, to: newestTime });
  const sentence = accessLogSentence(t, entry);
  const refused = entry.outcome === 'denied';

  if (entry.breakGlass) {
    // Emergency access is what this page exists for: it stands out, with the reason in full.
    return (
      <li data-testid="access-log-entry" data-action={entry.action} data-break-glass="true">
        <Alert color="red" variant="light" icon={<AlertIcon />} title={t('portal.accessLog.emergency')}>
          <Stack gap={6}>
            <Text size="sm" fw={600} data-testid="access-log-sentence">
              {sentence}
            </Text>
            <Text size="sm" data-testid="access-log-reason">
              {t('portal.accessLog.reason', { reason: reasonCodeLabel(t, entry.breakGlass.reasonCode) })}
              {entry.breakGlass.reasonText ? (
                <>
                  {' '}
                  <Text span fs="italic">
                    {t('portal.accessLog.quoted', { text: entry.breakGlass.reasonText })}
                  </Text>
                </>
              ) : null}
            </Text>
            <Text size="xs" c="dimmed">
              {when}
            </Text>
          </Stack>
        </Alert>
      </li>
    );
  }

  return (
    <li data-testid="access-log-entry" data-action={entry.action} data-outcome={entry.outcome} data-count={count}>
      <Card withBorder padding="sm">
        <Group gap="sm" wrap="nowrap" align="flex-start">
          <ThemeIcon variant="light" color={refused ? 'orange' : 'gray'} size={32} radius="xl" style={{ flex: 'none' }}>
            {refused ? <ShieldIcon size={16} /> : <AuditIcon size={16} />}
          </ThemeIcon>
          <Stack gap={2} style={{ flex: 1, minWidth: 0 }}>
            <Group gap="xs" wrap="wrap">
              <Text size="sm" data-testid="access-log-sentence">
                {sentence}
              </Text>
              {refused ? (
                <Badge color="orange" variant="light" size="sm">
                  {t('portal.accessLog.refused')}
                </Badge>
              ) : null}
            </Group>
            {entry.onBehalfOf ? (
              <Text size="xs" c="dimmed">
                {t('portal.accessLog.onBehalfOf', { name: entry.onBehalfOf })}
              </Text>
            ) : null}
            <Text size="xs" c="dimmed">
              {when}
            </Text>
          </Stack>
        </Group>
      </Card>
    </li>
  );
}
