import { describe, expect, it } from 'vitest';
import { PatientInput, PatientListQuery, PatientSearch, PatientUpdate } from './patients.ts';

const valid = {
  name: { family: 'Jansen', given: 'Anna' },
  birthDate: '1980-04-12',
  sex: 'female',
  contact: { email: 'anna@example.org', phone: '+31 20 123 4567' },
  nationalId: { kind: 'bsn', value: '1112.22.333' },
};

/** The `{ path, issue }` pairs the API would answer with. */
const problems = (result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
  result.success ? [] : result.error!.issues.map((issue) => ({ path: issue.path.join('.'), issue: issue.message }));

describe('patient input', () => {
  it('accepts a complete patient, contact defaulting to empty', () => {
    expect(PatientInput.safeParse(valid).success).toBe(true);
    const { contact: _contact, nationalId: _id, ...minimal } = valid;
    expect(PatientInput.parse(minimal).contact).toEqual({});
  });

  it("reports a wrong national identifier as 'checksum' at path nationalId", () => {
    expect(problems(PatientInput.safeParse({ ...valid, nationalId: { kind: 'bsn', value: '111222334' } }))).toEqual([{ path: 'nationalId', issue: 'checksum' }]);
    expect(problems(PatientInput.safeParse({ ...valid, nationalId: { kind: 'kvnr', value: 'A123456781' } }))).toEqual([{ path: 'nationalId', issue: 'checksum' }]);
    expect(PatientInput.safeParse({ ...valid, nationalId: { kind: 'kvnr', value: 'A123456780' } }).success).toBe(true);
    expect(problems(PatientUpdate.safeParse({ nationalId: { kind: 'svnr', value: '1236 010180' } }))).toEqual([{ path: 'nationalId', issue: 'checksum' }]);
  });

  it('refuses unknown fields, a malformed birth date and control characters in names', () => {
    expect(PatientInput.safeParse({ ...valid, diagnosis: 'x' }).success).toBe(false);
    expect(PatientInput.safeParse({ ...valid, birthDate: '12-04-1980' }).success).toBe(false);
    expect(PatientInput.safeParse({ ...valid, birthDate: '1980-02-30' }).success).toBe(false);
    expect(PatientInput.safeParse({ ...valid, name: { family: 'Jan\u0000sen', given: 'Anna' } }).success).toBe(false);
  });

  it('lets an update change one field or remove the identifier, never nothing', () => {
    expect(PatientUpdate.safeParse({ nationalId: null }).success).toBe(true);
    expect(PatientUpdate.safeParse({ sex: 'unknown' }).success).toBe(true);
    expect(PatientUpdate.safeParse({}).success).toBe(false);
  });

  it('keeps search queries to the known filters', () => {
    expect(PatientSearch.safeParse({ q: 'jan ann', birthDate: '1980-04-12' }).success).toBe(true);
    expect(PatientSearch.safeParse({ name: 'x' }).success).toBe(false);
    expect(PatientListQuery.safeParse({ cursor: 'a/b' }).success).toBe(false);
  });
});
