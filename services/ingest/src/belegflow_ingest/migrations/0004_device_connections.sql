-- Open NATS connections of devices (server id and client id, from the auth callout), so that a reset or
-- revoke disconnects them at once instead of when their authorization expires.
CREATE TABLE device_connections (
    tenant       text        NOT NULL,
    device       text        NOT NULL,
    server_id    text        NOT NULL,
    client_id    bigint      NOT NULL,
    connected_at timestamptz NOT NULL,
    PRIMARY KEY (server_id, client_id)
);
CREATE INDEX device_connections_device ON device_connections (tenant, device, connected_at);
