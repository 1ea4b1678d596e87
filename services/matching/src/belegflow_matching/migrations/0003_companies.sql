-- The tenant's own companies (legal entities) invoices are addressed to; name and aliases as name keys.
CREATE TABLE companies (
    tenant         text        NOT NULL,
    company_number text        NOT NULL,
    name           text        NOT NULL,
    aliases        text[]      NOT NULL DEFAULT '{}',
    vat_id         text,
    street         text,
    postal_code    text,
    city           text,
    country        text,
    batch_id       uuid,
    source         text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, company_number)
);
