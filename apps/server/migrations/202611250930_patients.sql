-- Issue 5: patients (docs/design/patients-and-dossiers.md §2). Every personal field is sealed
-- under the patient's own key (patient_keys, created in the same transaction, before this row);
-- the blind indexes use the practice's index key so a practice can search all its patients.

-- The patient of a portal transaction: the second wall for patients signed in to the portal.
-- Staff transactions leave it empty (NULL), and then every portal_self policy lets rows through
-- (care-team scoping is decided by the policy functions, since grants expire by the clock).
CREATE FUNCTION haven_current_patient() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.patient_id', true), '')::uuid $$;
GRANT EXECUTE ON FUNCTION haven_current_patient() TO haven_app;

CREATE TABLE patients (
  org_id uuid NOT NULL REFERENCES organisations (id),
  id uuid NOT NULL,
  -- Sealed JSON { family, given }; opened once for a dossier header.
  name bytea NOT NULL,
  -- Sealed ISO date; the blind index finds it by exact date (NULL only once erased).
  birth_date bytea NOT NULL,
  birth_date_bidx bytea,
  -- Sealed JSON: sex, gender, contact (e-mail, phone, address), practice notes.
  details bytea NOT NULL,
  -- Which country's identifier (says nothing about the person); the number itself is sealed.
  national_id_kind text CHECK (national_id_kind IN ('bsn', 'kvnr', 'svnr')),
  national_id bytea,
  national_id_bidx bytea,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'erased')),
  created_by_account_id uuid NOT NULL REFERENCES accounts (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  erased_at timestamptz,
  PRIMARY KEY (org_id, id),
  -- A patient row is unreadable without its key, so the key must exist first.
  FOREIGN KEY (org_id, id) REFERENCES patient_keys (org_id, patient_id),
  CHECK ((national_id IS NULL) = (national_id_kind IS NULL)),
  CHECK (national_id_bidx IS NULL OR national_id IS NOT NULL),
  -- Erasure clears the indexes (they would still tell equal values apart); nothing else may.
  CHECK (status = 'erased' OR birth_date_bidx IS NOT NULL),
  CHECK (status = 'erased' OR national_id IS NULL OR national_id_bidx IS NOT NULL),
  CHECK ((status = 'erased') = (erased_at IS NOT NULL))
);
CREATE INDEX patients_birth_date_idx ON patients (org_id, birth_date_bidx);
-- One patient per identifier in a practice (PATIENT_ALREADY_EXISTS).
CREATE UNIQUE INDEX patients_national_id_key ON patients (org_id, national_id_kind, national_id_bidx)
  WHERE national_id_bidx IS NOT NULL;
-- The directory's keyset order.
CREATE INDEX patients_list_idx ON patients (org_id, updated_at DESC, id);

-- One row per prefix token of each word of the family and given names (blind-index purpose
-- patients.name). A table rather than a bytea[] with GIN: a btree that leads with org_id, and
-- rows that erasure can simply delete.
CREATE TABLE patient_name_tokens (
  org_id uuid NOT NULL REFERENCES organisations (id),
  token bytea NOT NULL,
  patient_id uuid NOT NULL,
  PRIMARY KEY (org_id, token, patient_id),
  FOREIGN KEY (org_id, patient_id) REFERENCES patients (org_id, id)
);
-- Replacing a patient's tokens on a name change, and deleting them on erasure.
CREATE INDEX patient_name_tokens_patient_idx ON patient_name_tokens (org_id, patient_id);

GRANT SELECT, INSERT, UPDATE ON patients TO haven_app;
GRANT SELECT, INSERT, DELETE ON patient_name_tokens TO haven_app;

ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE patients FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patients
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY portal_self ON patients AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR id = haven_current_patient());

ALTER TABLE patient_name_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_name_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_name_tokens
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY portal_self ON patient_name_tokens AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR patient_id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR patient_id = haven_current_patient());

-- The existing tables that carry a patient_id get the same wall: a portal transaction reads and
-- writes only its own patient's key and audit records (docs/design/patients-and-dossiers.md §2).
CREATE POLICY portal_self ON patient_keys AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR patient_id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR patient_id = haven_current_patient());
CREATE POLICY portal_self ON audit_events AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR patient_id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR patient_id = haven_current_patient());

-- The practice's policy for patients and break-the-glass. Patients' second factor is off by
-- default (the lead's answer to §9.3: patients are invited and sign in rarely; the practice can
-- turn it on). A break-the-glass grant lasts 60 minutes unless the practice chooses 15–240.
ALTER TABLE organisations ADD COLUMN break_glass_minutes integer NOT NULL DEFAULT 60
  CHECK (break_glass_minutes BETWEEN 15 AND 240);
ALTER TABLE organisations ADD COLUMN patient_second_factor_required boolean NOT NULL DEFAULT false;
