-- The decision on the current revision as matching last published it: state, version, who, what changed.
ALTER TABLE documents ADD COLUMN review jsonb;
