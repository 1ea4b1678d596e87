-- Accruals (Rückstellungen) per tenant and which invoice line took each one.
CREATE TABLE accruals (
    tenant            text        NOT NULL,
    accrual_number    text        NOT NULL,
    supplier_number   text        NOT NULL,
    reference         text        NOT NULL CHECK (reference <> '' AND reference !~ '\s' AND reference = upper(reference)),
    reference_raw     text        NOT NULL,
    amount            numeric     NOT NULL,
    currency          text        NOT NULL DEFAULT 'EUR' CHECK (length(currency) = 3),
    status            text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'assigned', 'resolved')),
    assigned_document uuid,
    assigned_revision integer,
    assigned_line     integer,
    assigned_at       timestamptz,
    batch_id          uuid,
    source            text,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, accrual_number),
    CHECK (status <> 'open' OR assigned_document IS NULL)
);
CREATE INDEX accruals_lookup ON accruals (tenant, supplier_number, reference);
CREATE INDEX accruals_document ON accruals (tenant, assigned_document) WHERE assigned_document IS NOT NULL;
