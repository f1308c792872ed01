import { Alert, Button, Card, Group, NativeSelect, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { builtInRoles, entryContent, icd10Pattern, maxEntryTextLength, writableEntryKinds, type CareTeamMember, type EntryView } from '@haven/contracts';
import { ErrorAlert } from '../../components/error-alert';
import { AlertIcon } from '../../components/icons';
import { api, ApiError, isApiError } from '../../lib/api';
import { apiFieldErrors, focusFirstError, plainT, zodFieldErrors, type FieldErrors } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { EntryContentView, kindLabel } from './entry-content';

type WritableKind = (typeof writableEntryKinds)[number];

/** `datetime-local` wants local time without an offset; the API wants an offset. */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

interface Draft {
  title: string;
  text: string;
  icd10Code: string;
  icd10Text: string;
  certainty: string;
  side: string;
}

function draftOf(entry: EntryView | undefined): Draft {
  const content = (entry?.content ?? {}) as Partial<Record<keyof Draft, string>>;
  return {
    title: content.title ?? '',
    text: content.text ?? '',
    icd10Code: content.icd10Code ?? '',
    icd10Text: content.icd10Text ?? '',
    certainty: content.certainty ?? '',
    side: content.side ?? '',
  };
}

const filled = (value: string) => (value.trim() ? value : undefined);

function contentOf(kind: WritableKind, draft: Draft): Record<string, string | undefined> {
  if (kind === 'finding') return { title: draft.title, text: draft.text };
  if (kind === 'note') return { title: filled(draft.title), text: draft.text };
  return {
    icd10Code: draft.icd10Code.trim().toUpperCase(),
    icd10Text: draft.icd10Text,
    text: filled(draft.text),
    certainty: filled(draft.certainty),
    side: filled(draft.side),
  };
}

const withoutUndefined = (value: Record<string, string | undefined>) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));

/** Server field paths are `content.<field>`; the form names the field alone. */
function contentErrors(fields: FieldErrors): FieldErrors {
  return Object.fromEntries(Object.entries(fields).map(([key, message]) => [key.replace(/^content\./, ''), message]));
}

/**
 * Care-team colleagues a new entry may be written for ("on behalf of": an assistant or a
 * colleague types what a practitioner dictated). Built-in roles without dossier:write are left
 * out; a custom role's permissions are not known here, so the server has the last word
 * (VALIDATION_FAILED on `onBehalfOfMembershipId`).
 */
const writersAmong = (members: readonly CareTeamMember[]) =>
  members.filter((member) => member.role === 'custom' || builtInRoles[member.role].includes('dossier:write'));

/**
 * Writes a new entry, or a new version of one (`entry`). A revision is sent with the version it
 * started from; if someone saved another meanwhile, the editor says so, keeps the text typed here
 * and shows the newer version to compare before saving again. The text also survives the idle
 * lock: the lock screen covers the page, which stays as it was underneath.
 */
export function EntryEditor({
  patientId,
  entry,
  colleagues = [],
  onSaved,
  onCancel,
}: {
  patientId: string;
  entry?: EntryView;
  /** The care team without the writer: whom a new entry may be written for. */
  colleagues?: readonly CareTeamMember[];
  onSaved(): void;
  onCancel(): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  const [kind, setKind] = useState<WritableKind>(entry && entry.kind !== 'document' ? entry.kind : 'finding');
  const [draft, setDraft] = useState<Draft>(() => draftOf(entry));
  const [effectiveAt, setEffectiveAt] = useState(() => toLocalInput(entry?.effectiveAt ?? new Date().toISOString()));
  const [changeReason, setChangeReason] = useState('');
  const [onBehalfOf, setOnBehalfOf] = useState('');
  const writers = entry ? [] : writersAmong(colleagues);
  const [base, setBase] = useState<EntryView | undefined>(entry);
  const [newer, setNewer] = useState<EntryView | null>(null);
  const [conflict, setConflict] = useState(false);
  const [codeTouched, setCodeTouched] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const set = (field: keyof Draft) => (event: { currentTarget: { value: string } }) => {
    setDraft({ ...draft, [field]: event.currentTarget.value });
    // Its old message no longer applies once the field is changed.
    if (errors[field]) setErrors(({ [field]: _dropped, ...rest }) => rest);
  };
  const codeShapeOk = icd10Pattern.test(draft.icd10Code.trim().toUpperCase());
  const codeLiveError = kind === 'diagnosis' && draft.icd10Code.trim() && !codeShapeOk && codeTouched ? t('dossier.editor.icd10Wrong') : undefined;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const content = withoutUndefined(contentOf(kind, draft));
    const checked = entryContent[kind].safeParse(content);
    const found: FieldErrors = checked.success ? {} : zodFieldErrors(t, checked.error);
    if (kind === 'diagnosis' && draft.icd10Code.trim() && !codeShapeOk) found['icd10Code'] = t('dossier.editor.icd10Wrong');
    const when = new Date(effectiveAt);
    if (Number.isNaN(when.getTime())) found['effectiveAt'] = t('validation.required');
    if (Object.keys(found).length > 0) {
      setErrors(found);
      requestAnimationFrame(() => focusFirstError(formRef.current));
      return;
    }
    setErrors({});
    setError(null);
    setPending(true);
    try {
      if (base) {
        await api.put<EntryView>(`/patients/${patientId}/entries/${base.id}`, {
          expectedVersion: base.currentVersion,
          content,
          effectiveAt: when.toISOString(),
          ...(changeReason.trim() ? { changeReason } : {}),
        });
      } else {
        await api.post<EntryView>(`/patients/${patientId}/entries`, {
          kind,
          content,
          effectiveAt: when.toISOString(),
          ...(onBehalfOf ? { onBehalfOfMembershipId: onBehalfOf } : {}),
        });
      }
      onSaved();
    } catch (caught) {
      if (isApiError(caught, 'ENTRY_VERSION_CONFLICT')) {
        setConflict(true);
        setNewer(null);
      } else {
        setError(caught);
        const fields = contentErrors(apiFieldErrors(t, caught));
        setErrors(fields);
        if (caught instanceof ApiError && caught.fields.length > 0) requestAnimationFrame(() => focusFirstError(formRef.current));
      }
    } finally {
      setPending(false);
    }
  }

  async function showNewer() {
    if (!base) return;
    try {
      const latest = await api.get<EntryView>(`/patients/${patientId}/entries/${base.id}`);
      setNewer(latest);
      // Saving now deliberately builds on what was saved meanwhile: the text typed here stays.
      setBase(latest);
    } catch (caught) {
      setError(caught);
    }
  }

  const optional = (label: string) => `${label} ${t('common.optionalSuffix')}`;
  return (
    <Card withBorder padding="lg" data-testid="entry-editor">
      <form ref={formRef} onSubmit={submit} noValidate>
        <Stack gap="md">
          <Title order={2} fz="lg">
            {entry ? t('dossier.editor.reviseTitle', { kind: kindLabel(t, kind) }) : t('dossier.editor.newTitle')}
          </Title>
          {conflict ? (
            <Alert color="orange" variant="light" icon={<AlertIcon />} title={t('dossier.editor.conflictTitle')} role="alert" data-testid="entry-conflict">
              <Stack gap="xs">
                <Text size="sm">{t('dossier.editor.conflictBody')}</Text>
                <Text size="sm">{t('dossier.editor.conflictKept')}</Text>
                {newer ? (
                  <Card withBorder padding="sm" data-testid="entry-conflict-newer">
                    <Text size="xs" c="dimmed" mb={4}>
                      {t('dossier.editor.newerBy', { name: newer.author.name, time: formatDateTime(newer.updatedAt, locale), version: newer.currentVersion })}
                    </Text>
                    <EntryContentView t={t} kind={newer.kind} content={newer.content} struck={newer.status === 'entered_in_error'} />
                  </Card>
                ) : (
                  <Group>
                    <Button size="xs" variant="default" onClick={() => void showNewer()} data-testid="entry-conflict-show">
                      {t('dossier.editor.showNewer')}
                    </Button>
                  </Group>
                )}
              </Stack>
            </Alert>
          ) : null}
          <ErrorAlert error={error} />
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            {entry ? null : (
              <NativeSelect
                label={t('dossier.editor.kind')}
                value={kind}
                onChange={(event) => {
                  const next = event.currentTarget.value;
                  if ((writableEntryKinds as readonly string[]).includes(next)) setKind(next as WritableKind);
                }}
                data={writableEntryKinds.map((value) => ({ value, label: kindLabel(t, value) }))}
                data-autofocus
                data-testid="entry-kind-select"
              />
            )}
            <TextInput
              label={t('dossier.editor.effectiveAt')}
              type="datetime-local"
              value={effectiveAt}
              onChange={(event) => setEffectiveAt(event.currentTarget.value)}
              error={errors['effectiveAt']}
              required
            />
          </SimpleGrid>
          {kind === 'diagnosis' ? (
            <>
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                <TextInput
                  label={t('dossier.editor.icd10Code')}
                  description={codeLiveError || errors['icd10Code'] ? undefined : draft.icd10Code.trim() && codeShapeOk ? t('dossier.editor.icd10Ok') : t('dossier.editor.icd10Hint')}
                  value={draft.icd10Code}
                  onChange={(event) => {
                    set('icd10Code')(event);
                    setCodeTouched(false);
                  }}
                  onBlur={() => setCodeTouched(true)}
                  error={errors['icd10Code'] ?? codeLiveError}
                  required
                  autoComplete="off"
                  spellCheck={false}
                />
                <TextInput label={t('dossier.editor.icd10Text')} value={draft.icd10Text} onChange={set('icd10Text')} error={errors['icd10Text']} required autoComplete="off" />
                <NativeSelect
                  label={optional(t('dossier.editor.certainty'))}
                  value={draft.certainty}
                  onChange={set('certainty')}
                  data={[{ value: '', label: t('dossier.editor.notStated') }, ...['G', 'V', 'Z', 'A'].map((value) => ({ value, label: plainT(t)(`dossier.certainty.${value}`) }))]}
                />
                <NativeSelect
                  label={optional(t('dossier.editor.side'))}
                  value={draft.side}
                  onChange={set('side')}
                  data={[{ value: '', label: t('dossier.editor.notStated') }, ...['L', 'R', 'B'].map((value) => ({ value, label: plainT(t)(`dossier.side.${value}`) }))]}
                />
              </SimpleGrid>
              <Textarea label={optional(t('dossier.editor.text'))} value={draft.text} onChange={set('text')} error={errors['text']} autosize minRows={3} maxRows={16} maxLength={maxEntryTextLength} />
            </>
          ) : (
            <>
              <TextInput
                label={kind === 'note' ? optional(t('dossier.editor.title')) : t('dossier.editor.title')}
                value={draft.title}
                onChange={set('title')}
                error={errors['title']}
                required={kind === 'finding'}
                autoComplete="off"
                data-testid="entry-title"
              />
              <Textarea
                label={t('dossier.editor.text')}
                value={draft.text}
                onChange={set('text')}
                error={errors['text']}
                required
                autosize
                minRows={5}
                maxRows={20}
                maxLength={maxEntryTextLength}
                data-testid="entry-text-input"
              />
            </>
          )}
          {writers.length > 0 ? (
            <NativeSelect
              label={t('dossier.editor.onBehalfOf')}
              description={t('dossier.editor.onBehalfOfHint')}
              value={onBehalfOf}
              onChange={(event) => setOnBehalfOf(event.currentTarget.value)}
              error={errors['onBehalfOfMembershipId']}
              data={[{ value: '', label: t('dossier.editor.onBehalfOfMyself') }, ...writers.map((member) => ({ value: member.membershipId, label: member.name }))]}
              data-testid="entry-on-behalf-of"
            />
          ) : null}
          {entry ? (
            <TextInput
              label={optional(t('dossier.editor.changeReason'))}
              description={t('dossier.editor.changeReasonHint')}
              value={changeReason}
              onChange={(event) => setChangeReason(event.currentTarget.value)}
              error={errors['changeReason']}
              autoComplete="off"
              data-testid="entry-change-reason"
            />
          ) : null}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onCancel} disabled={pending}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={pending} data-testid="entry-save">
              {entry ? t('dossier.editor.saveRevision') : t('dossier.editor.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
