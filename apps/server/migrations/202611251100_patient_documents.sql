-- Issue 5: patient documents (docs/design/patients-and-dossiers.md §2). Contents live in the blob
-- store, encrypted under the patient's key (FileOwner kind 'patient'); this row holds what is
-- needed to list and serve them. The name is sealed under the patient key; type and size stay
-- clear (a fixed list, bounded, nothing about the person). Every upload also gets a 'document'
-- dossier entry; a new version of that entry points at a new row, so old files stay reachable.
CREATE TABLE patient_documents (
  org_id uuid NOT NULL REFERENCES organisations (id),
  id uuid NOT NULL,
  patient_id uuid NOT NULL,
  blob_id uuid NOT NULL UNIQUE,
  name bytea NOT NULL,
  content_type text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes > 0),
  uploaded_by_account_id uuid NOT NULL REFERENCES accounts (id),
  created_at timestamptz NOT NULL,
  shared_with_patient_at timestamptz,
  shared_by_account_id uuid REFERENCES accounts (id),
  PRIMARY KEY (org_id, id),
  -- A patient's documents; also lets an entry version name its file together with the patient.
  UNIQUE (org_id, patient_id, id),
  FOREIGN KEY (org_id, patient_id) REFERENCES patients (org_id, id),
  CHECK ((shared_with_patient_at IS NULL) = (shared_by_account_id IS NULL))
);

-- A document entry's version can only point at a file of the same patient.
ALTER TABLE entry_versions ADD CONSTRAINT entry_versions_document_fk
  FOREIGN KEY (org_id, patient_id, document_id) REFERENCES patient_documents (org_id, patient_id, id);

-- Rows are never deleted (the file may be part of an entry's history); only sharing changes.
GRANT SELECT, INSERT ON patient_documents TO haven_app;
GRANT UPDATE (shared_with_patient_at, shared_by_account_id) ON patient_documents TO haven_app;

ALTER TABLE patient_documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_documents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_documents
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY portal_self ON patient_documents AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR patient_id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR patient_id = haven_current_patient());
