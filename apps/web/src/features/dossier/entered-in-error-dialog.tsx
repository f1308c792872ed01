import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { EnteredInErrorInput, type EntryView } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { api } from '../../lib/api';
import { apiFieldErrors, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import { useSession } from '../../session/session-provider';

/**
 * "Entered in error": the entry stays in the record (struck through, with this reason) but no
 * longer counts; nothing is deleted.
 */
export function EnteredInErrorDialog({ patientId, entry, onClose, onDone }: { patientId: string; entry: EntryView | null; onClose(): void; onDone(): void }) {
  const { t } = useTranslation();
  const { locked } = useSession();
  return (
    <Modal opened={entry !== null} onClose={onClose} title={t('dossier.enteredInError.title')} centered trapFocus={!locked} closeOnClickOutside={false}>
      {entry ? <EnteredInErrorForm patientId={patientId} entry={entry} onClose={onClose} onDone={onDone} /> : null}
    </Modal>
  );
}

function EnteredInErrorForm({ patientId, entry, onClose, onDone }: { patientId: string; entry: EntryView; onClose(): void; onDone(): void }) {
  const { t } = useTranslation();
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = EnteredInErrorInput.safeParse({ reason });
    if (!parsed.success) {
      setErrors(zodFieldErrors(t, parsed.error));
      return;
    }
    setErrors({});
    setError(null);
    setPending(true);
    try {
      await api.post<EntryView>(`/patients/${patientId}/entries/${entry.id}/entered-in-error`, parsed.data);
      onDone();
    } catch (caught) {
      setError(caught);
      setErrors(apiFieldErrors(t, caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate data-testid="entered-in-error-dialog">
      <Stack gap="md">
        <Text size="sm">{t('dossier.enteredInError.explain')}</Text>
        <ErrorAlert error={error} />
        <Textarea
          label={t('dossier.enteredInError.reason')}
          value={reason}
          onChange={(event) => setReason(event.currentTarget.value)}
          error={errors['reason']}
          required
          autosize
          minRows={2}
          maxLength={500}
          data-autofocus
        />
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose} disabled={pending}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" color="red" loading={pending} data-testid="entered-in-error-submit">
            {t('dossier.enteredInError.submit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
