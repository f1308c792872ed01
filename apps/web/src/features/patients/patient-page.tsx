import { Alert, Anchor, Badge, Button, Group, Skeleton, Stack, Tabs, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import type { CareTeamList, PatientView } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { api } from '../../lib/api';
import { useDescribeError } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { holds, useMe } from '../../session/session-provider';
import { Timeline } from '../dossier/timeline';
import { CareTeamTab } from './care-team-tab';
import { CommentsTab } from './comments-tab';
import { DocumentsTab } from '../patient-documents/documents-tab';
import { DetailsTab } from './details-tab';
import { PortalTab } from './portal-tab';
import { formatBirthDate, nationalIdKindLabel, patientKeys, patientName, statusLabel } from './patient-format';

type Tab = 'timeline' | 'documents' | 'comments' | 'details' | 'careTeam' | 'portal';

/**
 * `/patients/:id`: one patient. The header and Details come from the patient directory; the
 * Timeline is the dossier, open to the care team (or, in an emergency, through break-the-glass).
 */
export function PatientPage() {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const { id = '' } = useParams();
  const locale = i18n.resolvedLanguage ?? 'en';
  const patient = useQuery({ queryKey: patientKeys.one(id), queryFn: () => api.get<PatientView>(`/patients/${id}`) });
  const careTeam = useQuery({ queryKey: patientKeys.careTeam(id), queryFn: () => api.get<CareTeamList>(`/patients/${id}/care-team`), enabled: patient.isSuccess });
  const canReadDossier = holds(me, 'dossier:read');
  const canReadDocuments = holds(me, 'document:read');
  const canInvite = holds(me, 'patient:invite');
  const [tab, setTab] = useState<Tab>(canReadDossier ? 'timeline' : 'details');

  if (patient.isPending) {
    return (
      <Stack>
        <Skeleton height={36} width={320} />
        <Skeleton height={200} />
      </Stack>
    );
  }
  if (patient.isError) {
    return (
      <>
        <PageHeader title={t('patients.page.unknownTitle')} />
        <Stack gap="sm" align="flex-start">
          <ErrorAlert error={patient.error} />
          <Anchor component={Link} to="/patients">
            {t('patients.page.backToList')}
          </Anchor>
        </Stack>
      </>
    );
  }

  const view = patient.data;
  return (
    <>
      <PageHeader
        title={patientName(view.name)}
        // The name stays out of the tab title: browsers keep titles in their history.
        documentTitle={t('patients.page.unknownTitle')}
        description={
          <Group component="span" gap="lg" wrap="wrap" data-testid="patient-header">
            <span data-testid="patient-header-birth-date">{t('patients.page.born', { date: formatBirthDate(view.birthDate, locale) })}</span>
            {view.nationalId ? (
              <span data-testid="patient-header-national-id">
                {nationalIdKindLabel(t, view.nationalId.kind)}: {view.nationalId.value}
              </span>
            ) : (
              <span>{t('patients.page.noNationalId')}</span>
            )}
            {view.status !== 'active' ? (
              <Badge variant="light" color="gray">
                {statusLabel(t, view.status)}
              </Badge>
            ) : null}
          </Group>
        }
        actions={
          <Anchor component={Link} to="/patients" size="sm">
            {t('patients.page.backToList')}
          </Anchor>
        }
      />
      <Stack gap="lg">
        {careTeam.data?.ownGrant ? <BreakGlassBanner patientId={id} expiresAt={careTeam.data.ownGrant.expiresAt} /> : null}
        <Tabs value={tab} onChange={(next) => next && setTab(next as Tab)} keepMounted={false}>
          <Tabs.List>
            {canReadDossier ? (
              <Tabs.Tab value="timeline" data-testid="tab-timeline">
                {t('patients.page.tabs.timeline')}
              </Tabs.Tab>
            ) : null}
            {canReadDocuments ? (
              <Tabs.Tab value="documents" data-testid="tab-documents">
                {t('documents.tab')}
              </Tabs.Tab>
            ) : null}
            {canReadDossier ? (
              // No count of open comments here: fetching them unasked would be a read of the
              // patient's comments in their access log every time the page opens.
              <Tabs.Tab value="comments" data-testid="tab-comments">
                {t('patientComments.tab')}
              </Tabs.Tab>
            ) : null}
            <Tabs.Tab value="details" data-testid="tab-details">
              {t('patients.page.tabs.details')}
            </Tabs.Tab>
            <Tabs.Tab value="careTeam" data-testid="tab-care-team">
              {t('patients.page.tabs.careTeam')}
            </Tabs.Tab>
            {canInvite ? (
              <Tabs.Tab value="portal" data-testid="tab-portal">
                {t('patientPortal.tab')}
              </Tabs.Tab>
            ) : null}
          </Tabs.List>
          {canReadDossier ? (
            <Tabs.Panel value="timeline" pt="lg">
              <Timeline patientId={id} careTeam={careTeam.data?.members ?? []} />
            </Tabs.Panel>
          ) : null}
          {canReadDocuments ? (
            <Tabs.Panel value="documents" pt="lg">
              <DocumentsTab patientId={id} />
            </Tabs.Panel>
          ) : null}
          {canReadDossier ? (
            <Tabs.Panel value="comments" pt="lg">
              <CommentsTab patientId={id} />
            </Tabs.Panel>
          ) : null}
          <Tabs.Panel value="details" pt="lg">
            <DetailsTab patient={view} />
          </Tabs.Panel>
          <Tabs.Panel value="careTeam" pt="lg">
            <CareTeamTab patientId={id} careTeam={careTeam} />
          </Tabs.Panel>
          {canInvite ? (
            <Tabs.Panel value="portal" pt="lg">
              <PortalTab patient={view} />
            </Tabs.Panel>
          ) : null}
        </Tabs>
      </Stack>
    </>
  );
}

/** Minutes left, updated every few seconds, so the banner counts down while the page is open. */
function useMinutesLeft(expiresAt: string): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 5_000);
    return () => window.clearInterval(timer);
  }, []);
  return Math.max(0, Math.ceil((Date.parse(expiresAt) - now) / 60_000));
}

/** While one's own emergency access lasts: how long still, and a way to end it at once. */
function BreakGlassBanner({ patientId, expiresAt }: { patientId: string; expiresAt: string }) {
  const { t, i18n } = useTranslation();
  const describeError = useDescribeError();
  const queryClient = useQueryClient();
  const minutes = useMinutesLeft(expiresAt);
  const [pending, setPending] = useState(false);
  const expired = minutes === 0;

  useEffect(() => {
    // Once it has run out the server refuses anyway; ask again so the page shows the refusal.
    if (expired) void queryClient.invalidateQueries({ queryKey: patientKeys.careTeam(patientId) });
  }, [expired, patientId, queryClient]);

  async function end() {
    setPending(true);
    try {
      await api.delete(`/patients/${patientId}/break-glass`);
      notifications.show({ color: 'green', message: t('breakGlass.ended') });
    } catch (error) {
      notifications.show({ color: 'red', message: describeError(error) });
    } finally {
      setPending(false);
      void queryClient.invalidateQueries({ queryKey: patientKeys.careTeam(patientId) });
      void queryClient.invalidateQueries({ queryKey: patientKeys.dossier(patientId) });
    }
  }

  return (
    <Alert color="red" variant="light" icon={<AlertIcon />} title={t('breakGlass.bannerTitle')} data-testid="break-glass-banner">
      <Group justify="space-between" align="center" gap="sm" wrap="wrap">
        <Text size="sm" data-testid="break-glass-remaining">
          {t('breakGlass.bannerBody', { count: minutes, until: formatDateTime(expiresAt, i18n.resolvedLanguage ?? 'en') })}
        </Text>
        <Button color="red" variant="outline" size="xs" onClick={() => void end()} loading={pending} data-testid="break-glass-end">
          {t('breakGlass.endNow')}
        </Button>
      </Group>
    </Alert>
  );
}
