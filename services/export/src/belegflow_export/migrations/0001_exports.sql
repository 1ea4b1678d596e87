-- One TMS export per invoice revision, ever: the unique key is the exactly-once guard beyond the broker's window.
CREATE TABLE tms_exports (
    document_id     uuid        NOT NULL,
    revision        integer     NOT NULL,
    tenant          text        NOT NULL,
    invoice_number  text,
    supplier_number text,
    bucket          text        NOT NULL,
    object_key      text        NOT NULL,
    sha256          text        NOT NULL,
    exported_at     timestamptz NOT NULL,
    PRIMARY KEY (document_id, revision)
);
CREATE INDEX tms_exports_tenant ON tms_exports (tenant, exported_at);
