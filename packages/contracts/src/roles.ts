import { z } from 'zod';

/** Staff roles of an organisation. Patients arrive in a later issue. */
export const staffRoles = ['owner', 'admin', 'practitioner', 'assistant'] as const;
export const StaffRole = z.enum(staffRoles);
export type StaffRole = z.infer<typeof StaffRole>;

/** Roles that manage the organisation: staff, security policy, audit trail. */
export const managingRoles: readonly StaffRole[] = ['owner', 'admin'];
export const isManagingRole = (role: StaffRole): boolean => managingRoles.includes(role);

export const locales = ['en', 'de', 'nl'] as const;
export const Locale = z.enum(locales);
export type Locale = z.infer<typeof Locale>;

export const countries = ['NL', 'DE', 'AT', 'other'] as const;
export const Country = z.enum(countries);

export const practiceKinds = [
  'psychotherapy',
  'general_practice',
  'physiotherapy',
  'specialist',
  'other',
] as const;
export const PracticeKind = z.enum(practiceKinds);

/** Versions of the legal documents a practice accepts at sign-up. */
export const currentTermsVersion = '2026-11';
export const currentDpaVersion = '2026-11';
