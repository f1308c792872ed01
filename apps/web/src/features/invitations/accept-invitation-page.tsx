import { Badge, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { AcceptInvitationRequest } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { BuildingIcon } from '../../components/icons';
import { InvitationFrame } from '../../components/invitation-frame';
import { PasswordField } from '../../components/password-field';
import { PasswordWithPolicy } from '../../components/password-with-policy';
import { useAcceptInvitation } from '../../components/use-accept-invitation';
import { currentLocale } from '../../i18n';
import type { InvitationPreviewBody } from '../../lib/types';
import { roleLabel } from '../../lib/role-label';

/**
 * Joining an organisation from an invitation link. Someone who already has a Haven account
 * confirms with their existing password; a new person gives their details and a password
 * under the inviting organisation's policy.
 */
export function AcceptInvitationPage() {
  const { t } = useTranslation();
  return (
    <InvitationFrame<InvitationPreviewBody> title={t('accept.title')} previewPath="/invitations/preview">
      {(token, preview) => <AcceptForm token={token} preview={preview} />}
    </InvitationFrame>
  );
}

function AcceptForm({ token, preview }: { token: string; preview: InvitationPreviewBody }) {
  const { t } = useTranslation();
  const [phone, setPhone] = useState('');
  const [profession, setProfession] = useState('');
  const { name, setName, password, setPassword, fieldErrors, error, pending, formRef, contextWords, submit } = useAcceptInvitation({
    token,
    preview,
    endpoint: '/invitations/accept',
    schema: AcceptInvitationRequest,
    newPersonFields: () => ({ phone: phone.trim() || undefined, profession: profession.trim() || undefined, locale: currentLocale() }),
    notice: 'joined',
  });

  return (
    <form ref={formRef} onSubmit={submit} noValidate data-testid="accept-invitation-form">
      <Stack gap="md">
        <Group gap="sm" wrap="nowrap" align="flex-start">
          <BuildingIcon size={28} />
          <div>
            <Text fw={600} fz="lg" data-testid="invitation-organisation">
              {preview.organisationName}
            </Text>
            <Group gap={6}>
              <Text size="sm" c="dimmed">
                {t('accept.invitedAs')}
              </Text>
              <Badge variant="light">{roleLabel(t, preview)}</Badge>
            </Group>
          </div>
        </Group>
        <ErrorAlert error={error} />
        <TextInput label={t('fields.email')} value={preview.email} readOnly variant="filled" />
        {preview.accountExists ? (
          <>
            <Text size="sm">{t('accept.existingAccount')}</Text>
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
              {t('accept.newAccount')}
            </Text>
            <TextInput
              label={t('fields.fullName')}
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
              error={fieldErrors['name']}
              autoComplete="name"
              required
            />
            <TextInput
              label={`${t('fields.phone')} ${t('common.optionalSuffix')}`}
              type="tel"
              placeholder={t('fields.phonePlaceholder')}
              value={phone}
              onChange={(event) => setPhone(event.currentTarget.value)}
              error={fieldErrors['phone']}
              autoComplete="tel"
            />
            <TextInput
              label={`${t('fields.profession')} ${t('common.optionalSuffix')}`}
              value={profession}
              onChange={(event) => setProfession(event.currentTarget.value)}
              error={fieldErrors['profession']}
              autoComplete="organization-title"
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
        <Button type="submit" loading={pending}>
          {t('accept.submit', { organisation: preview.organisationName })}
        </Button>
      </Stack>
    </form>
  );
}
