import { Alert, Anchor, Button, Card, Group, Modal, NumberInput, Radio, Skeleton, Stack, Switch, Text, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { breakGlassMinutesRange, defaultAllowedFactors, SecurityPolicy, type AllowedFactors, type Me } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon, InfoIcon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { api, ApiError } from '../../lib/api';
import { apiFieldErrors, focusFirstError, type FieldErrors } from '../../lib/errors';
import { useSession } from '../../session/session-provider';
import { fetchSecuritySummary, securitySummaryKey } from '../security/codes';
import { isStepUpCancelled, useStepUp } from '../security/step-up';
import { AllowedFactorsFields, keepsStrongFactor } from './allowed-factors-fields';

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

/** The server names each bad entry by position (`ipAllowlist.3`); the form names them as typed. */
function badAllowlistEntries(error: unknown, sent: string[]): string[] {
  if (!(error instanceof ApiError)) return [];
  return error.fields
    .map((field) => /^ipAllowlist\.(\d+)$/.exec(field.path))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => sent[Number(match[1])])
    .filter((entry): entry is string => entry !== undefined);
}

function PolicyForm({ initial }: { initial: SecurityPolicy }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const { refreshSessionState, setMe } = useSession();
  const [mode, setMode] = useState<Mode>(initial.password.mode);
  const [minLength, setMinLength] = useState<number | string>(initial.password.minLength);
  const [idle, setIdle] = useState<number | string>(initial.idleTimeoutMinutes);
  const [trustHours, setTrustHours] = useState<number | string>(initial.trustedDeviceHours ?? 12);
  const [breakGlassMinutes, setBreakGlassMinutes] = useState<number | string>(initial.breakGlassMinutes ?? breakGlassMinutesRange.default);
  const [secondFactorRequired, setSecondFactorRequired] = useState(initial.secondFactorRequired ?? true);
  const [patientSecondFactorRequired, setPatientSecondFactorRequired] = useState(initial.patientSecondFactorRequired ?? false);
  // One range per line, as people paste them from their IT provider's e-mail.
  const [allowlistText, setAllowlistText] = useState((initial.ipAllowlist ?? []).join('\n'));
  const [confirmSelfExclusion, setConfirmSelfExclusion] = useState(false);
  const [allowedFactors, setAllowedFactors] = useState<AllowedFactors>(initial.allowedFactors ?? defaultAllowedFactors);
  const withStepUp = useStepUp();
  const explanationId = useId();
  const patientExplanationId = useId();
  // Whether the person changing the rule has a second factor themselves (else: at their next sign-in).
  const mine = useQuery({ queryKey: securitySummaryKey, queryFn: fetchSecuritySummary });
  const ownFactorMissing = secondFactorRequired && mine.data !== undefined && mine.data.totp === null;
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

  const allowlistLines = () => allowlistText.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);

  async function submit(event: FormEvent<HTMLFormElement> | null, acknowledgeOwnAddressExcluded = false) {
    event?.preventDefault();
    if (pending) return;
    setConfirmSelfExclusion(false);
    const ipAllowlist = allowlistLines();
    const candidate = {
      password: { mode, minLength: Number(minLength) },
      idleTimeoutMinutes: Number(idle),
      trustedDeviceHours: Number(trustHours),
      breakGlassMinutes: Number(breakGlassMinutes),
      secondFactorRequired,
      patientSecondFactorRequired,
      ipAllowlist,
      allowedFactors,
      ...(acknowledgeOwnAddressExcluded ? { acknowledgeOwnAddressExcluded } : {}),
    };
    const errors: FieldErrors = {};
    const length = candidate.password.minLength;
    if (!Number.isInteger(length) || length < range.min || length > range.max) {
      errors['password.minLength'] = t('security.minLengthRange', range);
    }
    if (!Number.isInteger(candidate.idleTimeoutMinutes) || candidate.idleTimeoutMinutes < 2 || candidate.idleTimeoutMinutes > 60) {
      errors['idleTimeoutMinutes'] = t('security.idleRange', { min: 2, max: 60 });
    }
    if (ipAllowlist.length > 50) errors['ipAllowlist'] = t('security.network.tooMany', { max: 50 });
    if (!Number.isInteger(candidate.trustedDeviceHours) || candidate.trustedDeviceHours < 0 || candidate.trustedDeviceHours > 12) {
      errors['trustedDeviceHours'] = t('security.trustedDevices.range', { min: 0, max: 12 });
    }
    if (!Number.isInteger(candidate.breakGlassMinutes) || candidate.breakGlassMinutes < breakGlassMinutesRange.min || candidate.breakGlassMinutes > breakGlassMinutesRange.max) {
      errors['breakGlassMinutes'] = t('security.breakGlass.range', breakGlassMinutesRange);
    }
    if (!keepsStrongFactor(allowedFactors.staff) || !keepsStrongFactor(allowedFactors.patients)) errors['allowedFactors'] = t('errors.FACTOR_POLICY_NEEDS_STRONG_FACTOR');
    const parsed = SecurityPolicy.safeParse(candidate);
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0 || !parsed.success) {
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setError(null);
    setPending(true);
    try {
      const saved = await withStepUp(() => api.put<SecurityPolicy | undefined>('/organisation/security-policy', parsed.data));
      queryClient.setQueryData(['security-policy'], saved ?? parsed.data);
      if (saved?.ipAllowlist) setAllowlistText(saved.ipAllowlist.join('\n'));
      notifications.show({ color: 'green', message: t('security.saved') });
      // The idle timeout and password rules apply to this session too.
      refreshSessionState();
      api.get<Me>('/me').then(setMe, () => undefined);
      void queryClient.invalidateQueries({ queryKey: securitySummaryKey });
    } catch (caught) {
      if (isStepUpCancelled(caught)) return;
      if (caught instanceof ApiError && caught.code === 'IP_ALLOWLIST_EXCLUDES_YOU') {
        setConfirmSelfExclusion(true);
        return;
      }
      setError(caught);
      const bad = badAllowlistEntries(caught, ipAllowlist);
      setFieldErrors({ ...apiFieldErrors(t, caught), ...(bad.length > 0 ? { ipAllowlist: t('security.network.invalid', { entries: bad.join(', ') }) } : {}) });
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
        <Card withBorder padding="lg" data-testid="second-factor-policy">
          <Stack gap="md">
            <div>
              <Title order={2} fz="lg">
                {t('security.secondFactor.title')}
              </Title>
              <Text size="sm" c="dimmed">
                {t('security.secondFactor.subtitle')}
              </Text>
            </div>
            {/* The explanation outside the <label>, so the switch is named by its label alone. */}
            <div>
              <Switch
                label={t('security.secondFactor.label')}
                checked={secondFactorRequired}
                onChange={(event) => setSecondFactorRequired(event.currentTarget.checked)}
                size="md"
                aria-describedby={explanationId}
                data-testid="second-factor-required"
              />
              <Text size="sm" c="dimmed" id={explanationId} mt={6} pl={58}>
                {t('security.secondFactor.description')}
              </Text>
            </div>
            {!secondFactorRequired ? (
              <Alert color="red" variant="light" icon={<AlertIcon />} data-testid="second-factor-off-warning">
                <Text size="sm">{t('security.secondFactor.offWarning')}</Text>
              </Alert>
            ) : null}
            {ownFactorMissing ? (
              <Alert color="orange" variant="light" icon={<AlertIcon />} data-testid="second-factor-own-missing">
                <Text size="sm">
                  {t('security.secondFactor.ownMissing')}{' '}
                  <Anchor component={Link} to="/security/setup" size="sm">
                    {t('security.secondFactor.ownSetUp')}
                  </Anchor>
                </Text>
              </Alert>
            ) : null}
            <div>
              <Switch
                label={t('security.secondFactor.patientLabel')}
                checked={patientSecondFactorRequired}
                onChange={(event) => setPatientSecondFactorRequired(event.currentTarget.checked)}
                size="md"
                aria-describedby={patientExplanationId}
                data-testid="patient-second-factor-required"
              />
              <Text size="sm" c="dimmed" id={patientExplanationId} mt={6} pl={58}>
                {t('security.secondFactor.patientDescription')}
              </Text>
            </div>
            <NumberInput
              label={t('security.trustedDevices.label')}
              description={t('security.trustedDevices.description')}
              value={trustHours}
              onChange={setTrustHours}
              min={0}
              max={12}
              allowDecimal={false}
              allowNegative={false}
              error={fieldErrors['trustedDeviceHours']}
              maw={520}
              inputWrapperOrder={['label', 'input', 'description', 'error']}
              data-testid="trusted-device-hours"
            />
          </Stack>
        </Card>
        <AllowedFactorsFields value={allowedFactors} onChange={setAllowedFactors} />
        <Card withBorder padding="lg" data-testid="break-glass-policy">
          <Stack gap="md">
            <div>
              <Title order={2} fz="lg">
                {t('security.breakGlass.title')}
              </Title>
              <Text size="sm" c="dimmed">
                {t('security.breakGlass.subtitle')}
              </Text>
            </div>
            <NumberInput
              label={t('security.breakGlass.label')}
              description={t('security.breakGlass.range', breakGlassMinutesRange)}
              value={breakGlassMinutes}
              onChange={setBreakGlassMinutes}
              min={breakGlassMinutesRange.min}
              max={breakGlassMinutesRange.max}
              allowDecimal={false}
              allowNegative={false}
              error={fieldErrors['breakGlassMinutes']}
              maw={240}
              inputWrapperOrder={['label', 'input', 'description', 'error']}
              data-testid="break-glass-minutes"
            />
          </Stack>
        </Card>
        <Card withBorder padding="lg" data-testid="network-policy">
          <Stack gap="md">
            <div>
              <Title order={2} fz="lg">
                {t('security.network.title')}
              </Title>
              <Text size="sm" c="dimmed">
                {t('security.network.subtitle')}
              </Text>
            </div>
            <Textarea
              label={t('security.network.label')}
              description={t('security.network.description')}
              placeholder={'192.0.2.0/24\n2001:db8:abcd::/48'}
              value={allowlistText}
              onChange={(event) => setAllowlistText(event.currentTarget.value)}
              autosize
              minRows={3}
              maxRows={12}
              spellCheck={false}
              autoComplete="off"
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              error={fieldErrors['ipAllowlist']}
              inputWrapperOrder={['label', 'description', 'input', 'error']}
              data-testid="ip-allowlist"
            />
            <Alert color="gray" variant="light" icon={<InfoIcon />}>
              <Text size="sm">{allowlistLines().length === 0 ? t('security.network.empty') : t('security.network.active', { count: allowlistLines().length })}</Text>
            </Alert>
          </Stack>
        </Card>
        <Modal
          opened={confirmSelfExclusion}
          onClose={() => setConfirmSelfExclusion(false)}
          title={t('security.network.confirmTitle')}
          centered
          data-testid="ip-allowlist-confirm"
        >
          <Stack gap="md">
            <Alert color="red" variant="light" icon={<AlertIcon />}>
              <Text size="sm">{t('security.network.confirmBody')}</Text>
            </Alert>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setConfirmSelfExclusion(false)} data-autofocus>
                {t('security.network.confirmBack')}
              </Button>
              <Button color="red" onClick={() => void submit(null, true)} data-testid="ip-allowlist-confirm-save">
                {t('security.network.confirmSave')}
              </Button>
            </Group>
          </Stack>
        </Modal>
        <Group justify="flex-end">
          <Button type="submit" loading={pending}>
            {t('common.saveChanges')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
