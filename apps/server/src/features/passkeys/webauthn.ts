import { randomBytes, randomFillSync } from 'node:crypto';
import type { PasskeyAuthenticationResponse, PasskeyCreationOptions, PasskeyRegistrationResponse, PasskeyRequestOptions } from '@haven/contracts';
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { Config } from '../../core/config.ts';
import { safeEqual, sha256 } from '../../core/security/tokens.ts';

/*
 * The WebAuthn ceremonies, through @simplewebauthn/server (no hand-made CBOR or signature
 * checks). Haven is one relying party: its ID is the host name of HAVEN_PUBLIC_URL and the only
 * origin it accepts is that URL's origin, so a passkey answers only to this site — a look-alike
 * domain gets nothing it could replay here (phishing resistance). User verification (the
 * device's PIN or biometrics) is required in every ceremony, so a passkey is two factors in one.
 */

/** A ceremony stays open this long (the browser's prompt gets the same timeout). */
export const ceremonyTimeoutMs = 5 * 60_000;

/** ES256 (what nearly every authenticator uses), EdDSA and RS256 (Windows Hello), in that order. */
const supportedAlgorithmIDs = [-7, -8, -257];

export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

export function relyingParty(config: Config): RelyingParty {
  const url = new URL(config.publicUrl);
  return { id: url.hostname, name: 'Haven', origin: url.origin };
}

/** 32 random bytes, as the base64url text the browser will sign; only its hash is stored. */
export function newChallenge(): { bytes: Uint8Array<ArrayBuffer>; hash: string } {
  const bytes = randomFillSync(new Uint8Array(32));
  return { bytes, hash: challengeHash(Buffer.from(bytes).toString('base64url')) };
}

const challengeHash = (challenge: string): string => sha256(challenge).toString('hex');

/** A new random WebAuthn user handle (user.id): 32 bytes, base64url. */
export const newUserHandle = (): string => randomBytes(32).toString('base64url');

/** Whether the challenge the browser signed is the one whose hash was kept. */
const challengeMatches = (hash: string) => (challenge: string) => safeEqual(challengeHash(challenge), hash);

/**
 * Why a ceremony failed, for the log: the library's message with quoted values (challenges,
 * origins, counters) cut out, so nothing a client sent ends up in a log line verbatim.
 */
export const failureReason = (error: unknown): string => (error instanceof Error ? error.message : String(error)).replace(/"[^"]*"|\b\d+\b/g, '…').slice(0, 160);

export function registrationOptions(
  rp: RelyingParty,
  input: { challenge: Uint8Array<ArrayBuffer>; userHandle: string; userName: string; displayName: string; exclude: Array<{ credentialId: string; transports: string[] }> },
): Promise<PasskeyCreationOptions> {
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: new Uint8Array(Buffer.from(input.userHandle, 'base64url')),
    userName: input.userName,
    userDisplayName: input.displayName,
    challenge: input.challenge,
    timeout: ceremonyTimeoutMs,
    attestationType: 'none',
    excludeCredentials: input.exclude.map((credential) => ({ id: credential.credentialId, transports: credential.transports })),
    // A passkey is a discoverable credential (it can sign in without the e-mail address first),
    // and the person must be verified on the device. A fresh object: the library amends it.
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    supportedAlgorithmIDs,
  }) as Promise<PasskeyCreationOptions>;
}

export function authenticationOptions(rp: RelyingParty, input: { challenge: Uint8Array<ArrayBuffer>; allow?: Array<{ credentialId: string; transports: string[] }> }): Promise<PasskeyRequestOptions> {
  return generateAuthenticationOptions({
    rpID: rp.id,
    challenge: input.challenge,
    timeout: ceremonyTimeoutMs,
    userVerification: 'required',
    ...(input.allow ? { allowCredentials: input.allow.map((credential) => ({ id: credential.credentialId, transports: credential.transports })) } : {}),
  }) as Promise<PasskeyRequestOptions>;
}

export interface NewCredential {
  credentialId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
}

export type Verified<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Checks a registration against the challenge whose hash was kept; UV and UP are required. */
export async function verifyRegistration(rp: RelyingParty, input: { response: PasskeyRegistrationResponse; challengeHash: string }): Promise<Verified<NewCredential>> {
  try {
    const result = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challengeMatches(input.challengeHash),
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs,
    });
    if (!result.verified) return { ok: false, reason: 'not verified' };
    const { credential, credentialDeviceType, credentialBackedUp } = result.registrationInfo;
    return {
      ok: true,
      value: {
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey),
        counter: credential.counter,
        transports: (credential.transports ?? []).slice(0, 10),
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
      },
    };
  } catch (error) {
    return { ok: false, reason: failureReason(error) };
  }
}

/**
 * Checks an assertion by a stored credential against the challenge whose hash was kept: origin,
 * RP ID, UP and UV flags, the signature, and a counter that must not go backwards.
 */
export async function verifyAssertion(
  rp: RelyingParty,
  input: { response: PasskeyAuthenticationResponse; challengeHash: string; credential: { credentialId: string; publicKey: Buffer; counter: number; transports: string[] } },
): Promise<Verified<{ counter: number; backedUp: boolean }>> {
  try {
    const result = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: challengeMatches(input.challengeHash),
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: { id: input.credential.credentialId, publicKey: new Uint8Array(input.credential.publicKey), counter: input.credential.counter, transports: input.credential.transports },
    });
    if (!result.verified) return { ok: false, reason: 'signature not verified' };
    return { ok: true, value: { counter: result.authenticationInfo.newCounter, backedUp: result.authenticationInfo.credentialBackedUp } };
  } catch (error) {
    return { ok: false, reason: failureReason(error) };
  }
}
