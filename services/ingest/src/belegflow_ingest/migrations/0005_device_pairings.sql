-- Every pairing of a slot is a generation of its own: a device paired after a reset starts its sequence
-- numbers at 1 again, so what ingest keeps per sequence (receipts, chunks, which device delivery a document
-- came from) is keyed by (tenant, device, pairing, sequence). What was there before belongs to the pairing
-- that is current now (pairing 1); a slot's next pairing is 2. The receipts of earlier pairings stay.
ALTER TABLE devices ADD COLUMN pairing integer NOT NULL DEFAULT 0 CHECK (pairing >= 0);
UPDATE devices SET pairing = 1;

ALTER TABLE device_receipts ADD COLUMN pairing integer NOT NULL DEFAULT 1 CHECK (pairing >= 1);
ALTER TABLE device_receipts ALTER COLUMN pairing DROP DEFAULT;
ALTER TABLE device_receipts DROP CONSTRAINT device_receipts_pkey;
ALTER TABLE device_receipts ADD PRIMARY KEY (tenant, device, pairing, sequence);

ALTER TABLE upload_chunks ADD COLUMN pairing integer NOT NULL DEFAULT 1 CHECK (pairing >= 1);
ALTER TABLE upload_chunks ALTER COLUMN pairing DROP DEFAULT;
ALTER TABLE upload_chunks DROP CONSTRAINT upload_chunks_pkey;
ALTER TABLE upload_chunks ADD PRIMARY KEY (tenant, device, pairing, sequence, sha256, index);

ALTER TABLE documents ADD COLUMN device_pairing integer;
UPDATE documents SET device_pairing = 1 WHERE device IS NOT NULL;
