-- E-mail intake: every message of a tenant's mailbox ingest has decided on, by Message-ID (or the raw
-- message's SHA-256 where it has none), so a message seen again is known as a duplicate and a move that a
-- crash interrupted is finished instead of repeated.
CREATE TABLE mail_messages (
    tenant       text        NOT NULL,
    message_key  text        NOT NULL,
    mailbox      text        NOT NULL,
    uidvalidity  bigint      NOT NULL,
    uid          bigint      NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('taken', 'refused')),
    reason       text,
    documents    uuid[]      NOT NULL DEFAULT '{}',
    sender       text,
    subject      text,
    decided_at   timestamptz NOT NULL DEFAULT now(),
    filed_at     timestamptz,
    PRIMARY KEY (tenant, message_key)
);
