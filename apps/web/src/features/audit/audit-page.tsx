import { Alert, Badge, Button, Card, Group, NativeSelect, SimpleGrid, Skeleton, Stack, Table, Text, TextInput, UnstyledButton } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Fragment, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { auditActions, auditOutcomes, staffRoles, type StaffRole } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { api } from '../../lib/api';
import { formatTimestamp } from '../../lib/format';
import type { AuditEventItem, AuditPageBody, MemberListBody } from '../../lib/types';
import { auditActionLabel } from './audit-labels';
import { isStepUpCancelled, useStepUp } from '../security/step-up';

interface Filters {
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string;
  outcome: string;
  from: string;
  to: string;
}
const noFilters: Filters = { actor: '', action: '', resourceType: '', resourceId: '', outcome: '', from: '', to: '' };
const pageSize = 50;

/** `datetime-local` values are local time; the API wants ISO 8601 with an offset. */
const toIso = (local: string): string | undefined => {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

const outcomeColors = { success: 'green', denied: 'orange', failed: 'red' } as const;

export function AuditPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const [draft, setDraft] = useState<Filters>(noFilters);
  const [applied, setApplied] = useState<Filters>(noFilters);
  const [expanded, setExpanded] = useState<number | null>(null);
  const staff = useQuery({ queryKey: ['staff'], queryFn: () => api.get<MemberListBody>('/staff') });

  // Reading the trail needs a proof with the second factor from the last five minutes.
  const withStepUp = useStepUp();
  const events = useInfiniteQuery({
    queryKey: ['audit', applied],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam, signal }) =>
      withStepUp(() => api.get<AuditPageBody>(
        '/audit-events',
        {
          actor: applied.actor,
          action: applied.action,
          resourceType: applied.resourceType.trim(),
          resourceId: applied.resourceId.trim(),
          outcome: applied.outcome,
          from: toIso(applied.from),
          to: toIso(applied.to),
          before: pageParam,
          limit: pageSize,
        },
        signal,
      )),
    getNextPageParam: (last) => last.nextBefore ?? undefined,
  });

  const set = (key: keyof Filters) => (value: string) => setDraft((previous) => ({ ...previous, [key]: value }));
  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setApplied(draft);
  };
  const rows: AuditEventItem[] = events.data?.pages.flatMap((page) => page.events) ?? [];
  const actionOptions = auditActions
    .map((action) => ({ value: action, label: auditActionLabel(t, action) }))
    .sort((a, b) => a.label.localeCompare(b.label, locale));

  return (
    <>
      <PageHeader title={t('audit.title')} description={t('audit.subtitle')} />
      <Stack gap="lg">
        <Card withBorder padding="lg">
          <form onSubmit={apply} data-testid="audit-filters" aria-label={t('audit.filters.title')}>
            <Stack gap="sm">
              <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="sm">
                <NativeSelect
                  label={t('audit.filters.actor')}
                  value={draft.actor}
                  onChange={(e) => set('actor')(e.currentTarget.value)}
                  data={[
                    { value: '', label: t('audit.filters.anyone') },
                    ...(staff.data?.members ?? []).map((member) => ({ value: member.accountId, label: member.name })),
                  ]}
                />
                <NativeSelect
                  label={t('audit.filters.action')}
                  value={draft.action}
                  onChange={(e) => set('action')(e.currentTarget.value)}
                  data={[{ value: '', label: t('audit.filters.anyAction') }, ...actionOptions]}
                />
                <TextInput
                  label={t('audit.filters.resourceType')}
                  placeholder="member"
                  value={draft.resourceType}
                  onChange={(e) => set('resourceType')(e.currentTarget.value.toLowerCase())}
                />
                <NativeSelect
                  label={t('audit.filters.outcome')}
                  value={draft.outcome}
                  onChange={(e) => set('outcome')(e.currentTarget.value)}
                  data={[
                    { value: '', label: t('audit.filters.anyOutcome') },
                    ...auditOutcomes.map((outcome) => ({ value: outcome, label: t(`audit.outcomes.${outcome}`) })),
                  ]}
                />
                <TextInput
                  label={t('audit.filters.resourceId')}
                  value={draft.resourceId}
                  onChange={(e) => set('resourceId')(e.currentTarget.value)}
                />
                <TextInput
                  label={t('audit.filters.from')}
                  type="datetime-local"
                  value={draft.from}
                  onChange={(e) => set('from')(e.currentTarget.value)}
                />
                <TextInput
                  label={t('audit.filters.to')}
                  type="datetime-local"
                  value={draft.to}
                  onChange={(e) => set('to')(e.currentTarget.value)}
                />
                <Group align="flex-end" gap="xs">
                  <Button type="submit" data-testid="audit-apply">
                    {t('audit.filters.apply')}
                  </Button>
                  <Button
                    variant="subtle"
                    onClick={() => {
                      setDraft(noFilters);
                      setApplied(noFilters);
                    }}
                  >
                    {t('audit.filters.reset')}
                  </Button>
                </Group>
              </SimpleGrid>
            </Stack>
          </form>
        </Card>

        {events.isError && !events.data && isStepUpCancelled(events.error) ? (
          <Alert color="gray" variant="light" data-testid="audit-step-up-needed">
            <Stack gap="sm" align="flex-start">
              <Text size="sm">{t('audit.stepUpNeeded')}</Text>
              <Button size="xs" onClick={() => void events.refetch()}>
                {t('audit.stepUpRetry')}
              </Button>
            </Stack>
          </Alert>
        ) : events.isError && !events.data ? (
          <ErrorAlert error={events.error} />
        ) : null}

        <Card withBorder padding={0}>
          <Table.ScrollContainer minWidth={900}>
            <Table verticalSpacing="xs" horizontalSpacing="md" className="data-table" striped>
              <caption className="visually-hidden-text">{t('audit.caption')}</caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('audit.columns.time')}</Table.Th>
                  <Table.Th scope="col">{t('audit.columns.actor')}</Table.Th>
                  <Table.Th scope="col">{t('audit.columns.action')}</Table.Th>
                  <Table.Th scope="col">{t('audit.columns.resource')}</Table.Th>
                  <Table.Th scope="col">{t('audit.columns.outcome')}</Table.Th>
                  <Table.Th scope="col">{t('audit.columns.ip')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody aria-live="polite" aria-busy={events.isFetching}>
                {events.isPending ? (
                  [0, 1, 2, 3].map((row) => (
                    <Table.Tr key={row}>
                      <Table.Td colSpan={6}>
                        <Skeleton height={20} />
                      </Table.Td>
                    </Table.Tr>
                  ))
                ) : rows.length === 0 ? (
                  <Table.Tr>
                    <Table.Td colSpan={6}>
                      <Text size="sm" c="dimmed" py="md" ta="center" data-testid="audit-empty">
                        {t('audit.empty')}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ) : (
                  rows.map((event) => (
                    <Fragment key={event.id}>
                      <Table.Tr data-testid="audit-row" data-action={event.action} data-outcome={event.outcome}>
                        <Table.Td className="nowrap">
                          <UnstyledButton
                            onClick={() => setExpanded(expanded === event.id ? null : event.id)}
                            aria-expanded={expanded === event.id}
                            aria-label={t('audit.toggleDetails', { time: formatTimestamp(event.occurredAt, locale) })}
                            fz="sm"
                            className="audit-toggle"
                          >
                            {formatTimestamp(event.occurredAt, locale)}
                          </UnstyledButton>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{event.actorName ?? t('audit.system')}</Text>
                          {event.actorRole ? (
                            <Text size="xs" c="dimmed">
                              {isRole(event.actorRole) ? t(`roles.${event.actorRole}`) : event.actorRole.startsWith('custom:') ? <span title={event.actorRole}>{t('roles.custom')}</span> : event.actorRole}
                            </Text>
                          ) : null}
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" fw={500} data-testid="audit-action">
                            {auditActionLabel(t, event.action)}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          {event.resourceType ? (
                            <Text size="sm">
                              {event.resourceType}
                              {event.resourceId ? (
                                <Text component="span" c="dimmed" className="mono" title={event.resourceId}>
                                  {' '}
                                  {shortId(event.resourceId)}
                                </Text>
                              ) : null}
                            </Text>
                          ) : (
                            '—'
                          )}
                        </Table.Td>
                        <Table.Td>
                          <Badge variant="light" color={outcomeColors[event.outcome]} size="sm">
                            {t(`audit.outcomes.${event.outcome}`)}
                          </Badge>
                        </Table.Td>
                        <Table.Td className="mono">{event.ip ?? '—'}</Table.Td>
                      </Table.Tr>
                      {expanded === event.id ? (
                        <Table.Tr>
                          <Table.Td colSpan={6}>
                            <AuditDetails event={event} />
                          </Table.Td>
                        </Table.Tr>
                      ) : null}
                    </Fragment>
                  ))
                )}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Card>
        {events.hasNextPage ? (
          <Group justify="center">
            <Button variant="default" onClick={() => void events.fetchNextPage()} loading={events.isFetchingNextPage} data-testid="audit-load-more">
              {t('audit.loadMore')}
            </Button>
          </Group>
        ) : rows.length > 0 ? (
          <Text size="sm" c="dimmed" ta="center">
            {t('audit.end')}
          </Text>
        ) : null}
      </Stack>
    </>
  );
}

const isRole = (role: string): role is StaffRole => (staffRoles as readonly string[]).includes(role);
const shortId = (id: string) => (id.length > 13 ? `${id.slice(0, 8)}…` : id);

function AuditDetails({ event }: { event: AuditEventItem }) {
  const { t } = useTranslation();
  const rows: Array<[string, string]> = [
    [t('audit.details.requestId'), event.requestId ?? '—'],
    [t('audit.details.userAgent'), event.userAgent ?? '—'],
    [t('audit.details.resourceId'), event.resourceId ?? '—'],
    [t('audit.details.changedFields'), event.changedFields.length > 0 ? event.changedFields.join(', ') : '—'],
    [t('audit.details.reason'), event.reason ?? '—'],
    [t('audit.details.sealed'), event.sealed ? t('audit.details.sealedYes') : t('audit.details.sealedNo')],
  ];
  return (
    <dl className="audit-details">
      {rows.map(([label, value]) => (
        <Fragment key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}
