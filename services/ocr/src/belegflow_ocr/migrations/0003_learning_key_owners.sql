-- Which suppliers each IBAN or VAT ID (printed, or from master data) was approved with. An ID seen with several
-- suppliers (a factoring company's IBAN, a group's VAT ID) finds no learned layout.
CREATE TABLE learning_key_owners (
    tenant          text        NOT NULL,
    key             text        NOT NULL,
    supplier_number text        NOT NULL,
    first_seen      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, key, supplier_number)
);
