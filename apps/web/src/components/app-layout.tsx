import { AppShell, Badge, Box, Burger, Button, Container, Divider, Group, NavLink, ScrollArea, Stack, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useDisclosure } from '@mantine/hooks';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation } from 'react-router';
import { useDescribeError } from '../lib/errors';
import { useFocusMainOnNavigate } from './focus-main';
import { holds, useMe, useSession } from '../session/session-provider';
import { organisationPages } from './organisation-pages';
import { DevicesIcon, HavenMark, HomeIcon, LockIcon, LogoutIcon, PatientsIcon, ShieldCheckIcon, UserIcon } from './icons';
import { FolderIcon } from '../features/organisation/files-icons';
import { LanguageSwitcher } from './language-switcher';
import { roleLabel } from '../lib/role-label';

interface NavItem {
  to: string;
  label: string;
  icon: ReactNode;
}

/** The signed-in frame: organisation and user up top, sign-out always in reach, navigation by permission. */
export function AppLayout() {
  const { t } = useTranslation();
  const me = useMe();
  const { logout } = useSession();
  const location = useLocation();
  const [opened, { toggle, close }] = useDisclosure(false);

  useFocusMainOnNavigate();

  const personal: NavItem[] = [
    { to: '/', label: t('nav.home'), icon: <HomeIcon /> },
    // The patient directory is daily work, not management: near the top, for whoever may read it.
    ...(holds(me, 'patient:read') ? [{ to: '/patients', label: t('nav.patients'), icon: <PatientsIcon /> }] : []),
    { to: '/profile', label: t('nav.profile'), icon: <UserIcon /> },
    { to: '/security', label: t('nav.mySecurity'), icon: <ShieldCheckIcon /> },
    { to: '/sessions', label: t('nav.sessions'), icon: <DevicesIcon /> },
  ];
  // Practice files are for everyone; the rest of the organisation shows by what the role allows.
  const organisation: NavItem[] = [
    { to: '/organisation/files', label: t('nav.files'), icon: <FolderIcon /> },
    ...organisationPages.filter((page) => holds(me, page.permission)).map((page) => ({ to: page.to, label: t(page.navKey), icon: page.icon })),
  ];

  const renderItem = (item: NavItem) => {
    const active = item.to === '/' ? location.pathname === '/' : location.pathname.startsWith(item.to);
    return (
      <NavLink
        key={item.to}
        component={Link}
        to={item.to}
        label={item.label}
        leftSection={item.icon}
        active={active}
        aria-current={active ? 'page' : undefined}
        onClick={close}
        variant="light"
        style={{ borderRadius: 'var(--mantine-radius-md)' }}
      />
    );
  };

  return (
    <AppShell
      header={{ height: 64 }}
      navbar={{ width: 272, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <a className="skip-link" href="#main">
        {t('shell.skipToContent')}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          {/* The organisation name gives way (ellipsis) so the buttons stay in reach on a phone. */}
          <Group gap="sm" wrap="nowrap" style={{ flex: '1 1 auto', minWidth: 0 }}>
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('shell.menu')} />
            <HavenMark />
            <Text fw={700} fz="lg" visibleFrom="xs">
              Haven
            </Text>
            <Divider orientation="vertical" visibleFrom="xs" />
            <Text fw={500} data-testid="organisation-name" truncate maw={260}>
              {me.organisation.name}
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap" style={{ flex: 'none' }}>
            <Box visibleFrom="md">
              <LanguageSwitcher />
            </Box>
            <Stack gap={0} align="flex-end" visibleFrom="sm">
              <Text size="sm" fw={500} data-testid="current-user">
                {me.account.name}
              </Text>
              <Text size="xs" c="dimmed">
                {roleLabel(t, me.organisation)}
              </Text>
            </Stack>
            <LockNowButton />
            <Button
              variant="default"
              size="sm"
              leftSection={<LogoutIcon size={16} />}
              onClick={() => void logout()}
              data-testid="logout"
            >
              {t('shell.signOut')}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label={t('shell.navigation')}>
        <ScrollArea style={{ flex: 1 }}>
          <Stack gap={2}>
            {personal.map(renderItem)}
            {organisation.length > 0 ? (
              <>
                <Text size="xs" fw={600} c="dimmed" tt="uppercase" mt="lg" mb={4} px="sm">
                  {t('nav.organisationSection')}
                </Text>
                {organisation.map(renderItem)}
              </>
            ) : null}
          </Stack>
        </ScrollArea>
        <Stack gap="xs" pt="sm">
          <Box hiddenFrom="md">
            <LanguageSwitcher />
          </Box>
          <Group gap={6}>
            <Badge variant="light" size="sm">
              {roleLabel(t, me.organisation)}
            </Badge>
            <Text size="xs" c="dimmed" truncate>
              {me.account.email}
            </Text>
          </Group>
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        <Container size="lg" px={0} component="main" id="main" tabIndex={-1} style={{ outline: 'none' }}>
          <Outlet />
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}

/**
 * "Lock screen" for leaving the desk: the server locks the session, the lock screen covers the
 * page at once, and the page stays as it was underneath until the password is entered. Below
 * the `sm` breakpoint only the icon shows; the accessible name is the same at every size.
 */
function LockNowButton() {
  const { t } = useTranslation();
  const describeError = useDescribeError();
  const { locked, lockNow } = useSession();
  const [pending, setPending] = useState(false);

  async function lock() {
    if (pending) return;
    setPending(true);
    try {
      await lockNow();
    } catch (error) {
      notifications.show({ color: 'red', title: t('shell.lockFailed'), message: describeError(error) });
    } finally {
      setPending(false);
    }
  }

  return (
    // Not while locked: a tooltip left open would float above the lock screen.
    <Tooltip label={t('shell.lockNowHint')} disabled={locked} multiline maw={260} withArrow openDelay={300}>
      <Button
        variant="default"
        size="sm"
        onClick={() => void lock()}
        // No `loading`: it disables the button, which drops the focus that unlocking returns to.
        aria-busy={pending || undefined}
        aria-label={t('shell.lockNow')}
        data-testid="lock-now"
      >
        <Group gap={6} wrap="nowrap">
          <LockIcon size={16} />
          <Box component="span" visibleFrom="sm">
            {t('shell.lockNow')}
          </Box>
        </Group>
      </Button>
    </Tooltip>
  );
}
