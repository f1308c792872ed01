-- Passkeys (WebAuthn, issue 4): several per account, each a second factor and, being
-- discoverable, a way to sign in without the password. Identity data like account_totp: an
-- account spans practices, so no organisation column and no row-level security.

-- One row per registered credential. The public key (COSE) and the credential id are not
-- secret; the name the holder chose is sealed under the platform key like the TOTP secret.
-- `counter` is the authenticator's signature counter: a non-zero counter must grow with every
-- use (a clone would fall behind). `user_handle` is the random WebAuthn user.id shared by the
-- account's passkeys (never the account id or e-mail address).
CREATE TABLE account_passkeys (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  credential_id text NOT NULL UNIQUE,
  public_key bytea NOT NULL,
  counter bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
  transports text[] NOT NULL DEFAULT '{}',
  device_type text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up boolean NOT NULL,
  user_handle text NOT NULL,
  name bytea NOT NULL,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz
);
CREATE INDEX account_passkeys_account ON account_passkeys (account_id, created_at);

-- Open WebAuthn ceremonies: one challenge per ceremony kind and requester (a session, or for the
-- passwordless sign-in the browser's CSRF cookie), kept only as a SHA-256 hash, consumed
-- (deleted) by the first answer whatever its outcome, and void after five minutes.
CREATE TABLE webauthn_challenges (
  id uuid PRIMARY KEY,
  ceremony text NOT NULL CHECK (ceremony IN ('registration', 'second_factor', 'step_up', 'passwordless')),
  bound_to text NOT NULL,
  account_id uuid REFERENCES accounts (id) ON DELETE CASCADE,
  challenge_hash text NOT NULL,
  user_handle text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  UNIQUE (bound_to, ceremony)
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON account_passkeys, webauthn_challenges TO haven_app;
