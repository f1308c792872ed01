import { Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../components/page-header';
import { ChangeEmailCard } from './change-email-card';
import { ChangePasswordCard } from './change-password-card';
import { DetailsCard } from './details-card';

export function ProfilePage() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t('profile.title')} description={t('profile.subtitle')} />
      <Stack gap="lg" maw={720}>
        <DetailsCard />
        <ChangeEmailCard />
        <ChangePasswordCard />
      </Stack>
    </>
  );
}
