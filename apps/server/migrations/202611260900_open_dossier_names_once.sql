-- Issue 5, the dossier read made lighter (bench/results/dossiers.md): the same decision, the same
-- audit row and the same answer as 202611251300_open_dossier.sql, with two changes measured on
-- the 2-core machine:
--   * The names of the people on the page come once per account, as 'account' rows after the
--     entries, instead of joined into every entry row (four accounts lookups and up to four
--     sealed names per entry; a page is mostly one or two people). Entry rows carry the account
--     ids and NULL in the *_name columns.
--   * The patient's sealed header and wrapped key are read with the facts, in the first query,
--     instead of by a second one after the decision.
-- Rows: 'denied' alone; or 'patient', then at most p_limit 'entry' rows newest first, then one
-- 'account' row (id, name) per distinct account named on those entries.
DROP FUNCTION haven_open_dossier(uuid, uuid, uuid, text, uuid, uuid, text, timestamptz, integer, timestamptz, uuid, text, uuid, text, text, text);

CREATE FUNCTION haven_open_dossier(
  p_org uuid,
  p_patient uuid,
  p_actor uuid,
  p_actor_role text,
  p_membership uuid,
  p_self_patient uuid,
  p_requirement text,
  p_now timestamptz,
  p_limit integer,
  p_before_effective timestamptz,
  p_before_id uuid,
  p_kind text,
  p_author uuid,
  p_request_id text,
  p_ip text,
  p_user_agent text)
RETURNS TABLE (
  row_kind text,
  code text,
  reason text,
  basis text,
  grant_id uuid,
  grant_expires_at timestamptz,
  id uuid,
  name bytea,
  birth_date bytea,
  national_id_kind text,
  national_id bytea,
  status text,
  wrapped_key bytea,
  org_key_version integer,
  kind text,
  current_version integer,
  effective_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  created_by_account_id uuid,
  created_by_name bytea,
  entered_in_error_at timestamptz,
  entered_in_error_by_account_id uuid,
  entered_in_error_by_name bytea,
  entered_in_error_reason bytea,
  content bytea,
  document_id uuid,
  author_account_id uuid,
  author_role text,
  author_name bytea,
  on_behalf_of_account_id uuid,
  on_behalf_of_name bytea)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
#variable_conflict use_column
DECLARE
  v_status text;
  v_in_team boolean;
  v_grant_id uuid;
  v_grant_expires timestamptz;
  v_code text;
  v_reason text;
  v_basis text;
  v_name bytea;
  v_birth_date bytea;
  v_national_id_kind text;
  v_national_id bytea;
  v_wrapped_key bytea;
  v_org_key_version integer;
  v_has_key boolean;
BEGIN
  IF p_requirement IS NULL OR p_requirement NOT IN ('care_team_or_grant', 'self', 'deny') THEN
    RAISE EXCEPTION 'haven_open_dossier: a dossier read cannot have requirement %', coalesce(p_requirement, 'NULL')
      USING ERRCODE = '22023';
  END IF;
  PERFORM set_config('role', 'haven_app', true),
          set_config('app.org_id', p_org::text, true),
          set_config('app.scope', 'request', true),
          set_config('app.patient_id', coalesce(p_self_patient::text, ''), true);

  -- The facts, as core/authz/authorize.ts#loadPatientFacts loads them.
  -- With them, the sealed header and the wrapped key, used only once the decision allows.
  SELECT p.status,
         EXISTS (SELECT 1 FROM care_team_members c
                  WHERE c.org_id = p.org_id AND c.patient_id = p.id AND c.membership_id = p_membership),
         g.id, g.expires_at,
         p.name, p.birth_date, p.national_id_kind, p.national_id, k.wrapped_key, k.org_key_version, (k.patient_id IS NOT NULL) AS has_key
    INTO v_status, v_in_team, v_grant_id, v_grant_expires,
         v_name, v_birth_date, v_national_id_kind, v_national_id, v_wrapped_key, v_org_key_version, v_has_key
    FROM patients p
    LEFT JOIN patient_keys k ON k.org_id = p.org_id AND k.patient_id = p.id
    LEFT JOIN LATERAL (
      SELECT b.id, b.expires_at FROM break_glass_grants b
       WHERE b.org_id = p.org_id AND b.patient_id = p.id AND b.membership_id = p_membership
         AND b.ended_at IS NULL AND b.expires_at > p_now
       ORDER BY b.expires_at DESC LIMIT 1) g ON true
   WHERE p.org_id = p_org AND p.id = p_patient;

  -- The Requirement, in the order core/authz/policies.ts#satisfies evaluates it.
  IF v_status IS NULL OR v_status = 'erased' THEN
    v_code := 'PATIENT_NOT_FOUND'; v_reason := 'not_found';
  ELSIF p_requirement = 'deny' THEN
    v_code := 'FORBIDDEN'; v_reason := 'no_permission';
  ELSIF p_requirement = 'self' THEN
    IF p_self_patient IS NOT NULL AND p_self_patient = p_patient THEN
      v_basis := 'self';
    ELSE
      v_code := 'PATIENT_NOT_FOUND'; v_reason := 'not_self';
    END IF;
  ELSIF v_in_team THEN
    v_basis := 'care_team';
  ELSIF v_grant_id IS NOT NULL THEN
    v_basis := 'break_glass';
  ELSE
    v_code := 'CARE_TEAM_REQUIRED'; v_reason := 'not_in_care_team';
  END IF;

  IF v_code IS NOT NULL THEN
    -- A refusal at a patient of this practice is recorded (it appears in their access log); an
    -- id that names no patient here is not (it may be another practice's).
    IF v_status IS NOT NULL THEN
      INSERT INTO audit_events (org_id, occurred_at, actor_account_id, actor_role, on_behalf_of, action, resource_type,
                                resource_id, patient_id, outcome, ip, user_agent, request_id, changed_fields, reason)
      VALUES (p_org, p_now, p_actor, p_actor_role, NULL, 'access.denied', 'dossier',
              p_patient::text, p_patient, 'denied', p_ip, p_user_agent, p_request_id, '{}', v_reason || ':read');
    END IF;
    row_kind := 'denied'; code := v_code; reason := v_reason;
    RETURN NEXT;
    RETURN;
  END IF;

  INSERT INTO audit_events (org_id, occurred_at, actor_account_id, actor_role, on_behalf_of, action, resource_type,
                            resource_id, patient_id, outcome, ip, user_agent, request_id, changed_fields, reason)
  VALUES (p_org, p_now, p_actor, p_actor_role, NULL, 'dossier.viewed', 'dossier',
          p_patient::text, p_patient, 'success', p_ip, p_user_agent, p_request_id, '{}',
          CASE WHEN v_basis = 'break_glass' THEN 'break_glass:' || v_grant_id::text END);

  row_kind := 'patient'; basis := v_basis;
  IF v_basis = 'break_glass' THEN
    grant_id := v_grant_id; grant_expires_at := v_grant_expires;
  END IF;
  IF NOT v_has_key THEN
    RAISE EXCEPTION 'haven_open_dossier: an authorised patient has no key';
  END IF;
  id := p_patient; status := v_status;
  name := v_name; birth_date := v_birth_date;
  national_id_kind := v_national_id_kind; national_id := v_national_id;
  wrapped_key := v_wrapped_key; org_key_version := v_org_key_version;
  RETURN NEXT;

  -- The page, then each account named on it once. 'entry' sorts after 'account' descending, so
  -- the entries come first, newest first; the account rows have no effective_at and come last.
  RETURN QUERY
    WITH page AS MATERIALIZED (
      SELECT e.id, e.status, e.kind, e.current_version, e.effective_at, e.created_at, e.updated_at,
             e.created_by_account_id, e.entered_in_error_at, e.entered_in_error_by_account_id, e.entered_in_error_reason,
             v.content, v.document_id, v.author_account_id, v.author_role, v.on_behalf_of_account_id
        FROM dossier_entries e
        JOIN entry_versions v ON v.org_id = e.org_id AND v.entry_id = e.id AND v.version = e.current_version
       WHERE e.org_id = p_org AND e.patient_id = p_patient
         AND (p_kind IS NULL OR e.kind = p_kind)
         AND (p_author IS NULL OR e.created_by_account_id = p_author)
         AND (p_before_id IS NULL OR (e.effective_at, e.id) < (p_before_effective, p_before_id))
       ORDER BY e.effective_at DESC, e.id DESC
       LIMIT p_limit)
    SELECT u.* FROM (
      SELECT 'entry'::text AS row_kind, NULL::text, NULL::text, NULL::text, NULL::uuid, NULL::timestamptz,
             pg.id, NULL::bytea, NULL::bytea, NULL::text, NULL::bytea, pg.status, NULL::bytea, NULL::integer,
             pg.kind, pg.current_version, pg.effective_at AS sort_at, pg.created_at, pg.updated_at,
             pg.created_by_account_id, NULL::bytea,
             pg.entered_in_error_at, pg.entered_in_error_by_account_id, NULL::bytea, pg.entered_in_error_reason,
             pg.content, pg.document_id, pg.author_account_id, pg.author_role, NULL::bytea,
             pg.on_behalf_of_account_id, NULL::bytea
        FROM page pg
      UNION ALL
      SELECT 'account'::text, NULL::text, NULL::text, NULL::text, NULL::uuid, NULL::timestamptz,
             a.id, a.name, NULL::bytea, NULL::text, NULL::bytea, NULL::text, NULL::bytea, NULL::integer,
             NULL::text, NULL::integer, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,
             NULL::uuid, NULL::bytea,
             NULL::timestamptz, NULL::uuid, NULL::bytea, NULL::bytea,
             NULL::bytea, NULL::uuid, NULL::uuid, NULL::text, NULL::bytea,
             NULL::uuid, NULL::bytea
        FROM accounts a
       WHERE a.id IN (SELECT unnest(ARRAY[pg.created_by_account_id, pg.author_account_id, pg.on_behalf_of_account_id, pg.entered_in_error_by_account_id]) FROM page pg)
    ) u
    ORDER BY u.row_kind DESC, u.sort_at DESC, u.id DESC;
END $$;

REVOKE ALL ON FUNCTION haven_open_dossier(uuid, uuid, uuid, text, uuid, uuid, text, timestamptz, integer, timestamptz, uuid, text, uuid, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_open_dossier(uuid, uuid, uuid, text, uuid, uuid, text, timestamptz, integer, timestamptz, uuid, text, uuid, text, text, text) TO haven_app;
