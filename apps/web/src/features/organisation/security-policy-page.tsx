import { Alert, Button, Card, Group, NumberInput, Radio, Skeleton, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { SecurityPolicy, type Me } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { InfoIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { api } from '../../lib/api';
import { apiFieldErrors, focusFirstError, type FieldErrors } from '../../lib/errors';
import { useSession } from '../../session/session-provider';

type Mode = SecurityPolicy['password']['mode'];
const lengthRange: Record<Mode, { min: number; max: number }> = {
  nist: { min: 12, max: 64 },
  classes: { min: 8, max: 16 },
};

export function SecurityPolicyPage() {
  const { t } = useTranslation();
  const policy = useQuery({ queryKey: ['security-policy'], queryFn: () => api.get<SecurityPolicy>('/organisation/security-policy') });
  return (
    <>
      <PageHeader title={t('security.title')} description={t('security.subtitle')} />
      {policy.data ? (
        <PolicyForm initial={policy.data} />
      ) : policy.isError ? (
        <ErrorAlert error={policy.error} />
      ) : (
        <Skeleton height={320} maw={720} />
      )}
    </>
  );
}

function PolicyForm({ initial }: { initial: SecurityPolicy }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const { refreshSessionState, setMe } = useSession();
  const [mode, setMode] = useState<Mode>(initial.password.mode);
  const [minLength, setMinLength] = useState<number | string>(initial.password.minLength);
  const [idle, setIdle] = useState<number | string>(initial.idleTimeoutMinutes);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const range = lengthRange[mode];

  useEffect(() => {
    setMinLength((value) => {
      const number = typeof value === 'number' ? value : Number(value);
      if (!Number.isFinite(number)) return range.min;
      return Math.min(range.max, Math.max(range.min, number));
    });
  }, [range.min, range.max]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const candidate = { password: { mode, minLength: Number(minLength) }, idleTimeoutMinutes: Number(idle) };
    const errors: FieldErrors = {};
    const length = candidate.password.minLength;
    if (!Number.isInteger(length) || length < range.min || length > range.max) {
      errors['password.minLength'] = t('security.minLengthRange', range);
    }
    if (!Number.isInteger(candidate.idleTimeoutMinutes) || candidate.idleTimeoutMinutes < 2 || candidate.idleTimeoutMinutes > 60) {
      errors['idleTimeoutMinutes'] = t('security.idleRange', { min: 2, max: 60 });
    }
    const parsed = SecurityPolicy.safeParse(candidate);
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0 || !parsed.success) {
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setError(null);
    setPending(true);
    try {
      const saved = await api.put<SecurityPolicy | undefined>('/organisation/security-policy', parsed.data);
      queryClient.setQueryData(['security-policy'], saved ?? parsed.data);
      notifications.show({ color: 'green', message: t('security.saved') });
      // The idle timeout and password rules apply to this session too.
      refreshSessionState();
      api.get<Me>('/me').then(setMe, () => undefined);
    } catch (caught) {
      setError(caught);
      setFieldErrors(apiFieldErrors(t, caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <form ref={formRef} onSubmit={submit} noValidate data-testid="security-policy-form">
      <Stack gap="lg" maw={720}>
        <ErrorAlert error={error} />
        <Card withBorder padding="lg">
          <Stack gap="md">
            <div>
              <Title order={2} fz="lg">
                {t('security.passwords.title')}
              </Title>
              <Text size="sm" c="dimmed">
                {t('security.passwords.subtitle')}
              </Text>
            </div>
            <Radio.Group
              value={mode}
              onChange={(value) => setMode(value === 'classes' ? 'classes' : 'nist')}
              label={t('security.passwords.mode')}
            >
              <Stack gap="sm" mt="xs">
                <Radio.Card value="nist" p="md" radius="md" className="radio-card">
                  <Group wrap="nowrap" align="flex-start">
                    <Radio.Indicator />
                    <div>
                      <Text fw={600}>{t('security.passwords.nist')}</Text>
                      <Text size="sm" c="dimmed">
                        {t('security.passwords.nistHint')}
                      </Text>
                    </div>
                  </Group>
                </Radio.Card>
                <Radio.Card value="classes" p="md" radius="md" className="radio-card">
                  <Group wrap="nowrap" align="flex-start">
                    <Radio.Indicator />
                    <div>
                      <Text fw={600}>{t('security.passwords.classes')}</Text>
                      <Text size="sm" c="dimmed">
                        {t('security.passwords.classesHint')}
                      </Text>
                    </div>
                  </Group>
                </Radio.Card>
              </Stack>
            </Radio.Group>
            <NumberInput
              label={t('security.passwords.minLength')}
              description={t('security.minLengthRange', range)}
              value={minLength}
              onChange={setMinLength}
              min={range.min}
              max={range.max}
              allowDecimal={false}
              allowNegative={false}
              error={fieldErrors['password.minLength']}
              maw={240}
              inputWrapperOrder={['label', 'input', 'description', 'error']}
            />
            <Alert color="gray" variant="light" icon={<InfoIcon />}>
              <Text size="sm">{t('security.passwords.blocklistNote')}</Text>
            </Alert>
          </Stack>
        </Card>

        <Card withBorder padding="lg">
          <Stack gap="md">
            <div>
              <Title order={2} fz="lg">
                {t('security.idle.title')}
              </Title>
              <Text size="sm" c="dimmed">
                {t('security.idle.subtitle')}
              </Text>
            </div>
            <NumberInput
              label={t('security.idle.label')}
              description={t('security.idleRange', { min: 2, max: 60 })}
              value={idle}
              onChange={setIdle}
              min={2}
              max={60}
              allowDecimal={false}
              allowNegative={false}
              error={fieldErrors['idleTimeoutMinutes']}
              maw={240}
              inputWrapperOrder={['label', 'input', 'description', 'error']}
            />
          </Stack>
        </Card>
        <Group justify="flex-end">
          <Button type="submit" loading={pending}>
            {t('common.saveChanges')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
