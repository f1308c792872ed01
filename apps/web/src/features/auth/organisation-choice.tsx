import { Badge, Group, Stack, Text, UnstyledButton } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Me } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { BuildingIcon, UserIcon } from '../../components/icons';
import { api } from '../../lib/api';
import type { OrganisationChoiceItem } from '../../lib/types';
import { roleLabel } from '../../lib/role-label';

interface Props {
  choices: readonly OrganisationChoiceItem[];
  /** After `POST /auth/select-organisation` answered: the session now works in that organisation. */
  onChosen(me: Me): void;
  /** Shown under the title, e.g. who is signed in. */
  note?: ReactNode;
  /** The way out: "sign in with another account" or "sign out". */
  footer: ReactNode;
}

/**
 * The choice of organisation for people who belong to more than one: right after the password
 * (login form) and after a reload before choosing (route guards). One button per organisation.
 */
export function OrganisationChoice({ choices, onChosen, note, footer }: Props) {
  const { t } = useTranslation();
  const [error, setError] = useState<unknown>(null);
  const [choosing, setChoosing] = useState<string | null>(null);

  async function choose(organisationId: string) {
    setChoosing(organisationId);
    setError(null);
    try {
      const result = await api.post<{ me: Me }>('/auth/select-organisation', { organisationId });
      onChosen(result.me);
    } catch (caught) {
      setError(caught);
      setChoosing(null);
    }
  }

  // Patients open a portal rather than "work in" a practice: the words follow who is choosing.
  const portals = choices.filter((choice) => choice.kind === 'patient').length;
  return (
    <Stack gap="md" data-testid="organisation-choice">
      <div>
        <Text fw={600} fz="lg" component="h2">
          {portals === choices.length ? t('login.chooseTitlePortal') : t('login.chooseTitle')}
        </Text>
        <Text size="sm" c="dimmed">
          {portals > 0 ? t('login.chooseDescriptionPortal') : t('login.chooseDescription')}
        </Text>
        {note}
      </div>
      <ErrorAlert error={error} />
      <Stack gap="xs">
        {choices.map((choice) => (
          <UnstyledButton
            key={choice.id}
            className="org-choice"
            data-testid="org-choice"
            data-kind={choice.kind}
            onClick={() => void choose(choice.id)}
            disabled={choosing !== null}
            aria-busy={choosing === choice.id}
          >
            <Group justify="space-between" wrap="nowrap">
              {/* A patient's portal reads as such, not as one more practice to work in. */}
              <Group gap="sm" wrap="nowrap">
                {choice.kind === 'patient' ? <UserIcon /> : <BuildingIcon />}
                <Text fw={500}>{choice.kind === 'patient' ? t('login.patientPortalOf', { organisation: choice.name }) : choice.name}</Text>
              </Group>
              {choice.kind === 'patient' ? null : <Badge variant="light">{roleLabel(t, choice)}</Badge>}
            </Group>
          </UnstyledButton>
        ))}
      </Stack>
      {footer}
    </Stack>
  );
}
