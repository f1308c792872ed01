-- Issue 5: patients' own accounts (docs/design/patients-and-dossiers.md §2). A patient account
-- comes to be only through an invitation the practice sends (patient_invitations): the link
-- creates (or, for someone who already has a Haven account, links) the account and the
-- patient_accounts row — the patient's counterpart of a staff membership. `memberships` stays
-- staff-only, so no staff route or staff query can reach a patient by accident.

CREATE TABLE patient_accounts (
  org_id uuid NOT NULL REFERENCES organisations (id),
  id uuid NOT NULL,
  patient_id uuid NOT NULL,
  account_id uuid NOT NULL REFERENCES accounts (id),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
  created_at timestamptz NOT NULL,
  deactivated_at timestamptz,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, patient_id) REFERENCES patients (org_id, id),
  -- One portal account per patient, and one patient per account in a practice.
  UNIQUE (org_id, patient_id),
  UNIQUE (org_id, account_id),
  CHECK ((status = 'deactivated') = (deactivated_at IS NOT NULL))
);
-- Login lists an account's practices across tenants (system scope), as it does for memberships.
CREATE INDEX patient_accounts_account_idx ON patient_accounts (account_id);

-- Invitations to the portal: the address is sealed under the practice's key with a blind index
-- (as staff invitations); the link is an action token (purpose patient_invitation, 7 days).
CREATE TABLE patient_invitations (
  org_id uuid NOT NULL REFERENCES organisations (id),
  id uuid NOT NULL,
  patient_id uuid NOT NULL,
  email bytea NOT NULL,
  email_bidx bytea NOT NULL,
  invited_by_account_id uuid NOT NULL REFERENCES accounts (id),
  token_id uuid NOT NULL REFERENCES action_tokens (id),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_account_id uuid REFERENCES accounts (id),
  revoked_at timestamptz,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, patient_id) REFERENCES patients (org_id, id),
  CHECK ((accepted_at IS NULL) = (accepted_account_id IS NULL))
);
CREATE INDEX patient_invitations_patient_idx ON patient_invitations (org_id, patient_id);

ALTER TABLE action_tokens DROP CONSTRAINT action_tokens_purpose_check;
ALTER TABLE action_tokens ADD CONSTRAINT action_tokens_purpose_check
  CHECK (purpose IN ('verify_email', 'password_reset', 'invitation', 'email_change', 'sign_in_confirmation', 'not_me', 'patient_invitation'));

-- What a patient says about their record: a comment, or a request to correct something (they
-- cannot change clinical content themselves). The text is sealed under the patient's key.
CREATE TABLE patient_comments (
  org_id uuid NOT NULL REFERENCES organisations (id),
  id uuid NOT NULL,
  patient_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('comment', 'correction_request')),
  document_id uuid,
  entry_id uuid,
  text bytea NOT NULL,
  created_by_account_id uuid NOT NULL REFERENCES accounts (id),
  created_at timestamptz NOT NULL,
  resolved_at timestamptz,
  resolved_by_account_id uuid REFERENCES accounts (id),
  resolution bytea,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, patient_id) REFERENCES patients (org_id, id),
  -- What it is about belongs to the same patient (MATCH SIMPLE: a NULL id skips the check).
  FOREIGN KEY (org_id, patient_id, document_id) REFERENCES patient_documents (org_id, patient_id, id),
  FOREIGN KEY (org_id, patient_id, entry_id) REFERENCES dossier_entries (org_id, patient_id, id),
  CHECK ((resolved_at IS NULL) = (resolved_by_account_id IS NULL)),
  CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);
CREATE INDEX patient_comments_patient_idx ON patient_comments (org_id, patient_id, created_at DESC);

GRANT SELECT, INSERT, UPDATE ON patient_accounts, patient_invitations TO haven_app;
GRANT SELECT, INSERT ON patient_comments TO haven_app;
GRANT UPDATE (resolved_at, resolved_by_account_id, resolution) ON patient_comments TO haven_app;

ALTER TABLE patient_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_accounts
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY system_read ON patient_accounts FOR SELECT USING (haven_system_scope());
CREATE POLICY portal_self ON patient_accounts AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR patient_id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR patient_id = haven_current_patient());

ALTER TABLE patient_invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_invitations
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY portal_self ON patient_invitations AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR patient_id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR patient_id = haven_current_patient());

ALTER TABLE patient_comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_comments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_comments
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY portal_self ON patient_comments AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR patient_id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR patient_id = haven_current_patient());

-- "Who opened my record": a patient's own audit records, newest first.
CREATE INDEX audit_events_org_patient_idx ON audit_events (org_id, patient_id, id DESC) WHERE patient_id IS NOT NULL;
