-- Sessions are ordered by when central received them: a device's clock may be wrong by hours or years.
ALTER TABLE device_sessions ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX device_sessions_received ON device_sessions (tenant, device, received_at DESC);
