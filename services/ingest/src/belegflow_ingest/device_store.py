"""Ingest's SQL about devices: slots, pairing codes, credentials, number blocks, sessions, receipts, chunks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from belegflow_contracts.messages import DeviceReceiptV1, DeviceState, NumberBlockV1, ReceiptStatus, SyncSessionV1
from belegflow_ingest.devices import CodeRow, DeviceError, PairingRefusal, pairing_refusal, release_refusal

if TYPE_CHECKING:
    from belegflow_contracts.runtime.db import Connection


def _unknown(tenant: str, device: str) -> DeviceError:
    return DeviceError(404, "device_unknown", f"tenant {tenant} has no device slot {device!r}")


async def release(
    conn: Connection, *, tenant: str, device: str, name: str, code_hash: str, now: datetime, ttl: timedelta
) -> datetime:
    """Release a slot (or re-release one nobody paired yet) with a fresh code; earlier unused codes lapse."""
    async with conn.transaction():
        state = await conn.fetchval(
            "SELECT state FROM devices WHERE tenant = $1 AND device = $2 FOR UPDATE", tenant, device
        )
        if refusal := release_refusal(DeviceState(state) if state else None):
            raise refusal
        await conn.execute(
            """
            INSERT INTO devices (tenant, device, name, state, released_at) VALUES ($1, $2, $3, 'released', $4)
            ON CONFLICT (tenant, device) DO UPDATE SET name = EXCLUDED.name, released_at = EXCLUDED.released_at
            """,
            tenant, device, name, now,
        )
        return await _new_code(conn, tenant, device, code_hash, now, ttl)


async def _new_code(conn: Connection, tenant: str, device: str, code_hash: str, now: datetime,
                    ttl: timedelta) -> datetime:
    await conn.execute("DELETE FROM pairing_codes WHERE tenant = $1 AND device = $2 AND used_at IS NULL",
                       tenant, device)
    expires = now + ttl
    await conn.execute(
        "INSERT INTO pairing_codes (code_hash, tenant, device, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        code_hash, tenant, device, now, expires,
    )
    return expires


async def reset(conn: Connection, *, tenant: str, device: str, code_hash: str, now: datetime,
                ttl: timedelta, force: bool = False) -> datetime:
    """Forget the paired device (its credentials stop working) and issue a new code for the slot.

    A paired device that last reported unsynced documents keeps them only on its own disk once it is reset:
    that is refused unless ``force``.
    """
    async with conn.transaction():
        row = await conn.fetchrow("SELECT state, backlog FROM devices WHERE tenant = $1 AND device = $2 FOR UPDATE",
                                  tenant, device)
        if row is not None and row["state"] == "paired" and (row["backlog"] or 0) > 0 and not force:
            raise DeviceError(409, "device_has_unsynced_documents",
                              f"device {device!r} of tenant {tenant} last reported {row['backlog']} document(s) not "
                              "yet synced; after a reset they stay only on the device. Let it sync first, or save "
                              "them there (belegflow-edge export), then reset with force")
        done = await conn.execute(
            """
            UPDATE devices SET state = 'released', nats_user = NULL, password_hash = NULL, paired_at = NULL,
                               revoked_at = NULL, hostname = NULL, agent_version = NULL, released_at = $3
            WHERE tenant = $1 AND device = $2
            """,
            tenant, device, now,
        )
        if done.endswith(" 0"):
            raise _unknown(tenant, device)
        return await _new_code(conn, tenant, device, code_hash, now, ttl)


async def revoke(conn: Connection, *, tenant: str, device: str, now: datetime) -> None:
    """Withdraw the credentials; no new code (a reset brings the slot back)."""
    done = await conn.execute(
        "UPDATE devices SET state = 'revoked', password_hash = NULL, revoked_at = $3 WHERE tenant = $1 AND device = $2",
        tenant, device, now,
    )
    if done.endswith(" 0"):
        raise _unknown(tenant, device)


@dataclass(frozen=True, slots=True)
class Paired:
    tenant: str
    device: str
    name: str


async def pair(
    conn: Connection, *, code_hash: str, now: datetime, nats_user: str, password_hash: str, hostname: str,
    agent_version: str,
) -> Paired | PairingRefusal:
    """Redeem a code under row locks on the code and its slot, so of two devices racing exactly one wins.

    Call inside a transaction (the number blocks of the first sync are allocated in the same one).
    """
    code = await conn.fetchrow("SELECT * FROM pairing_codes WHERE code_hash = $1 FOR UPDATE", code_hash)
    slot = None
    if code is not None:
        slot = await conn.fetchrow("SELECT * FROM devices WHERE tenant = $1 AND device = $2 FOR UPDATE",
                                   code["tenant"], code["device"])
    row = None if code is None or slot is None else CodeRow(
        used=code["used_at"] is not None, expires_at=code["expires_at"], slot_state=DeviceState(slot["state"]))
    if refusal := pairing_refusal(row, now):
        return refusal
    assert code is not None
    assert slot is not None
    await conn.execute("UPDATE pairing_codes SET used_at = $2 WHERE code_hash = $1", code_hash, now)
    await conn.execute(
        """
        UPDATE devices SET state = 'paired', nats_user = $3, password_hash = $4, paired_at = $5, last_contact = $5,
                           hostname = $6, agent_version = $7, revoked_at = NULL, pairing = pairing + 1
        WHERE tenant = $1 AND device = $2
        """,
        slot["tenant"], slot["device"], nats_user, password_hash, now, hostname, agent_version,
    )
    return Paired(tenant=slot["tenant"], device=slot["device"], name=slot["name"])


async def credentials(conn: Connection, nats_user: str) -> tuple[str, str, str | None] | None:
    """(tenant, device, password hash) of a paired device's NATS user; None when no paired device has it."""
    row = await conn.fetchrow(
        "SELECT tenant, device, password_hash FROM devices WHERE nats_user = $1 AND state = 'paired'", nats_user
    )
    return (row["tenant"], row["device"], row["password_hash"]) if row else None


async def record_connection(conn: Connection, tenant: str, device: str, *, server_id: str, client_id: int,
                            at: datetime, keep: timedelta) -> None:
    """Remember an authorized connection; ones older than ``keep`` have expired and are forgotten."""
    await conn.execute(
        "INSERT INTO device_connections (tenant, device, server_id, client_id, connected_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (server_id, client_id) DO UPDATE SET tenant = EXCLUDED.tenant, "
        "device = EXCLUDED.device, connected_at = EXCLUDED.connected_at",
        tenant, device, server_id, client_id, at,
    )
    await conn.execute("DELETE FROM device_connections WHERE connected_at < $1", at - keep)


async def take_connections(conn: Connection, tenant: str, device: str) -> list[tuple[str, int]]:
    """(server id, client id) of the device's connections that may still be open; forgotten here."""
    rows = await conn.fetch("DELETE FROM device_connections WHERE tenant = $1 AND device = $2 "
                            "RETURNING server_id, client_id", tenant, device)
    return [(r["server_id"], int(r["client_id"])) for r in rows]


async def device_state(conn: Connection, tenant: str, device: str) -> DeviceState | None:
    state = await conn.fetchval("SELECT state FROM devices WHERE tenant = $1 AND device = $2", tenant, device)
    return DeviceState(state) if state else None


async def device_pairing(conn: Connection, tenant: str, device: str) -> tuple[DeviceState, int] | None:
    """The slot's state and its current pairing (each pairing counts one up; 0: never paired)."""
    row = await conn.fetchrow("SELECT state, pairing FROM devices WHERE tenant = $1 AND device = $2", tenant, device)
    return (DeviceState(row["state"]), int(row["pairing"])) if row else None


async def contact(conn: Connection, tenant: str, device: str, *, at: datetime,
                  backlog: int | None = None) -> tuple[DeviceState, int] | None:
    """``device_pairing`` and, for a paired device, ``touch`` in one round trip.

    Without a backlog the row is written only when its last contact is a second old or more: a device
    sending documents in a burst does not queue every upload on its slot's row lock.
    """
    row = await conn.fetchrow(_CONTACT.format(select="SELECT state, pairing FROM slot"), tenant, device, at, backlog)
    return (DeviceState(row["state"]), int(row["pairing"])) if row else None


async def contact_for(conn: Connection, tenant: str, device: str, sequence: int, *,
                      at: datetime) -> tuple[DeviceState, int, DeviceReceiptV1 | None] | None:
    """``contact`` and the receipt kept for ``sequence`` of the current pairing, in one round trip."""
    row = await conn.fetchrow(_CONTACT.format(select=(
        "SELECT slot.state, slot.pairing, r.sequence, r.sha256, r.status, r.document_id, r.reason FROM slot "
        "LEFT JOIN device_receipts r ON r.tenant = $1 AND r.device = $2 AND r.pairing = slot.pairing "
        "AND r.sequence = $5")), tenant, device, at, None, sequence)
    if row is None:
        return None
    receipt = _receipt(tenant, device, row) if row["sequence"] is not None else None
    return DeviceState(row["state"]), int(row["pairing"]), receipt


async def contact_for_many(conn: Connection, tenant: str, device: str, sequences: list[int], *,
                           at: datetime) -> tuple[DeviceState, int, dict[int, DeviceReceiptV1]] | None:
    """``contact`` and the receipts kept for ``sequences`` of the current pairing, in one round trip."""
    rows = await conn.fetch(_CONTACT.format(select=(
        "SELECT slot.state, slot.pairing, r.sequence, r.sha256, r.status, r.document_id, r.reason FROM slot "
        "LEFT JOIN device_receipts r ON r.tenant = $1 AND r.device = $2 AND r.pairing = slot.pairing "
        "AND r.sequence = ANY($5::bigint[])")), tenant, device, at, None, sequences)
    if not rows:
        return None
    kept = {int(r["sequence"]): _receipt(tenant, device, r) for r in rows if r["sequence"] is not None}
    return DeviceState(rows[0]["state"]), int(rows[0]["pairing"]), kept


_CONTACT = """
        WITH slot AS (SELECT state, pairing, last_contact FROM devices WHERE tenant = $1 AND device = $2),
        touched AS (
            UPDATE devices d SET last_contact = GREATEST(COALESCE(d.last_contact, $3::timestamptz), $3::timestamptz),
                                 backlog = COALESCE($4::integer, d.backlog)
            FROM slot
            WHERE d.tenant = $1 AND d.device = $2 AND slot.state = 'paired'
              AND ($4::integer IS NOT NULL OR slot.last_contact IS NULL
                   OR slot.last_contact < $3::timestamptz - interval '1 second')
            RETURNING 1
        )
        {select}
        """


async def touch(conn: Connection, tenant: str, device: str, *, at: datetime, backlog: int | None = None) -> None:
    """Record the device's last contact (and the backlog it reported)."""
    await conn.execute(
        """
        UPDATE devices SET last_contact = GREATEST(COALESCE(last_contact, $3), $3), backlog = COALESCE($4, backlog)
        WHERE tenant = $1 AND device = $2
        """,
        tenant, device, at, backlog,
    )


async def list_devices(conn: Connection, tenant: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """
        SELECT d.device, d.name, d.state, d.hostname, d.agent_version, d.released_at, d.paired_at, d.revoked_at,
               d.last_contact, d.backlog, s.session_id AS last_sync_id, s.started_at AS last_sync_at,
               s.ended_at AS last_sync_ended_at, s.result AS last_sync_result,
               (SELECT max(c.expires_at) FROM pairing_codes c
                WHERE c.tenant = d.tenant AND c.device = d.device AND c.used_at IS NULL) AS code_expires_at
        FROM devices d
        LEFT JOIN LATERAL (
            SELECT session_id, started_at, ended_at, result FROM device_sessions x
            WHERE x.tenant = d.tenant AND x.device = d.device ORDER BY received_at DESC LIMIT 1
        ) s ON true
        WHERE d.tenant = $1 ORDER BY d.device
        """,
        tenant,
    )
    return [dict(r) for r in rows]


# --- number ranges -------------------------------------------------------------------------------


async def allocate_block(conn: Connection, *, tenant: str, series: str, device: str, size: int) -> NumberBlockV1:
    """The next ``size`` numbers of the series for the device; the series row lock serialises allocations."""
    await conn.execute(
        "INSERT INTO number_series (tenant, series) VALUES ($1, $2) ON CONFLICT (tenant, series) DO NOTHING",
        tenant, series,
    )
    row = await conn.fetchrow(
        "UPDATE number_series SET next_first = next_first + $3 WHERE tenant = $1 AND series = $2 "
        "RETURNING id, next_first - $3 AS first",
        tenant, series, size,
    )
    assert row is not None
    first = int(row["first"])
    last = first + size - 1
    await conn.execute("INSERT INTO number_blocks (series_id, device, first, last) VALUES ($1, $2, $3, $4)",
                       row["id"], device, first, last)
    return NumberBlockV1(series=series, first=first, last=last)


async def insert_block(conn: Connection, *, tenant: str, series: str, device: str, first: int, last: int) -> None:
    """Record a block as given (operator corrections, imports); the database refuses an overlap."""
    await conn.execute(
        "INSERT INTO number_series (tenant, series) VALUES ($1, $2) ON CONFLICT (tenant, series) DO NOTHING",
        tenant, series,
    )
    series_id = await conn.fetchval("SELECT id FROM number_series WHERE tenant = $1 AND series = $2", tenant, series)
    await conn.execute("INSERT INTO number_blocks (series_id, device, first, last) VALUES ($1, $2, $3, $4)",
                       series_id, device, first, last)


async def blocks_of(conn: Connection, tenant: str) -> list[tuple[str, str, int, int]]:
    """(series, device, first, last) of every block of the tenant."""
    rows = await conn.fetch(
        "SELECT s.series, b.device, b.first, b.last FROM number_blocks b JOIN number_series s ON s.id = b.series_id "
        "WHERE s.tenant = $1 ORDER BY s.series, b.first",
        tenant,
    )
    return [(r["series"], r["device"], int(r["first"]), int(r["last"])) for r in rows]


# --- sessions ------------------------------------------------------------------------------------


async def upsert_session(conn: Connection, tenant: str, device: str, session: SyncSessionV1) -> bool:
    """Insert or update a session by id; False when the id belongs to another device."""
    row = await conn.fetchrow(
        """
        INSERT INTO device_sessions (session_id, tenant, device, started_at, ended_at, result, body)
        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
        ON CONFLICT (session_id) DO UPDATE SET ended_at = EXCLUDED.ended_at, result = EXCLUDED.result,
            body = EXCLUDED.body, started_at = EXCLUDED.started_at, updated_at = now()
        WHERE device_sessions.tenant = EXCLUDED.tenant AND device_sessions.device = EXCLUDED.device
        RETURNING session_id
        """,
        session.session_id, tenant, device, session.started_at, session.ended_at, session.result.value,
        session.model_dump_json(),
    )
    return row is not None


async def sessions_of(conn: Connection, tenant: str, device: str, *, limit: int = 20) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        # central's clock orders them: a device's clock may be far off
        "SELECT body FROM device_sessions WHERE tenant = $1 AND device = $2 ORDER BY received_at DESC LIMIT $3",
        tenant, device, limit,
    )
    return [json.loads(r["body"]) if isinstance(r["body"], str) else r["body"] for r in rows]


# --- receipts and chunks -------------------------------------------------------------------------


def _receipt(tenant: str, device: str, row: Any) -> DeviceReceiptV1:
    return DeviceReceiptV1(tenant=tenant, device=device, sequence=row["sequence"], sha256=row["sha256"],
                           status=ReceiptStatus(row["status"]), document_id=row["document_id"], reason=row["reason"])


async def receipt_of(conn: Connection, tenant: str, device: str, pairing: int,
                     sequence: int) -> DeviceReceiptV1 | None:
    """The answer kept for a sequence of this pairing of the device (earlier pairings numbered on their own)."""
    row = await conn.fetchrow(
        "SELECT * FROM device_receipts WHERE tenant = $1 AND device = $2 AND pairing = $3 AND sequence = $4",
        tenant, device, pairing, sequence,
    )
    return _receipt(tenant, device, row) if row else None


async def receipts(conn: Connection, tenant: str, device: str, pairing: int,
                   sequences: list[int]) -> list[DeviceReceiptV1]:
    rows = await conn.fetch(
        "SELECT * FROM device_receipts WHERE tenant = $1 AND device = $2 AND pairing = $3 "
        "AND sequence = ANY($4::bigint[]) ORDER BY sequence",
        tenant, device, pairing, sequences,
    )
    return [_receipt(tenant, device, r) for r in rows]


async def save_receipt(conn: Connection, receipt: DeviceReceiptV1, *, pairing: int) -> DeviceReceiptV1:
    """Keep the answer for (tenant, device, pairing, sequence); a confirmed one is never replaced, a rejected one
    may be."""
    row = await conn.fetchrow(
        """
        INSERT INTO device_receipts (tenant, device, sequence, sha256, status, document_id, reason, pairing)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (tenant, device, pairing, sequence) DO UPDATE SET sha256 = EXCLUDED.sha256,
            status = EXCLUDED.status, document_id = EXCLUDED.document_id, reason = EXCLUDED.reason, at = now()
        WHERE device_receipts.status = 'rejected'
        RETURNING *
        """,
        receipt.tenant, receipt.device, receipt.sequence, receipt.sha256, receipt.status.value, receipt.document_id,
        receipt.reason, pairing,
    )
    if row is None:  # a confirmed answer was there first
        stored = await receipt_of(conn, receipt.tenant, receipt.device, pairing, receipt.sequence)
        assert stored is not None
        return stored
    return _receipt(receipt.tenant, receipt.device, row)


async def save_receipts(conn: Connection, tenant: str, device: str, receipts: list[DeviceReceiptV1], *,
                        pairing: int) -> list[DeviceReceiptV1]:
    """``save_receipt`` for many sequences (each at most once) in one statement; the answers kept, in order."""
    if not receipts:
        return []
    rows = await conn.fetch(
        """
        WITH saved AS (
            INSERT INTO device_receipts (tenant, device, sequence, sha256, status, document_id, reason, pairing)
            SELECT $1, $2, sequence, sha256, status, document_id, reason, $8
            FROM unnest($3::bigint[], $4::text[], $5::text[], $6::uuid[], $7::text[])
                AS t(sequence, sha256, status, document_id, reason)
            ON CONFLICT (tenant, device, pairing, sequence) DO UPDATE SET sha256 = EXCLUDED.sha256,
                status = EXCLUDED.status, document_id = EXCLUDED.document_id, reason = EXCLUDED.reason, at = now()
            WHERE device_receipts.status = 'rejected'
            RETURNING sequence, sha256, status, document_id, reason
        )
        SELECT * FROM saved
        UNION ALL
        SELECT sequence, sha256, status, document_id, reason FROM device_receipts
        WHERE tenant = $1 AND device = $2 AND pairing = $8 AND sequence = ANY($3::bigint[])
          AND sequence NOT IN (SELECT sequence FROM saved)
        """,
        tenant, device, [r.sequence for r in receipts], [r.sha256 for r in receipts],
        [r.status.value for r in receipts], [r.document_id for r in receipts], [r.reason for r in receipts], pairing,
    )
    kept = {int(r["sequence"]): _receipt(tenant, device, r) for r in rows}
    return [kept[r.sequence] for r in receipts]


@dataclass(frozen=True, slots=True)
class ChunkKey:
    tenant: str
    device: str
    pairing: int
    sequence: int
    sha256: str


async def add_chunk(conn: Connection, key: ChunkKey, *, index: int, count: int, size: int, data: bytes,
                    sweep: bool = True) -> int:
    """Store one chunk (a repeat is a no-op); return how many distinct chunks of this upload are there.

    ``sweep``: first forget the chunks of uploads that never completed (once per upload is enough).
    """
    if sweep:
        # chunks of an upload that never completed go when the EDGE stream would have forgotten them anyway
        await conn.execute("DELETE FROM upload_chunks WHERE received_at < now() - interval '30 days'")
    # one statement: the count does not see the row its own INSERT adds, so that one is added to it
    n: int = await conn.fetchval(
        """
        WITH added AS (
            INSERT INTO upload_chunks (tenant, device, pairing, sequence, sha256, index, count, size, data)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING 1
        )
        SELECT (SELECT count(*) FROM added) + count(*) FROM upload_chunks
        WHERE tenant = $1 AND device = $2 AND pairing = $3 AND sequence = $4 AND sha256 = $5 AND count = $7
        """,
        key.tenant, key.device, key.pairing, key.sequence, key.sha256, index, count, size, data,
    )
    return n


async def chunks(conn: Connection, key: ChunkKey) -> list[tuple[int, int, int, bytes]]:
    """(index, count, size, data) of the stored chunks in order."""
    rows = await conn.fetch(
        "SELECT index, count, size, data FROM upload_chunks WHERE tenant = $1 AND device = $2 AND pairing = $3 "
        "AND sequence = $4 AND sha256 = $5 ORDER BY index",
        key.tenant, key.device, key.pairing, key.sequence, key.sha256,
    )
    return [(r["index"], r["count"], int(r["size"]), bytes(r["data"])) for r in rows]


async def drop_chunks(conn: Connection, key: ChunkKey) -> None:
    await conn.execute(
        "DELETE FROM upload_chunks WHERE tenant = $1 AND device = $2 AND pairing = $3 AND sequence = $4 "
        "AND sha256 = $5",
        key.tenant, key.device, key.pairing, key.sequence, key.sha256,
    )


async def document_capture(conn: Connection, document_id: UUID) -> Any:
    value = await conn.fetchval("SELECT capture FROM documents WHERE id = $1", document_id)
    return json.loads(value) if isinstance(value, str) else value
