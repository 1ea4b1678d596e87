-- Creditors' tolerances, tenants' accrual settings, the TMS's accrual events, and the database's word on
-- who took an accrual.
ALTER TABLE accruals DROP CONSTRAINT accruals_status_check;
ALTER TABLE accruals ADD CONSTRAINT accruals_status_check
    CHECK (status IN ('open', 'assigned', 'resolved', 'cancelled'));
ALTER TABLE accruals ADD COLUMN service_type text;
ALTER TABLE accruals ADD COLUMN rates jsonb NOT NULL DEFAULT '{}'::jsonb;
-- the sequence of the last TMS event applied to the accrual (0: none yet)
ALTER TABLE accruals ADD COLUMN last_sequence integer NOT NULL DEFAULT 0 CHECK (last_sequence >= 0);
-- an assigned accrual names the one invoice line that took it ...
ALTER TABLE accruals ADD CONSTRAINT accruals_assigned_names_its_line
    CHECK (status <> 'assigned' OR (assigned_document IS NOT NULL AND assigned_revision IS NOT NULL
                                    AND assigned_line IS NOT NULL));
-- ... and a line takes at most one accrual
CREATE UNIQUE INDEX accruals_one_per_line ON accruals (tenant, assigned_document, assigned_revision, assigned_line)
    WHERE status = 'assigned';
-- references are looked up across creditors, so a reference of another creditor can be named as such
CREATE INDEX accruals_by_reference ON accruals (tenant, reference);

CREATE TABLE creditors (
    tenant                   text        NOT NULL,
    supplier_number          text        NOT NULL,
    amount_tolerance         numeric     NOT NULL DEFAULT 0 CHECK (amount_tolerance >= 0),
    amount_tolerance_percent numeric     CHECK (amount_tolerance_percent BETWEEN 0 AND 100),
    service_tolerances       jsonb       NOT NULL DEFAULT '[]'::jsonb,
    batch_id                 uuid,
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, supplier_number)
);

CREATE TABLE tenant_settings (
    tenant               text        PRIMARY KEY,
    send_accrual_numbers boolean     NOT NULL,
    position_patterns    jsonb       NOT NULL DEFAULT '[]'::jsonb,
    changed_by           text        NOT NULL,
    changed_at           timestamptz NOT NULL
);

-- Every TMS event of an accrual, once: applied in sequence, or held until its predecessor arrives.
CREATE TABLE accrual_events (
    tenant         text        NOT NULL,
    accrual_number text        NOT NULL,
    sequence       integer     NOT NULL CHECK (sequence >= 1),
    event_id       uuid        NOT NULL,
    kind           text        NOT NULL,
    payload        jsonb       NOT NULL,
    state          text        NOT NULL CHECK (state IN ('held', 'applied', 'refused')),
    note           text,
    received_at    timestamptz NOT NULL DEFAULT now(),
    applied_at     timestamptz,
    PRIMARY KEY (tenant, accrual_number, sequence),
    UNIQUE (tenant, event_id)
);
