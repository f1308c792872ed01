import { Alert, Button, Card, Group, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/error-alert';
import { AuditIcon, DownloadFileIcon, InfoIcon, ShieldCheckIcon, UserIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { Shortcut } from '../../components/shortcut';
import { useMe } from '../../session/session-provider';
import { CommentCard } from './comment-card';
import { CommentDialog } from './comment-dialog';
import { fetchPortalComments, fetchPortalMe, portalKeys } from './portal-api';

/** `/portal`: which practice this is, what is waiting, and the way to each of the patient's pages. */
export function PortalHomePage() {
  const { t } = useTranslation();
  const me = useMe();
  const portal = useQuery({ queryKey: portalKeys.me, queryFn: fetchPortalMe });
  const [writing, setWriting] = useState(false);
  const practice = portal.data?.organisation.name ?? me.organisation.name;

  return (
    <>
      <PageHeader title={t('portal.home.title', { name: me.account.name })} documentTitle={t('portal.home.documentTitle')} description={t('portal.home.subtitle', { organisation: practice })} />
      <Stack gap="xl">
        {portal.isError ? <ErrorAlert error={portal.error} /> : null}
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <Shortcut to="/portal/details" icon={<UserIcon />} title={t('portal.nav.details')} text={t('portal.home.cards.details')} testId="portal-card-details" />
          <Shortcut
            to="/portal/documents"
            icon={<DownloadFileIcon />}
            title={t('portal.nav.documents')}
            text={portal.data ? t('portal.home.cards.documents', { count: portal.data.sharedDocuments }) : t('portal.home.cards.documentsLoading')}
            testId="portal-card-documents"
          />
          <Shortcut to="/portal/access-log" icon={<AuditIcon />} title={t('portal.nav.accessLog')} text={t('portal.home.cards.accessLog')} testId="portal-card-access-log" />
          <Shortcut to="/portal/security" icon={<ShieldCheckIcon />} title={t('portal.nav.security')} text={t('portal.home.cards.security')} testId="portal-card-security" />
        </SimpleGrid>
        <MyComments openCount={portal.data?.openComments ?? null} onWrite={() => setWriting(true)} />
      </Stack>
      <CommentDialog opened={writing} onClose={() => setWriting(false)} initialKind="comment" />
    </>
  );
}

/** The patient's comments and correction requests, with the practice's answers. */
function MyComments({ openCount, onWrite }: { openCount: number | null; onWrite(): void }) {
  const { t } = useTranslation();
  const comments = useQuery({ queryKey: portalKeys.comments, queryFn: fetchPortalComments });
  const list = comments.data?.comments ?? [];
  return (
    <Stack gap="sm" data-testid="portal-comments">
      <Group justify="space-between" align="flex-end" wrap="wrap" gap="sm">
        <div>
          <Title order={2} fz="lg">
            {t('portal.home.comments.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {openCount ? t('portal.home.comments.open', { count: openCount }) : t('portal.home.comments.subtitle')}
          </Text>
        </div>
        <Button variant="default" onClick={onWrite} data-testid="portal-write-comment">
          {t('portal.home.comments.write')}
        </Button>
      </Group>
      {comments.isPending ? (
        <Skeleton height={80} />
      ) : comments.isError ? (
        <ErrorAlert error={comments.error} />
      ) : list.length === 0 ? (
        <Card withBorder padding="md">
          <Text size="sm" c="dimmed" data-testid="portal-comments-empty">
            {t('portal.home.comments.none')}
          </Text>
        </Card>
      ) : (
        list.map((comment) => <CommentCard key={comment.id} comment={comment} />)
      )}
      <Alert variant="light" color="gray" icon={<InfoIcon />}>
        <Text size="sm">{t('portal.home.comments.urgent')}</Text>
      </Alert>
    </Stack>
  );
}
