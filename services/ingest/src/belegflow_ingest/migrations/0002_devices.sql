-- Edge devices: slots an operator released, one-time pairing codes, NATS credentials, number ranges,
-- sync sessions, receipts per device sequence and chunks of larger uploads.
CREATE TABLE devices (
    tenant          text        NOT NULL,
    device          text        NOT NULL,
    name            text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('released', 'paired', 'revoked')),
    nats_user       text        UNIQUE,
    password_hash   text,
    hostname        text,
    agent_version   text,
    released_at     timestamptz NOT NULL,
    paired_at       timestamptz,
    revoked_at      timestamptz,
    last_contact    timestamptz,
    backlog         integer,
    PRIMARY KEY (tenant, device),
    CHECK (state <> 'paired' OR (nats_user IS NOT NULL AND password_hash IS NOT NULL))
);

-- only the hash of a code is kept; a code opens one slot once
CREATE TABLE pairing_codes (
    code_hash  text        PRIMARY KEY,
    tenant     text        NOT NULL,
    device     text        NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    FOREIGN KEY (tenant, device) REFERENCES devices (tenant, device)
);
CREATE INDEX pairing_codes_slot ON pairing_codes (tenant, device);

-- Number ranges (Nummernkreise): one row per tenant and series hands out the next free number; blocks of
-- one series can never overlap: each block is a degenerate box (x = series id, y = first..last) and a
-- gist exclusion constraint refuses two boxes that share a point.
CREATE TABLE number_series (
    id         bigserial PRIMARY KEY,
    tenant     text      NOT NULL,
    series     text      NOT NULL CHECK (series ~ '^[A-Z0-9]{1,16}$'),
    next_first bigint    NOT NULL DEFAULT 1 CHECK (next_first >= 1),
    UNIQUE (tenant, series)
);

CREATE TABLE number_blocks (
    id           bigserial   PRIMARY KEY,
    series_id    bigint      NOT NULL REFERENCES number_series (id),
    device       text        NOT NULL,
    first        bigint      NOT NULL CHECK (first >= 1),
    last         bigint      NOT NULL,
    allocated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (last >= first),
    -- float8 coordinates are exact for integers below 2^53
    CHECK (last < 9007199254740992),
    EXCLUDE USING gist ((box(point(series_id, first), point(series_id, last))) WITH &&)
);
CREATE INDEX number_blocks_series ON number_blocks (series_id, first);

CREATE TABLE device_sessions (
    session_id uuid        PRIMARY KEY,
    tenant     text        NOT NULL,
    device     text        NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    result     text        NOT NULL,
    body       jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_sessions_device ON device_sessions (tenant, device, started_at DESC);

-- what ingest answered per (tenant, device, sequence): a resend gets the same answer, a week later too
CREATE TABLE device_receipts (
    tenant      text        NOT NULL,
    device      text        NOT NULL,
    sequence    bigint      NOT NULL,
    sha256      text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('accepted', 'duplicate', 'rejected')),
    document_id uuid,
    reason      text,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, device, sequence)
);

CREATE TABLE upload_chunks (
    tenant   text    NOT NULL,
    device   text    NOT NULL,
    sequence bigint  NOT NULL,
    sha256   text    NOT NULL,
    index    integer NOT NULL CHECK (index >= 0),
    count    integer NOT NULL CHECK (count >= 1),
    size     bigint  NOT NULL,
    data     bytea   NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, device, sequence, sha256, index),
    CHECK (index < count)
);

-- what the device recorded at capture (document number, type, description, capture time)
ALTER TABLE documents ADD COLUMN capture jsonb;
