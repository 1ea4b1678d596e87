"""JetStream topology, publishing with message ids, the error policy (retry or dead-letter), exactly-once steps."""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import nats.js.errors
from faststream import BaseMiddleware
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from nats.js.api import DiscardPolicy, KeyValueConfig, StorageType, StreamConfig
from opentelemetry import propagate
from pydantic import BaseModel, ValidationError

from belegflow_contracts import subjects
from belegflow_contracts.messages import DeadLetterV1
from belegflow_contracts.runtime import db
from belegflow_contracts.runtime.errors import PermanentError, TransientError
from belegflow_contracts.runtime.logging import get_logger

if TYPE_CHECKING:
    import asyncpg
    from faststream.message import StreamMessage
    from faststream.nats.message import NatsMessage
    from nats.js import JetStreamContext

log = get_logger(__name__)

DUPLICATE_WINDOW = timedelta(hours=2)
MAX_DELIVER = 8  # deliveries before a message goes to the DLQ
_STREAM_OF_PREFIX = {spec.subjects[0].split(".")[0]: spec.name for spec in subjects.STREAMS}


def stream_for(subject: str) -> str:
    """The stream a subject belongs to, from its first token."""
    try:
        return _STREAM_OF_PREFIX[subject.split(".", 1)[0]]
    except KeyError:
        raise ValueError(f"subject {subject!r} belongs to no belegflow stream") from None


def jstream(name: str) -> JStream:
    """A reference to a stream created by :func:`ensure_topology` (services never redeclare it)."""
    return JStream(name=name, declare=False)


def consumer(
    durable: str, *, max_deliver: int = MAX_DELIVER, ack_wait_s: float = 30.0, batch_size: int = 1,
    max_workers: int = 1,
) -> dict[str, Any]:
    """Subscriber arguments for a durable pull consumer shared by all replicas of a service.

    A durable is named ``<service>-<what>``; its pulls are answered below the service's own inbox prefix,
    the only inbox its NATS user may read. ``max_workers`` > 1: that many messages are handled at once
    (each acked when its handler is done) and the next one is pulled as soon as a worker is free; the
    handler must then be safe to run concurrently. A ``batch_size`` > 1 pull waits, on an idle stream,
    for the whole batch or its expiry (up to a second) before it hands over the first message: it suits a
    backlog, not a consumer whose first message should be answered at once.
    """
    service = durable.split("-", 1)[0]
    args: dict[str, Any] = {
        "durable": durable,
        "inbox_prefix": f"{subjects.service_inbox(service)}.".encode(),
        "pull_sub": PullSub(batch_size=batch_size, timeout=1.0),
        # NATS gives up one delivery after us, so our error policy always sees the last one
        "config": ConsumerConfig(max_deliver=max_deliver + 1, ack_wait=ack_wait_s),
    }
    if max_workers > 1:
        args["max_workers"] = max_workers
    return args


async def ensure_topology(js: JetStreamContext, *, replicas: int = 1) -> None:
    """Create (or update) the streams and KV buckets; idempotent. ``replicas``: 3 on a three-node cluster, so
    every acknowledged message is on a quorum of nodes and one node may die without losing or stopping any."""
    for spec in subjects.STREAMS:
        config = StreamConfig(
            name=spec.name,
            description=spec.description,
            subjects=list(spec.subjects),
            storage=StorageType.FILE,
            max_age=spec.max_age_days * 86400.0,
            duplicate_window=DUPLICATE_WINDOW.total_seconds(),
            discard=DiscardPolicy.OLD,
            num_replicas=replicas,
        )
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError:
            await js.update_stream(config)
    for bucket in subjects.KV_BUCKETS:
        try:
            await js.key_value(bucket)
        except nats.js.errors.BucketNotFoundError:
            await js.create_key_value(KeyValueConfig(bucket=bucket, history=5, storage=StorageType.FILE,
                                                     replicas=replicas))


async def wait_for_topology(js: JetStreamContext, *, timeout_s: float = 120.0) -> None:
    """Wait until every stream and KV bucket exists; a service only reads them, `stack init` makes them."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    names = [spec.name for spec in subjects.STREAMS] + [f"KV_{bucket}" for bucket in subjects.KV_BUCKETS]
    while True:
        missing = []
        for name in names:
            try:
                await js.stream_info(name)
            except nats.js.errors.NotFoundError:
                missing.append(name)
        if not missing:
            return
        if loop.time() > deadline:
            raise RuntimeError(f"streams {', '.join(missing)} do not exist: run `belegflow stack init`")
        log.warning("waiting for streams: run `belegflow stack init`", missing=missing)
        await asyncio.sleep(2.0)


def outgoing(subject: str, message: BaseModel, *, msg_id: str) -> db.Outgoing:
    """A message ready to publish, carrying the current trace context for the next service."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return db.Outgoing(
        subject=subject,
        msg_id=msg_id,
        stream=stream_for(subject),
        payload=message.model_dump_json().encode(),
        headers=headers,
    )


async def publish(broker: NatsBroker, out: db.Outgoing, *, timeout_s: float = 10.0) -> None:
    """Publish to JetStream and wait for the stream's ack; a repeat inside the window is a no-op."""
    headers = {**out.headers, subjects.MSG_ID_HEADER: out.msg_id, "content-type": "application/json"}
    try:
        await broker.publish(out.payload, out.subject, headers=headers, stream=out.stream, timeout=timeout_s)
    except (TimeoutError, nats.errors.Error) as exc:
        raise TransientError(f"publish to {out.subject} failed: {exc}") from exc


def message_id(msg: NatsMessage) -> str:
    """The identity of an incoming message: its publish id, else its stream position."""
    headers = msg.headers or {}
    if mid := headers.get(subjects.MSG_ID_HEADER):
        return str(mid)
    meta = msg.raw_message.metadata
    return f"{meta.stream}:{meta.sequence.stream}"


async def run_once(
    pool: asyncpg.Pool,
    broker: NatsBroker,
    *,
    consumer_name: str,
    message_id: str,
    effects: Callable[[db.Connection], Awaitable[list[db.Outgoing]]],
) -> bool:
    """Apply a message's effects exactly once; (re)publish what they produced. True if applied now.

    The claim, the effects and the outgoing messages commit in one transaction; the outgoing ones are
    published after it. On redelivery the stored outcome is published again and nothing is reapplied.
    """
    source = f"{consumer_name}:{message_id}"
    async with pool.acquire() as conn, conn.transaction():
        fresh = await db.claim_message(conn, consumer_name, message_id)
        if fresh:
            # what was just written is known: no read-back; a step's messages go in with one statement
            outs = await effects(conn)
            rows = list(zip(await db.add_outbox_many(conn, outs, source=source), outs, strict=True))
        else:
            rows = await db.outbox_for_source(conn, source)
    for _, out in rows:  # in order: a consumer may rely on the order of one step's messages
        await publish(broker, out)
    mark_published_soon(pool, [row_id for row_id, _ in rows])
    return fresh


class _Marks:
    """Outbox rows published and not yet marked so, marked together in one statement shortly after.

    A row whose mark is lost (a crash, the database away) is published again by the relay: a no-op
    inside the broker's duplicate window, which is far longer than the mark takes.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.ids: list[int] = []
        self.task: asyncio.Task[None] | None = None

    def add(self, ids: list[int]) -> None:
        self.ids.extend(ids)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        await asyncio.sleep(MARK_DELAY_S)  # the marks of the messages handled meanwhile go with these
        while self.ids:
            ids, self.ids = self.ids, []
            try:
                async with self.pool.acquire() as conn:
                    await db.mark_published(conn, ids)
            except Exception as exc:  # the relay publishes them again (a no-op for the broker)
                log.warning("outbox rows not marked published; the relay will send them again", error=str(exc),
                            count=len(ids))
                self.ids.clear()
        if _marks.get(id(self.pool)) is self:
            del _marks[id(self.pool)]  # nothing held for a pool between bursts


MARK_DELAY_S = 0.02
_marks: dict[int, _Marks] = {}


def mark_published_soon(pool: asyncpg.Pool, ids: list[int]) -> None:
    """Mark these published outbox rows in a statement shared with the other rows published meanwhile."""
    if not ids:
        return
    marks = _marks.get(id(pool))
    if marks is None or marks.pool is not pool:
        marks = _marks[id(pool)] = _Marks(pool)
    marks.add(ids)


async def relay_outbox(pool: asyncpg.Pool, broker: NatsBroker, *, interval_s: float = 2.0) -> None:
    """Publish what a crash left in the outbox between commit and publish; runs for the service's life."""
    while True:
        try:
            async with pool.acquire() as conn, conn.transaction():
                rows = await db.unpublished(conn)
                for _, out in rows:
                    await publish(broker, out)
                await db.mark_published(conn, [row_id for row_id, _ in rows])
            if rows:
                log.info("outbox relayed", count=len(rows))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the relay must outlive a broker or database outage
            log.warning("outbox relay failed, will retry", error=str(exc))
        await asyncio.sleep(interval_s)


def backoff_s(deliveries: int) -> float:
    """Exponential backoff with jitter: 1, 2, 4 ... capped at 60 s."""
    return float(min(60.0, 2.0 ** max(0, deliveries - 1)) * random.uniform(0.8, 1.2))


def _document_fields(payload: bytes) -> tuple[str | None, str | None]:
    try:
        data = json.loads(payload)
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    doc, tenant = data.get("document_id"), data.get("tenant")
    return (str(doc) if doc else None, str(tenant) if tenant else None)


def _js_metadata(msg: NatsMessage) -> Any:
    """JetStream delivery metadata, or None for a core NATS message (a request/reply subject)."""
    try:
        return msg.raw_message.metadata
    except nats.errors.NotJSMessageError:
        return None


async def dead_letter(broker: NatsBroker, service: str, msg: NatsMessage, *, reason: str, error: BaseException) -> None:
    """Publish a message this service gives up on to ``dlq.<service>.v1``, with why."""
    raw = msg.raw_message
    meta = _js_metadata(msg)
    deliveries = meta.num_delivered if meta else 0
    document_id, tenant = _document_fields(raw.data)
    letter = DeadLetterV1(
        service=service,
        subject=raw.subject,
        reason=reason,
        error_type=type(error).__name__,
        deliveries=deliveries,
        payload=base64.b64encode(raw.data).decode(),
        headers={k: str(v) for k, v in (raw.headers or {}).items()},
        document_id=document_id,
        tenant=tenant,
        at=datetime.now(UTC),
    )
    position = f"{meta.stream}:{meta.sequence.stream}" if meta else f"core:{raw.subject}:{letter.at.isoformat()}"
    await publish(broker, outgoing(subjects.dlq(service), letter, msg_id=f"dlq:{service}:{position}"))
    log.error("dead-lettered", reason=reason, subject=raw.subject, document_id=document_id, tenant=tenant)


def error_policy(broker: NatsBroker, service: str, *, max_deliver: int = MAX_DELIVER) -> type[BaseMiddleware]:
    """Middleware: a bad payload or permanent error goes to the DLQ at once; others retry with backoff."""

    class ErrorPolicy(BaseMiddleware):
        async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]) -> Any:
            nats_msg: NatsMessage = msg  # type: ignore[assignment]
            if _js_metadata(nats_msg) is None:
                # core NATS (request/reply): nothing to ack, retry or dead-letter; the handler answers errors itself
                try:
                    return await call_next(msg)
                except Exception as exc:
                    log.error("core message handler failed", subject=nats_msg.raw_message.subject, error=str(exc))
                    return None
            try:
                return await call_next(msg)
            except ValidationError as exc:
                await dead_letter(broker, service, nats_msg, reason=f"contract validation failed: {exc}", error=exc)
                await nats_msg.reject()
            except PermanentError as exc:
                await dead_letter(broker, service, nats_msg, reason=exc.reason, error=exc)
                await nats_msg.reject()
            except Exception as exc:
                meta = _js_metadata(nats_msg)
                deliveries = meta.num_delivered if meta else 1
                if deliveries >= max_deliver:
                    reason = f"gave up after {deliveries} deliveries: {type(exc).__name__}: {exc}"
                    await dead_letter(broker, service, nats_msg, reason=reason, error=exc)
                    await nats_msg.reject()
                else:
                    delay = backoff_s(deliveries)
                    log.warning("transient failure, will retry", error=str(exc), deliveries=deliveries, delay_s=delay)
                    await nats_msg.nack(delay=delay)
            return None

    return ErrorPolicy
