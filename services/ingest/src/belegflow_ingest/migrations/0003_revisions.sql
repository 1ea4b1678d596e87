-- Who asked to repeat or cancel a document's recognition, for which revision, why (the read model shows them).
-- repeat: the revision it started; cancel: the revision it stopped. Each happens at most once per revision.
CREATE TABLE recognition_requests (
    id           bigserial   PRIMARY KEY,
    document_id  uuid        NOT NULL REFERENCES documents (id),
    revision     integer     NOT NULL CHECK (revision >= 1),
    action       text        NOT NULL CHECK (action IN ('repeat', 'cancel')),
    engine       text,
    reason       text        NOT NULL,
    requested_by text        NOT NULL,
    requested_at timestamptz NOT NULL,
    UNIQUE (document_id, revision, action)
);
CREATE INDEX recognition_requests_document ON recognition_requests (document_id, id);
