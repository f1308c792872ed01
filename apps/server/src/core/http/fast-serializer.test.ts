import { DossierView, entryKinds, type EntryKind } from '@haven/contracts';
import { describe, expect, it } from 'vitest';
import { fastJsonSerializerCompiler } from './fast-serializer.ts';

/**
 * GET /patients/:id/dossier answers through fast-json-stringify compiled from
 * `z.toJSONSchema(DossierView)` (docs/design/patients-and-dossiers.md §6.2): whatever it writes
 * must parse with the zod `DossierView` the web reads it with, for every entry kind and every
 * nullable branch, and it must write nothing the schema does not name.
 */
const id = (n: number) => `0000000${n}-1111-4111-8111-111111111111`.slice(-36);
const staff = (n: number) => ({ accountId: id(n), name: `Dr. Person ${n} “Ünïcode” \\ "quoted"\n` });

const contentOf: Record<EntryKind, object> = {
  finding: { title: 'Blood pressure', text: 'RR 140/90' },
  diagnosis: { icd10Code: 'J45.0', icd10Text: 'Asthma', text: 'since childhood', certainty: 'G', side: 'B' },
  note: { text: 'Call back next week' },
  document: { title: 'Referral letter', description: 'From the cardiologist' },
};

function entry(kind: EntryKind, n: number, variant: 'plain' | 'full') {
  return {
    id: id(n),
    patientId: id(1),
    kind,
    content: contentOf[kind],
    status: variant === 'full' ? 'entered_in_error' : 'active',
    currentVersion: n,
    effectiveAt: '2026-11-20T10:00:00.000Z',
    documentId: kind === 'document' ? id(9) : null,
    createdBy: staff(2),
    createdAt: '2026-11-20T10:00:00.000Z',
    updatedAt: '2026-11-21T10:00:00.000Z',
    author: { ...staff(3), role: 'custom:' + id(4) },
    onBehalfOf: variant === 'full' ? staff(5) : null,
    enteredInError: variant === 'full' ? { at: '2026-11-22T10:00:00.000Z', by: staff(6), reason: 'wrong patient' } : null,
    // Never written: the schema does not name it.
    sealedBytes: 'secret',
  };
}

const view = {
  patient: { id: id(1), name: { family: 'Jansen', given: 'Anna' }, birthDate: '1980-02-29', nationalId: { kind: 'bsn', value: '111222333' }, status: 'active', details: 'secret' },
  access: { basis: 'break_glass', grantExpiresAt: '2026-11-23T11:00:00.000Z' },
  entries: entryKinds.flatMap((kind, i) => [entry(kind, i + 1, 'plain'), entry(kind, i + 1, 'full')]),
  nextCursor: 'MjAyNi0xMS0yMFQxMDowMDowMC4wMDBafDAwMDAwMDAx',
};

describe('fast-json-stringify response serializer (DossierView)', () => {
  const serialize = fastJsonSerializerCompiler({ schema: DossierView });

  it('writes what the zod DossierView parses, equal to what the zod serializer would answer', () => {
    const written = serialize(view);
    expect(written).not.toContain('secret');
    const parsed = DossierView.parse(JSON.parse(written));
    expect(JSON.parse(written)).toEqual(parsed);
    expect(parsed).toEqual(DossierView.parse(view));
  });

  it('covers the other nullable branches', () => {
    const other = { ...view, patient: { ...view.patient, nationalId: null }, access: { basis: 'care_team', grantExpiresAt: null }, entries: [], nextCursor: null };
    expect(DossierView.parse(JSON.parse(serialize(other)))).toEqual(DossierView.parse(other));
  });

  it('refuses an entry of no known kind instead of writing half of it', () => {
    expect(() => serialize({ ...view, entries: [{ ...entry('note', 1, 'plain'), kind: 'unknown' }] })).toThrow();
  });
});
