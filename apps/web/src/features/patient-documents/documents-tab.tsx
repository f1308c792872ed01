import { Alert, Badge, Box, Button, Card, FileButton, Group, Loader, Progress, Skeleton, Stack, Switch, Table, Text, Textarea, TextInput, ThemeIcon, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type ComponentProps, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { uploadAccept, type PatientDocument, type PatientDocumentList } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { FilePreview, previewKindOf } from '../../components/file-preview';
import { AlertIcon, LockIcon } from '../../components/icons';
import { api, apiBase, apiUpload } from '../../lib/api';
import { useDescribeError } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { holds, useMe } from '../../session/session-provider';
import { acceptedKinds, fileTypeLabel, formatBytes } from '../organisation/files-format';
import { DownloadIcon, FolderIcon, UploadIcon } from '../organisation/files-icons';
import { patientKeys } from '../patients/patient-format';

type Limits = PatientDocumentList['limits'];

const documentsKey = (patientId: string) => ['patients', 'documents', patientId] as const;
const contentPath = (patientId: string, document: PatientDocument) => `/patients/${encodeURIComponent(patientId)}/documents/${encodeURIComponent(document.id)}/content`;

/**
 * The Documents tab of a patient: letters, results and scans in the patient's record, encrypted
 * under the patient's own key. The care team lists and downloads them (document:read), uploads
 * (document:upload) and shares them with the patient (document:share). Downloads are plain
 * links, so the browser streams the file to disk and the server's Content-Disposition names it.
 */
export function DocumentsTab({ patientId }: { patientId: string }) {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const locale = i18n.resolvedLanguage ?? 'en';
  const canUpload = holds(me, 'document:upload');
  const canShare = holds(me, 'document:share');
  const documents = useQuery({ queryKey: documentsKey(patientId), queryFn: () => api.get<PatientDocumentList>(`/patients/${encodeURIComponent(patientId)}/documents`) });

  return (
    <Stack gap="lg" data-testid="documents-tab">
      <Group gap="xs" wrap="nowrap" align="flex-start" data-testid="documents-security-note">
        <Box c="dimmed" pt={2} style={{ flex: 'none' }}>
          <LockIcon size={16} />
        </Box>
        <Text size="sm" c="dimmed">
          {t('documents.securityNote')}
        </Text>
      </Group>

      {canUpload && documents.data ? <UploadCard patientId={patientId} limits={documents.data.limits} /> : null}

      {documents.isError && !documents.data ? <ErrorAlert error={documents.error} /> : null}

      <Card withBorder padding={0}>
        {documents.isPending ? (
          <Stack p="lg" gap="sm">
            <Skeleton height={20} />
            <Skeleton height={20} />
          </Stack>
        ) : documents.data && documents.data.documents.length === 0 ? (
          <Stack align="center" gap={6} py="xl" px="lg" data-testid="documents-empty">
            <ThemeIcon variant="light" size={44} radius="xl">
              <FolderIcon size={22} />
            </ThemeIcon>
            <Title order={2} fz="lg">
              {t('documents.empty.title')}
            </Title>
            <Text size="sm" c="dimmed" ta="center" maw={480}>
              {canUpload ? t('documents.empty.uploadHint') : t('documents.empty.readHint')}
            </Text>
          </Stack>
        ) : documents.data ? (
          <Stack gap={0}>
            <Text size="sm" c="dimmed" p="lg" pb="xs" id="documents-share-explanation" data-testid="documents-share-explanation">
              {t('documents.share.explanation')}
            </Text>
            <Table.ScrollContainer minWidth={600}>
              <Table verticalSpacing="sm" horizontalSpacing="md" className="data-table" highlightOnHover>
                <caption className="visually-hidden-text">{t('documents.caption')}</caption>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">{t('documents.columns.document')}</Table.Th>
                    <Table.Th scope="col" className="nowrap">
                      {t('documents.columns.uploaded')}
                    </Table.Th>
                    <Table.Th scope="col" className="nowrap">
                      {t('documents.columns.patient')}
                    </Table.Th>
                    <Table.Th scope="col">
                      <span className="visually-hidden-text">{t('common.actions')}</span>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {documents.data.documents.map((document) => (
                    <DocumentRow key={document.id} patientId={patientId} document={document} canShare={canShare} locale={locale} />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Stack>
        ) : null}
      </Card>
    </Stack>
  );
}

function DocumentRow({ patientId, document, canShare, locale }: { patientId: string; document: PatientDocument; canShare: boolean; locale: string }) {
  const { t } = useTranslation();
  const describeError = useDescribeError();
  const queryClient = useQueryClient();
  const erroneous = document.entryStatus === 'entered_in_error';
  const shared = document.sharedWithPatientAt !== null;
  const [previewing, setPreviewing] = useState(false);

  const sharing = useMutation({
    mutationFn: (next: boolean) => api.put<PatientDocument>(`/patients/${encodeURIComponent(patientId)}/documents/${encodeURIComponent(document.id)}/sharing`, { shared: next }),
    onSuccess: (updated) =>
      notifications.show({ color: 'green', message: t(updated.sharedWithPatientAt ? 'documents.share.shared' : 'documents.share.unshared', { name: updated.title }) }),
    onError: (error) => notifications.show({ color: 'red', title: t('documents.share.failed'), message: describeError(error) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: documentsKey(patientId) }),
  });

  const sharedLine = document.sharedWithPatientAt
    ? t('documents.share.sharedOn', { date: formatDateTime(document.sharedWithPatientAt, locale), name: document.sharedBy?.name || '—' })
    : t('documents.share.notShared');

  return (
    <Table.Tr data-testid="document-row" data-document-id={document.id}>
      <Table.Td miw={200}>
        <Group gap="xs" wrap="wrap">
          <Text size="sm" fw={500} td={erroneous ? 'line-through' : undefined} data-testid="document-title">
            {document.title}
          </Text>
          {erroneous ? (
            <Badge color="red" variant="light" size="sm">
              {t('documents.enteredInError')}
            </Badge>
          ) : null}
        </Group>
        {document.description ? (
          <Text size="sm" c="dimmed" style={{ whiteSpace: 'pre-line' }}>
            {document.description}
          </Text>
        ) : null}
        <Text size="xs" c="dimmed" data-testid="document-file">
          {document.name} · {fileTypeLabel(t, document.contentType)} · {formatBytes(document.sizeBytes, locale)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm" className="nowrap">
          {formatDateTime(document.createdAt, locale)}
        </Text>
        <Text size="xs" c="dimmed" style={{ overflowWrap: 'normal', hyphens: 'manual' }}>
          {t('documents.uploadedBy', { name: document.uploadedBy.name || '—' })}
        </Text>
      </Table.Td>
      <Table.Td miw={180}>
        {canShare ? (
          <Switch
            checked={shared}
            disabled={sharing.isPending || (erroneous && !shared)}
            onChange={(event) => sharing.mutate(event.currentTarget.checked)}
            label={t('documents.share.label')}
            description={sharedLine}
            aria-describedby="documents-share-explanation"
            data-testid="document-share"
          />
        ) : (
          <Text size="sm" data-testid="document-shared-state">
            {sharedLine}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Group justify="flex-end" gap="xs">
          {previewKindOf(document.contentType) ? (
            <Button size="xs" variant="default" onClick={() => setPreviewing(true)} data-testid="document-preview">
              {t('documents.preview')}
              <span className="visually-hidden-text"> {document.title}</span>
            </Button>
          ) : null}
          <Button
            component="a"
            href={`${apiBase}${contentPath(patientId, document)}`}
            download={document.name}
            size="xs"
            variant="default"
            leftSection={<DownloadIcon size={14} />}
            data-testid="document-download"
          >
            {t('documents.download')}
            <span className="visually-hidden-text"> {document.title}</span>
          </Button>
        </Group>
        {previewing ? <FilePreview path={contentPath(patientId, document)} name={document.name} contentType={document.contentType} opened onClose={() => setPreviewing(false)} /> : null}
      </Table.Td>
    </Table.Tr>
  );
}

type Problem = { name: string; error: unknown } | { name: string; message: string };

/** Choose a file, optionally give it a title and description, upload. Limits are stated before choosing and checked here first. */
function UploadCard({ patientId, limits }: { patientId: string; limits: Limits }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const queryClient = useQueryClient();
  const resetRef = useRef<() => void>(null);
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);

  const upload = useMutation({
    mutationFn: (input: { file: File; fields: Record<string, string> }) => apiUpload<PatientDocument>(`/patients/${encodeURIComponent(patientId)}/documents`, input.file, input.fields),
    onSuccess: (stored) => {
      notifications.show({ color: 'green', message: t('documents.upload.done', { name: stored.title }) });
      setFile(null);
      setTitle('');
      setDescription('');
    },
    onError: (error, input) => setProblem({ name: input.file.name, error }),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: documentsKey(patientId) });
      // The upload is also an entry in the timeline.
      void queryClient.invalidateQueries({ queryKey: patientKeys.dossier(patientId) });
    },
  });

  function pick(chosen: File | null) {
    resetRef.current?.(); // so choosing the same file again is noticed
    if (!chosen || upload.isPending) return;
    setProblem(null);
    if (chosen.size > limits.maxBytes) {
      setProblem({ name: chosen.name, message: t('documents.upload.tooLarge', { size: formatBytes(chosen.size, locale), max: formatBytes(limits.maxBytes, locale) }) });
      setFile(null);
      return;
    }
    if (chosen.size === 0) {
      setProblem({ name: chosen.name, message: t('errors.FILE_EMPTY') });
      setFile(null);
      return;
    }
    setFile(chosen);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!file || upload.isPending) return;
    setProblem(null);
    const fields: Record<string, string> = {};
    if (title.trim()) fields.title = title.trim();
    if (description.trim()) fields.description = description.trim();
    upload.mutate({ file, fields });
  }

  const inputProps = { 'data-testid': 'documents-upload-input' } as ComponentProps<'input'>;

  return (
    <Card withBorder padding="lg" data-testid="documents-upload">
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <Stack gap={4}>
            <Title order={2} fz="lg">
              {t('documents.upload.title')}
            </Title>
            <Text size="sm" c="dimmed" id="documents-upload-limits" data-testid="documents-upload-limits">
              {t('documents.upload.accepts', { kinds: acceptedKinds(t, limits.types, locale), max: formatBytes(limits.maxBytes, locale) })}
            </Text>
          </Stack>
          <Group gap="sm" align="center">
            <FileButton onChange={pick} accept={uploadAccept} resetRef={resetRef} inputProps={inputProps}>
              {(props) => (
                <Button {...props} variant="default" leftSection={<UploadIcon size={16} />} aria-describedby="documents-upload-limits" disabled={upload.isPending} data-testid="documents-choose">
                  {t('documents.upload.choose')}
                </Button>
              )}
            </FileButton>
            <Text size="sm" c={file ? undefined : 'dimmed'} style={{ overflowWrap: 'anywhere' }} data-testid="documents-chosen">
              {file ? t('documents.upload.chosen', { name: file.name, size: formatBytes(file.size, locale) }) : t('documents.upload.noFile')}
            </Text>
          </Group>
          <TextInput
            label={t('documents.upload.titleLabel')}
            description={t('documents.upload.titleHint')}
            value={title}
            onChange={(event) => setTitle(event.currentTarget.value)}
            maxLength={200}
            data-testid="documents-title"
          />
          <Textarea
            label={t('documents.upload.descriptionLabel')}
            value={description}
            onChange={(event) => setDescription(event.currentTarget.value)}
            maxLength={2000}
            autosize
            minRows={2}
            maxRows={6}
            data-testid="documents-description"
          />
          <Group justify="flex-end">
            {/* No `loading`: it disables the button and drops the keyboard focus. */}
            <Button
              type="submit"
              disabled={!file}
              leftSection={upload.isPending ? <Loader size={14} color="white" /> : <UploadIcon size={16} />}
              aria-busy={upload.isPending || undefined}
              data-testid="documents-upload-button"
            >
              {t('documents.upload.submit')}
            </Button>
          </Group>
          {upload.isPending ? (
            <Stack gap={6} role="status" data-testid="documents-uploading">
              <Text size="sm">{t('documents.upload.uploading', { name: upload.variables.file.name })}</Text>
              <Progress value={100} striped animated aria-hidden="true" />
            </Stack>
          ) : null}
          {problem ? (
            <Box data-testid="documents-upload-error">
              {'error' in problem ? (
                <ErrorAlert error={problem.error} title={t('documents.upload.failed', { name: problem.name })} />
              ) : (
                <Alert color="red" variant="light" icon={<AlertIcon />} title={t('documents.upload.failed', { name: problem.name })} role="alert" data-testid="error-alert">
                  <Text size="sm">{problem.message}</Text>
                </Alert>
              )}
            </Box>
          ) : null}
        </Stack>
      </form>
    </Card>
  );
}
