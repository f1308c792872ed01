-- Issue 5: permissions and custom roles (docs/design/patients-and-dossiers.md §1.2). A membership
-- (and an invitation) holds either a built-in role or 'custom' with the id of one of the
-- practice's own roles. Permission names are checked by the application against the catalogue
-- (packages/contracts/src/permissions.ts): a database check would need a migration per new one.

CREATE TABLE custom_roles (
  org_id uuid NOT NULL REFERENCES organisations (id),
  id uuid NOT NULL,
  -- A job title such as "Reception", never a person: kept in clear.
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
  permissions text[] NOT NULL CHECK (cardinality(permissions) > 0),
  created_by_account_id uuid NOT NULL REFERENCES accounts (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX custom_roles_name_key ON custom_roles (org_id, lower(name));

GRANT SELECT, INSERT, UPDATE, DELETE ON custom_roles TO haven_app;

ALTER TABLE custom_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE custom_roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON custom_roles
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());

-- Memberships: 'custom' exactly when a custom role is named; the key includes org_id, so a
-- membership can only name a role of its own practice. A role still in use cannot be deleted
-- (the foreign key refuses; the application answers ROLE_IN_USE first).
ALTER TABLE memberships DROP CONSTRAINT memberships_role_check;
ALTER TABLE memberships ADD CONSTRAINT memberships_role_check
  CHECK (role IN ('owner', 'admin', 'practitioner', 'assistant', 'custom'));
ALTER TABLE memberships ADD COLUMN custom_role_id uuid;
ALTER TABLE memberships ADD CONSTRAINT memberships_custom_role_check
  CHECK ((role = 'custom') = (custom_role_id IS NOT NULL));
ALTER TABLE memberships ADD CONSTRAINT memberships_custom_role_fk
  FOREIGN KEY (org_id, custom_role_id) REFERENCES custom_roles (org_id, id);
CREATE INDEX memberships_custom_role_idx ON memberships (org_id, custom_role_id) WHERE custom_role_id IS NOT NULL;

-- Invitations carry the role the invitee will get, so the same rule applies, with one
-- difference: accepted, revoked and expired invitations stay as history, and they must not keep
-- a role from ever being deleted. Deleting a role (refused while a pending invitation holds it,
-- ROLE_IN_USE) clears the id in the old ones; role 'custom' without an id then means "a custom
-- role since deleted", which can no longer be accepted.
ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check
  CHECK (role IN ('owner', 'admin', 'practitioner', 'assistant', 'custom'));
ALTER TABLE invitations ADD COLUMN custom_role_id uuid;
ALTER TABLE invitations ADD CONSTRAINT invitations_custom_role_check
  CHECK (custom_role_id IS NULL OR role = 'custom');
ALTER TABLE invitations ADD CONSTRAINT invitations_custom_role_fk
  FOREIGN KEY (org_id, custom_role_id) REFERENCES custom_roles (org_id, id) ON DELETE SET NULL (custom_role_id);
CREATE INDEX invitations_custom_role_idx ON invitations (org_id, custom_role_id) WHERE custom_role_id IS NOT NULL;
