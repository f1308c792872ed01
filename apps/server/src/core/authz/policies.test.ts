import { builtInRoles, type Permission, type StaffRole } from '@haven/contracts';
import { describe, expect, it } from 'vitest';
import { documentPolicy, dossierPolicy, patientPolicy, requirementFor, rolePolicy, satisfies, type PatientFacts, type PolicySubject } from './policies.ts';

const staff = (role: StaffRole): PolicySubject => ({ kind: 'staff', permissions: new Set(builtInRoles[role]) });
const custom = (...held: Permission[]): PolicySubject => ({ kind: 'staff', permissions: new Set(held) });
const patient: PolicySubject = { kind: 'patient', permissions: new Set() };

const facts = (over: Partial<PatientFacts> = {}): PatientFacts => ({ exists: true, erased: false, inCareTeam: false, grant: null, isSelf: false, ...over });
const grant = { id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', expiresAt: new Date('2026-11-23T12:00:00Z') };

describe('the patient directory (practice-wide)', () => {
  it.each(['owner', 'admin', 'practitioner', 'assistant'] as const)('lets a %s read any patient of the practice, care team or not', (role) => {
    expect(patientPolicy(staff(role), 'read', facts())).toEqual({ allow: true, basis: 'practice' });
  });

  it('lets only owners and admins manage the care team', () => {
    expect(patientPolicy(staff('owner'), 'manage_care_team', facts()).allow).toBe(true);
    expect(patientPolicy(staff('admin'), 'manage_care_team', facts()).allow).toBe(true);
    expect(patientPolicy(staff('practitioner'), 'manage_care_team', facts({ inCareTeam: true }))).toMatchObject({ allow: false, code: 'FORBIDDEN' });
    expect(patientPolicy(staff('assistant'), 'manage_care_team', facts())).toMatchObject({ allow: false, code: 'FORBIDDEN' });
  });

  it('answers 404 for a patient who is not in this practice or was erased, before any other rule', () => {
    for (const subject of [staff('owner'), staff('assistant'), custom(), patient]) {
      expect(patientPolicy(subject, 'read', facts({ exists: false }))).toEqual({ allow: false, code: 'PATIENT_NOT_FOUND', reason: 'not_found' });
      expect(patientPolicy(subject, 'read', facts({ erased: true, inCareTeam: true, isSelf: true }))).toMatchObject({ code: 'PATIENT_NOT_FOUND' });
    }
  });
});

describe('the dossier and documents (care team)', () => {
  it('lets a practitioner in the care team read and write', () => {
    expect(dossierPolicy(staff('practitioner'), 'read', facts({ inCareTeam: true }))).toEqual({ allow: true, basis: 'care_team' });
    expect(dossierPolicy(staff('practitioner'), 'write', facts({ inCareTeam: true }))).toEqual({ allow: true, basis: 'care_team' });
    expect(documentPolicy(staff('practitioner'), 'upload', facts({ inCareTeam: true })).allow).toBe(true);
  });

  it('refuses a practitioner outside the care team with CARE_TEAM_REQUIRED (the web then offers break-the-glass)', () => {
    expect(dossierPolicy(staff('practitioner'), 'read', facts())).toEqual({ allow: false, code: 'CARE_TEAM_REQUIRED', reason: 'not_in_care_team' });
    expect(documentPolicy(staff('practitioner'), 'read', facts())).toMatchObject({ code: 'CARE_TEAM_REQUIRED' });
  });

  it('gives the owner no bypass: outside the care team the owner is refused like anyone else', () => {
    expect(dossierPolicy(staff('owner'), 'read', facts())).toMatchObject({ allow: false, code: 'CARE_TEAM_REQUIRED' });
    expect(dossierPolicy(staff('owner'), 'read', facts({ inCareTeam: true })).allow).toBe(true);
  });

  it('lets a valid break-the-glass grant stand in for the care team, and names the grant', () => {
    expect(dossierPolicy(staff('practitioner'), 'read', facts({ grant }))).toEqual({ allow: true, basis: 'break_glass', grantId: grant.id });
    expect(dossierPolicy(staff('practitioner'), 'write', facts({ grant })).allow).toBe(true);
  });

  it('keeps admins and assistants out of clinical content, in the care team or not', () => {
    for (const role of ['admin', 'assistant'] as const) {
      expect(dossierPolicy(staff(role), 'read', facts({ inCareTeam: true }))).toMatchObject({ allow: false, code: 'FORBIDDEN' });
      expect(documentPolicy(staff(role), 'read', facts({ inCareTeam: true, grant }))).toMatchObject({ allow: false, code: 'FORBIDDEN' });
    }
  });

  it('follows a custom role exactly: read without write', () => {
    const reader = custom('patient:read', 'dossier:read');
    expect(dossierPolicy(reader, 'read', facts({ inCareTeam: true })).allow).toBe(true);
    expect(dossierPolicy(reader, 'write', facts({ inCareTeam: true }))).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('patients in the portal', () => {
  it('lets patients read their own details and documents and nothing of anyone else (404, as if absent)', () => {
    expect(patientPolicy(patient, 'read', facts({ isSelf: true }))).toEqual({ allow: true, basis: 'self' });
    expect(documentPolicy(patient, 'read', facts({ isSelf: true })).allow).toBe(true);
    expect(patientPolicy(patient, 'read', facts())).toEqual({ allow: false, code: 'PATIENT_NOT_FOUND', reason: 'not_self' });
  });

  it('lets patients correct their own contact details and comment, and only their own', () => {
    expect(patientPolicy(patient, 'update_contact', facts({ isSelf: true }))).toEqual({ allow: true, basis: 'self' });
    expect(patientPolicy(patient, 'comment', facts({ isSelf: true }))).toEqual({ allow: true, basis: 'self' });
    expect(patientPolicy(patient, 'comment', facts())).toEqual({ allow: false, code: 'PATIENT_NOT_FOUND', reason: 'not_self' });
    expect(patientPolicy(patient, 'update', facts({ isSelf: true }))).toMatchObject({ allow: false, code: 'FORBIDDEN' });
  });

  it("keeps a patient's comments the patient's own: no staff permission reaches them", () => {
    expect(patientPolicy(staff('owner'), 'comment', facts({ inCareTeam: true }))).toMatchObject({ allow: false, code: 'FORBIDDEN' });
    expect(patientPolicy(staff('assistant'), 'update_contact', facts())).toEqual({ allow: true, basis: 'practice' });
  });

  it('never lets a patient write the dossier or manage anything, even their own', () => {
    expect(dossierPolicy(patient, 'write', facts({ isSelf: true }))).toMatchObject({ allow: false, code: 'FORBIDDEN' });
    expect(dossierPolicy(patient, 'read', facts({ isSelf: true }))).toMatchObject({ allow: false, code: 'FORBIDDEN' });
    expect(patientPolicy(patient, 'manage_care_team', facts({ isSelf: true }))).toMatchObject({ allow: false });
  });
});

describe('requirements as values (for the one-statement dossier read)', () => {
  it('names the relation each subject needs', () => {
    expect(requirementFor(staff('practitioner'), 'dossier', 'read')).toBe('care_team_or_grant');
    expect(requirementFor(staff('assistant'), 'dossier', 'read')).toBe('deny');
    expect(requirementFor(staff('assistant'), 'patient', 'read')).toBe('practice');
    expect(requirementFor(patient, 'patient', 'read')).toBe('self');
  });

  it('is what every policy does: requirementFor, then satisfies', () => {
    const subjects = [staff('owner'), staff('admin'), staff('practitioner'), staff('assistant'), patient];
    const cases = [facts(), facts({ inCareTeam: true }), facts({ grant }), facts({ isSelf: true }), facts({ exists: false })];
    for (const subject of subjects) {
      for (const f of cases) {
        expect(dossierPolicy(subject, 'read', f)).toEqual(satisfies(requirementFor(subject, 'dossier', 'read'), f));
        expect(patientPolicy(subject, 'update', f)).toEqual(satisfies(requirementFor(subject, 'patient', 'update'), f));
      }
    }
  });
});

describe('roles', () => {
  it('lets nobody define or hand out a role with more than they hold', () => {
    const admin = { ...staff('admin'), isOwner: false };
    expect(rolePolicy(admin, { permissions: ['patient:read', 'careteam:manage'] }).allow).toBe(true);
    expect(rolePolicy(admin, { permissions: ['patient:read', 'dossier:read'] })).toMatchObject({ allow: false, code: 'ROLE_EXCEEDS_OWN_PERMISSIONS' });
    expect(rolePolicy({ ...staff('owner'), isOwner: true }, { permissions: ['dossier:read', 'export:run'] }).allow).toBe(true);
  });

  it('lets only an owner make an owner', () => {
    expect(rolePolicy({ ...staff('admin'), isOwner: false }, { permissions: [], owner: true })).toMatchObject({ allow: false, code: 'FORBIDDEN' });
    expect(rolePolicy({ ...staff('owner'), isOwner: true }, { permissions: builtInRoles.owner, owner: true }).allow).toBe(true);
  });
});
