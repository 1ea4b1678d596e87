-- Creditors' line templates (LineTemplateV1): how their collective invoices list items and references.
CREATE TABLE line_templates (
    tenant          text        NOT NULL,
    supplier_number text        NOT NULL,
    supplier_keys   text[]      NOT NULL,
    template        jsonb       NOT NULL,
    imported_by     text        NOT NULL,
    imported_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant, supplier_number)
);
CREATE INDEX line_templates_keys ON line_templates USING gin (supplier_keys);

