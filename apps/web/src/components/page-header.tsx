import { Group, Stack, Text, Title } from '@mantine/core';
import { useEffect, type ReactNode } from 'react';

/** Title of a page; also sets the document title so tabs and history read well. */
/** `documentTitle`: the tab's title when the heading holds personal data (titles end up in the browser's history). */
export function PageHeader({ title, description, actions, documentTitle }: { title: string; description?: ReactNode; actions?: ReactNode; documentTitle?: string }) {
  useDocumentTitle(documentTitle ?? title);
  return (
    <Group justify="space-between" align="flex-start" mb="lg" wrap="wrap">
      <Stack gap={4}>
        <Title order={1} fz={26}>
          {title}
        </Title>
        {description ? (
          <Text c="dimmed" maw={720}>
            {description}
          </Text>
        ) : null}
      </Stack>
      {actions}
    </Group>
  );
}

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Haven`;
  }, [title]);
}
