-- Issue 5: care teams and break-the-glass (docs/design/patients-and-dossiers.md §1.4, §2).

-- Who treats a patient: care-team-scoped permissions (dossier:*, document:*) reach a patient only
-- through a row here or an unexpired grant below. Removal deletes the row (and is audited).
CREATE TABLE care_team_members (
  org_id uuid NOT NULL REFERENCES organisations (id),
  patient_id uuid NOT NULL,
  membership_id uuid NOT NULL,
  role_in_team text NOT NULL CHECK (role_in_team IN ('responsible', 'member')),
  added_by_account_id uuid NOT NULL REFERENCES accounts (id),
  added_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, patient_id, membership_id),
  FOREIGN KEY (org_id, patient_id) REFERENCES patients (org_id, id),
  FOREIGN KEY (org_id, membership_id) REFERENCES memberships (org_id, id)
);
-- "My patients".
CREATE INDEX care_team_members_membership_idx ON care_team_members (org_id, membership_id);

-- Emergency access outside the care team, for break_glass_minutes. The reason code is clear (it
-- goes into the audit record); the free text may hold health data and is sealed under the
-- patient key. A grant is never changed except to end it early.
CREATE TABLE break_glass_grants (
  org_id uuid NOT NULL REFERENCES organisations (id),
  id uuid NOT NULL,
  patient_id uuid NOT NULL,
  membership_id uuid NOT NULL,
  account_id uuid NOT NULL REFERENCES accounts (id),
  reason_code text NOT NULL CHECK (reason_code IN ('emergency', 'continuity_of_care', 'patient_request', 'other')),
  reason_text bytea,
  granted_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, patient_id) REFERENCES patients (org_id, id),
  FOREIGN KEY (org_id, membership_id) REFERENCES memberships (org_id, id),
  CHECK (expires_at > granted_at),
  CHECK (reason_code <> 'other' OR reason_text IS NOT NULL),
  CHECK (ended_at IS NULL OR ended_at >= granted_at)
);
CREATE INDEX break_glass_grants_lookup_idx ON break_glass_grants (org_id, patient_id, membership_id, expires_at);

GRANT SELECT, INSERT, DELETE ON care_team_members TO haven_app;
-- Only the role in the team changes in place (PUT …/care-team/:membershipId); who and when stay.
GRANT UPDATE (role_in_team) ON care_team_members TO haven_app;
GRANT SELECT, INSERT ON break_glass_grants TO haven_app;
GRANT UPDATE (ended_at) ON break_glass_grants TO haven_app;

ALTER TABLE care_team_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE care_team_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON care_team_members
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY portal_self ON care_team_members AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR patient_id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR patient_id = haven_current_patient());

ALTER TABLE break_glass_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE break_glass_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON break_glass_grants
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY portal_self ON break_glass_grants AS RESTRICTIVE
  USING (haven_current_patient() IS NULL OR patient_id = haven_current_patient())
  WITH CHECK (haven_current_patient() IS NULL OR patient_id = haven_current_patient());
