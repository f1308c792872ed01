import { z } from 'zod';

/**
 * The second factors a person can answer with at sign-in (more come: SMS, e-mail code). A
 * passkey answers through its own routes (`/auth/second-factor/passkey/...`); the others are codes.
 */
export const SecondFactorMethod = z.enum(['totp', 'passkey', 'recovery_code']);
export type SecondFactorMethod = z.infer<typeof SecondFactorMethod>;

/** The second factors that are typed codes. */
export const SecondFactorCodeMethod = z.enum(['totp', 'recovery_code']);
export type SecondFactorCodeMethod = z.infer<typeof SecondFactorCodeMethod>;

/** A step-up or second-factor answer. Codes are checked as typed (spaces and hyphens ignored). */
export const SecondFactorRequest = z.strictObject({
  method: SecondFactorCodeMethod,
  code: z.string().min(1).max(64),
});

/**
 * Step-up: a second-factor code, or — for an account without any second factor — the password,
 * the strongest proof it has.
 */
export const StepUpRequest = z
  .strictObject({
    method: z.enum(['totp', 'recovery_code', 'password']),
    code: z.string().min(1).max(64).optional(),
    password: z.string().min(1).max(1024).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.method === 'password' && value.password === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'required with the password method' });
    if (value.method !== 'password' && value.code === undefined) ctx.addIssue({ code: 'custom', path: ['code'], message: 'required with a second factor' });
  });

/** Re-authentication counts for step-up for this long (issue 4: five minutes). */
export const stepUpWindowSeconds = 5 * 60;

export const TotpSetup = z.object({
  /** Base32, for typing into an app that cannot scan. */
  secret: z.string(),
  /** The otpauth:// URI the QR code holds. */
  uri: z.string(),
  /** The QR code as an SVG data URL (made on the server: the secret never goes to a third party). */
  qrCode: z.string(),
});

export const ConfirmTotpRequest = z.strictObject({ code: z.string().min(1).max(32) });

export const RecoveryCodes = z.object({
  /** Shown once; only hashes are kept. */
  codes: z.array(z.string()),
});

export const ConfirmTotpResponse = z.object({
  /** A first set when the account had none, else null. */
  recoveryCodes: z.array(z.string()).nullable(),
});

export const SecuritySummary = z.object({
  totp: z.object({ confirmedAt: z.string(), lastUsedAt: z.string().nullable() }).nullable(),
  recoveryCodes: z.object({ remaining: z.number().int(), createdAt: z.string() }).nullable(),
  /** How many passkeys the account has registered (each counts as a second factor). */
  passkeys: z.number().int(),
  /** Whether one of the person's practices requires a second factor (then the last one cannot be removed). */
  required: z.boolean(),
  /** When the person last proved themselves with their strongest factor (for step-up). */
  reauthenticatedAt: z.string().nullable(),
});
