"""Postgres pool, versioned SQL migrations under an advisory lock, and the tracking/outbox table."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
import asyncpg.pool

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# What a store function takes: a plain connection or one borrowed from a pool.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"

_TRACKING_SQL = """
CREATE TABLE IF NOT EXISTS {schema}.processed_messages (
    consumer     text        NOT NULL,
    message_id   text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
CREATE TABLE IF NOT EXISTS {schema}.outbox (
    id           bigserial   PRIMARY KEY,
    subject      text        NOT NULL,
    msg_id       text        NOT NULL,
    stream       text        NOT NULL,
    payload      bytea       NOT NULL,
    headers      jsonb       NOT NULL DEFAULT '{{}}',
    source       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON {schema}.outbox (id) WHERE published_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_source ON {schema}.outbox (source);
"""



# What an outage of the database looks like from a caller: a restart, a refused or dropped connection.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError, asyncpg.CrashShutdownError,
)

async def create_pool(dsn: str, schema: str, *, min_size: int = 1, max_size: int = 5) -> asyncpg.Pool:
    """A pool whose connections see only the service's own schema first."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        server_settings={"search_path": schema, "application_name": f"belegflow-{schema}"},
    )
    return pool


def _lock_key(schema: str) -> int:
    return int.from_bytes(hashlib.sha256(f"belegflow-migrate:{schema}".encode()).digest()[:8], "big", signed=True)


async def migrate(pool: asyncpg.Pool, schema: str, migrations: Traversable) -> list[str]:
    """Apply ``NNNN_name.sql`` files not applied yet, in order, under an advisory lock; return what ran."""
    applied: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _lock_key(schema))
        try:
            # the schema is created by the operator (with the role); creating it needs rights we lack
            if not await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema):
                await conn.execute(f"CREATE SCHEMA {schema}")
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {schema}.schema_migrations ("
                "version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            await conn.execute(_TRACKING_SQL.format(schema=schema))
            done = {r["version"] for r in await conn.fetch(f"SELECT version FROM {schema}.schema_migrations")}
            files = sorted(
                (f for f in migrations.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name
            )
            for file in files:
                version = file.name.removesuffix(".sql")
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(file.read_text(encoding="utf-8"))
                    await conn.execute(f"INSERT INTO {schema}.schema_migrations (version) VALUES ($1)", version)
                applied.append(version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(schema))
    return applied


def migrations_of(package: str) -> Traversable:
    return resources.files(package).joinpath("migrations")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to publish after the transaction that produced it commits."""

    subject: str
    msg_id: str
    stream: str
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)


async def claim_message(conn: Connection, consumer: str, message_id: str) -> bool:
    """Record ``(consumer, message_id)``; False when it was processed before (or concurrently).

    Must run inside the transaction that applies the message's effects: a concurrent duplicate
    blocks on the row until the first commits, then sees the conflict.
    """
    row = await conn.fetchrow(
        "INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING RETURNING 1",
        consumer,
        message_id,
    )
    return row is not None


async def add_outbox(conn: Connection, out: Outgoing, *, source: str) -> int:
    """Store an outgoing message in the same transaction as the effects that produced it."""
    row_id: int = await conn.fetchval(
        "INSERT INTO outbox (subject, msg_id, stream, payload, headers, source) "
        "VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING id",
        out.subject,
        out.msg_id,
        out.stream,
        out.payload,
        json.dumps(out.headers),
        source,
    )
    return row_id


async def add_outbox_many(conn: Connection, outs: list[Outgoing], *, source: str) -> list[int]:
    """Store a step's outgoing messages in one statement; their ids in the order given (the publish order)."""
    if len(outs) <= 1:
        return [await add_outbox(conn, out, source=source) for out in outs]
    rows = await conn.fetch(
        "INSERT INTO outbox (subject, msg_id, stream, payload, headers, source) "
        "SELECT m.subject, m.msg_id, m.stream, m.payload, m.headers::jsonb, $7 "
        "FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::text[], $6::int[]) "
        "AS m(subject, msg_id, stream, payload, headers, n) ORDER BY m.n RETURNING id",
        [out.subject for out in outs],
        [out.msg_id for out in outs],
        [out.stream for out in outs],
        [out.payload for out in outs],
        [json.dumps(out.headers) for out in outs],
        list(range(len(outs))),
        source,
    )
    # ids come from one sequence in the order the rows were inserted (ORDER BY m.n)
    return sorted(int(row["id"]) for row in rows)


def _outgoing(row: Any) -> tuple[int, Outgoing]:
    headers = row["headers"]
    return row["id"], Outgoing(
        subject=row["subject"],
        msg_id=row["msg_id"],
        stream=row["stream"],
        payload=bytes(row["payload"]),
        headers=json.loads(headers) if isinstance(headers, str) else dict(headers),
    )


async def outbox_for_source(conn: Connection, source: str) -> list[tuple[int, Outgoing]]:
    """What a processed message produced, so a redelivery re-publishes the stored outcome."""
    rows = await conn.fetch("SELECT * FROM outbox WHERE source = $1 ORDER BY id", source)
    return [_outgoing(r) for r in rows]


async def unpublished(conn: Connection, limit: int = 100) -> list[tuple[int, Outgoing]]:
    rows = await conn.fetch(
        "SELECT * FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", limit
    )
    return [_outgoing(r) for r in rows]


async def mark_published(conn: Connection, ids: list[int]) -> None:
    if ids:
        await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", ids)
