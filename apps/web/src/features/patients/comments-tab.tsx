import { Button, Card, Group, Skeleton, Stack, Text, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ResolveCommentInput, type PatientCommentList, type PatientCommentView } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { api } from '../../lib/api';
import { holds, useMe } from '../../session/session-provider';
import { CommentCard } from '../portal/comment-card';
import { patientKeys } from './patient-format';

/**
 * The Comments tab (dossier:read): what the patient wrote from the portal — comments and requests
 * to correct the record — newest first. With dossier:write an open one is answered and resolved;
 * the patient reads the answer on the portal.
 */
export function CommentsTab({ patientId }: { patientId: string }) {
  const { t } = useTranslation();
  const me = useMe();
  const canAnswer = holds(me, 'dossier:write');
  const comments = useQuery({ queryKey: patientKeys.comments(patientId), queryFn: () => api.get<PatientCommentList>(`/patients/${patientId}/comments`) });
  const list = comments.data?.comments ?? [];

  return (
    <Stack gap="md" data-testid="patient-comments">
      <div>
        <Title order={2} fz="lg">
          {t('patientComments.title')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('patientComments.subtitle')}
        </Text>
      </div>
      {comments.isPending ? (
        <Skeleton height={96} />
      ) : comments.isError ? (
        <ErrorAlert error={comments.error} />
      ) : list.length === 0 ? (
        <Card withBorder padding="lg">
          <Text size="sm" c="dimmed" data-testid="patient-comments-empty">
            {t('patientComments.none')}
          </Text>
        </Card>
      ) : (
        list.map((comment) => (
          <CommentCard key={comment.id} comment={comment}>
            {comment.status === 'open' && canAnswer ? <ResolveForm patientId={patientId} comment={comment} /> : null}
          </CommentCard>
        ))
      )}
    </Stack>
  );
}

function ResolveForm({ patientId, comment }: { patientId: string; comment: PatientCommentView }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [resolution, setResolution] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);

  if (!open) {
    return (
      <Group>
        <Button size="xs" variant="light" onClick={() => setOpen(true)} data-testid="comment-answer">
          {t('patientComments.answer')}
        </Button>
      </Group>
    );
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const parsed = ResolveCommentInput.safeParse({ resolution });
    if (!parsed.success) {
      setFieldError(resolution.trim() ? t('validation.tooLong', { max: 4000 }) : t('validation.required'));
      return;
    }
    setFieldError(undefined);
    setError(null);
    setPending(true);
    try {
      await api.post(`/patients/${patientId}/comments/${comment.id}/resolve`, parsed.data);
      notifications.show({ color: 'green', message: t('patientComments.resolved') });
      await queryClient.invalidateQueries({ queryKey: patientKeys.comments(patientId) });
    } catch (caught) {
      setError(caught);
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate data-testid="comment-resolve-form">
      <Stack gap="sm">
        <Textarea
          label={t('patientComments.resolution')}
          description={t('patientComments.resolutionHint')}
          value={resolution}
          onChange={(event) => {
            setResolution(event.currentTarget.value);
            setFieldError(undefined);
          }}
          error={fieldError}
          autosize
          minRows={3}
          maxRows={10}
          maxLength={4000}
          required
          data-testid="comment-resolution-text"
        />
        <ErrorAlert error={error} />
        <Group gap="sm">
          <Button type="submit" size="sm" loading={pending} data-testid="comment-resolve">
            {t('patientComments.resolve')}
          </Button>
          <Button variant="default" size="sm" onClick={() => setOpen(false)} disabled={pending}>
            {t('common.cancel')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
