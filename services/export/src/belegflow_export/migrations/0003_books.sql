-- The archive's index: a hash chain per tenant (the bucket holds the other copy), and its head, locked by writers.
CREATE TABLE archive_heads (
    tenant text    PRIMARY KEY,
    seq    bigint  NOT NULL DEFAULT 0,
    sha256 text    NOT NULL
);
CREATE TABLE archive_index (
    tenant      text   NOT NULL,
    seq         bigint NOT NULL CHECK (seq >= 1),
    body        text   NOT NULL,
    sha256      text   NOT NULL,
    document_id uuid,
    kind        text   NOT NULL,
    object_key  text   NOT NULL,
    PRIMARY KEY (tenant, seq)
);
CREATE INDEX archive_index_document ON archive_index (document_id) WHERE document_id IS NOT NULL;
CREATE INDEX archive_index_object ON archive_index (tenant, object_key);
-- Append-only: the chain is never changed in place.
CREATE FUNCTION archive_index_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'archive_index is append-only';
END $$;
CREATE TRIGGER archive_index_append_only BEFORE UPDATE OR DELETE ON archive_index
    FOR EACH ROW EXECUTE FUNCTION archive_index_append_only();

-- DATEV runs: one row per batch written (or per empty run), and which invoice revision went out in which batch.
CREATE TABLE datev_batches (
    batch_id      uuid        PRIMARY KEY,
    tenant        text        NOT NULL,
    period        text        NOT NULL,
    trigger       text        NOT NULL CHECK (trigger IN ('on-demand', 'schedule')),
    requested_by  text        NOT NULL,
    created_at    timestamptz NOT NULL,
    bookings      integer     NOT NULL,
    invoices      integer     NOT NULL,
    skipped       jsonb       NOT NULL DEFAULT '[]',
    extf_key      text,
    extf_sha256   text,
    documents_key text
);
CREATE INDEX datev_batches_tenant ON datev_batches (tenant, period);
CREATE TABLE datev_exported (
    document_id uuid        NOT NULL,
    revision    integer     NOT NULL,
    tenant      text        NOT NULL,
    batch_id    uuid        NOT NULL REFERENCES datev_batches (batch_id),
    reexport    boolean     NOT NULL DEFAULT false,
    reason      text,
    by          text        NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (document_id, batch_id)
);
-- An invoice goes to DATEV once; every further time is a re-export a person asked for, with the reason.
CREATE UNIQUE INDEX datev_exported_once ON datev_exported (document_id) WHERE NOT reexport;
CREATE INDEX revisions_tenant_state ON revisions (tenant, state);
