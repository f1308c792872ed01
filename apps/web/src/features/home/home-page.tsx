import { Card, Group, SimpleGrid, Stack, Text, Textarea, ThemeIcon, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DevicesIcon, LockIcon, PatientsIcon, UserIcon } from '../../components/icons';
import { organisationPages } from '../../components/organisation-pages';
import { PageHeader } from '../../components/page-header';
import { Shortcut } from '../../components/shortcut';
import { holds, useMe } from '../../session/session-provider';
import { roleLabel } from '../../lib/role-label';

export function HomePage() {
  const { t } = useTranslation();
  const me = useMe();
  const [note, setNote] = useState('');
  const idleMinutes = Math.round(me.session.idleTimeoutSeconds / 60);

  return (
    <>
      <PageHeader
        title={t('home.title', { name: me.account.name })}
        description={t('home.subtitle', { organisation: me.organisation.name, role: roleLabel(t, me.organisation) })}
      />
      <Stack gap="xl">
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="md">
          {holds(me, 'patient:read') ? <Shortcut to="/patients" icon={<PatientsIcon />} title={t('nav.patients')} text={t('home.cards.patients')} /> : null}
          <Shortcut to="/profile" icon={<UserIcon />} title={t('nav.profile')} text={t('home.cards.profile')} />
          <Shortcut to="/sessions" icon={<DevicesIcon />} title={t('nav.sessions')} text={t('home.cards.sessions')} />
          {organisationPages
            .filter((page) => holds(me, page.permission))
            .map((page) => (
              <Shortcut key={page.to} to={page.to} icon={page.icon} title={t(page.navKey)} text={t(page.cardKey)} />
            ))}
        </SimpleGrid>

        <Card withBorder padding="lg">
          <Stack gap="sm">
            <Group gap="sm" wrap="nowrap">
              <ThemeIcon variant="light" size={36} radius="xl">
                <LockIcon />
              </ThemeIcon>
              <div>
                <Title order={2} fz="lg">
                  {t('home.scratch.title')}
                </Title>
                <Text size="sm" c="dimmed">
                  {t('home.scratch.hint', { count: idleMinutes })}
                </Text>
              </div>
            </Group>
            <Textarea
              label={t('home.scratch.label')}
              data-testid="scratch-note"
              autosize
              minRows={5}
              maxRows={16}
              value={note}
              onChange={(event) => setNote(event.currentTarget.value)}
            />
          </Stack>
        </Card>
      </Stack>
    </>
  );
}
