import { Alert, Box, Button, Center, Group, Image, Loader, Modal, ScrollArea, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { apiBase, apiBlob } from '../lib/api';
import { ErrorAlert } from './error-alert';
import { AlertIcon } from './icons';

/** What the browser can show by itself without running anything of the file's. */
type PreviewKind = 'image' | 'pdf' | 'text';

// HEIC is an image most browsers cannot draw; it is downloaded instead.
const previewKinds: Readonly<Record<string, PreviewKind>> = {
  'image/png': 'image',
  'image/jpeg': 'image',
  'image/webp': 'image',
  'application/pdf': 'pdf',
  'text/plain': 'text',
  'text/csv': 'text',
};

/** Longest text shown in a preview; the rest is for the download. */
const maxPreviewText = 200_000;

export const previewKindOf = (contentType: string): PreviewKind | null => previewKinds[contentType] ?? null;

type Loaded = { kind: 'image'; url: string } | { kind: 'pdf'; url: string } | { kind: 'text'; text: string; cut: boolean };

/**
 * A document shown in a dialog instead of downloaded: fetched with the session like any API
 * call (so the read is authorised and recorded by the server as a download), held in memory
 * only while the dialog is open, and shown from an object URL with the type the list named —
 * an image in `<img>`, a PDF in the browser's own viewer, text as text. Nothing is written to
 * disk or to the browser cache (the API answers `no-store`), and the object URL is revoked when
 * the dialog closes.
 */
export function FilePreview({ path, name, contentType, opened, onClose }: {
  /** The content's API path (under /api/v1), the same the download link uses. */
  path: string;
  name: string;
  contentType: string;
  opened: boolean;
  onClose(): void;
}) {
  const { t } = useTranslation();
  const kind = previewKindOf(contentType);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!opened || !kind) return;
    const abort = new AbortController();
    let objectUrl: string | null = null;
    setLoaded(null);
    setError(null);
    apiBlob(path, contentType, abort.signal)
      .then(async (blob) => {
        if (kind === 'text') {
          const text = await blob.text();
          setLoaded({ kind, text: text.slice(0, maxPreviewText), cut: text.length > maxPreviewText });
        } else {
          objectUrl = URL.createObjectURL(blob);
          setLoaded({ kind, url: objectUrl });
        }
      })
      .catch((caught: unknown) => {
        if (!(caught instanceof DOMException && caught.name === 'AbortError')) setError(caught);
      });
    return () => {
      abort.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [opened, kind, path, contentType]);

  return (
    <Modal opened={opened} onClose={onClose} title={name} size="xl" centered data-testid="file-preview">
      <Stack gap="md">
        {!kind ? (
          <Alert color="gray" variant="light" icon={<AlertIcon />}>
            {t('filePreview.notPossible')}
          </Alert>
        ) : error ? (
          <ErrorAlert error={error} title={t('filePreview.failed')} />
        ) : !loaded ? (
          <Center py="xl" role="status" aria-label={t('filePreview.loading')}>
            <Loader />
          </Center>
        ) : loaded.kind === 'image' ? (
          <Box ta="center">
            <Image src={loaded.url} alt={name} fit="contain" mah="70vh" data-testid="file-preview-image" />
          </Box>
        ) : loaded.kind === 'pdf' ? (
          <iframe src={loaded.url} title={name} style={{ width: '100%', height: '70vh', border: 0 }} data-testid="file-preview-pdf" />
        ) : (
          <ScrollArea.Autosize mah="70vh" type="auto">
            <Text component="pre" size="sm" ff="monospace" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', margin: 0 }} data-testid="file-preview-text">
              {loaded.text}
            </Text>
            {loaded.cut ? (
              <Text size="xs" c="dimmed" mt="xs">
                {t('filePreview.cut')}
              </Text>
            ) : null}
          </ScrollArea.Autosize>
        )}
        <Group justify="flex-end" gap="sm">
          <Button component="a" href={`${apiBase}${path}`} download={name} variant="default">
            {t('filePreview.download')}
          </Button>
          <Button onClick={onClose}>{t('filePreview.close')}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
