-- Issue 5, increment 17 (docs/design/patients-and-dossiers.md §6.1 item 3): the access guard's
-- session read in one statement. `readSession` was one identity transaction of ~5 round trips
-- (BEGIN, set_config, session, enter the session's practice, membership or portal account,
-- COMMIT) on every request; this function does the same reads in one.
--
-- It reads exactly what features/sessions/repository.ts reads: the open session by its token
-- hash (`findOpenSessionByToken`); then, in the session's practice (`app.org_id` switched inside
-- the function, as `unsafeEnterTenant` does), the account's active membership with its custom
-- role's permissions and the practice's network allowlist (`findActiveMembership`), or, only
-- without one, the account's active portal account of a patient not erased
-- (`findActivePatientAccount`; staff wins where both exist). Every decision stays in the guard.
--
-- Context first, `is_local = true`, no tenant until the session names one (see
-- core/db/functions.ts). SECURITY INVOKER: row-level security and haven_app's grants apply.
-- Returns no row for an unknown or ended session, else one row.
CREATE FUNCTION haven_read_session(p_token_hash bytea)
RETURNS TABLE (
  id uuid,
  token_hash bytea,
  csrf_hash bytea,
  account_id uuid,
  org_id uuid,
  ip text,
  user_agent text,
  created_at timestamptz,
  last_active_at timestamptz,
  absolute_expires_at timestamptz,
  idle_timeout_seconds integer,
  locked_at timestamptz,
  ended_at timestamptz,
  end_reason text,
  pending text,
  reauthenticated_at timestamptz,
  device_hash bytea,
  risk_signals text[],
  hold_token_id uuid,
  membership_id uuid,
  membership_role text,
  custom_role_id uuid,
  custom_role_permissions text[],
  ip_allowlist text[],
  patient_account_id uuid,
  patient_id uuid)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
#variable_conflict use_column
DECLARE
  s sessions%ROWTYPE;
BEGIN
  PERFORM set_config('role', 'haven_app', true),
          set_config('app.org_id', '', true),
          set_config('app.scope', 'request', true),
          set_config('app.patient_id', '', true);

  SELECT * INTO s FROM sessions x WHERE x.token_hash = p_token_hash AND x.ended_at IS NULL LIMIT 1;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  id := s.id; token_hash := s.token_hash; csrf_hash := s.csrf_hash; account_id := s.account_id; org_id := s.org_id;
  ip := s.ip; user_agent := s.user_agent; created_at := s.created_at; last_active_at := s.last_active_at;
  absolute_expires_at := s.absolute_expires_at; idle_timeout_seconds := s.idle_timeout_seconds; locked_at := s.locked_at;
  ended_at := s.ended_at; end_reason := s.end_reason; pending := s.pending; reauthenticated_at := s.reauthenticated_at;
  device_hash := s.device_hash; risk_signals := s.risk_signals; hold_token_id := s.hold_token_id;

  IF s.org_id IS NOT NULL THEN
    -- Into the session's practice: row-level security now admits its rows only.
    PERFORM set_config('app.org_id', s.org_id::text, true);
    SELECT m.id, m.role, m.custom_role_id, r.permissions, o.ip_allowlist
      INTO membership_id, membership_role, custom_role_id, custom_role_permissions, ip_allowlist
      FROM memberships m
      JOIN organisations o ON o.id = m.org_id
      LEFT JOIN custom_roles r ON r.org_id = m.org_id AND r.id = m.custom_role_id
     WHERE m.org_id = s.org_id AND m.account_id = s.account_id AND m.status = 'active'
     LIMIT 1;
    IF NOT FOUND THEN
      SELECT a.id, a.patient_id
        INTO patient_account_id, patient_id
        FROM patient_accounts a
        JOIN patients p ON p.org_id = a.org_id AND p.id = a.patient_id
       WHERE a.org_id = s.org_id AND a.account_id = s.account_id AND a.status = 'active'
         AND p.status <> 'erased' AND p.erased_at IS NULL
       LIMIT 1;
    END IF;
  END IF;
  RETURN NEXT;
END $$;

REVOKE ALL ON FUNCTION haven_read_session(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_read_session(bytea) TO haven_app;
