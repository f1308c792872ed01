-- Foundation: identities, organisations (tenants), memberships, invitations, sessions,
-- one-time action tokens and the tamper-evident audit trail, with row-level security.

-- The role every request runs as (SET LOCAL ROLE haven_app in each transaction). On PostgreSQL
-- the operator may create it as a LOGIN role first (see docs/operations.md); here it is only
-- created when missing, so migrations stay idempotent across the cluster.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'haven_app') THEN
    CREATE ROLE haven_app NOLOGIN NOSUPERUSER NOINHERIT NOBYPASSRLS;
  END IF;
END
$$;

-- The tenant of the current transaction. An empty or missing setting is "no tenant": NULL
-- compares equal to nothing, so a query that forgot its tenant sees no rows at all.
CREATE FUNCTION haven_current_org() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;

-- The few cross-tenant paths (login lookup of memberships, the audit sealer and verifier)
-- run in transactions marked system scope by systemDb; they only ever get SELECT through it.
CREATE FUNCTION haven_system_scope() RETURNS boolean
  LANGUAGE sql STABLE
  AS $$ SELECT coalesce(current_setting('app.scope', true), '') = 'system' $$;

-- Global identities. Not tenant data: one person may belong to several organisations.
CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  email text NOT NULL,
  email_verified_at timestamptz,
  pending_email text,
  name text NOT NULL,
  phone text,
  profession text,
  locale text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'de', 'nl')),
  password_hash text NOT NULL,
  password_changed_at timestamptz NOT NULL,
  failed_login_count integer NOT NULL DEFAULT 0,
  throttled_until timestamptz,
  locked_until timestamptz,
  lock_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);

CREATE TABLE organisations (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  street text NOT NULL,
  postal_code text NOT NULL,
  city text NOT NULL,
  country text NOT NULL CHECK (country IN ('NL', 'DE', 'AT', 'other')),
  kind text NOT NULL,
  company_name text,
  registration_number text,
  terms_version text NOT NULL,
  terms_accepted_at timestamptz NOT NULL,
  dpa_version text NOT NULL,
  dpa_accepted_at timestamptz NOT NULL,
  accepted_by_account_id uuid NOT NULL REFERENCES accounts (id),
  password_policy_mode text NOT NULL DEFAULT 'nist' CHECK (password_policy_mode IN ('nist', 'classes')),
  password_min_length integer NOT NULL DEFAULT 12 CHECK (password_min_length BETWEEN 8 AND 64),
  idle_timeout_minutes integer NOT NULL DEFAULT 15 CHECK (idle_timeout_minutes BETWEEN 2 AND 60),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE memberships (
  org_id uuid NOT NULL REFERENCES organisations (id),
  id uuid NOT NULL,
  account_id uuid NOT NULL REFERENCES accounts (id),
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'practitioner', 'assistant')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
  created_at timestamptz NOT NULL,
  deactivated_at timestamptz,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, account_id)
);
CREATE INDEX memberships_account_idx ON memberships (account_id);

-- Single-use links (e-mail verification, password reset, invitation, e-mail change).
-- Only the SHA-256 of a token is stored; consumption is one conditional UPDATE.
CREATE TABLE action_tokens (
  id uuid PRIMARY KEY,
  purpose text NOT NULL CHECK (purpose IN ('verify_email', 'password_reset', 'invitation', 'email_change')),
  token_hash bytea NOT NULL UNIQUE,
  account_id uuid REFERENCES accounts (id),
  org_id uuid,
  email text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz
);
CREATE INDEX action_tokens_account_idx ON action_tokens (account_id, purpose) WHERE consumed_at IS NULL;

CREATE TABLE invitations (
  org_id uuid NOT NULL REFERENCES organisations (id),
  id uuid NOT NULL,
  email text NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'practitioner', 'assistant')),
  invited_by_account_id uuid NOT NULL REFERENCES accounts (id),
  token_id uuid NOT NULL REFERENCES action_tokens (id),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_account_id uuid REFERENCES accounts (id),
  revoked_at timestamptz,
  PRIMARY KEY (org_id, id)
);

-- Server-side sessions. The browser holds a random 256-bit token; only its SHA-256 is here.
CREATE TABLE sessions (
  id uuid PRIMARY KEY,
  token_hash bytea NOT NULL UNIQUE,
  csrf_hash bytea NOT NULL,
  account_id uuid NOT NULL REFERENCES accounts (id),
  org_id uuid REFERENCES organisations (id),
  ip text,
  user_agent text,
  created_at timestamptz NOT NULL,
  last_active_at timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL,
  idle_timeout_seconds integer NOT NULL,
  ended_at timestamptz,
  end_reason text
);
CREATE INDEX sessions_account_open_idx ON sessions (account_id) WHERE ended_at IS NULL;

-- The audit trail. Ids come from one sequence so inserts never wait on each other; the
-- sealer chains each organisation's records shortly after commit (see docs/audit.md).
CREATE SEQUENCE audit_events_id_seq;
CREATE TABLE audit_events (
  org_id uuid NOT NULL,
  id bigint NOT NULL DEFAULT nextval('audit_events_id_seq'),
  occurred_at timestamptz NOT NULL,
  actor_account_id uuid,
  actor_role text,
  on_behalf_of uuid,
  action text NOT NULL,
  resource_type text,
  resource_id text,
  patient_id uuid,
  outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
  ip text,
  user_agent text,
  request_id text,
  changed_fields text[] NOT NULL DEFAULT '{}',
  reason text,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at);
CREATE INDEX audit_events_org_actor_idx ON audit_events (org_id, actor_account_id, id);

CREATE TABLE audit_chain (
  org_id uuid NOT NULL,
  seq bigint NOT NULL,
  event_id bigint NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL,
  sealed_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, seq),
  UNIQUE (org_id, event_id)
);

CREATE TABLE audit_checkpoints (
  org_id uuid NOT NULL,
  seq bigint NOT NULL,
  head_hash bytea NOT NULL,
  signed_at timestamptz NOT NULL,
  key_id text NOT NULL,
  signature bytea NOT NULL,
  PRIMARY KEY (org_id, seq)
);

-- Privileges of the request role: no DDL, no DELETE anywhere, and the audit tables
-- INSERT + SELECT only, so the application itself cannot rewrite history.
GRANT USAGE ON SCHEMA public TO haven_app;
GRANT SELECT, INSERT, UPDATE ON accounts, organisations, memberships, action_tokens, invitations, sessions TO haven_app;
GRANT SELECT, INSERT ON audit_events, audit_chain, audit_checkpoints TO haven_app;
GRANT USAGE ON SEQUENCE audit_events_id_seq TO haven_app;
GRANT EXECUTE ON FUNCTION haven_current_org(), haven_system_scope() TO haven_app;

-- Row-level security: ENABLE + FORCE on every tenant table, so the table owner is bound too.
ALTER TABLE organisations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organisations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organisations
  USING (id = haven_current_org()) WITH CHECK (id = haven_current_org());
CREATE POLICY system_read ON organisations FOR SELECT USING (haven_system_scope());

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY system_read ON memberships FOR SELECT USING (haven_system_scope());

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY system_read ON audit_events FOR SELECT USING (haven_system_scope());

ALTER TABLE audit_chain ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_chain
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY system_read ON audit_chain FOR SELECT USING (haven_system_scope());

ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_checkpoints
  USING (org_id = haven_current_org()) WITH CHECK (org_id = haven_current_org());
CREATE POLICY system_read ON audit_checkpoints FOR SELECT USING (haven_system_scope());
