import { Box, Group, List, Progress, Text, VisuallyHidden } from '@mantine/core';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { checkPassword, passwordMaxLength, type PasswordPolicy, type PasswordProblem } from '@haven/contracts';
import { useStrengthChecker } from '../lib/password-strength';
import { CheckIcon, DotIcon } from './icons';
import { PasswordField } from './password-field';

interface Props {
  label: string;
  value: string;
  onChange(value: string): void;
  policy: PasswordPolicy;
  /** Name, e-mail, organisation: words a password must not be built on. */
  contextWords: string[];
  error?: string | undefined;
  name?: string;
  required?: boolean;
  testId?: string;
}

const strengthColors = ['red', 'red', 'orange', 'haven', 'green'] as const;

/** Problems of a password under a policy, as the server will judge them (blocklist permitting). */
export function usePasswordProblems(value: string, policy: PasswordPolicy, contextWords: string[]): PasswordProblem[] {
  const checker = useStrengthChecker();
  return useMemo(
    () => checkPassword(value, policy, { contextWords, isCommon: (normalised) => checker?.isCommon(normalised) ?? false }),
    [value, policy, contextWords, checker],
  );
}

/**
 * A new-password field that shows the organisation's rules as a live checklist and a strength
 * meter. The rules come from the shared contract (`checkPassword`), so what is ticked here is
 * what the server accepts.
 */
export function PasswordWithPolicy({ label, value, onChange, policy, contextWords, error, name, required = true, testId }: Props) {
  const { t } = useTranslation();
  const checker = useStrengthChecker();
  const problems = usePasswordProblems(value, policy, contextWords);
  const score = value && checker ? checker.score(value, contextWords) : null;

  const rules: Array<{ key: string; text: string; met: boolean }> = [
    {
      key: 'length',
      text: t('password.rules.length', { min: policy.minLength, max: passwordMaxLength }),
      met: value.length > 0 && !problems.includes('too_short') && !problems.includes('too_long'),
    },
    { key: 'common', text: t('password.rules.common'), met: value.length > 0 && !problems.includes('common') },
    { key: 'context', text: t('password.rules.context'), met: value.length > 0 && !problems.includes('context') },
  ];
  if (policy.mode === 'classes') {
    rules.push(
      { key: 'upper', text: t('password.rules.upper'), met: value.length > 0 && !problems.includes('needs_upper') },
      { key: 'lower', text: t('password.rules.lower'), met: value.length > 0 && !problems.includes('needs_lower') },
      { key: 'digit', text: t('password.rules.digit'), met: value.length > 0 && !problems.includes('needs_digit') },
      { key: 'special', text: t('password.rules.special'), met: value.length > 0 && !problems.includes('needs_special') },
    );
  }

  const strengthLabels = [
    t('password.strength.0'),
    t('password.strength.1'),
    t('password.strength.2'),
    t('password.strength.3'),
    t('password.strength.4'),
  ];

  const rulesBox = (
    <Box component="span" display="block" mt={6}>
      {score !== null ? (
        <Group gap="sm" wrap="nowrap" mb={6} aria-hidden="true" component="span">
          <Progress value={(score + 1) * 20} color={strengthColors[score]} size="sm" flex={1} />
          <Text component="span" size="xs" c="dimmed" w={110} ta="right">
            {strengthLabels[score]}
          </Text>
        </Group>
      ) : null}
      <Text component="span" display="block" size="xs" c="dimmed" mb={4}>
        {policy.mode === 'classes' ? t('password.rulesIntroClasses') : t('password.rulesIntroNist')}
      </Text>
      <List size="xs" spacing={2} center listStyleType="none" data-testid="password-rules">
        {rules.map((rule) => (
          <List.Item
            key={rule.key}
            data-met={rule.met}
            icon={
              <Text component="span" c={rule.met ? 'green.8' : 'dimmed'} display="flex">
                {rule.met ? <CheckIcon size={14} /> : <DotIcon size={14} />}
              </Text>
            }
          >
            <Text component="span" size="xs" c={rule.met ? 'var(--mantine-color-green-light-color)' : 'dimmed'}>
              {rule.text}
              {rule.met ? <VisuallyHidden component="span"> — {t('password.ruleMet')}</VisuallyHidden> : null}
            </Text>
          </List.Item>
        ))}
      </List>
      {score !== null ? (
        <VisuallyHidden component="span">{t('password.strengthLabel', { strength: strengthLabels[score] })}</VisuallyHidden>
      ) : null}
    </Box>
  );

  // The checklist is the field's description, so assistive technology reads it with the field.
  return (
    <PasswordField
      label={label}
      name={name}
      value={value}
      onChange={(event) => onChange(event.currentTarget.value)}
      error={error}
      required={required}
      autoComplete="new-password"
      data-testid={testId}
      maxLength={passwordMaxLength * 2}
      description={rulesBox}
      descriptionProps={{ component: 'div' }}
      inputWrapperOrder={['label', 'input', 'error', 'description']}
    />
  );
}
