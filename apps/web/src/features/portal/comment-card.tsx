import { Badge, Blockquote, Card, Group, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { PatientCommentView } from '@haven/contracts';
import { formatDateTime } from '../../lib/format';
import { commentKindLabel, commentStatusLabel } from './comment-labels';

/**
 * One comment or correction request with the practice's answer, as both sides see it: the
 * patient on the portal, the practice on the patient's page (`children`: its answer form).
 */
export function CommentCard({ comment, children }: { comment: PatientCommentView; children?: ReactNode }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  return (
    <Card withBorder padding="md" data-testid="comment" data-status={comment.status} data-kind={comment.kind}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" gap="sm" wrap="wrap">
          <Group gap="xs" wrap="wrap">
            <Badge variant="light" color={comment.kind === 'correction_request' ? 'orange' : 'haven'} data-testid="comment-kind">
              {commentKindLabel(t, comment.kind)}
            </Badge>
            {comment.documentTitle ? (
              <Text size="sm" c="dimmed" data-testid="comment-document">
                {t('comments.aboutDocument', { title: comment.documentTitle })}
              </Text>
            ) : null}
          </Group>
          <Group gap="xs">
            <Text size="xs" c="dimmed" className="nowrap">
              {formatDateTime(comment.createdAt, locale)}
            </Text>
            <Badge variant="dot" color={comment.status === 'open' ? 'orange' : 'green'} data-testid="comment-status">
              {commentStatusLabel(t, comment.status)}
            </Badge>
          </Group>
        </Group>
        <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="comment-text">
          {comment.text}
        </Text>
        {comment.status === 'resolved' && comment.resolution ? (
          <Blockquote color="green" p="sm" data-testid="comment-resolution">
            <Text size="xs" c="dimmed" mb={4}>
              {t('comments.answeredBy', {
                name: comment.resolvedBy?.name ?? t('comments.thePractice'),
                date: comment.resolvedAt ? formatDateTime(comment.resolvedAt, locale) : '',
              })}
            </Text>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {comment.resolution}
            </Text>
          </Blockquote>
        ) : null}
        {children}
      </Stack>
    </Card>
  );
}
