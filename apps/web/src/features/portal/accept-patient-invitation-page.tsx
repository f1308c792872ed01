import { Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { AcceptPatientInvitationRequest, type PatientInvitationPreview } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { BuildingIcon } from '../../components/icons';
import { InvitationFrame } from '../../components/invitation-frame';
import { PasswordField } from '../../components/password-field';
import { PasswordWithPolicy } from '../../components/password-with-policy';
import { useAcceptInvitation } from '../../components/use-accept-invitation';
import { currentLocale } from '../../i18n';

/**
 * `/accept-patient-invitation#token=…`: the link in the practice's invitation mail, the only way
 * a patient account comes to be. A new person gives the name their account shows and a password
 * under the practice's policy (checked live, as the server will); someone who already has a Haven
 * account proves it with that password. Then to the sign-in, which leads to the portal.
 */
export function AcceptPatientInvitationPage() {
  const { t } = useTranslation();
  return (
    <InvitationFrame<PatientInvitationPreview> title={t('portalInvitation.title')} subtitle={t('portalInvitation.subtitle')} previewPath="/patient-invitations/preview">
      {(token, preview) => <AcceptForm token={token} preview={preview} />}
    </InvitationFrame>
  );
}

function AcceptForm({ token, preview }: { token: string; preview: PatientInvitationPreview }) {
  const { t } = useTranslation();
  const { name, setName, password, setPassword, fieldErrors, error, pending, formRef, contextWords, submit } = useAcceptInvitation({
    token,
    preview,
    endpoint: '/patient-invitations/accept',
    schema: AcceptPatientInvitationRequest,
    newPersonFields: () => ({ locale: currentLocale() }),
    notice: 'portalJoined',
  });

  return (
    <form ref={formRef} onSubmit={submit} noValidate data-testid="accept-patient-invitation-form">
      <Stack gap="md">
        <Group gap="sm" wrap="nowrap" align="flex-start">
          <BuildingIcon size={28} />
          <div>
            <Text fw={600} fz="lg" data-testid="patient-invitation-organisation">
              {preview.organisationName}
            </Text>
            <Text size="sm" c="dimmed">
              {t('portalInvitation.invitedBy')}
            </Text>
          </div>
        </Group>
        <ErrorAlert error={error} />
        <TextInput label={t('fields.email')} value={preview.email} readOnly variant="filled" data-testid="patient-invitation-email" />
        {preview.accountExists ? (
          <>
            <Text size="sm">{t('portalInvitation.existingAccount')}</Text>
            <PasswordField
              label={t('fields.password')}
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.currentTarget.value)}
              error={fieldErrors['password']}
              required
            />
          </>
        ) : (
          <>
            <Text size="sm" c="dimmed">
              {t('portalInvitation.newAccount')}
            </Text>
            <TextInput
              label={t('fields.fullName')}
              description={t('portalInvitation.nameHint')}
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
              error={fieldErrors['name']}
              autoComplete="name"
              required
            />
            <PasswordWithPolicy
              label={t('fields.password')}
              value={password}
              onChange={setPassword}
              policy={preview.passwordPolicy}
              contextWords={contextWords}
              error={fieldErrors['password']}
            />
          </>
        )}
        <Button type="submit" loading={pending} data-testid="patient-invitation-submit">
          {t('portalInvitation.submit')}
        </Button>
      </Stack>
    </form>
  );
}
