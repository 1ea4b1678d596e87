-- Who may use the HTTP API: local users (Argon2id password hash) and API keys (SHA-256 of the secret).
-- Each holds roles and the tenants it acts for ('*': every tenant). Nothing here can be read back as a secret.
CREATE TABLE http_users (
    name          text        PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._@-]{0,63}$'),
    password_hash text        NOT NULL,
    roles         text[]      NOT NULL CHECK (cardinality(roles) > 0),
    tenants       text[]      NOT NULL CHECK (cardinality(tenants) > 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

CREATE TABLE api_keys (
    key_id        text        PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{12}$'),
    name          text        NOT NULL,
    secret_sha256 text        NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
    roles         text[]      NOT NULL CHECK (cardinality(roles) > 0),
    tenants       text[]      NOT NULL CHECK (cardinality(tenants) > 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
