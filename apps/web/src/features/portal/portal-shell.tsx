import { Box, Button, Container, Group, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation } from 'react-router';
import { AuditIcon, DevicesIcon, DownloadFileIcon, HavenMark, HomeIcon, LogoutIcon, ShieldCheckIcon, UserIcon } from '../../components/icons';
import { useFocusMainOnNavigate } from '../../components/focus-main';
import { LanguageSwitcher } from '../../components/language-switcher';
import { useMe, useSession } from '../../session/session-provider';

interface PortalNavItem {
  to: string;
  label: string;
  icon: ReactNode;
  testId: string;
}

/**
 * The patient portal's frame: calmer than the practice's (no side navigation, no management
 * pages), the practice's name up top, a short row of the patient's own pages, and signing out
 * always in reach. Only patient sessions get here (PatientOnly in routes.tsx).
 */
export function PortalShell() {
  const { t } = useTranslation();
  const me = useMe();
  const { logout } = useSession();
  const location = useLocation();

  useFocusMainOnNavigate();

  const items: PortalNavItem[] = [
    { to: '/portal', label: t('portal.nav.home'), icon: <HomeIcon size={16} />, testId: 'portal-nav-home' },
    { to: '/portal/details', label: t('portal.nav.details'), icon: <UserIcon size={16} />, testId: 'portal-nav-details' },
    { to: '/portal/documents', label: t('portal.nav.documents'), icon: <DownloadFileIcon size={16} />, testId: 'portal-nav-documents' },
    { to: '/portal/access-log', label: t('portal.nav.accessLog'), icon: <AuditIcon size={16} />, testId: 'portal-nav-access-log' },
    { to: '/portal/security', label: t('portal.nav.security'), icon: <ShieldCheckIcon size={16} />, testId: 'portal-nav-security' },
    { to: '/portal/sessions', label: t('portal.nav.sessions'), icon: <DevicesIcon size={16} />, testId: 'portal-nav-sessions' },
  ];
  const isActive = (to: string) => (to === '/portal' ? location.pathname === '/portal' || location.pathname === '/portal/' : location.pathname.startsWith(to));

  return (
    <div className="portal-page" data-testid="portal-shell">
      <a className="skip-link" href="#main">
        {t('shell.skipToContent')}
      </a>
      <Box component="header" className="portal-header">
        <Container size="md" py="sm">
          <Group justify="space-between" wrap="nowrap" gap="sm">
            {/* The practice's name gives way (ellipsis) so the buttons stay in reach on a phone. */}
            <Group gap="sm" wrap="nowrap" style={{ flex: '1 1 auto', minWidth: 0 }}>
              <HavenMark />
              <Stack gap={0} style={{ minWidth: 0 }}>
                <Text fw={700} truncate data-testid="portal-practice-name">
                  {me.organisation.name}
                </Text>
                <Text size="xs" c="dimmed" truncate>
                  {t('portal.shell.subtitle')}
                </Text>
              </Stack>
            </Group>
            <Group gap="sm" wrap="nowrap" style={{ flex: 'none' }}>
              <Box visibleFrom="sm">
                <LanguageSwitcher />
              </Box>
              <Text size="sm" fw={500} visibleFrom="sm" data-testid="current-user" truncate maw={200}>
                {me.account.name}
              </Text>
              <Button variant="default" size="sm" leftSection={<LogoutIcon size={16} />} onClick={() => void logout()} data-testid="logout">
                {t('shell.signOut')}
              </Button>
            </Group>
          </Group>
        </Container>
      </Box>
      <Box component="nav" className="portal-nav" aria-label={t('portal.nav.label')}>
        <Container size="md">
          <Box py={6} className="portal-nav__items">
            {items.map((item) => {
              const active = isActive(item.to);
              return (
                <Button
                  key={item.to}
                  component={Link}
                  to={item.to}
                  variant={active ? 'light' : 'subtle'}
                  color={active ? 'haven' : 'gray'}
                  size="sm"
                  leftSection={item.icon}
                  aria-current={active ? 'page' : undefined}
                  data-testid={item.testId}
                  style={{ flex: 'none' }}
                >
                  {item.label}
                </Button>
              );
            })}
          </Box>
        </Container>
      </Box>
      <Container size="md" component="main" id="main" tabIndex={-1} py="xl" w="100%" style={{ flex: 1, outline: 'none' }}>
        <Outlet />
      </Container>
      <Stack component="footer" gap={4} align="center" py="lg" px="md">
        <Box hiddenFrom="sm">
          <LanguageSwitcher />
        </Box>
        <Text size="xs" c="dimmed" ta="center" maw={620}>
          {t('portal.shell.footer', { organisation: me.organisation.name })}
        </Text>
      </Stack>
    </div>
  );
}
