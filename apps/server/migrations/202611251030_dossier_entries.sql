-- Issue 5: dossier entries (docs/design/patients-and-dossiers.md §2). An entry is a head row
-- (kind, status, current version, timeline date) and its versions. Versions are append-only:
-- the request role may only SELECT and INSERT them, so an original and its time stay visible
-- after every revision (as German law asks of medical records, §630f BGB).

CREATE TABLE dossier_entries (
  org_id uuid NOT NULL REFERENCES organisations (id),
  id uuid NOT NULL,
  patient_id uuid NOT NULL,
  -- Clear for filtering; what the entry says is in the sealed version content.
  kind text NOT NULL CHECK (kind IN ('finding', 'diagnosis', 'note', 'document')),
  -- Revisions: UPDATE … SET current_version = v + 1 WHERE current_version = v (0 rows: conflict).
  current_version integer NOT NULL CHECK (current_version >= 1),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'entered_in_error')),
  -- The clinical date and time, which orders the timeline.
  effective_at timestamptz NOT NULL,
  created_by_account_id uuid NOT NULL REFERENCES accounts (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  entered_in_error_at timestamptz,
  entered_in_error_by_account_id uuid REFERENCES accounts (id),
  -- Sealed under the patient key.
  entered_in_error_reason bytea,
  PRIMARY KEY (org_id, id),
  -- Lets each version name its entry together with the patient, so a version cannot belong to
  -- an entry of another patient.
  UNIQUE (org_id, patient_id, id),
  FOREIGN KEY (org_id, patient_id) REFERENCES patients (org_id, id),
  CHECK ((status = 'entered_in_error') = (entered_in_error_at IS NOT NULL)),
  CHECK ((entered_in_error_at IS NULL) = (entered_in_error_by_account_id IS NULL)),
  CHECK ((entered_in_error_at IS NULL) = (entered_in_error_reason IS NULL))
);
-- The dossier read: a patient's timeline, newest first, keyset-paged.
CREATE INDEX dossier_entries_timeline_idx ON dossier_entries (org_id, patient_id, effective_at DESC, id DESC);

CREATE TABLE entry_versions (
  org_id uuid NOT NULL REFERENCES organisations (id),
  entry_id uuid NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  patient_id uuid NOT NULL,
  -- Sealed JSON per kind (packages/contracts/src/dossier.ts); the row id in the seal's AAD is
  -- '<entry_id>:v<version>', so one version's ciphertext cannot stand in for another's.
  content bytea NOT NULL,
  -- A document entry's file (foreign key added with patient_documents).
  document_id uuid,
  effective_at timestamptz NOT NULL,
  author_account_id uuid NOT NULL REFERENCES accounts (id),
  -- The author's role at the time: a built-in name, 'custom:<role id>'.
  author_role text NOT NULL,
  on_behalf_of_account_id uuid REFERENCES accounts (id),
  change_reason bytea,
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, entry_id, version),
  FOREIGN KEY (org_id, patient_id, entry_id) REFERENCES dossier_entries (org_id, patient_id, id)
);

GRANT SELECT, INSERT, UPDATE ON dossier_entries TO haven_app;
GRANT SELECT, INSERT ON entry_versions TO haven_app;

ALTER TABLE dossier_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE dossier_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dossier_entries
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY portal_self ON dossier_entries AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR patient_id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR patient_id = haven_current_patient());

ALTER TABLE entry_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE entry_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON entry_versions
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY portal_self ON entry_versions AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR patient_id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR patient_id = haven_current_patient());
