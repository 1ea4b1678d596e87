-- Documents, their lifecycle and protocol (the read model clerks and integrators query).
CREATE TABLE documents (
    id              uuid        PRIMARY KEY,
    tenant          text        NOT NULL,
    sha256          text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size            bigint      NOT NULL CHECK (size > 0),
    media_type      text        NOT NULL,
    filename        text        NOT NULL,
    source          text        NOT NULL,
    device          text,
    device_sequence bigint,
    bucket          text        NOT NULL,
    object_key      text        NOT NULL,
    status          text        NOT NULL,
    revision        integer     NOT NULL DEFAULT 1,
    reader          text,
    fields          jsonb,
    supplier        jsonb,
    assignments     jsonb,
    export          jsonb,
    received_at     timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, sha256)
);
CREATE INDEX documents_tenant_status ON documents (tenant, status);

CREATE TABLE protocol (
    id          bigserial   PRIMARY KEY,
    document_id uuid        NOT NULL REFERENCES documents (id),
    step        text        NOT NULL,
    at          timestamptz NOT NULL,
    level       text        NOT NULL,
    message     text        NOT NULL,
    data        jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX protocol_document ON protocol (document_id, id);
