-- "Lock now": a person leaving a shared desk locks their session at once. A locked session
-- answers SESSION_LOCKED until the password unlocks it, exactly like one locked by idleness.
ALTER TABLE sessions ADD COLUMN locked_at timestamptz;
