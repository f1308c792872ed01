import { Alert, Badge, Card, Checkbox, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Factor, strongFactors, type AllowedFactors } from '@haven/contracts';
import { AlertIcon } from '../../components/icons';

/** What each kind of factor is, in plain words, with how safe it is. */
const factorText = {
  passkey: { label: 'codeFactors.policy.passkey', hint: 'codeFactors.policy.passkeyHint', badge: 'passkeys.recommended', color: 'green' },
  totp: { label: 'codeFactors.policy.totp', hint: 'codeFactors.policy.totpHint', badge: null, color: 'gray' },
  sms: { label: 'codeFactors.policy.sms', hint: 'codeFactors.policy.smsHint', badge: 'codeFactors.lessSafe', color: 'yellow' },
  email_code: { label: 'codeFactors.policy.email', hint: 'codeFactors.policy.emailHint', badge: 'codeFactors.leastSafe', color: 'orange' },
} as const;

/** Keeps a passkey or the app in each list (the server refuses a list without one, too). */
export const keepsStrongFactor = (list: readonly Factor[]): boolean => list.some((kind) => strongFactors.includes(kind));

/**
 * The practice's choice of second factors, for staff and (once patients sign in, issue 5) for
 * patients: one checkbox per kind, strongest first, each explained.
 */
export function AllowedFactorsFields({ value, onChange }: { value: AllowedFactors; onChange(next: AllowedFactors): void }) {
  const { t } = useTranslation();
  const toggle = (who: keyof AllowedFactors, kind: Factor, on: boolean) => {
    const list = on ? [...value[who], kind] : value[who].filter((other) => other !== kind);
    onChange({ ...value, [who]: Factor.options.filter((option) => list.includes(option)) });
  };
  return (
    <Card withBorder padding="lg" data-testid="allowed-factors">
      <Stack gap="md">
        <div>
          <Title order={2} fz="lg">
            {t('codeFactors.policy.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('codeFactors.policy.subtitle')}
          </Text>
        </div>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {(['staff', 'patients'] as const).map((who) => (
            <Checkbox.Group key={who} label={who === 'staff' ? t('codeFactors.policy.staff') : t('codeFactors.policy.patients')} value={value[who]} data-testid={`allowed-factors-${who}`}>
              <Stack gap="sm" mt="xs">
                {Factor.options.map((kind) => (
                  <Checkbox
                    key={kind}
                    value={kind}
                    checked={value[who].includes(kind)}
                    onChange={(event) => toggle(who, kind, event.currentTarget.checked)}
                    data-testid={`allowed-${who}-${kind}`}
                    label={
                      <Group gap={6}>
                        <span>{t(factorText[kind].label)}</span>
                        {factorText[kind].badge ? (
                          <Badge size="xs" variant="light" color={factorText[kind].color}>
                            {t(factorText[kind].badge)}
                          </Badge>
                        ) : null}
                      </Group>
                    }
                    description={t(factorText[kind].hint)}
                  />
                ))}
              </Stack>
            </Checkbox.Group>
          ))}
        </SimpleGrid>
        {!keepsStrongFactor(value.staff) || !keepsStrongFactor(value.patients) ? (
          <Alert color="red" variant="light" icon={<AlertIcon />} data-testid="allowed-factors-too-weak">
            <Text size="sm">{t('errors.FACTOR_POLICY_NEEDS_STRONG_FACTOR')}</Text>
          </Alert>
        ) : null}
        <Text size="sm" c="dimmed">
          {t('codeFactors.policy.effect')}
        </Text>
        <Text size="sm" c="dimmed">
          {t('codeFactors.policy.patientsNote')}
        </Text>
      </Stack>
    </Card>
  );
}
