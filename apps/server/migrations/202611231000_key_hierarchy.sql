-- The key hierarchy (docs/encryption.md): master key (outside the database) → platform key and
-- organisation keys (wrapped by the master key, versioned) → patient keys (wrapped by their
-- organisation's key). Only wrapped keys are stored; shredding a key sets its wrapped form NULL.

CREATE TABLE platform_keys (
  version integer PRIMARY KEY,
  wrapped_key bytea NOT NULL,
  created_at timestamptz NOT NULL,
  retired_at timestamptz
);

CREATE TABLE org_keys (
  org_id uuid NOT NULL REFERENCES organisations (id),
  version integer NOT NULL,
  wrapped_key bytea,
  created_at timestamptz NOT NULL,
  retired_at timestamptz,
  shredded_at timestamptz,
  PRIMARY KEY (org_id, version),
  CHECK ((wrapped_key IS NULL) = (shredded_at IS NOT NULL))
);

CREATE TABLE patient_keys (
  org_id uuid NOT NULL REFERENCES organisations (id),
  patient_id uuid NOT NULL,
  wrapped_key bytea,
  org_key_version integer NOT NULL,
  created_at timestamptz NOT NULL,
  shredded_at timestamptz,
  PRIMARY KEY (org_id, patient_id),
  CHECK ((wrapped_key IS NULL) = (shredded_at IS NOT NULL))
);

GRANT SELECT, INSERT, UPDATE ON platform_keys, org_keys, patient_keys TO haven_app;

ALTER TABLE org_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON org_keys
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());

ALTER TABLE patient_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_keys
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
