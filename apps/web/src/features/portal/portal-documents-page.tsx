import { Button, Card, Group, Skeleton, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PortalDocument } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { FilePreview, previewKindOf } from '../../components/file-preview';
import { DownloadFileIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { formatDateTime } from '../../lib/format';
import { fileTypeLabel, formatBytes } from '../organisation/files-format';
import { DownloadIcon } from '../organisation/files-icons';
import { CommentDialog } from './comment-dialog';
import { fetchPortalDocuments, portalDocumentUrl, portalKeys } from './portal-api';

/**
 * `/portal/documents`: what the practice shared with the patient (nothing else of the record
 * shows here). Each can be downloaded, commented on, or questioned with a correction request.
 */
export function PortalDocumentsPage() {
  const { t } = useTranslation();
  const documents = useQuery({ queryKey: portalKeys.documents, queryFn: fetchPortalDocuments });
  const [about, setAbout] = useState<PortalDocument | null>(null);
  const list = documents.data?.documents ?? [];

  return (
    <>
      <PageHeader title={t('portal.documents.title')} description={t('portal.documents.subtitle')} />
      {documents.isPending ? (
        <Stack gap="sm">
          <Skeleton height={96} />
          <Skeleton height={96} />
        </Stack>
      ) : documents.isError ? (
        <ErrorAlert error={documents.error} />
      ) : list.length === 0 ? (
        <Card withBorder padding="xl">
          <Text c="dimmed" ta="center" data-testid="portal-documents-empty">
            {t('portal.documents.none')}
          </Text>
        </Card>
      ) : (
        <Stack gap="sm">
          {list.map((document) => (
            <DocumentCard key={document.id} document={document} onComment={() => setAbout(document)} />
          ))}
        </Stack>
      )}
      {/* Keyed by the document, so the dialog starts empty for each one. */}
      <CommentDialog key={about?.id ?? 'none'} opened={about !== null} onClose={() => setAbout(null)} initialKind="comment" document={about ? { id: about.id, title: about.title } : undefined} />
    </>
  );
}

function DocumentCard({ document, onComment }: { document: PortalDocument; onComment(): void }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const [previewing, setPreviewing] = useState(false);
  return (
    <Card withBorder padding="lg" data-testid="portal-document">
      <Group justify="space-between" align="flex-start" gap="md" wrap="wrap">
        <Group gap="md" wrap="nowrap" align="flex-start" style={{ flex: '1 1 320px', minWidth: 0 }}>
          <ThemeIcon variant="light" size={40} radius="md" style={{ flex: 'none' }}>
            <DownloadFileIcon />
          </ThemeIcon>
          <Stack gap={2} style={{ minWidth: 0 }}>
            <Title order={2} fz="md" data-testid="portal-document-title">
              {document.title}
            </Title>
            {document.description ? (
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {document.description}
              </Text>
            ) : null}
            <Text size="xs" c="dimmed" data-testid="portal-document-file">
              {document.name} · {fileTypeLabel(t, document.contentType)} · {formatBytes(document.sizeBytes, locale)}
            </Text>
            <Text size="xs" c="dimmed">
              {t('portal.documents.sharedOn', { date: formatDateTime(document.sharedAt, locale) })}
            </Text>
          </Stack>
        </Group>
        <Group gap="xs" wrap="wrap">
          <Button variant="default" size="sm" onClick={onComment} data-testid="portal-document-comment">
            {t('portal.documents.comment')}
            <span className="visually-hidden-text"> {document.title}</span>
          </Button>
          {previewKindOf(document.contentType) ? (
            <Button variant="default" size="sm" onClick={() => setPreviewing(true)} data-testid="portal-document-preview">
              {t('documents.preview')}
              <span className="visually-hidden-text"> {document.title}</span>
            </Button>
          ) : null}
          <Button component="a" href={portalDocumentUrl(document)} download={document.name} size="sm" leftSection={<DownloadIcon size={16} />} data-testid="portal-document-download">
            {t('documents.download')}
            <span className="visually-hidden-text"> {document.title}</span>
          </Button>
        </Group>
      </Group>
      {previewing ? <FilePreview path={`/portal/documents/${encodeURIComponent(document.id)}/content`} name={document.name} contentType={document.contentType} opened onClose={() => setPreviewing(false)} /> : null}
    </Card>
  );
}
