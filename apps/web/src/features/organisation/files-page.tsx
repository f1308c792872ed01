import { Alert, Box, Button, Card, FileButton, Group, Loader, Modal, Progress, Skeleton, Stack, Table, Text, ThemeIcon, Title } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type ComponentProps } from 'react';
import { useTranslation } from 'react-i18next';
import { uploadAccept, type OrganisationFile, type OrganisationFileList } from '@haven/contracts';
import type { z } from 'zod';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon, LockIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { api, apiBase, apiUpload } from '../../lib/api';
import { useDescribeError } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { holds, useMe } from '../../session/session-provider';
import { acceptedKinds, fileTypeLabel, formatBytes } from './files-format';
import { DownloadIcon, FolderIcon, UploadIcon } from './files-icons';

type FileItem = z.infer<typeof OrganisationFile>;
type FileListBody = z.infer<typeof OrganisationFileList>;
type Limits = FileListBody['limits'];

const filesKey = ['organisation-files'] as const;
const contentUrl = (file: FileItem) => `${apiBase}/organisation/files/${encodeURIComponent(file.id)}/content`;

/**
 * The practice's own files (agreements, policies, templates): every member lists and downloads
 * them, owners and administrators upload and delete. Downloads are plain links, so the browser
 * streams the file to disk and the server's Content-Disposition names it.
 */
export function FilesPage() {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const managing = holds(me, 'files:manage');
  const locale = i18n.resolvedLanguage ?? 'en';
  const files = useQuery({ queryKey: filesKey, queryFn: () => api.get<FileListBody>('/organisation/files') });
  const [target, setTarget] = useState<FileItem | null>(null);
  const [confirming, confirm] = useDisclosure(false);
  // Download and Delete side by side where there is room (from `lg`), stacked below it.
  const roomy = useMediaQuery('(min-width: 75em)');

  const askDelete = (file: FileItem) => {
    setTarget(file);
    confirm.open();
  };

  return (
    <>
      <PageHeader title={t('files.title')} description={t('files.subtitle')} />
      <Stack gap="lg">
        <Group gap="xs" wrap="nowrap" align="flex-start" data-testid="files-security-note">
          <Box c="dimmed" pt={2} style={{ flex: 'none' }}>
            <LockIcon size={16} />
          </Box>
          <Text size="sm" c="dimmed">
            {t('files.securityNote')}
            {managing ? null : ` ${t('files.readOnlyNote')}`}
          </Text>
        </Group>

        {managing && files.data ? <UploadCard limits={files.data.limits} /> : null}

        {files.isError && !files.data ? <ErrorAlert error={files.error} /> : null}

        <Card withBorder padding={0}>
          {files.isPending ? (
            <Stack p="lg" gap="sm">
              <Skeleton height={20} />
              <Skeleton height={20} />
            </Stack>
          ) : files.data && files.data.files.length === 0 ? (
            <Stack align="center" gap={6} py="xl" px="lg" data-testid="files-empty">
              <ThemeIcon variant="light" size={44} radius="xl">
                <FolderIcon size={22} />
              </ThemeIcon>
              <Title order={2} fz="lg">
                {t('files.empty.title')}
              </Title>
              <Text size="sm" c="dimmed" ta="center" maw={480}>
                {managing ? t('files.empty.managerHint') : t('files.empty.memberHint')}
              </Text>
            </Stack>
          ) : files.data ? (
            // Below `lg` kind and size move under the name, so the table fits beside the navigation.
            <Table.ScrollContainer minWidth={540}>
              <Table verticalSpacing="sm" horizontalSpacing="md" className="data-table" highlightOnHover>
                <caption className="visually-hidden-text">{t('files.caption')}</caption>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">{t('files.columns.name')}</Table.Th>
                    <Table.Th scope="col" className="nowrap" visibleFrom="lg">
                      {t('files.columns.kind')}
                    </Table.Th>
                    <Table.Th scope="col" ta="right" className="nowrap" visibleFrom="lg">
                      {t('files.columns.size')}
                    </Table.Th>
                    <Table.Th scope="col" className="nowrap">
                      {t('files.columns.uploaded')}
                    </Table.Th>
                    <Table.Th scope="col">
                      <span className="visually-hidden-text">{t('common.actions')}</span>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {files.data.files.map((file) => {
                    const kind = fileTypeLabel(t, file.contentType);
                    const size = formatBytes(file.sizeBytes, locale);
                    return (
                      <Table.Tr key={file.id} data-testid="file-row" data-file-id={file.id}>
                        <Table.Td miw={160}>
                          <Text size="sm" fw={500} data-testid="file-name">
                            {file.name}
                          </Text>
                          <Text size="xs" c="dimmed" hiddenFrom="lg">
                            {kind} · {size}
                          </Text>
                        </Table.Td>
                        <Table.Td className="nowrap" visibleFrom="lg" data-testid="file-kind">
                          {kind}
                        </Table.Td>
                        <Table.Td ta="right" className="nowrap" visibleFrom="lg" data-testid="file-size">
                          {size}
                        </Table.Td>
                        <Table.Td data-testid="file-uploaded">
                          <Text size="sm" className="nowrap">
                            {formatDateTime(file.createdAt, locale)}
                          </Text>
                          {/* Names break between words only, never inside one. */}
                          <Text size="xs" c="dimmed" style={{ overflowWrap: 'normal', hyphens: 'manual' }} data-testid="file-uploaded-by">
                            {t('files.uploadedBy', { name: file.uploadedBy || '—' })}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Group gap="xs" justify="flex-end" wrap={roomy ? 'nowrap' : 'wrap'}>
                            <Button
                              component="a"
                              href={contentUrl(file)}
                              download={file.name}
                              size="xs"
                              variant="default"
                              leftSection={<DownloadIcon size={14} />}
                              data-testid="file-download"
                            >
                              {t('files.download')}
                              <span className="visually-hidden-text"> {file.name}</span>
                            </Button>
                            {managing ? (
                              <Button size="xs" variant="light" color="red" onClick={() => askDelete(file)} data-testid="file-delete">
                                {t('files.delete')}
                                <span className="visually-hidden-text"> {file.name}</span>
                              </Button>
                            ) : null}
                          </Group>
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          ) : null}
        </Card>
      </Stack>
      {managing ? <DeleteDialog file={target} opened={confirming} onClose={confirm.close} /> : null}
    </>
  );
}

type Problem = { name: string; error: unknown } | { name: string; message: string };

/** Picks one file and uploads it at once; limits are stated before picking and checked here first. */
function UploadCard({ limits }: { limits: Limits }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const queryClient = useQueryClient();
  const resetRef = useRef<() => void>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  const upload = useMutation({
    mutationFn: (file: File) => apiUpload<FileItem>('/organisation/files', file),
    onSuccess: (stored) => notifications.show({ color: 'green', message: t('files.upload.done', { name: stored.name }) }),
    onError: (error, file) => setProblem({ name: file.name, error }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: filesKey }),
  });

  function pick(file: File | null) {
    resetRef.current?.(); // so picking the same file again is noticed
    if (!file || upload.isPending) return;
    setProblem(null);
    if (file.size > limits.maxBytes) {
      setProblem({
        name: file.name,
        message: t('files.upload.tooLarge', { size: formatBytes(file.size, locale), max: formatBytes(limits.maxBytes, locale) }),
      });
      return;
    }
    if (file.size === 0) {
      setProblem({ name: file.name, message: t('errors.FILE_EMPTY') });
      return;
    }
    upload.mutate(file);
  }

  const inputProps = { 'data-testid': 'files-upload-input' } as ComponentProps<'input'>;

  return (
    <Card withBorder padding="lg" data-testid="files-upload">
      <Stack gap="md">
        <Group justify="space-between" align="flex-start" gap="md">
          <Stack gap={4} style={{ flex: '1 1 300px', minWidth: 0 }}>
            <Title order={2} fz="lg">
              {t('files.upload.title')}
            </Title>
            <Text size="sm" c="dimmed" id="files-upload-limits" data-testid="files-upload-limits">
              {t('files.upload.accepts', { kinds: acceptedKinds(t, limits.types, locale), max: formatBytes(limits.maxBytes, locale) })}
            </Text>
          </Stack>
          <FileButton onChange={pick} accept={uploadAccept} resetRef={resetRef} inputProps={inputProps}>
            {(props) => (
              // No `loading`: it disables the button and drops the keyboard focus.
              <Button
                {...props}
                leftSection={upload.isPending ? <Loader size={14} color="white" /> : <UploadIcon size={16} />}
                aria-busy={upload.isPending || undefined}
                aria-describedby="files-upload-limits"
                style={{ flex: 'none' }}
                data-testid="files-upload-button"
              >
                {t('files.upload.choose')}
              </Button>
            )}
          </FileButton>
        </Group>
        {upload.isPending ? (
          <Stack gap={6} role="status" data-testid="files-uploading">
            <Text size="sm">{t('files.upload.uploading', { name: upload.variables.name })}</Text>
            <Progress value={100} striped animated aria-hidden="true" />
          </Stack>
        ) : null}
        {problem ? (
          <Box data-testid="files-upload-error">
            {'error' in problem ? (
              <ErrorAlert error={problem.error} title={t('files.upload.failed', { name: problem.name })} />
            ) : (
              <Alert color="red" variant="light" icon={<AlertIcon />} title={t('files.upload.failed', { name: problem.name })} role="alert" data-testid="error-alert">
                <Text size="sm">{problem.message}</Text>
              </Alert>
            )}
          </Box>
        ) : null}
      </Stack>
    </Card>
  );
}

/** "Delete file?" naming the file; nothing is deleted without this confirmation. */
function DeleteDialog({ file, opened, onClose }: { file: FileItem | null; opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const describeError = useDescribeError();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: (target: FileItem) => api.delete(`/organisation/files/${encodeURIComponent(target.id)}`),
    onSuccess: (_, target) => {
      notifications.show({ color: 'green', message: t('files.deleted', { name: target.name }) });
      onClose();
    },
    onError: (error) => notifications.show({ color: 'red', title: t('files.deleteFailed'), message: describeError(error) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: filesKey }),
  });

  return (
    <Modal opened={opened} onClose={() => (remove.isPending ? undefined : onClose())} title={t('files.deleteDialog.title')} centered>
      <Stack gap="lg" data-testid="file-delete-dialog">
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
          {t('files.deleteDialog.body', { name: file?.name ?? '' })}
        </Text>
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose} disabled={remove.isPending} data-testid="file-delete-cancel">
            {t('files.deleteDialog.cancel')}
          </Button>
          <Button color="red" onClick={() => file && remove.mutate(file)} loading={remove.isPending} data-testid="file-delete-confirm">
            {t('files.deleteDialog.confirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
