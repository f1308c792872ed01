-- Personal fields become sealed values (docs/encryption.md): AES-256-GCM under the platform key
-- (accounts, practice names, link-token addresses) or the organisation's key (its contact
-- details, invitation addresses), with blind indexes for the lookups by e-mail address.
--
-- Haven 0.x has no installs with data to carry over; a development database created before this
-- migration is refused rather than converted half-way.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM accounts) THEN
    RAISE EXCEPTION 'This database holds accounts stored before encryption at rest and cannot be converted. Move the old data directory (./data) away and start again.';
  END IF;
END
$$;

ALTER TABLE accounts DROP COLUMN email, DROP COLUMN name, DROP COLUMN phone, DROP COLUMN pending_email;
ALTER TABLE accounts
  ADD COLUMN email bytea NOT NULL,
  ADD COLUMN email_bidx bytea NOT NULL,
  ADD COLUMN name bytea NOT NULL,
  ADD COLUMN phone bytea,
  ADD COLUMN pending_email bytea;
CREATE UNIQUE INDEX accounts_email_bidx_key ON accounts (email_bidx);

-- The practice name is sealed under the platform key (sign-in lists it across practices);
-- its address and registration under the practice's own key, written once the key exists.
ALTER TABLE organisations DROP COLUMN name, DROP COLUMN street, DROP COLUMN postal_code, DROP COLUMN city,
  DROP COLUMN company_name, DROP COLUMN registration_number;
ALTER TABLE organisations
  ADD COLUMN name bytea NOT NULL,
  ADD COLUMN street bytea,
  ADD COLUMN postal_code bytea,
  ADD COLUMN city bytea,
  ADD COLUMN company_name bytea,
  ADD COLUMN registration_number bytea;

ALTER TABLE invitations DROP COLUMN email;
ALTER TABLE invitations ADD COLUMN email bytea NOT NULL, ADD COLUMN email_bidx bytea NOT NULL;
CREATE INDEX invitations_email_bidx_idx ON invitations (org_id, email_bidx);

ALTER TABLE action_tokens DROP COLUMN email;
ALTER TABLE action_tokens ADD COLUMN email bytea;
