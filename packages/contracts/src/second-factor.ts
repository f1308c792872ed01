import { z } from 'zod';
import { Factor } from './policy.ts';
import { trustDeviceField } from './devices.ts';

/**
 * The second factors a person can answer with at sign-in: those they set up that their practices
 * allow, plus recovery codes alongside them. A passkey answers through its own routes (`/auth/second-factor/passkey/...`); the others are codes.
 */
export const SecondFactorMethod = z.enum(['totp', 'passkey', 'sms', 'email_code', 'recovery_code']);
export type SecondFactorMethod = z.infer<typeof SecondFactorMethod>;

/** The second factors that are typed codes. */
export const SecondFactorCodeMethod = z.enum(['totp', 'sms', 'email_code', 'recovery_code']);
export type SecondFactorCodeMethod = z.infer<typeof SecondFactorCodeMethod>;

/** A step-up or second-factor answer. Codes are checked as typed (spaces and hyphens ignored). */
/** GET /auth/second-factor: what the waiting second step offers (after a reload of the page). */
export const PendingSecondFactor = z.object({
  methods: z.array(SecondFactorMethod),
  /** Hours "trust this browser" may last for this person; 0: not offered. */
  trustDeviceHours: z.number().int(),
});

export const SecondFactorRequest = z.strictObject({
  method: SecondFactorCodeMethod,
  code: z.string().min(1).max(64),
  /** At sign-in: trust this browser for the practice's hours (features/devices). */
  ...trustDeviceField,
});

/**
 * Step-up: a second-factor code, or — for an account without any second factor — the password,
 * the strongest proof it has.
 */
export const StepUpRequest = z
  .strictObject({
    method: z.enum(['totp', 'sms', 'email_code', 'recovery_code', 'password']),
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
  /** The e-mail code factor (the weakest: codes go to the account's address), when turned on. */
  emailCode: z.object({ enabledAt: z.string(), sentTo: z.string() }).nullable(),
  /** The phone for SMS codes, masked; it counts as a factor only once `verifiedAt` is set. */
  phone: z.object({ masked: z.string(), addedAt: z.string(), verifiedAt: z.string().nullable() }).nullable(),
  /** The kinds of factor the person's practices allow (several practices: the ones all of them allow). */
  allowedFactors: z.array(Factor),
  /** Whether one of the person's practices requires a second factor (then the last one cannot be removed). */
  required: z.boolean(),
  /** When the person last proved themselves with their strongest factor (for step-up). */
  reauthenticatedAt: z.string().nullable(),
});

/** The second factors whose codes Haven sends (out of band): by SMS or by e-mail. */
export const SentCodeMethod = z.enum(['sms', 'email_code']);
export type SentCodeMethod = z.infer<typeof SentCodeMethod>;

/** Asks for a code by SMS or e-mail (at sign-in or for step-up); also "send again". */
export const SendCodeRequest = z.strictObject({ method: SentCodeMethod });

/** Where a code went (masked) and how long it works. */
export const CodeSent = z.object({
  method: SentCodeMethod,
  /** The masked phone number or e-mail address. */
  sentTo: z.string(),
  expiresAt: z.string(),
  /** How long until another code may be asked for. */
  resendAfterSeconds: z.number().int(),
});

/** Adds (or replaces, while not yet verified) the phone for SMS codes; typed as people type it. */
export const AddPhoneRequest = z.strictObject({ phoneNumber: z.string().min(1).max(40) });

/** Confirms an SMS or e-mail code factor with the code that was just sent. */
export const ConfirmCodeFactorRequest = z.strictObject({ code: z.string().min(1).max(32) });

/** The lifetime of an SMS or e-mail code (ASVS 6.5.5 allows up to 10 minutes; issue 4 asks for 2). */
export const sentCodeLifetimeSeconds = 120;
