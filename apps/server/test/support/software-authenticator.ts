import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { PasskeyAuthenticationResponse, PasskeyCreationOptions, PasskeyRegistrationResponse, PasskeyRequestOptions } from '@haven/contracts';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { expect } from 'vitest';
import type { TestAgent, TestResponse } from './agent.ts';

/*
 * A passkey authenticator in software, for tests without a browser: it makes what a platform
 * authenticator behind `navigator.credentials` makes — an EC P-256 key per credential,
 * authenticator data (RP ID hash, flags, signature counter, attested credential data), a "none"
 * attestation object in CBOR (encoded by @simplewebauthn's own CBOR helper), client data JSON —
 * and signs assertions with node:crypto. Every field can be bent per ceremony, to play a
 * phishing page (another origin or RP ID), a device that skipped user verification, or a clone
 * whose counter fell behind.
 */

const flag = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 } as const;

interface HeldCredential {
  id: Buffer;
  privateKey: KeyObject;
  rpId: string;
  userHandle: string;
  counter: number;
}

/** Per-ceremony deviations from an honest authenticator in an honest browser. */
export interface Bent {
  /** The origin the "browser" reports (default: the authenticator's). */
  origin?: string;
  /** The RP ID whose hash goes into the authenticator data (default: the one asked for). */
  rpId?: string;
  /** The client data type (default webauthn.create / webauthn.get). */
  type?: string;
  /** Sign this challenge instead of the one in the options. */
  challenge?: string;
  /** The UV flag (default: set). */
  userVerified?: boolean;
  /** The UP flag (default: set). */
  userPresent?: boolean;
  /** Report this signature counter (and keep it). */
  counter?: number;
  /** Registration: give the new credential this id. Authentication: answer with this credential even if the options do not ask for it. */
  credentialId?: string;
  /** Report this user handle. */
  userHandle?: string;
}

const b64url = (bytes: Uint8Array | Buffer): string => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();
const u32 = (value: number): Buffer => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
};

export class SoftwareAuthenticator {
  readonly credentials: HeldCredential[] = [];

  constructor(
    readonly settings: {
      origin: string;
      /** A synced passkey (BE and BS set), as password managers and platform keychains make. */
      backedUp?: boolean;
      /** Increase the signature counter on every use (default true); false: always 0, like many passkey providers. */
      counts?: boolean;
    },
  ) {}

  /** The base64url id of the newest credential. */
  get lastCredentialId(): string {
    const last = this.credentials.at(-1);
    if (!last) throw new Error('this authenticator holds no credential');
    return b64url(last.id);
  }

  private flags(bent: Bent, extra = 0): number {
    let flags = extra;
    if (bent.userPresent !== false) flags |= flag.up;
    if (bent.userVerified !== false) flags |= flag.uv;
    if (this.settings.backedUp) flags |= flag.be | flag.bs;
    return flags;
  }

  private clientData(type: string, challenge: string, bent: Bent): Buffer {
    return Buffer.from(JSON.stringify({ type: bent.type ?? type, challenge: bent.challenge ?? challenge, origin: bent.origin ?? this.settings.origin, crossOrigin: false }));
  }

  /** navigator.credentials.create(): a new discoverable credential with a "none" attestation. */
  register(options: PasskeyCreationOptions, bent: Bent = {}): PasskeyRegistrationResponse {
    if (!options.pubKeyCredParams.some((param) => param.alg === -7)) throw new Error('ES256 not offered');
    const rpId = options.rp.id ?? new URL(this.settings.origin).hostname;
    const excluded = new Set((options.excludeCredentials ?? []).map((descriptor) => descriptor.id));
    if (this.credentials.some((held) => held.rpId === rpId && excluded.has(b64url(held.id)))) throw new Error('InvalidStateError: this authenticator already holds a credential of this account');

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = publicKey.export({ format: 'jwk' });
    // COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y.
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    );
    const id = bent.credentialId !== undefined ? Buffer.from(bent.credentialId, 'base64url') : randomBytes(32);
    const counter = bent.counter ?? 0;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([sha256(bent.rpId ?? rpId), Buffer.from([this.flags(bent, flag.at)]), u32(counter), Buffer.alloc(16), idLength, id, Buffer.from(cose)]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    this.credentials.push({ id, privateKey, rpId, userHandle: options.user.id, counter });
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: { credProps: { rk: true } },
      response: { clientDataJSON: b64url(this.clientData('webauthn.create', options.challenge, bent)), attestationObject: b64url(attestationObject), transports: ['internal'] },
    };
  }

  /** navigator.credentials.get(): an assertion by a held credential the options allow (any of this site's, when they list none). */
  authenticate(options: PasskeyRequestOptions, bent: Bent = {}): PasskeyAuthenticationResponse {
    const rpId = options.rpId ?? new URL(this.settings.origin).hostname;
    const allowed = options.allowCredentials?.map((descriptor) => descriptor.id);
    const held =
      bent.credentialId !== undefined
        ? this.credentials.find((candidate) => b64url(candidate.id) === bent.credentialId)
        : [...this.credentials].reverse().find((candidate) => candidate.rpId === rpId && (!allowed || allowed.includes(b64url(candidate.id))));
    if (!held) throw new Error('NotAllowedError: no credential of this authenticator is asked for');
    held.counter = bent.counter ?? (this.settings.counts === false ? 0 : held.counter + 1);
    const authData = Buffer.concat([sha256(bent.rpId ?? rpId), Buffer.from([this.flags(bent)]), u32(held.counter)]);
    const clientData = this.clientData('webauthn.get', options.challenge, bent);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), held.privateKey);
    return {
      id: b64url(held.id),
      rawId: b64url(held.id),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(signature), userHandle: bent.userHandle ?? held.userHandle },
    };
  }
}

/** An authenticator for the test harness's site (HAVEN_PUBLIC_URL http://haven.test). */
export const testAuthenticator = (settings: Partial<SoftwareAuthenticator['settings']> = {}) => new SoftwareAuthenticator({ origin: 'http://haven.test', ...settings });

// ---- the API, as the web app drives it ----

/** Registers a passkey on a signed-in (or enrolling) session; returns the server's answer. */
export async function registerPasskeyWith(agent: TestAgent, authenticator: SoftwareAuthenticator, name = 'Test key', bent: Bent = {}): Promise<TestResponse> {
  const options = await agent.post('/api/v1/me/passkeys/registration-options');
  expect(options.status, JSON.stringify(options.body)).toBe(200);
  return agent.post('/api/v1/me/passkeys', { name, response: authenticator.register(options.body, bent) });
}

/** Registers and expects it to work; returns the new passkey's id and the answer's body. */
export async function addPasskey(agent: TestAgent, authenticator: SoftwareAuthenticator, name = 'Test key'): Promise<{ id: string; body: any }> {
  const registered = await registerPasskeyWith(agent, authenticator, name);
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  return { id: registered.body.passkey.id, body: registered.body };
}

/** One authentication ceremony: options from `optionsUrl`, the authenticator's answer to `url` (plus `extra` body fields). */
export async function answerWithPasskey(agent: TestAgent, authenticator: SoftwareAuthenticator, url: string, bent: Bent = {}, extra: Record<string, unknown> = {}): Promise<TestResponse> {
  const options = await agent.post(`${url}/options`);
  expect(options.status, JSON.stringify(options.body)).toBe(200);
  return agent.post(url, { response: authenticator.authenticate(options.body, bent), ...extra });
}
