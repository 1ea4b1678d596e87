-- Four eyes with limits: how much (gross) a user may approve alone in a tenant. A tenant where any user has a
-- limit approves by these rules: within your limit you approve alone; above it your approval is the first one
-- and a second person whose limit covers the amount approves; nobody approves what they corrected.
CREATE TABLE approval_limits (
    user_name  text          NOT NULL REFERENCES http_users (name) ON DELETE CASCADE,
    tenant     text          NOT NULL,
    amount     numeric(18,2) NOT NULL CHECK (amount >= 0),
    set_at     timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (user_name, tenant)
);
CREATE INDEX approval_limits_tenant ON approval_limits (tenant);

-- First approvals above the approver's limit, of one review version: a correction (a new version) voids them.
CREATE TABLE first_approvals (
    document_id uuid          NOT NULL REFERENCES documents (id),
    revision    integer       NOT NULL,
    version     integer       NOT NULL,
    by_name     text          NOT NULL,
    gross       numeric(18,2) NOT NULL,
    approved_at timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, revision, version, by_name)
);
