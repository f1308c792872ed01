import { Button, Group, Paper, Text, ThemeIcon, VisuallyHidden } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ClockIcon } from '../components/icons';
import { useSession } from './session-provider';

/**
 * Shown during the last minute before the idle lock. Any key, click or mouse movement keeps the
 * session (the activity tracker sends a heartbeat). The countdown is visual only; screen readers
 * hear one announcement, not one per second.
 */
export function IdleWarning() {
  const { t } = useTranslation();
  const { warningSeconds, locked, status } = useSession();
  if (warningSeconds === null || locked || status !== 'authenticated') return null;
  return (
    <div className="idle-warning" data-testid="idle-warning">
      <Paper withBorder shadow="lg" p="md" radius="md" maw={520}>
        <Group gap="sm" wrap="nowrap" align="flex-start">
          <ThemeIcon variant="light" color="orange" size={36} radius="xl">
            <ClockIcon />
          </ThemeIcon>
          <div style={{ flex: 1, minWidth: 0 }}>
            <Text fw={600} aria-hidden="true">
              {t('idle.countdown', { count: warningSeconds })}
            </Text>
            <Text size="sm" c="dimmed" aria-hidden="true">
              {t('idle.hint')}
            </Text>
            <VisuallyHidden role="alert">{t('idle.announcement')}</VisuallyHidden>
          </div>
          <Button variant="light" size="xs" ml="auto" style={{ flexShrink: 0 }}>
            {t('idle.stay')}
          </Button>
        </Group>
      </Paper>
    </div>
  );
}
