import { browserSupportsWebAuthn, startAuthentication, startRegistration, WebAuthnError } from '@simplewebauthn/browser';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { PasskeyAuthenticationResponse, PasskeyCreationOptions, PasskeyRegistrationResponse, PasskeyRequestOptions } from '@haven/contracts';
import { api } from '../../lib/api';

/*
 * The browser's side of a passkey ceremony, through @simplewebauthn/browser: ask the server for
 * options, let the browser talk to the authenticator (which asks for a fingerprint, face or PIN),
 * send back what it made. The answer is trimmed to what the server reads (its schema refuses the
 * rest, such as extension outputs a password manager may add).
 */

/** The query of `GET /me/passkeys`. */
export const passkeysKey = ['my-passkeys'] as const;

/** Whether this browser can use passkeys at all (WebAuthn, over HTTPS or on localhost). */
export const passkeysSupported = (): boolean => browserSupportsWebAuthn();

/**
 * The browser or the authenticator did not make the passkey answer: the person cancelled or let
 * the prompt time out, the device holds no passkey for Haven, or one is registered already.
 */
export class PasskeyBrowserError extends Error {
  constructor(
    readonly reason: 'cancelled' | 'already_registered' | 'unsupported' | 'failed',
    cause: unknown,
  ) {
    super(`passkey ceremony ended in the browser: ${reason}`, { cause });
    this.name = 'PasskeyBrowserError';
  }
}

function browserFailure(error: unknown): PasskeyBrowserError {
  if (error instanceof WebAuthnError) {
    if (error.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') return new PasskeyBrowserError('already_registered', error);
    if (error.code === 'ERROR_INVALID_DOMAIN' || error.code === 'ERROR_INVALID_RP_ID') return new PasskeyBrowserError('unsupported', error);
    if (error.code === 'ERROR_CEREMONY_ABORTED' || error.code === 'ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY') return new PasskeyBrowserError('cancelled', error);
  }
  if (error instanceof Error && (error.name === 'NotAllowedError' || error.name === 'AbortError')) return new PasskeyBrowserError('cancelled', error);
  if (error instanceof Error && error.name === 'InvalidStateError') return new PasskeyBrowserError('already_registered', error);
  return new PasskeyBrowserError('failed', error);
}

/** Lets the authenticator make a new passkey for `options`. */
export async function createCredential(options: PasskeyCreationOptions): Promise<PasskeyRegistrationResponse> {
  if (!passkeysSupported()) throw new PasskeyBrowserError('unsupported', null);
  let made;
  try {
    made = await startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON });
  } catch (error) {
    throw browserFailure(error);
  }
  const { response } = made;
  const rk = made.clientExtensionResults.credProps?.rk;
  return {
    id: made.id,
    rawId: made.rawId,
    type: 'public-key',
    ...(made.authenticatorAttachment ? { authenticatorAttachment: made.authenticatorAttachment } : {}),
    clientExtensionResults: rk === undefined ? {} : { credProps: { rk } },
    response: {
      clientDataJSON: response.clientDataJSON,
      attestationObject: response.attestationObject,
      ...(response.authenticatorData ? { authenticatorData: response.authenticatorData } : {}),
      ...(response.transports ? { transports: response.transports } : {}),
      ...(response.publicKeyAlgorithm !== undefined ? { publicKeyAlgorithm: response.publicKeyAlgorithm } : {}),
      ...(response.publicKey ? { publicKey: response.publicKey } : {}),
    },
  };
}

/** Lets the authenticator sign the challenge of `options` with one of its passkeys. */
export async function getAssertion(options: PasskeyRequestOptions): Promise<PasskeyAuthenticationResponse> {
  if (!passkeysSupported()) throw new PasskeyBrowserError('unsupported', null);
  let made;
  try {
    made = await startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON });
  } catch (error) {
    throw browserFailure(error);
  }
  const { response } = made;
  return {
    id: made.id,
    rawId: made.rawId,
    type: 'public-key',
    ...(made.authenticatorAttachment ? { authenticatorAttachment: made.authenticatorAttachment } : {}),
    clientExtensionResults: {},
    response: {
      clientDataJSON: response.clientDataJSON,
      authenticatorData: response.authenticatorData,
      signature: response.signature,
      ...(response.userHandle ? { userHandle: response.userHandle } : {}),
    },
  };
}

/**
 * One authentication ceremony against a pair of routes: `POST {path}/options`, the browser,
 * `POST {path}` with the answer (plus `extra` fields).
 */
export async function answerWithPasskey<T>(path: string, extra: Record<string, unknown> = {}): Promise<T> {
  const options = await api.post<PasskeyRequestOptions>(`${path}/options`);
  const response = await getAssertion(options);
  return api.post<T>(path, { response, ...extra });
}
