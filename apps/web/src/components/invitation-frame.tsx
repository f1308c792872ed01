import { Alert, Anchor, Group, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../lib/api';
import { useFragmentToken } from '../lib/fragment-token';
import { ErrorAlert } from './error-alert';
import { useDocumentTitle } from './page-header';
import { PublicLayout } from './public-layout';

interface Props<T> {
  title: string;
  subtitle?: string;
  /** `POST` with `{ token }`: what the invitation offers, before anything is accepted. */
  previewPath: string;
  children(token: string, preview: T): ReactNode;
}

/**
 * The frame of a page opened from an invitation e-mail (staff and patients alike): takes the
 * link's token from the address, asks the server what the invitation offers, and shows the page's
 * form once it answers — or, in words, why the link does not work.
 */
export function InvitationFrame<T>({ title, subtitle, previewPath, children }: Props<T>) {
  const { t } = useTranslation();
  useDocumentTitle(title);
  const token = useFragmentToken();
  const preview = useQuery({
    queryKey: ['invitation-preview', previewPath, token],
    queryFn: () => api.post<T>(previewPath, { token }),
    enabled: token !== null,
    staleTime: Infinity,
  });

  return (
    <PublicLayout width={560}>
      <Stack gap="lg">
        <div>
          <Title order={1} fz={28}>
            {title}
          </Title>
          {subtitle ? <Text c="dimmed">{subtitle}</Text> : null}
        </div>
        <Paper withBorder shadow="sm" p="xl">
          {!token ? (
            <Alert color="orange" role="alert">
              {t('errors.TOKEN_INVALID')}
            </Alert>
          ) : preview.isPending ? (
            <Group justify="center" py="md" role="status">
              <Loader aria-label={t('common.loading')} />
            </Group>
          ) : preview.isError ? (
            <ErrorAlert error={preview.error} />
          ) : (
            children(token, preview.data)
          )}
        </Paper>
        <Text size="sm" ta="center">
          <Anchor component={Link} to="/login">
            {t('common.backToLogin')}
          </Anchor>
        </Text>
      </Stack>
    </PublicLayout>
  );
}
