import { z } from 'zod';

/**
 * Password policy of an organisation.
 * `nist` (default): length only, blocklist, no composition rules (NIST 800-63B, ASVS 6.2.5).
 * `classes`: for practices whose own rules demand it: minimum 8–16 plus upper, lower, digit, special.
 */
export const PasswordPolicy = z.strictObject({
  mode: z.enum(['nist', 'classes']),
  minLength: z.number().int().min(8).max(64),
});
export type PasswordPolicy = z.infer<typeof PasswordPolicy>;

export const passwordMaxLength = 128;
export const defaultPasswordPolicy: PasswordPolicy = { mode: 'nist', minLength: 12 };

/** The longest a browser may be trusted (NIST 800-63B rev 4 §2.2.3: within the overall session limit). */
export const maxTrustedDeviceHours = 12;

/** How long a break-the-glass grant lasts, in minutes (issue 5 §1.4): the practice chooses within these. */
export const breakGlassMinutesRange = { min: 15, max: 240, default: 60 } as const;

/**
 * The kinds of second factor a practice may allow (issue 4). `passkey` is phishing-resistant,
 * `totp` is at least not out-of-band; `sms` and `email_code` are out-of-band codes, the weakest
 * (docs/authentication.md, conflicts C2 and C3).
 */
export const Factor = z.enum(['passkey', 'totp', 'sms', 'email_code']);
export type Factor = z.infer<typeof Factor>;
/** At least one of these must stay allowed: a factor that is not an out-of-band code. */
export const strongFactors: readonly Factor[] = ['passkey', 'totp'];
const FactorList = z.array(Factor).max(4).refine((list) => new Set(list).size === list.length, 'each factor once');
/** Which factors a practice's staff and (from issue 5) its patients may use. */
export const AllowedFactors = z.strictObject({ staff: FactorList, patients: FactorList });
export type AllowedFactors = z.infer<typeof AllowedFactors>;
/** E-mail codes only where the practice turns them on (NIST 800-63B forbids e-mail as an out-of-band factor). */
export const defaultAllowedFactors: AllowedFactors = { staff: ['passkey', 'totp', 'sms'], patients: ['passkey', 'totp', 'sms'] };

export const SecurityPolicy = z
  .strictObject({
    password: PasswordPolicy,
    idleTimeoutMinutes: z.number().int().min(2).max(60),
    /** Staff must sign in with a second factor (those without one set it up at their next sign-in). Omitted: unchanged. */
    secondFactorRequired: z.boolean().optional(),
    /**
     * Patients must sign in to the portal with a second factor (default off: issue 5 §9.3).
     * Omitted: unchanged.
     */
    patientSecondFactorRequired: z.boolean().optional(),
    /**
     * Networks staff may sign in and work from (patients are not held to it: they use the portal
     * from home): CIDR ranges or single addresses, IPv4 or IPv6
     * (at most 50). Empty: anywhere. Omitted: unchanged.
     */
    ipAllowlist: z.array(z.string().min(1).max(64)).max(50).optional(),
    /**
     * How long staff may trust a browser after a second factor, in hours: 0 turns it off, at most
     * 12 (the password is still asked; docs/authentication.md). Omitted: unchanged.
     */
    trustedDeviceHours: z.number().int().min(0).max(maxTrustedDeviceHours).optional(),
    /**
     * Which second factors staff and patients may use; each list keeps a passkey or the
     * authenticator app (FACTOR_POLICY_NEEDS_STRONG_FACTOR). Omitted: unchanged.
     */
    allowedFactors: AllowedFactors.optional(),
    /**
     * How long emergency access to a patient outside one's care team lasts, in minutes (15–240,
     * default 60). Omitted: unchanged.
     */
    breakGlassMinutes: z.number().int().min(breakGlassMinutesRange.min).max(breakGlassMinutesRange.max).optional(),
    /** Saving a list that leaves out the address this request comes from needs this, set on purpose. */
    acknowledgeOwnAddressExcluded: z.boolean().optional(),
  })
  .superRefine((value, ctx) => {
    if (value.password.mode === 'nist' && value.password.minLength < 12) {
      ctx.addIssue({ code: 'custom', path: ['password', 'minLength'], message: 'at least 12 without character classes' });
    }
    if (value.password.mode === 'classes' && value.password.minLength > 16) {
      ctx.addIssue({ code: 'custom', path: ['password', 'minLength'], message: 'between 8 and 16 with character classes' });
    }
  });
export type SecurityPolicy = z.infer<typeof SecurityPolicy>;
export const defaultSecurityPolicy: SecurityPolicy = { password: defaultPasswordPolicy, idleTimeoutMinutes: 15, secondFactorRequired: true, patientSecondFactorRequired: false, ipAllowlist: [], trustedDeviceHours: maxTrustedDeviceHours, allowedFactors: defaultAllowedFactors, breakGlassMinutes: breakGlassMinutesRange.default };

/** Why a password was refused; the web app translates each. */
export const passwordProblems = [
  'too_short',
  'too_long',
  'common',
  'context',
  'needs_upper',
  'needs_lower',
  'needs_digit',
  'needs_special',
] as const;
export type PasswordProblem = (typeof passwordProblems)[number];

/**
 * The policy check shared by server and web app (the web app shows it live).
 * The blocklist check needs the list and is done by the caller (`isCommon`).
 */
export function checkPassword(
  password: string,
  policy: PasswordPolicy,
  opts: { contextWords: string[]; isCommon: (normalised: string) => boolean },
): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const length = [...password].length;
  if (length < policy.minLength) problems.push('too_short');
  if (length > passwordMaxLength) problems.push('too_long');
  const normalised = password.normalize('NFKC').toLowerCase();
  if (opts.isCommon(normalised)) problems.push('common');
  const context = opts.contextWords
    .flatMap((word) => word.normalize('NFKC').toLowerCase().split(/[\s@._\-+]+/))
    .filter((word) => word.length >= 4);
  context.push('haven');
  // A password that is mostly context words (the name twice, the practice plus a year) is
  // refused; one that merely contains a name among enough else of its own is not.
  const stripped = normalised.replace(/[^\p{L}\p{N}]/gu, '');
  let remainder = stripped;
  for (const word of context) remainder = remainder.split(word).join('');
  if (remainder.length < stripped.length && remainder.length < 6) problems.push('context');
  if (policy.mode === 'classes') {
    if (!/\p{Lu}/u.test(password)) problems.push('needs_upper');
    if (!/\p{Ll}/u.test(password)) problems.push('needs_lower');
    if (!/\p{N}/u.test(password)) problems.push('needs_digit');
    if (!/[^\p{L}\p{N}]/u.test(password)) problems.push('needs_special');
  }
  return problems;
}
