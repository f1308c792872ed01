import { Alert, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { PasskeyName, type Me, type PasskeyCreationOptions } from '@haven/contracts';
import { CheckIcon, InfoIcon, PasskeyIcon } from '../../components/icons';
import { api } from '../../lib/api';
import type { PasskeyItem, RegisterPasskeyResponseBody } from '../../lib/types';
import { securitySummaryKey } from './codes';
import { createCredential, passkeysKey, passkeysSupported } from './passkey-api';
import { PasskeyErrorAlert } from './passkey-ui';
import { RecoveryCodesPanel } from './recovery-codes-panel';
import { isStepUpCancelled, useStepUp } from './step-up';

interface Props {
  /** Signing in waits for this (the first factor of someone whose practice requires one). */
  enrolment: boolean;
  /** Registered (and, for a first factor, its recovery codes stored); `me` when this finished an enrolment sign-in. */
  onDone(result: { passkey: PasskeyItem; me: Me | null }): void;
  onCancel?: () => void;
}

/**
 * Adding a passkey: a name to tell it apart, then the browser's own prompt (where to save it,
 * and the fingerprint, face or PIN that unlocks it). A first second factor comes with recovery
 * codes, shown once here.
 */
export function PasskeySetup({ enrolment, onDone, onCancel }: Props) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<RegisterPasskeyResponseBody | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const supported = passkeysSupported();

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    event.stopPropagation();
    if (pending) return;
    const parsed = PasskeyName.safeParse(name);
    if (!parsed.success) {
      setNameError(name.trim() ? t('passkeys.setup.nameInvalid') : t('validation.required'));
      requestAnimationFrame(() => nameRef.current?.focus());
      return;
    }
    setNameError(undefined);
    setError(null);
    setPending(true);
    try {
      const options = await withStepUp(() => api.post<PasskeyCreationOptions>('/me/passkeys/registration-options'));
      const response = await createCredential(options);
      const answer = await withStepUp(() => api.post<RegisterPasskeyResponseBody>('/me/passkeys', { name: parsed.data, response }));
      void queryClient.invalidateQueries({ queryKey: securitySummaryKey });
      void queryClient.invalidateQueries({ queryKey: passkeysKey });
      if (answer.recoveryCodes && answer.recoveryCodes.length > 0) setResult(answer);
      else onDone({ passkey: answer.passkey, me: answer.me });
    } catch (caught) {
      if (!isStepUpCancelled(caught)) setError(caught);
    } finally {
      setPending(false);
    }
  }

  if (result?.recoveryCodes) {
    return (
      <Stack gap="md" data-testid="passkey-setup-codes">
        <Text fw={600} component="h2" fz="lg">
          {t('passkeys.setup.codesTitle')}
        </Text>
        <Alert color="green" variant="light" icon={<CheckIcon />} data-testid="passkey-setup-confirmed">
          <Text size="sm">{enrolment ? t('passkeys.setup.confirmedEnrolment') : t('passkeys.setup.confirmed')}</Text>
        </Alert>
        <RecoveryCodesPanel
          codes={result.recoveryCodes}
          onDone={() => onDone({ passkey: result.passkey, me: result.me })}
          doneLabel={enrolment ? t('passkeys.setup.continue') : undefined}
        />
      </Stack>
    );
  }

  return (
    <form onSubmit={create} noValidate data-testid="passkey-setup">
      <Stack gap="md">
        <Text size="sm">{t('passkeys.setup.intro')}</Text>
        {supported ? null : (
          <Alert color="orange" variant="light" icon={<InfoIcon />} data-testid="passkey-unsupported">
            <Text size="sm">{t('passkeys.setup.unsupported')}</Text>
          </Alert>
        )}
        <PasskeyErrorAlert error={error} />
        <TextInput
          ref={nameRef}
          label={t('passkeys.setup.nameLabel')}
          description={t('passkeys.setup.nameHint')}
          placeholder={t('passkeys.setup.namePlaceholder')}
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          error={nameError}
          maxLength={64}
          maw={360}
          required
          data-autofocus
          data-testid="passkey-name-input"
        />
        <Group justify={onCancel ? 'space-between' : 'flex-end'} gap="sm">
          {onCancel ? (
            <Button variant="subtle" onClick={onCancel} disabled={pending} data-testid="passkey-setup-cancel">
              {t('passkeys.setup.cancel')}
            </Button>
          ) : null}
          <Button type="submit" loading={pending} disabled={!supported} leftSection={<PasskeyIcon size={16} />} data-testid="passkey-setup-submit">
            {t('passkeys.setup.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
