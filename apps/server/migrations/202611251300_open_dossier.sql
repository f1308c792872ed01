-- Issue 5, increment 18 (docs/design/patients-and-dossiers.md §6.2): the dossier read in one
-- statement. GET /patients/:id/dossier was ~6 round trips on the house path (BEGIN, set_config,
-- facts, header + key + page, audit row, COMMIT); this function does the same work in one.
--
-- One rule, two evaluators: the policy stays in TypeScript (core/authz/policies.ts). Node computes
-- the Requirement (`requirementFor(principal, 'dossier', 'read')`) and passes it in; this function
-- only loads the facts exactly as `loadPatientFacts` does and evaluates that Requirement exactly as
-- `satisfies` does. It accepts only the requirements a dossier read can have and raises on any
-- other, so a bug in Node cannot widen it to 'practice'. dossier-read.parity.int.test.ts runs every
-- Requirement × facts combination through both evaluators.
--
-- The audit row is the one `appendAudit` writes for the same event, column for column: the
-- refusal (`access.denied`, only for a patient of this practice, as `decidePatientAccess` does) or
-- `dossier.viewed` (with `break_glass:<grant>` as its reason under a grant). Its id comes from the
-- same sequence default; the hash chain is not computed here because requests never compute it:
-- the audit sealer chains each practice's new rows in id order after they commit
-- (core/audit/sealer.ts), whoever inserted them.
--
-- Context first, `is_local = true`: the settings end with the statement's implicit transaction
-- (see core/db/functions.ts). SECURITY INVOKER: row-level security and haven_app's grants apply.
-- `app.patient_id` is the wall `withPatientAccess` puts around a patient's transactions
-- (`portalWall`): p_self_patient, the session's own patient, for a patient in the portal; empty
-- for staff. Behind it another patient's row is simply not there, as on the house path.
--
-- Returns rows in this order: one 'denied' row (code, reason) and nothing else; or one 'patient'
-- row (basis and grant, the sealed header, the wrapped patient key) followed by at most p_limit
-- 'entry' rows, newest first (filters: kind, author = creator's account; keyset: before). Names
-- beside entries are the accounts' sealed names (platform key), opened in Node.
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
  SELECT p.status,
         EXISTS (SELECT 1 FROM care_team_members c
                  WHERE c.org_id = p.org_id AND c.patient_id = p.id AND c.membership_id = p_membership),
         g.id, g.expires_at
    INTO v_status, v_in_team, v_grant_id, v_grant_expires
    FROM patients p
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
  SELECT p.id, p.name, p.birth_date, p.national_id_kind, p.national_id, p.status, k.wrapped_key, k.org_key_version
    INTO id, name, birth_date, national_id_kind, national_id, status, wrapped_key, org_key_version
    FROM patients p
    JOIN patient_keys k ON k.org_id = p.org_id AND k.patient_id = p.id
   WHERE p.org_id = p_org AND p.id = p_patient;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'haven_open_dossier: an authorised patient has no key';
  END IF;
  RETURN NEXT;

  RETURN QUERY
    SELECT 'entry'::text, NULL::text, NULL::text, NULL::text, NULL::uuid, NULL::timestamptz,
           e.id, NULL::bytea, NULL::bytea, NULL::text, NULL::bytea, e.status, NULL::bytea, NULL::integer,
           e.kind, e.current_version, e.effective_at, e.created_at, e.updated_at,
           e.created_by_account_id, cb.name,
           e.entered_in_error_at, e.entered_in_error_by_account_id, eb.name, e.entered_in_error_reason,
           v.content, v.document_id, v.author_account_id, v.author_role, au.name,
           v.on_behalf_of_account_id, ob.name
      FROM dossier_entries e
      JOIN entry_versions v ON v.org_id = e.org_id AND v.entry_id = e.id AND v.version = e.current_version
      JOIN accounts cb ON cb.id = e.created_by_account_id
      JOIN accounts au ON au.id = v.author_account_id
      LEFT JOIN accounts ob ON ob.id = v.on_behalf_of_account_id
      LEFT JOIN accounts eb ON eb.id = e.entered_in_error_by_account_id
     WHERE e.org_id = p_org AND e.patient_id = p_patient
       AND (p_kind IS NULL OR e.kind = p_kind)
       AND (p_author IS NULL OR e.created_by_account_id = p_author)
       AND (p_before_id IS NULL OR (e.effective_at, e.id) < (p_before_effective, p_before_id))
     ORDER BY e.effective_at DESC, e.id DESC
     LIMIT p_limit;
END $$;

REVOKE ALL ON FUNCTION haven_open_dossier(uuid, uuid, uuid, text, uuid, uuid, text, timestamptz, integer, timestamptz, uuid, text, uuid, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_open_dossier(uuid, uuid, uuid, text, uuid, uuid, text, timestamptz, integer, timestamptz, uuid, text, uuid, text, text, text) TO haven_app;
