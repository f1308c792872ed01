-- Issue 4, second part: e-mail and SMS codes as second factors, and which factors a practice
-- allows. Identity tables like account_totp (an account spans practices): no organisation
-- column, no row-level security.

-- Which kinds of second factor the practice's staff and (from issue 5) its patients may use.
-- E-mail codes only where the practice turns them on (NIST 800-63B: e-mail SHALL NOT be an
-- out-of-band authenticator). A passkey or the authenticator app always stays allowed, so
-- nobody is left with out-of-band codes alone (ASVS 6.6.1: SMS only beside a stronger method).
ALTER TABLE organisations ADD COLUMN allowed_staff_factors text[] NOT NULL DEFAULT '{passkey,totp,sms}'
  CHECK (allowed_staff_factors <@ ARRAY['passkey', 'totp', 'sms', 'email_code']::text[] AND allowed_staff_factors && ARRAY['passkey', 'totp']::text[]);
ALTER TABLE organisations ADD COLUMN allowed_patient_factors text[] NOT NULL DEFAULT '{passkey,totp,sms}'
  CHECK (allowed_patient_factors <@ ARRAY['passkey', 'totp', 'sms', 'email_code']::text[] AND allowed_patient_factors && ARRAY['passkey', 'totp']::text[]);

-- The e-mail code factor: codes go to the account's own (verified) address. In force once
-- `confirmed_at` is set (a first code sent there was typed back).
CREATE TABLE account_email_code (
  account_id uuid PRIMARY KEY REFERENCES accounts (id),
  created_at timestamptz NOT NULL,
  confirmed_at timestamptz
);

-- The phone for SMS codes, one per account: the E.164 number sealed under the platform key.
-- It counts as a factor only once `verified_at` is set (a code sent to it was typed back).
CREATE TABLE account_phones (
  account_id uuid PRIMARY KEY REFERENCES accounts (id),
  number bytea NOT NULL,
  created_at timestamptz NOT NULL,
  verified_at timestamptz
);

-- The code last sent by SMS or e-mail, one per account and channel: a new one replaces it. Only
-- a keyed hash (HMAC under the platform's index key, salted with `code_id`) is kept, and it is
-- cleared when the code is used or has taken five wrong tries. Bound to the session that asked
-- and to its purpose. `failed_attempts` carries over to a code sent while the last one was
-- still live (a resend buys no fresh guesses); `window_started_at` and `window_sends` count the
-- sends of a 15-minute window, for the resend limits; a code that was used (`used_at`) lets the
-- next one be sent without the 30-second wait.
CREATE TABLE sent_codes (
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('sms', 'email')),
  purpose text NOT NULL CHECK (purpose IN ('setup', 'sign_in', 'step_up')),
  bound_to text NOT NULL,
  code_id uuid NOT NULL,
  code_hash bytea,
  sent_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  failed_attempts integer NOT NULL DEFAULT 0,
  used_at timestamptz,
  window_started_at timestamptz NOT NULL,
  window_sends integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, channel)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON account_email_code, account_phones, sent_codes TO haven_app;
