-- Review page sessions live here, so every ingest replica sees a sign-out at once: a session is valid only
-- while its row exists. The cookie (signed with BELEGFLOW_SESSION_SECRET) names the session; its row is
-- keyed by the SHA-256 of the cookie's payload, so this table holds nothing that opens a session.
CREATE TABLE desk_sessions (
    id         text        PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    user_name  text        NOT NULL REFERENCES http_users (name) ON DELETE CASCADE ON UPDATE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX desk_sessions_user ON desk_sessions (user_name);
CREATE INDEX desk_sessions_expiry ON desk_sessions (expires_at);

-- Whatever changes a user's password (or disables the user) ends every session of that user, whichever
-- program writes the row: the operator CLI, a migration, or SQL by hand.
-- (as its owner, so a role that may only write http_users still ends the sessions)
CREATE FUNCTION end_desk_sessions() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash OR NEW.disabled_at IS DISTINCT FROM OLD.disabled_at THEN
        DELETE FROM desk_sessions WHERE user_name = NEW.name;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER http_users_end_sessions AFTER UPDATE OF password_hash, disabled_at ON http_users
    FOR EACH ROW EXECUTE FUNCTION end_desk_sessions();

-- Failed sign-ins (passwords and API keys), counted per user from an address, per address and per API key,
-- shared by every replica. ``key`` is '<scope>:<what>'. A row is forgotten after a quiet while
-- (BELEGFLOW_LOCKOUT_FORGET_S); ``locked_until`` is when the next attempt is heard again.
CREATE TABLE auth_failures (
    key             text        PRIMARY KEY,
    failures        integer     NOT NULL CHECK (failures > 0),
    last_failure_at timestamptz NOT NULL,
    locked_until    timestamptz
);
CREATE INDEX auth_failures_last ON auth_failures (last_failure_at);
