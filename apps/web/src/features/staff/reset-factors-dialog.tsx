import { Alert, Button, Group, Modal, Radio, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { IdentityCheck } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { api } from '../../lib/api';
import type { MemberItem } from '../../lib/types';
import { isStepUpCancelled, useStepUp } from '../security/step-up';

type Check = (typeof IdentityCheck.options)[number];

/**
 * Resetting a colleague's second factors when they lost their phone or key: the dialog says what
 * happens, asks how the administrator made sure it is really them (recorded in the audit trail),
 * and "Confirm it's you" guards the reset itself.
 */
export function ResetFactorsDialog({ member, onClose }: { member: MemberItem | null; onClose(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const withStepUp = useStepUp();
  const [check, setCheck] = useState<Check | null>(null);
  const [checkMissing, setCheckMissing] = useState(false);

  const reset = useMutation({
    mutationFn: (input: { member: MemberItem; identityCheck: Check }) => withStepUp(() => api.post<unknown>(`/staff/${input.member.id}/reset-second-factor`, { identityCheck: input.identityCheck })),
    onSuccess: (_, input) => {
      notifications.show({ color: 'green', message: t('staff.members.resetFactorsDone', { name: input.member.name }) });
      close();
      void queryClient.invalidateQueries({ queryKey: ['staff'] });
    },
  });

  function close() {
    setCheck(null);
    setCheckMissing(false);
    reset.reset();
    onClose();
  }

  function submit() {
    if (!member) return;
    if (!check) {
      setCheckMissing(true);
      return;
    }
    reset.mutate({ member, identityCheck: check });
  }

  const name = member?.name ?? '';
  return (
    <Modal opened={member !== null} onClose={close} title={t('staff.members.resetFactorsTitle', { name })} size="lg">
      <Stack gap="md" data-testid="reset-factors-dialog">
        <Text size="sm">{t('staff.members.resetFactorsBody', { name })}</Text>
        {reset.error && !isStepUpCancelled(reset.error) ? <ErrorAlert error={reset.error} /> : null}
        <Radio.Group
          value={check}
          onChange={(value) => {
            setCheck(value as Check);
            setCheckMissing(false);
          }}
          label={t('staff.members.resetFactorsCheck')}
          error={checkMissing ? t('staff.members.resetFactorsCheckMissing') : undefined}
          required
        >
          <Stack gap="xs" mt="xs">
            {IdentityCheck.options.map((option) => (
              <Radio key={option} value={option} label={t(`staff.members.resetFactorsChecks.${option}`)} data-testid={`reset-factors-check-${option}`} />
            ))}
          </Stack>
        </Radio.Group>
        <Alert variant="light" color="gray">
          <Text size="sm">{t('staff.members.resetFactorsNote', { name })}</Text>
        </Alert>
        <Group justify="flex-end">
          <Button variant="default" onClick={close} disabled={reset.isPending} data-testid="reset-factors-cancel">
            {t('common.cancel')}
          </Button>
          <Button color="red" onClick={submit} loading={reset.isPending} data-testid="reset-factors-confirm">
            {t('staff.members.resetFactorsConfirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
