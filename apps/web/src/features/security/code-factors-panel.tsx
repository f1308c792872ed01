import { Badge, Button, Card, Group, Modal, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SentCodeMethod } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { MailIcon, PhoneIcon } from '../../components/icons';
import { api } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import type { SecuritySummaryBody } from '../../lib/types';
import { CodeFactorSetup } from './code-factor-setup';
import { securitySummaryKey } from './codes';
import { CodeFactorRisk } from './sent-code';
import { isStepUpCancelled, useStepUp } from './step-up';

/**
 * My security: codes by SMS (to a verified phone) and by e-mail — offered only where the
 * person's practices allow them, below the stronger factors, each with its risk in plain words.
 */
export function CodeFactorsPanel({ summary }: { summary: SecuritySummaryBody }) {
  const allowed = summary.allowedFactors;
  const showSms = allowed.includes('sms') || summary.phone !== null;
  const showEmail = allowed.includes('email_code') || summary.emailCode !== null;
  return (
    <>
      {showSms ? <CodeFactorCard method="sms" summary={summary} /> : null}
      {showEmail ? <CodeFactorCard method="email_code" summary={summary} /> : null}
    </>
  );
}

const labels = {
  sms: {
    cardTitle: 'codeFactors.smsCardTitle',
    cardSubtitle: 'codeFactors.smsCardSubtitle',
    add: 'codeFactors.smsAdd',
    added: 'codeFactors.smsAdded',
    remove: 'codeFactors.smsRemove',
    removeTitle: 'codeFactors.smsRemoveTitle',
    removed: 'codeFactors.smsRemoved',
  },
  email_code: {
    cardTitle: 'codeFactors.emailCardTitle',
    cardSubtitle: 'codeFactors.emailCardSubtitle',
    add: 'codeFactors.emailAdd',
    added: 'codeFactors.emailAdded',
    remove: 'codeFactors.emailRemove',
    removeTitle: 'codeFactors.emailRemoveTitle',
    removed: 'codeFactors.emailRemoved',
  },
} as const;

function CodeFactorCard({ method, summary }: { method: SentCodeMethod; summary: SecuritySummaryBody }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const [adding, setAdding] = useState(false);
  const [removeOpen, setRemoveOpen] = useState(false);
  const [removing, setRemoving] = useState(false);
  const [removeError, setRemoveError] = useState<unknown>(null);

  const phone = summary.phone;
  const on = method === 'sms' ? phone?.verifiedAt != null : summary.emailCode !== null;
  const allowed = summary.allowedFactors.includes(method);
  const text = labels[method];
  const refresh = () => queryClient.invalidateQueries({ queryKey: securitySummaryKey });

  async function remove() {
    setRemoving(true);
    setRemoveError(null);
    try {
      await withStepUp(() => api.delete(method === 'sms' ? '/me/phone' : '/me/email-code'));
      setRemoveOpen(false);
      notifications.show({ color: 'green', message: t(text.removed) });
      await refresh();
    } catch (caught) {
      if (!isStepUpCancelled(caught)) setRemoveError(caught);
    } finally {
      setRemoving(false);
    }
  }

  return (
    <Card withBorder padding="lg" data-testid={`${method}-status`} data-state={on ? 'on' : 'off'}>
      <Stack gap="md">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Group gap="sm" wrap="nowrap" align="flex-start">
            <ThemeIcon variant="light" color="gray" size={36} radius="xl" style={{ flex: 'none' }}>
              {method === 'sms' ? <PhoneIcon /> : <MailIcon />}
            </ThemeIcon>
            <div>
              <Group gap="xs">
                <Title order={2} fz="lg">
                  {t(text.cardTitle)}
                </Title>
                <Badge size="sm" color={method === 'email_code' ? 'orange' : 'yellow'} variant="light">
                  {method === 'email_code' ? t('codeFactors.leastSafe') : t('codeFactors.lessSafe')}
                </Badge>
              </Group>
              <Text size="sm" c="dimmed">
                {t(text.cardSubtitle)}
              </Text>
            </div>
          </Group>
          <Badge color={on ? 'green' : 'gray'} variant="light" style={{ flex: 'none' }}>
            {on ? t('mySecurity.app.on') : t('mySecurity.app.off')}
          </Badge>
        </Group>
        {adding ? (
          <CodeFactorSetup
            method={method}
            enrolment={false}
            onCancel={() => setAdding(false)}
            onDone={() => {
              setAdding(false);
              notifications.show({ color: 'green', message: t(text.added) });
              void refresh();
            }}
          />
        ) : (
          <>
            {method === 'sms' && phone ? (
              <Text size="sm" data-testid="sms-number">
                {phone.verifiedAt ? t('codeFactors.smsNumber', { number: phone.masked, date: formatDateTime(phone.verifiedAt, locale) }) : t('codeFactors.smsUnverified', { number: phone.masked })}
              </Text>
            ) : null}
            {method === 'email_code' && summary.emailCode ? (
              <Text size="sm" data-testid="email-code-address">
                {t('codeFactors.emailOn', { address: summary.emailCode.sentTo, date: formatDateTime(summary.emailCode.enabledAt, locale) })}
              </Text>
            ) : null}
            <CodeFactorRisk method={method} />
            {!allowed ? <Text size="sm" c="dimmed">{t('codeFactors.notAllowed')}</Text> : null}
            <Group justify="flex-end" gap="sm">
              {(method === 'sms' ? phone !== null : summary.emailCode !== null) ? (
                <Button
                  variant="default"
                  c="red.8"
                  onClick={() => {
                    setRemoveError(null);
                    setRemoveOpen(true);
                  }}
                  data-testid={`${method}-remove`}
                >
                  {t(text.remove)}
                </Button>
              ) : null}
              {allowed && !on ? (
                <Button variant="light" onClick={() => setAdding(true)} data-testid={`${method}-add`}>
                  {t(text.add)}
                </Button>
              ) : null}
            </Group>
          </>
        )}
      </Stack>
      <Modal opened={removeOpen} onClose={() => (removing ? undefined : setRemoveOpen(false))} title={t(text.removeTitle)} centered>
        <Stack gap="lg" data-testid={`${method}-remove-dialog`}>
          <Text size="sm">{t('codeFactors.removeBody')}</Text>
          <ErrorAlert error={removeError} />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={() => setRemoveOpen(false)} disabled={removing}>
              {t('mySecurity.cancel')}
            </Button>
            <Button color="red" onClick={() => void remove()} loading={removing} data-testid={`${method}-remove-confirm`}>
              {t(text.remove)}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
