import { Button, Paper, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Me } from '@haven/contracts';
import { LogoutIcon } from '../../components/icons';
import { useDocumentTitle } from '../../components/page-header';
import { PublicLayout } from '../../components/public-layout';
import { useSession } from '../../session/session-provider';
import { OrganisationChoice } from './organisation-choice';

/**
 * A reload between the password and the choice of organisation: the session is signed in but
 * works in no organisation yet (`GET /me` has `organisation: null`). The same choice as in the
 * login form, with the person's name and address and a way to sign out. After choosing, the
 * route guard that shows this lets the page behind it through (or, on /login, goes on from there).
 */
export function OrganisationChoicePage({ me }: { me: Me }) {
  const { t } = useTranslation();
  const { signedIn, logout } = useSession();
  useDocumentTitle(t('login.chooseTitle'));

  return (
    <PublicLayout>
      <Stack gap="lg">
        <div>
          <Title order={1} fz={28}>
            {t('login.title')}
          </Title>
          <Text c="dimmed">{t('login.chooseSubtitle')}</Text>
        </div>
        <Paper withBorder shadow="sm" p="xl">
          <OrganisationChoice
            choices={me.organisations}
            onChosen={signedIn}
            note={
              <Text size="sm" mt="xs" data-testid="organisation-choice-account">
                {t('login.chooseSignedInAs', { name: me.account.name, email: me.account.email })}
              </Text>
            }
            footer={
              <Button
                variant="default"
                leftSection={<LogoutIcon size={16} />}
                onClick={() => void logout()}
                data-testid="organisation-choice-logout"
              >
                {t('shell.signOut')}
              </Button>
            }
          />
        </Paper>
      </Stack>
    </PublicLayout>
  );
}
