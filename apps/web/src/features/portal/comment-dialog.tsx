import { Button, Group, Modal, Radio, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { patientCommentKinds, PortalCommentInput, type PatientCommentKind, type PatientCommentView } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { api } from '../../lib/api';
import { commentKindLabel } from './comment-labels';
import { portalKeys } from './portal-api';

interface Props {
  opened: boolean;
  onClose(): void;
  /** The kind preselected ("Request a correction" on My details, a comment on a document). */
  initialKind: PatientCommentKind;
  /** The document the comment is about, if any. */
  document?: { id: string; title: string } | undefined;
}

/**
 * Writing to the practice about the record: patients cannot change clinical content or what the
 * practice registered, but they can comment on it or ask for a correction, which the practice
 * answers on the patient's page.
 */
export function CommentDialog({ opened, onClose, initialKind, document }: Props) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<PatientCommentKind>(initialKind);
  const [text, setText] = useState('');
  const [textError, setTextError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);

  function reset() {
    setText('');
    setTextError(undefined);
    setError(null);
    setKind(initialKind);
  }
  function close() {
    if (pending) return;
    reset();
    onClose();
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = PortalCommentInput.safeParse({ kind, text, ...(document ? { documentId: document.id } : {}) });
    if (!parsed.success) {
      setTextError(text.trim() ? t('validation.tooLong', { max: 4000 }) : t('validation.required'));
      return;
    }
    setTextError(undefined);
    setError(null);
    setPending(true);
    try {
      await api.post<PatientCommentView>('/portal/comments', parsed.data);
      notifications.show({ color: 'green', message: t('comments.dialog.sent') });
      void queryClient.invalidateQueries({ queryKey: portalKeys.comments });
      void queryClient.invalidateQueries({ queryKey: portalKeys.me });
      setPending(false);
      reset();
      onClose();
    } catch (caught) {
      setError(caught);
      setPending(false);
    }
  }

  return (
    <Modal opened={opened} onClose={close} title={document ? t('comments.dialog.titleDocument', { title: document.title }) : t('comments.dialog.title')} centered size="lg">
      <form onSubmit={submit} noValidate data-testid="comment-dialog">
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            {t('comments.dialog.explanation')}
          </Text>
          <Radio.Group label={t('comments.dialog.kind')} value={kind} onChange={(value) => setKind(value === 'correction_request' ? 'correction_request' : 'comment')}>
            <Group gap="lg" mt={6}>
              {patientCommentKinds.map((value) => (
                <Radio key={value} value={value} label={commentKindLabel(t, value)} data-testid={`comment-kind-${value}`} />
              ))}
            </Group>
          </Radio.Group>
          <Textarea
            label={kind === 'correction_request' ? t('comments.dialog.textCorrection') : t('comments.dialog.text')}
            description={kind === 'correction_request' ? t('comments.dialog.textCorrectionHint') : undefined}
            value={text}
            onChange={(event) => {
              setText(event.currentTarget.value);
              setTextError(undefined);
            }}
            error={textError}
            required
            autosize
            minRows={4}
            maxRows={12}
            maxLength={4000}
            data-autofocus
            data-testid="comment-text"
          />
          <ErrorAlert error={error} />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close} disabled={pending}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={pending} data-testid="comment-send">
              {t('comments.dialog.send')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
