"""Initialise a stack: database roles and schemas (one per service), JetStream streams and KV, S3 buckets."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
import nats
import nats.errors
import nats.js.errors

from belegflow_contracts import subjects
from belegflow_contracts.runtime.messaging import ensure_topology
from belegflow_contracts.runtime.settings import nats_servers
from belegflow_contracts.runtime.storage import ObjectStore, connect, ensure_locked_bucket


@dataclass(frozen=True, slots=True)
class Targets:
    nats_url: str
    admin_dsn: str | None
    s3_endpoint_url: str
    s3_access_key_id: str
    s3_secret_access_key: str
    role_passwords: dict[str, str]
    nats_replicas: int = 1


def _ident(name: str) -> str:
    if not name.isidentifier() or not name.islower():
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


async def init_database(admin_dsn: str, role_passwords: dict[str, str]) -> None:
    """One login role and one schema per service; a role can touch only its own schema."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        database = await conn.fetchval("SELECT current_database()")
        await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        await conn.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
        for role, password in role_passwords.items():
            role = _ident(role)
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            # a password cannot be a bind parameter in DDL; quote it as a literal
            literal = "'" + password.replace("'", "''") + "'"
            await conn.execute(f"{verb} ROLE {role} LOGIN PASSWORD {literal}")
            await conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {role} AUTHORIZATION {role}")
            await conn.execute(f"REVOKE ALL ON SCHEMA {role} FROM PUBLIC")
    finally:
        await conn.close()


async def init_messaging(nats_url: str, *, replicas: int = 1, timeout_s: float = 60.0) -> None:
    """Streams and buckets; a cluster that has just started elects its JetStream leader first, so wait for it."""
    nc = await nats.connect(nats_servers(nats_url), connect_timeout=5, max_reconnect_attempts=3)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            try:
                await ensure_topology(nc.jetstream(timeout=10), replicas=replicas)
                return
            except (nats.errors.TimeoutError, nats.errors.NoRespondersError, nats.js.errors.ServiceUnavailableError,
                    nats.js.errors.ServerError) as exc:
                if loop.time() > deadline:
                    raise RuntimeError(f"JetStream did not become ready within {timeout_s:.0f} s: {exc}") from exc
                await asyncio.sleep(1.0)
    finally:
        await nc.close()


async def init_storage(targets: Targets) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=targets.s3_endpoint_url,
        aws_access_key_id=targets.s3_access_key_id,
        aws_secret_access_key=targets.s3_secret_access_key,
        region_name="us-east-1",
    )
    # the archive bucket first, with object lock (it can only be switched on when a bucket is created)
    await asyncio.to_thread(ensure_locked_bucket, client, "archive")
    objects = ObjectStore(connect(targets.s3_endpoint_url, targets.s3_access_key_id, targets.s3_secret_access_key,
                                  "us-east-1"))
    await objects.ensure_buckets(subjects.S3_BUCKETS)


async def init_all(targets: Targets) -> None:
    if targets.admin_dsn:
        await init_database(targets.admin_dsn, targets.role_passwords)
    await asyncio.gather(init_messaging(targets.nats_url, replicas=targets.nats_replicas), init_storage(targets))
