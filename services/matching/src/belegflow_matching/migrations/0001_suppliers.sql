-- Supplier master data per tenant, and the result of matching each document revision.
CREATE TABLE suppliers (
    tenant           text        NOT NULL,
    supplier_number  text        NOT NULL,
    name             text        NOT NULL,
    name_key         text        NOT NULL,
    street           text,
    postal_code      text,
    city             text,
    country          text,
    vat_id           text,
    gl_account       text,
    cost_center      text,
    tax_key          text,
    amount_tolerance numeric     NOT NULL DEFAULT 0 CHECK (amount_tolerance >= 0),
    batch_id         uuid,
    source           text,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, supplier_number)
);
CREATE INDEX suppliers_vat_id ON suppliers (tenant, vat_id) WHERE vat_id IS NOT NULL;
CREATE INDEX suppliers_name_key ON suppliers (tenant, name_key);

-- One IBAN identifies one supplier of a tenant: the primary key says so.
CREATE TABLE supplier_ibans (
    tenant          text    NOT NULL,
    iban            text    NOT NULL,
    supplier_number text    NOT NULL,
    position        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, iban),
    FOREIGN KEY (tenant, supplier_number) REFERENCES suppliers (tenant, supplier_number) ON DELETE CASCADE
);
CREATE INDEX supplier_ibans_supplier ON supplier_ibans (tenant, supplier_number);

CREATE TABLE matches (
    document_id     uuid        NOT NULL,
    revision        integer     NOT NULL CHECK (revision >= 1),
    tenant          text        NOT NULL,
    supplier_number text,
    matched_by      text        CHECK (matched_by IN ('iban', 'vat_id', 'name')),
    confidence      double precision,
    decision        text        NOT NULL CHECK (decision IN ('touchless', 'review')),
    reasons         jsonb       NOT NULL DEFAULT '[]',
    matched_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, revision)
);
CREATE INDEX matches_tenant_supplier ON matches (tenant, supplier_number);
