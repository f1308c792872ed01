import { Alert, Anchor, Badge, Button, Card, Group, Skeleton, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { PatientSearch, type PatientListItem, type PatientPage } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon, PatientsIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { api } from '../../lib/api';
import { zodFieldErrors, type FieldErrors } from '../../lib/errors';
import { holds, useMe } from '../../session/session-provider';
import { formatBirthDate, patientKeys, patientName, sexLabel, statusLabel } from './patient-format';

/** What was searched for; kept in the query cache (memory), never in the address bar. */
type SearchTerms = { q: string; birthDate: string; nationalId: string };
const noTerms: SearchTerms = { q: '', birthDate: '', nationalId: '' };

/**
 * `/patients`: the practice's patient directory. Searching goes through POST /patients/search so
 * that names and numbers stay out of URLs and browser history; the last search is remembered in
 * memory (cleared with the session) so that going back from a patient shows the same results.
 */
export function PatientsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const queryClient = useQueryClient();
  const remembered = queryClient.getQueryData<SearchTerms>(patientKeys.searchTerms) ?? null;
  const [draft, setDraft] = useState<SearchTerms>(remembered ?? noTerms);
  const [active, setActive] = useState<SearchTerms | null>(remembered);
  const [errors, setErrors] = useState<FieldErrors>({});

  function remember(terms: SearchTerms | null) {
    setActive(terms);
    if (terms) queryClient.setQueryData(patientKeys.searchTerms, terms);
    else queryClient.removeQueries({ queryKey: patientKeys.searchTerms });
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const terms = { q: draft.q.trim(), birthDate: draft.birthDate, nationalId: draft.nationalId.trim() };
    if (!terms.q && !terms.birthDate && !terms.nationalId) {
      setErrors({ q: t('patients.search.needSomething') });
      return;
    }
    const parsed = PatientSearch.safeParse(bodyOf(terms));
    if (!parsed.success) {
      setErrors(zodFieldErrors(t, parsed.error));
      return;
    }
    setErrors({});
    remember(terms);
  }

  function clear() {
    setDraft(noTerms);
    setErrors({});
    remember(null);
  }

  return (
    <>
      <PageHeader
        title={t('patients.title')}
        description={t('patients.subtitle')}
        actions={
          holds(me, 'patient:create') ? (
            <Button component={Link} to="/patients/new" data-testid="new-patient">
              {t('patients.new.title')}
            </Button>
          ) : undefined
        }
      />
      <Stack gap="lg">
        <Card withBorder padding="lg">
          <form onSubmit={submit} noValidate role="search" aria-label={t('patients.search.title')} data-testid="patient-search">
            <Stack gap="sm">
              <Group align="flex-start" gap="sm" wrap="wrap">
                <TextInput
                  label={t('patients.search.name')}
                  value={draft.q}
                  onChange={(event) => setDraft({ ...draft, q: event.currentTarget.value })}
                  error={errors['q']}
                  autoComplete="off"
                  spellCheck={false}
                  style={{ flex: '2 1 260px' }}
                />
                <TextInput
                  label={t('patients.search.birthDate')}
                  type="date"
                  value={draft.birthDate}
                  onChange={(event) => setDraft({ ...draft, birthDate: event.currentTarget.value })}
                  error={errors['birthDate']}
                  style={{ flex: '1 1 170px' }}
                />
                <TextInput
                  label={t('patients.search.nationalId')}
                  value={draft.nationalId}
                  onChange={(event) => setDraft({ ...draft, nationalId: event.currentTarget.value })}
                  error={errors['nationalId']}
                  autoComplete="off"
                  spellCheck={false}
                  style={{ flex: '1 1 170px' }}
                />
              </Group>
              <Text size="xs" c="dimmed">
                {t('patients.search.nameHint')}
              </Text>
              <Group gap="sm">
                <Button type="submit" data-testid="patient-search-submit">
                  {t('patients.search.submit')}
                </Button>
                {active ? (
                  <Button variant="default" onClick={clear} data-testid="patient-search-clear">
                    {t('patients.search.clear')}
                  </Button>
                ) : null}
              </Group>
            </Stack>
          </form>
        </Card>
        {active ? <SearchResults terms={active} /> : <BrowseList />}
      </Stack>
    </>
  );
}

const bodyOf = (terms: SearchTerms) => ({
  ...(terms.q ? { q: terms.q } : {}),
  ...(terms.birthDate ? { birthDate: terms.birthDate } : {}),
  ...(terms.nationalId ? { nationalId: terms.nationalId } : {}),
});

function SearchResults({ terms }: { terms: SearchTerms }) {
  const { t } = useTranslation();
  const results = useQuery({
    queryKey: patientKeys.search(terms),
    queryFn: () => api.post<PatientPage>('/patients/search', bodyOf(terms)),
  });
  return (
    <Card withBorder padding={0}>
      <Stack gap={0}>
        <Title order={2} fz="lg" p="lg" pb="sm">
          {t('patients.search.results')}
        </Title>
        {results.data?.truncated ? (
          <Alert color="orange" variant="light" icon={<AlertIcon />} mx="lg" mb="sm" data-testid="patient-search-truncated">
            <Text size="sm">{t('patients.search.truncated', { count: results.data.patients.length })}</Text>
          </Alert>
        ) : null}
        <PatientTable
          patients={results.data?.patients}
          loading={results.isPending}
          error={results.isError ? results.error : null}
          empty={t('patients.search.none')}
        />
      </Stack>
    </Card>
  );
}

function BrowseList() {
  const { t } = useTranslation();
  const pages = useInfiniteQuery({
    queryKey: patientKeys.browse,
    queryFn: ({ pageParam }) => api.get<PatientPage>('/patients', { cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const patients = pages.data?.pages.flatMap((page) => page.patients);
  return (
    <Card withBorder padding={0}>
      <Stack gap={0}>
        <Title order={2} fz="lg" p="lg" pb="sm">
          {t('patients.browse.title')}
        </Title>
        <PatientTable patients={patients} loading={pages.isPending} error={pages.isError ? pages.error : null} empty={t('patients.browse.none')} />
        {pages.hasNextPage ? (
          <Group justify="center" p="md">
            <Button variant="default" onClick={() => void pages.fetchNextPage()} loading={pages.isFetchingNextPage} data-testid="patients-load-more">
              {t('patients.browse.loadMore')}
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Card>
  );
}

function PatientTable({ patients, loading, error, empty }: { patients: PatientListItem[] | undefined; loading: boolean; error: unknown; empty: string }) {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const locale = i18n.resolvedLanguage ?? 'en';
  if (error && !patients) {
    return (
      <Stack p="lg">
        <ErrorAlert error={error} />
      </Stack>
    );
  }
  if (loading) {
    return (
      <Stack p="lg">
        <Skeleton height={24} />
        <Skeleton height={24} />
      </Stack>
    );
  }
  if (!patients || patients.length === 0) {
    return (
      <Group gap="sm" p="lg" data-testid="patients-empty">
        <PatientsIcon />
        <Text size="sm" c="dimmed">
          {empty}
        </Text>
      </Group>
    );
  }
  return (
    <Table.ScrollContainer minWidth={620}>
      <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover className="data-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{t('patients.columns.name')}</Table.Th>
            <Table.Th scope="col">{t('patients.columns.birthDate')}</Table.Th>
            <Table.Th scope="col">{t('patients.columns.sex')}</Table.Th>
            <Table.Th scope="col">{t('patients.columns.status')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {patients.map((patient) => (
            <Table.Tr
              key={patient.id}
              data-testid="patient-row"
              // The whole row opens the patient for mouse users; the name is the link for everyone else.
              onClick={(event) => {
                if ((event.target as HTMLElement).closest('a')) return;
                void navigate(`/patients/${patient.id}`);
              }}
              style={{ cursor: 'pointer' }}
            >
              <Table.Td>
                <Anchor component={Link} to={`/patients/${patient.id}`} fw={500} data-testid="patient-row-name">
                  {patientName(patient.name)}
                </Anchor>
              </Table.Td>
              <Table.Td className="nowrap" data-testid="patient-row-birth-date">
                {formatBirthDate(patient.birthDate, locale)}
              </Table.Td>
              <Table.Td>{sexLabel(t, patient.sex)}</Table.Td>
              <Table.Td>
                <Badge variant="light" color={patient.status === 'active' ? 'teal' : 'gray'}>
                  {statusLabel(t, patient.status)}
                </Badge>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
