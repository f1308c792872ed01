-- Known devices, trusted devices and suspicious sign-ins (issue 4, "trusted device" and "risk
-- signals"). Identity data like account_totp: an account spans practices, so no organisation
-- column and no row-level security.

-- The browsers an account has completed a sign-in from. The browser keeps a random 256-bit
-- identifier in a long-lived cookie; only SHA-256(account id ":" identifier) is stored, so the
-- raw database neither holds the cookie nor shows that two accounts share a browser.
-- `trusted_at`/`trusted_until`: "trust this browser" after a second factor (password still asked).
CREATE TABLE account_devices (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  device_hash bytea NOT NULL,
  label text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  last_country text CHECK (last_country ~ '^[A-Z]{2}$'),
  trusted_at timestamptz,
  trusted_until timestamptz,
  UNIQUE (account_id, device_hash)
);
CREATE INDEX account_devices_last_seen ON account_devices (account_id, last_seen_at DESC);

-- The countries an account has completed a sign-in from (ISO 3166-1 alpha-2, from the offline
-- lookup). A country not in this list is a risk signal.
CREATE TABLE account_countries (
  account_id uuid NOT NULL REFERENCES accounts (id),
  country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, country)
);

-- A session remembers the device it was opened from (the same hash as above) and the risk
-- signals seen at the password step, for the decision after the second factor. A sign-in held
-- for confirmation by e-mail waits in 'confirmation' (then 'confirmed' once the link was opened)
-- and can do nothing else; `hold_token_id` is its single-use link.
ALTER TABLE sessions ADD COLUMN device_hash bytea;
ALTER TABLE sessions ADD COLUMN risk_signals text[];
ALTER TABLE sessions ADD COLUMN hold_token_id uuid REFERENCES action_tokens (id);
ALTER TABLE sessions DROP CONSTRAINT sessions_pending_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_pending_check CHECK (pending IN ('second_factor', 'enrolment', 'confirmation', 'confirmed'));
CREATE INDEX sessions_hold_token ON sessions (hold_token_id) WHERE hold_token_id IS NOT NULL;

-- "This wasn't me": the next sign-in needs a new password first (set by a reset link).
ALTER TABLE accounts ADD COLUMN password_reset_required_at timestamptz;

-- Failed attempts (passwords, codes, passkeys) since the last complete sign-in, for the "many
-- failures" signal. Unlike the lockout counts, a right password alone, or a held sign-in, does
-- not reset it: only a sign-in that was let in (or a password reset) does.
ALTER TABLE accounts ADD COLUMN failures_since_sign_in integer NOT NULL DEFAULT 0;

-- Links for confirming a held sign-in (15 minutes) and for "this wasn't me" (7 days).
ALTER TABLE action_tokens DROP CONSTRAINT action_tokens_purpose_check;
ALTER TABLE action_tokens ADD CONSTRAINT action_tokens_purpose_check
  CHECK (purpose IN ('verify_email', 'password_reset', 'invitation', 'email_change', 'sign_in_confirmation', 'not_me'));

-- How long a practice lets its staff trust a browser after a second factor: 0 (off) to 12 hours.
ALTER TABLE organisations ADD COLUMN trusted_device_hours integer NOT NULL DEFAULT 12 CHECK (trusted_device_hours BETWEEN 0 AND 12);

GRANT SELECT, INSERT, UPDATE, DELETE ON account_devices, account_countries TO haven_app;
