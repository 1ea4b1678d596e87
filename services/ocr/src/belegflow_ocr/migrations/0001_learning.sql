-- What recognition learned from clerks' approvals: per tenant, supplier and layout, the rule for each field.
CREATE TABLE learned_layouts (
    id              bigserial   PRIMARY KEY,
    tenant          text        NOT NULL,
    supplier_number text        NOT NULL,
    supplier_name   text        NOT NULL,
    supplier_keys   text[]      NOT NULL,
    fingerprint     text        NOT NULL,
    tokens          text[]      NOT NULL,
    fields          jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, supplier_number, fingerprint)
);
CREATE INDEX learned_layouts_keys ON learned_layouts USING gin (supplier_keys);

-- Values a clerk corrected on a revision before approving it: the approval learns them as corrections.
CREATE TABLE learning_corrections (
    tenant      text        NOT NULL,
    document_id uuid        NOT NULL,
    revision    integer     NOT NULL,
    field       text        NOT NULL,
    by_whom     text        NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (document_id, revision, field)
);

-- Append-only: every layout learned, changed, demoted or forgotten, and every line template imported (layout_id 0),
-- by whom and when.
CREATE TABLE learning_audit (
    id              bigserial   PRIMARY KEY,
    tenant          text        NOT NULL,
    layout_id       bigint      NOT NULL,
    supplier_number text        NOT NULL,
    fingerprint     text        NOT NULL,
    action          text        NOT NULL CHECK (action IN ('learned', 'demoted', 'forgotten', 'template-imported')),
    by_whom         text        NOT NULL,
    at              timestamptz NOT NULL DEFAULT now(),
    detail          text        NOT NULL DEFAULT ''
);
CREATE INDEX learning_audit_tenant ON learning_audit (tenant, at);
