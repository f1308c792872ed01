-- Issue 4: a second factor is required for staff by default. New practices start with the rule
-- on; existing ones are switched on too (an owner who wants it off must now say so), because a
-- stolen password alone must not open health data. Row-level security is lifted for the owner
-- only for this one statement: the migration touches every practice on purpose.
ALTER TABLE organisations ALTER COLUMN second_factor_required SET DEFAULT true;
ALTER TABLE organisations NO FORCE ROW LEVEL SECURITY;
UPDATE organisations SET second_factor_required = true WHERE NOT second_factor_required;
ALTER TABLE organisations FORCE ROW LEVEL SECURITY;
