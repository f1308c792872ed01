import { describe, expect, it } from 'vitest';
import { BreakGlassInput } from './care-teams.ts';
import { DiagnosisContent, EnteredInErrorInput, EntryInput, EntryRevision, entryContent, icd10Pattern, maxEntryTextLength } from './dossier.ts';
import { CustomRoleInput } from './roles.ts';

const effectiveAt = '2026-11-23T09:30:00+01:00';

describe('dossier entries', () => {
  it('accepts ICD-10 codes with and without a subcode, U codes included', () => {
    for (const code of ['J45', 'J45.0', 'U07.1', 'U99.0', 'F32.9', 'S52.52', 'M54.16']) expect(icd10Pattern.test(code), code).toBe(true);
    for (const code of ['j45', 'J4', 'J450', 'J45.', 'J45.12345', '45.0', 'J45-0', 'JJ5.0']) expect(icd10Pattern.test(code), code).toBe(false);
    // Typed in lower case or with spaces around it, a code is stored the standard way.
    expect(DiagnosisContent.parse({ icd10Code: ' u07.1 ', icd10Text: 'COVID-19, virus identified' }).icd10Code).toBe('U07.1');
    expect(DiagnosisContent.safeParse({ icd10Code: 'COVID', icd10Text: 'COVID-19' }).success).toBe(false);
    expect(DiagnosisContent.safeParse({ icd10Code: 'I10', icd10Text: 'Hypertension', certainty: 'G', side: 'B' }).success).toBe(true);
    expect(DiagnosisContent.safeParse({ icd10Code: 'I10', icd10Text: 'Hypertension', certainty: 'X' }).success).toBe(false);
  });

  it('keeps each kind to its own content and text to 20,000 characters', () => {
    expect(EntryInput.safeParse({ kind: 'finding', content: { title: 'BP', text: '140/90' }, effectiveAt }).success).toBe(true);
    expect(EntryInput.safeParse({ kind: 'note', content: { text: 'Called back.\nAll well.' }, effectiveAt }).success).toBe(true);
    expect(EntryInput.safeParse({ kind: 'finding', content: { text: 'no title' }, effectiveAt }).success).toBe(false);
    expect(EntryInput.safeParse({ kind: 'diagnosis', content: { title: 'x', text: 'y' }, effectiveAt }).success).toBe(false);
    // Document entries come with an upload, not through this body.
    expect(EntryInput.safeParse({ kind: 'document', content: { title: 'Letter' }, effectiveAt }).success).toBe(false);
    const long = 'a'.repeat(maxEntryTextLength);
    expect(entryContent.note.safeParse({ text: long }).success).toBe(true);
    expect(entryContent.note.safeParse({ text: `${long}a` }).success).toBe(false);
    expect(EntryInput.safeParse({ kind: 'note', content: { text: 'x' }, effectiveAt: '2026-11-23 09:30' }).success).toBe(false);
  });

  it("names the field of the kind's content that is wrong (content.<field>), not just content", () => {
    const paths = (result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }) => (result.error?.issues ?? []).map((issue) => issue.path.join('.'));
    expect(paths(EntryInput.safeParse({ kind: 'finding', content: { text: 'no title' }, effectiveAt }))).toEqual(['content.title']);
    expect(paths(EntryInput.safeParse({ kind: 'finding', content: { title: 'BP', text: 'x', icd10Code: 'I10' }, effectiveAt }))).toEqual(['content']);
    expect(paths(EntryInput.safeParse({ kind: 'diagnosis', content: { icd10Code: 'I10', icd10Text: 42 }, effectiveAt }))).toEqual(['content.icd10Text']);
  });

  it('asks a revision for the version it started from', () => {
    expect(EntryRevision.safeParse({ expectedVersion: 1, content: { title: 'BP', text: '150/95' }, effectiveAt, changeReason: 'typo' }).success).toBe(true);
    expect(EntryRevision.safeParse({ content: { title: 'BP', text: '150/95' }, effectiveAt }).success).toBe(false);
    expect(EntryRevision.safeParse({ expectedVersion: 0, content: { title: 'BP', text: '150/95' }, effectiveAt }).success).toBe(false);
    expect(EnteredInErrorInput.safeParse({ reason: '' }).success).toBe(false);
  });
});

describe('break-the-glass input', () => {
  it("requires a text for 'other', at path reasonText", () => {
    expect(BreakGlassInput.safeParse({ reasonCode: 'emergency' }).success).toBe(true);
    const other = BreakGlassInput.safeParse({ reasonCode: 'other' });
    expect(other.success ? [] : other.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }))).toEqual([{ path: 'reasonText', message: 'required' }]);
    expect(BreakGlassInput.safeParse({ reasonCode: 'other', reasonText: '   ' }).success).toBe(false);
    expect(BreakGlassInput.safeParse({ reasonCode: 'other', reasonText: 'Covering for Dr B on holiday' }).success).toBe(true);
    expect(BreakGlassInput.safeParse({ reasonCode: 'curiosity' }).success).toBe(false);
  });
});

describe('custom role input', () => {
  it('needs a name of 1 to 60 characters and catalogue permissions, at least one, each once', () => {
    expect(CustomRoleInput.safeParse({ name: 'Reception', permissions: ['patient:read'] }).success).toBe(true);
    expect(CustomRoleInput.safeParse({ name: '', permissions: ['patient:read'] }).success).toBe(false);
    expect(CustomRoleInput.safeParse({ name: 'x'.repeat(61), permissions: ['patient:read'] }).success).toBe(false);
    expect(CustomRoleInput.safeParse({ name: 'Reception', permissions: [] }).success).toBe(false);
    expect(CustomRoleInput.safeParse({ name: 'Reception', permissions: ['patient:read', 'patient:read'] }).success).toBe(false);
    expect(CustomRoleInput.safeParse({ name: 'Reception', permissions: ['patients:everything'] }).success).toBe(false);
  });
});
