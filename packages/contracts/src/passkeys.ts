import { z } from 'zod';
import { trustDeviceField } from './devices.ts';
import { Me } from './api.ts';

/*
 * Passkeys (WebAuthn): the shapes the browser and the server exchange. The option objects are
 * what `@simplewebauthn/server` makes and `@simplewebauthn/browser` takes; the responses are what
 * the browser library returns, refused when they carry anything the server does not read.
 */

/** Binary values travel as unpadded base64url. */
const Base64Url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+$/, 'base64url');

/** A credential id: at most 1023 bytes (WebAuthn §5.8.3), so at most 1364 base64url characters. */
const CredentialId = Base64Url(1364);

/** How a browser can reach an authenticator ("internal", "hybrid", "usb", ...), kept for later prompts. */
const Transport = z.string().min(1).max(32).regex(/^[a-z-]+$/, 'a transport name');

/** The only extension Haven asks for is credProps; the web app sends nothing else. */
const ClientExtensionResults = z.strictObject({
  credProps: z.strictObject({ rk: z.boolean().optional() }).optional(),
});

const Attachment = z.enum(['platform', 'cross-platform']);

/** A passkey's name, chosen by its holder ("Laptop", "YubiKey blue"); one line. */
export const PasskeyName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');

/** What `navigator.credentials.create()` answered, as `startRegistration()` returns it. */
export const PasskeyRegistrationResponse = z.strictObject({
  id: CredentialId,
  rawId: CredentialId,
  type: z.literal('public-key'),
  authenticatorAttachment: Attachment.optional(),
  clientExtensionResults: ClientExtensionResults,
  response: z.strictObject({
    clientDataJSON: Base64Url(4096),
    attestationObject: Base64Url(32_768),
    authenticatorData: Base64Url(16_384).optional(),
    transports: z.array(Transport).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: Base64Url(4096).optional(),
  }),
});
export type PasskeyRegistrationResponse = z.infer<typeof PasskeyRegistrationResponse>;

/** What `navigator.credentials.get()` answered, as `startAuthentication()` returns it. */
export const PasskeyAuthenticationResponse = z.strictObject({
  id: CredentialId,
  rawId: CredentialId,
  type: z.literal('public-key'),
  authenticatorAttachment: Attachment.optional(),
  clientExtensionResults: ClientExtensionResults,
  response: z.strictObject({
    clientDataJSON: Base64Url(4096),
    authenticatorData: Base64Url(16_384),
    signature: Base64Url(2048),
    userHandle: Base64Url(128).optional(),
  }),
});
export type PasskeyAuthenticationResponse = z.infer<typeof PasskeyAuthenticationResponse>;

const Descriptor = z.object({ id: z.string(), type: z.literal('public-key'), transports: z.array(z.string()).optional() });

/** Options for `startRegistration({ optionsJSON })`. */
export const PasskeyCreationOptions = z.object({
  challenge: z.string(),
  rp: z.object({ id: z.string().optional(), name: z.string() }),
  user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  pubKeyCredParams: z.array(z.object({ alg: z.number(), type: z.literal('public-key') })),
  timeout: z.number().optional(),
  excludeCredentials: z.array(Descriptor).optional(),
  authenticatorSelection: z
    .object({
      authenticatorAttachment: Attachment.optional(),
      requireResidentKey: z.boolean().optional(),
      residentKey: z.enum(['discouraged', 'preferred', 'required']).optional(),
      userVerification: z.enum(['discouraged', 'preferred', 'required']).optional(),
    })
    .optional(),
  hints: z.array(z.string()).optional(),
  attestation: z.enum(['none', 'indirect', 'direct', 'enterprise']).optional(),
  extensions: z.object({ credProps: z.boolean().optional() }).optional(),
});
export type PasskeyCreationOptions = z.infer<typeof PasskeyCreationOptions>;

/** Options for `startAuthentication({ optionsJSON })`. No `allowCredentials`: any passkey of this site (passwordless). */
export const PasskeyRequestOptions = z.object({
  challenge: z.string(),
  timeout: z.number().optional(),
  rpId: z.string().optional(),
  allowCredentials: z.array(Descriptor).optional(),
  userVerification: z.enum(['discouraged', 'preferred', 'required']).optional(),
  hints: z.array(z.string()).optional(),
});
export type PasskeyRequestOptions = z.infer<typeof PasskeyRequestOptions>;

/** A registered passkey, as its holder sees it. */
export const Passkey = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  /** Synced by the provider (a password manager, iCloud Keychain, Google Password Manager) rather than bound to one device. */
  backedUp: z.boolean(),
  transports: z.array(z.string()),
});
export type Passkey = z.infer<typeof Passkey>;

export const PasskeyList = z.object({ passkeys: z.array(Passkey) });

export const RegisterPasskeyRequest = z.strictObject({ name: PasskeyName, response: PasskeyRegistrationResponse });

export const RegisterPasskeyResponse = z.object({
  passkey: Passkey,
  /** A first set when this is the account's first second factor, else null (shown once). */
  recoveryCodes: z.array(z.string()).nullable(),
  /** Set when registering finished a sign-in that had to set up a second factor first. */
  me: Me.nullable(),
});

export const RenamePasskeyRequest = z.strictObject({ name: PasskeyName });

/** The answer to a passkey challenge (second step of signing in, step-up). */
export const PasskeyAssertionRequest = z.strictObject({ response: PasskeyAuthenticationResponse });

/** The passkey as the second step of signing in, with the "trust this browser" tick. */
export const PasskeySecondFactorRequest = z.strictObject({ response: PasskeyAuthenticationResponse, ...trustDeviceField });

/** Passwordless sign-in: the passkey alone (possession plus the device's PIN or biometrics). */
export const PasskeySignInRequest = z.strictObject({
  response: PasskeyAuthenticationResponse,
  organisationId: z.uuid().optional(),
});

/** How many passkeys one account may register. */
export const maxPasskeysPerAccount = 20;
