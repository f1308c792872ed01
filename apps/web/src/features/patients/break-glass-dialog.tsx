import { Alert, Button, Group, Modal, NativeSelect, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { BreakGlassInput, breakGlassReasonCodes, maxBreakGlassReasonLength, type BreakGlassGrant, type BreakGlassReasonCode } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon } from '../../components/icons';
import { api } from '../../lib/api';
import { apiFieldErrors, plainT, type FieldErrors } from '../../lib/errors';
import { useSession } from '../../session/session-provider';
import { isStepUpCancelled, useStepUp } from '../security/step-up';
import { patientKeys } from './patient-format';

/**
 * "Emergency access" (break-the-glass) to a patient outside one's care team: a reason from the
 * list, in words too ("other" needs them), then "Confirm it's you" (the server asks for a fresh
 * step-up). The access is recorded, and the care team and the patient are told.
 */
export function BreakGlassDialog({ patientId, opened, onClose }: { patientId: string; opened: boolean; onClose(): void }) {
  const { t } = useTranslation();
  const { locked } = useSession();
  return (
    <Modal opened={opened} onClose={onClose} title={t('breakGlass.title')} centered trapFocus={!locked} closeOnClickOutside={false}>
      {opened ? <BreakGlassForm patientId={patientId} onDone={onClose} /> : null}
    </Modal>
  );
}

function BreakGlassForm({ patientId, onDone }: { patientId: string; onDone(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const [reasonCode, setReasonCode] = useState<BreakGlassReasonCode | ''>('');
  const [reasonText, setReasonText] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const found: FieldErrors = {};
    if (!reasonCode) found['reasonCode'] = t('validation.choose');
    if (reasonCode === 'other' && !reasonText.trim()) found['reasonText'] = t('breakGlass.reasonTextRequired');
    const parsed = BreakGlassInput.safeParse({ reasonCode, ...(reasonText.trim() ? { reasonText } : {}) });
    if (!parsed.success && Object.keys(found).length === 0) found['reasonText'] = t('validation.invalid');
    if (!parsed.success || Object.keys(found).length > 0) {
      setErrors(found);
      return;
    }
    setErrors({});
    setError(null);
    setPending(true);
    try {
      await withStepUp(() => api.post<BreakGlassGrant>(`/patients/${patientId}/break-glass`, parsed.data));
      notifications.show({ color: 'orange', message: t('breakGlass.granted') });
      void queryClient.invalidateQueries({ queryKey: patientKeys.careTeam(patientId) });
      void queryClient.invalidateQueries({ queryKey: patientKeys.dossier(patientId) });
      onDone();
    } catch (caught) {
      if (isStepUpCancelled(caught)) return;
      setError(caught);
      setErrors(apiFieldErrors(t, caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate data-testid="break-glass-dialog">
      <Stack gap="md">
        <Alert color="orange" variant="light" icon={<AlertIcon />}>
          <Text size="sm">{t('breakGlass.explain')}</Text>
        </Alert>
        <ErrorAlert error={error} />
        <NativeSelect
          label={t('breakGlass.reasonCode')}
          value={reasonCode}
          onChange={(event) => {
            const next = event.currentTarget.value;
            setReasonCode((breakGlassReasonCodes as readonly string[]).includes(next) ? (next as BreakGlassReasonCode) : '');
            setErrors({});
          }}
          error={errors['reasonCode']}
          required
          data-autofocus
          data={[{ value: '', label: t('common.choose') }, ...breakGlassReasonCodes.map((value) => ({ value, label: plainT(t)(`breakGlass.reasons.${value}`) }))]}
        />
        <Textarea
          label={reasonCode === 'other' ? t('breakGlass.reasonText') : `${t('breakGlass.reasonText')} ${t('common.optionalSuffix')}`}
          description={t('breakGlass.reasonTextHint')}
          value={reasonText}
          onChange={(event) => {
            setReasonText(event.currentTarget.value);
            if (errors['reasonText']) setErrors(({ reasonText: _dropped, ...rest }) => rest);
          }}
          error={errors['reasonText']}
          required={reasonCode === 'other'}
          maxLength={maxBreakGlassReasonLength}
          autosize
          minRows={3}
        />
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onDone} disabled={pending}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" color="red" loading={pending} data-testid="break-glass-submit">
            {t('breakGlass.submit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
