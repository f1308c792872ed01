-- The erasure ledger: every shredded key, so that a restore from a backup taken before the
-- shredding can re-apply it. The table travels with the database; its twin is an append-only
-- file under the data directory (outside database backups), which is what a restore reads.
CREATE TABLE erasure_ledger (
  org_id uuid NOT NULL,
  id uuid NOT NULL,
  key_kind text NOT NULL CHECK (key_kind IN ('patient', 'organisation')),
  subject_id uuid NOT NULL,
  shredded_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, id)
);

GRANT SELECT, INSERT ON erasure_ledger TO haven_app;

ALTER TABLE erasure_ledger ENABLE ROW LEVEL SECURITY;
ALTER TABLE erasure_ledger FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON erasure_ledger
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
