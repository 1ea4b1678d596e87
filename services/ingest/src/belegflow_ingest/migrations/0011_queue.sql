-- The desk's queue with a full tenant: what it searches, filters and sorts by, kept beside the read model's JSON
-- (generated from it, so every writer keeps them right), and the indexes that answer a page without a scan.
-- The reviewed value wins over the read one; a malformed amount is no amount rather than a failed update.
ALTER TABLE documents
    ADD COLUMN q_supplier_number text GENERATED ALWAYS AS (
        COALESCE(review -> 'supplier' ->> 'supplier_number', supplier -> 'supplier' ->> 'supplier_number')) STORED,
    ADD COLUMN q_supplier_name text GENERATED ALWAYS AS (lower(COALESCE(
        review -> 'supplier' ->> 'name', supplier -> 'supplier' ->> 'name',
        fields -> 'fields' -> 'supplier_name' ->> 'value'))) STORED,
    ADD COLUMN q_invoice_number text GENERATED ALWAYS AS (COALESCE(
        review -> 'invoice' ->> 'invoice_number', fields -> 'fields' -> 'invoice_number' ->> 'value')) STORED,
    ADD COLUMN q_invoice_date text GENERATED ALWAYS AS (COALESCE(
        review -> 'invoice' ->> 'invoice_date', fields -> 'fields' -> 'invoice_date' ->> 'value')) STORED,
    ADD COLUMN q_gross numeric GENERATED ALWAYS AS (CASE WHEN COALESCE(
        review -> 'invoice' ->> 'gross_amount', fields -> 'fields' -> 'gross_amount' ->> 'value')
        ~ '^-?[0-9]{1,15}(\.[0-9]{1,6})?$' THEN COALESCE(
        review -> 'invoice' ->> 'gross_amount', fields -> 'fields' -> 'gross_amount' ->> 'value')::numeric END) STORED;

-- a page of a status, newest or oldest first (the default), and by amount
CREATE INDEX documents_queue_received ON documents (tenant, status, received_at, id);
CREATE INDEX documents_queue_gross ON documents (tenant, status, q_gross, id);
-- searches
CREATE INDEX documents_queue_supplier_number ON documents (tenant, q_supplier_number);
CREATE INDEX documents_queue_supplier_name ON documents (tenant, q_supplier_name text_pattern_ops);
CREATE INDEX documents_queue_invoice_number ON documents (tenant, q_invoice_number text_pattern_ops);
CREATE INDEX documents_queue_invoice_date ON documents (tenant, q_invoice_date);
