-- The practice's own files (policies, signed agreements, letter templates). Contents live in the
-- blob store, encrypted under the organisation's key (docs/encryption.md#files); this row holds
-- what is needed to list and serve them. The name is sealed; type and size stay clear (they are
-- checked against a fixed list and bounded, and say nothing about a person).
CREATE TABLE organisation_files (
  org_id uuid NOT NULL REFERENCES organisations (id),
  id uuid NOT NULL,
  blob_id uuid NOT NULL UNIQUE,
  name bytea NOT NULL,
  content_type text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes > 0),
  uploaded_by_account_id uuid NOT NULL REFERENCES accounts (id),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, id)
);

GRANT SELECT, INSERT, DELETE ON organisation_files TO haven_app;

ALTER TABLE organisation_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE organisation_files FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organisation_files
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
