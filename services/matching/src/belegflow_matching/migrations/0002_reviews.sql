-- The decision on each document revision (review, approved, rejected), its version for optimistic locking,
-- the values a person corrected, and the business key duplicates are found by.
CREATE TABLE reviews (
    document_id     uuid        NOT NULL,
    revision        integer     NOT NULL CHECK (revision >= 1),
    tenant          text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('review', 'approved', 'rejected')),
    version         integer     NOT NULL CHECK (version >= 1),
    original        jsonb       NOT NULL,
    invoice         jsonb       NOT NULL,
    supplier        jsonb,
    reasons         jsonb       NOT NULL DEFAULT '[]',
    duplicate_of    uuid,
    supplier_number text,
    invoice_key     text,
    invoice_date    date,
    gross_amount    numeric,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, revision)
);
CREATE INDEX reviews_supplier_key ON reviews (tenant, supplier_number, invoice_key);
CREATE INDEX reviews_supplier_date ON reviews (tenant, supplier_number, invoice_date);
CREATE INDEX reviews_queue ON reviews (tenant, state, updated_at);

-- Append-only audit trail of every step: who, when, what changed (old and new value), why.
CREATE TABLE review_audit (
    id          bigserial   PRIMARY KEY,
    document_id uuid        NOT NULL,
    revision    integer     NOT NULL,
    version     integer     NOT NULL,
    tenant      text        NOT NULL,
    action      text        NOT NULL,
    by_whom     text        NOT NULL,
    at          timestamptz NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    changes     jsonb       NOT NULL DEFAULT '[]',
    UNIQUE (document_id, revision, version)
);

ALTER TABLE matches DROP CONSTRAINT IF EXISTS matches_matched_by_check;
