import { Alert, Card, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/error-alert';
import { ShieldIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { api } from '../../lib/api';
import type { MemberListBody } from '../../lib/types';
import { InvitationsCard } from './invitations-card';
import { MembersTable } from './members-table';

export function StaffPage() {
  const { t } = useTranslation();
  const members = useQuery({ queryKey: ['staff'], queryFn: () => api.get<MemberListBody>('/staff') });
  const counts = members.data?.counts;

  return (
    <>
      <PageHeader title={t('staff.title')} description={t('staff.subtitle')} />
      <Stack gap="xl">
        {counts ? (
          <Card withBorder padding="lg" data-testid="staff-counts">
            <Group justify="space-between" align="flex-start" wrap="wrap" gap="lg">
              <SimpleGrid cols={3} spacing="xl">
                <Count label={t('staff.counts.owners')} value={counts.owners} testId="count-owners" />
                <Count label={t('staff.counts.managing')} value={counts.managing} testId="count-managing" />
                <Count label={t('staff.counts.active')} value={counts.active} testId="count-active" />
              </SimpleGrid>
              <Alert color="orange" variant="light" icon={<ShieldIcon />} maw={420} title={t('staff.counts.adviceTitle')}>
                <Text size="sm">{t('staff.counts.advice')}</Text>
              </Alert>
            </Group>
          </Card>
        ) : null}
        {members.isError && !members.data ? <ErrorAlert error={members.error} /> : null}
        <MembersTable members={members.data?.members} loading={members.isPending} />
        <InvitationsCard />
      </Stack>
    </>
  );
}

function Count({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <div>
      <Text fz={32} fw={700} lh={1.1} data-testid={testId}>
        {value}
      </Text>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
    </div>
  );
}
