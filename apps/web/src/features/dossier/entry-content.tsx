import { Badge, Stack, Text } from '@mantine/core';
import type { EntryKind, EntryVersionView, EntryView } from '@haven/contracts';
import type { useTranslation } from 'react-i18next';
import en from '../../i18n/en.json';
import { plainT } from '../../lib/errors';

type T = ReturnType<typeof useTranslation>['t'];
type Content = EntryVersionView['content'];
type Certainty = NonNullable<Extract<Content, { icd10Code: string }>['certainty']>;
type Side = NonNullable<Extract<Content, { icd10Code: string }>['side']>;

/** Every kind, certainty and side has an English label (looked up at run time with the plain `t`). */
const labelled: [Record<EntryKind, string>, Record<Certainty, string>, Record<Side, string>] = [en.dossier.kinds, en.dossier.certainty, en.dossier.side];
void labelled;

export const kindLabel = (t: T, kind: string): string => plainT(t)(`dossier.kinds.${kind}`);

/** The heading of an entry: its title, or for a diagnosis the code and its text. */
export function entryHeading(t: T, kind: EntryView['kind'], content: Content): string {
  if ('icd10Code' in content) return `${content.icd10Code} — ${content.icd10Text}`;
  if ('title' in content && content.title) return content.title;
  return kindLabel(t, kind);
}

/**
 * An entry's content as read in the timeline and the history. `struck`: entered in error —
 * struck through (and said so in words beside it, never by the line alone).
 */
export function EntryContentView({ t, kind, content, struck }: { t: T; kind: EntryView['kind']; content: Content; struck: boolean }) {
  const style = struck ? { textDecoration: 'line-through' } : undefined;
  const text = 'text' in content ? content.text : 'description' in content ? content.description : undefined;
  return (
    <Stack gap={4} style={style} data-testid="entry-content">
      <Text fw={600} data-testid="entry-heading">
        {entryHeading(t, kind, content)}
      </Text>
      {'certainty' in content && content.certainty ? (
        <Text size="sm" c="dimmed">
          {plainT(t)(`dossier.certainty.${content.certainty}`)}
          {'side' in content && content.side ? ` · ${plainT(t)(`dossier.side.${content.side}`)}` : ''}
        </Text>
      ) : 'side' in content && content.side ? (
        <Text size="sm" c="dimmed">
          {plainT(t)(`dossier.side.${content.side}`)}
        </Text>
      ) : null}
      {text ? (
        <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="entry-text">
          {text}
        </Text>
      ) : null}
    </Stack>
  );
}

export function KindBadge({ t, kind }: { t: T; kind: string }) {
  return (
    <Badge variant="light" color={kind === 'diagnosis' ? 'grape' : kind === 'finding' ? 'blue' : 'gray'} data-testid="entry-kind">
      {kindLabel(t, kind)}
    </Badge>
  );
}
