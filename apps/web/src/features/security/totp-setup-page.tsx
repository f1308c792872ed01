import { Card } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { PageHeader } from '../../components/page-header';
import { TotpSetupWizard } from './totp-setup-wizard';

/** "Set up an authenticator app", opened from My security (`returnTo`: the portal's, for patients). */
export function TotpSetupPage({ returnTo = '/security' }: { returnTo?: string }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  return (
    <>
      <PageHeader title={t('totpSetup.title')} description={t('totpSetup.subtitle')} />
      <Card withBorder padding="lg" maw={760}>
        <TotpSetupWizard
          enrolment={false}
          onCancel={() => void navigate(returnTo)}
          onDone={() => {
            notifications.show({ color: 'green', message: t('totpSetup.done') });
            void navigate(returnTo, { replace: true });
          }}
        />
      </Card>
    </>
  );
}
