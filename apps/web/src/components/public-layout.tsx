import { Anchor, Box, Container, Group, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { HavenMark } from './icons';
import { LanguageSwitcher } from './language-switcher';

/** Frame of the pages before sign-in: brand, language, one calm card. */
export function PublicLayout({ children, width = 460 }: { children: ReactNode; width?: number }) {
  const { t } = useTranslation();
  return (
    <div className="public-page">
      <a className="skip-link" href="#main">
        {t('shell.skipToContent')}
      </a>
      <Group justify="space-between" px="lg" py="md" component="header">
        <Anchor component={Link} to="/login" underline="never" c="inherit" aria-label={t('shell.homeLink')}>
          <Group gap="xs">
            <HavenMark />
            <Text fw={700} fz="lg">
              Haven
            </Text>
          </Group>
        </Anchor>
        <LanguageSwitcher />
      </Group>
      <Box component="main" id="main" tabIndex={-1} style={{ flex: 1, outline: 'none' }} py="xl" px="md">
        <Container size={width} p={0}>
          {children}
        </Container>
      </Box>
      <Text component="footer" size="xs" c="dimmed" ta="center" py="lg">
        {t('shell.footer')}
      </Text>
    </div>
  );
}
