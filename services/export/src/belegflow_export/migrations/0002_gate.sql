-- The gate: a revision is exported only once matching approved it and its accruals are assigned.
-- Both events are kept here, whichever arrives first; the row lock serialises the two handlers.
CREATE TABLE revisions (
    document_id uuid        NOT NULL,
    revision    integer     NOT NULL CHECK (revision >= 1),
    tenant      text        NOT NULL,
    accrued     jsonb,
    state       text        CHECK (state IN ('review', 'approved', 'rejected')),
    decided_by  text,
    version     integer,
    decided_at  timestamptz,
    PRIMARY KEY (document_id, revision)
);
