import { Group, Text, ThemeIcon, UnstyledButton } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';

/** A card-sized link to a page, with its icon and one line on what is there (home pages). */
export function Shortcut({ to, icon, title, text, testId }: { to: string; icon: ReactNode; title: string; text: string; testId?: string }) {
  return (
    <UnstyledButton component={Link} to={to} className="shortcut" data-testid={testId}>
      <Group gap="sm" wrap="nowrap" align="flex-start">
        <ThemeIcon variant="light" size={36} radius="md">
          {icon}
        </ThemeIcon>
        <div className="shortcut-text">
          <Text fw={600}>{title}</Text>
          <Text size="sm" c="dimmed">
            {text}
          </Text>
        </div>
      </Group>
    </UnstyledButton>
  );
}
