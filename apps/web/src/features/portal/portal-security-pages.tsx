import { Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ChangePasswordCard } from '../profile/change-password-card';
import { MySecurityPage } from '../security/my-security-page';
import { TotpSetupPage } from '../security/totp-setup-page';

/*
 * The patient's own sign-in security: the same panels staff use (the account is the same kind of
 * account), with the portal's own addresses and a reason to care that speaks to a patient.
 */

/** `/portal/security`: second factors, recovery codes, trusted browsers, and the password. */
export function PortalSecurityPage() {
  const { t } = useTranslation();
  return (
    <>
      <MySecurityPage setupPath="/portal/security/setup" why={t('portal.security.why')} description={t('portal.security.subtitle')} />
      <Stack maw={760} mt="lg">
        <ChangePasswordCard />
      </Stack>
    </>
  );
}

/** `/portal/security/setup`: an authenticator app, back to the portal's security page after. */
export function PortalTotpSetupPage() {
  return <TotpSetupPage returnTo="/portal/security" />;
}
