-- Second factors (issue 4, first part): authenticator-app (TOTP) secrets and recovery codes, the
-- session's sign-in stage, and the practice's 2FA policy.

-- One authenticator app per account. The secret is sealed under the platform key (an account
-- spans practices); `last_used_step` makes every code single-use (RFC 6238 §5.2).
CREATE TABLE account_totp (
  account_id uuid PRIMARY KEY REFERENCES accounts (id),
  secret bytea NOT NULL,
  created_at timestamptz NOT NULL,
  confirmed_at timestamptz,
  last_used_step bigint,
  last_used_at timestamptz
);

-- Recovery codes: the first four characters in clear to find the row, the rest only as an
-- argon2id hash. A new set replaces the old one (rows deleted).
CREATE TABLE recovery_codes (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  lookup text NOT NULL,
  code_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX recovery_codes_account ON recovery_codes (account_id, lookup);

-- Where a session stands: NULL = fully signed in; 'second_factor' = the password was right and
-- a second factor is awaited; 'enrolment' = the account must set one up before anything else.
-- `reauthenticated_at` is the last time the person proved themselves with their strongest
-- factor (step-up looks at it).
ALTER TABLE sessions ADD COLUMN pending text CHECK (pending IN ('second_factor', 'enrolment'));
ALTER TABLE sessions ADD COLUMN reauthenticated_at timestamptz;

-- Wrong second-factor codes, counted apart from wrong passwords but locking the same lock: a
-- right password resets only its own count, so it cannot buy fresh guesses at the code.
ALTER TABLE accounts ADD COLUMN failed_code_count integer NOT NULL DEFAULT 0;

-- The practice's policy: must staff use a second factor? (Off until the enrolment gate lands;
-- see docs/roadmap.md.)
ALTER TABLE organisations ADD COLUMN second_factor_required boolean NOT NULL DEFAULT false;

GRANT SELECT, INSERT, UPDATE, DELETE ON account_totp, recovery_codes TO haven_app;
