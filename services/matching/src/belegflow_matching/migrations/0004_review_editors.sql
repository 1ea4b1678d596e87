-- Who changed an invoice in review (corrected it or chose the supplier): above the tenant's four-eyes limit
-- none of them may approve it.
ALTER TABLE reviews ADD COLUMN editors jsonb NOT NULL DEFAULT '[]';
