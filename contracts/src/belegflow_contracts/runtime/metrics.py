"""Metrics every service shares: message handling by subject pattern, outbox backlog, JetStream consumer lag.

Labels carry subject patterns (``docs.*.ingested.v1``), streams and consumer names, never a tenant, device
or document, so the number of series stays bounded however many tenants and devices there are.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import nats.errors
import nats.js.errors
from faststream import BaseMiddleware
from prometheus_client import Counter, Gauge, Histogram

from belegflow_contracts import subjects
from belegflow_contracts.runtime.logging import get_logger

if TYPE_CHECKING:
    import asyncpg
    from faststream.message import StreamMessage
    from nats.js import JetStreamContext

log = get_logger(__name__)

# Seconds from 5 ms to 30 min: a message handler, and a recognition up to well beyond the OCR timeout (120 s
# by default), so a raised timeout still lands in a bucket of its own.
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0,
                     180.0, 300.0, 600.0, 900.0, 1800.0)
# From receipt to export a document may wait for a clerk: seconds up to a week.
DOCUMENT_LATENCY_BUCKETS_S = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 4 * 3600.0,
                              12 * 3600.0, 86400.0, 3 * 86400.0, 7 * 86400.0)

MESSAGES = Counter("belegflow_messages_total", "messages handled, by subject pattern and result",
                   ["service", "subject", "result"])
HANDLING = Histogram("belegflow_message_handling_seconds", "time a handler took, by subject pattern",
                     ["service", "subject"], buckets=LATENCY_BUCKETS_S)
OUTBOX_BACKLOG = Gauge("belegflow_outbox_backlog", "committed messages not yet published (the relay sends them)",
                       ["service"])
CONSUMER_PENDING = Gauge("belegflow_consumer_pending_messages",
                         "messages in the stream not yet delivered to the consumer (its lag)", ["stream", "consumer"])
CONSUMER_ACK_PENDING = Gauge("belegflow_consumer_ack_pending_messages",
                             "messages delivered to the consumer and not yet acknowledged", ["stream", "consumer"])
CONSUMER_REDELIVERED = Gauge("belegflow_consumer_redelivered_messages",
                             "messages delivered more than once and still unacknowledged", ["stream", "consumer"])
STREAM_MESSAGES = Gauge("belegflow_stream_messages", "messages held by a stream (DLQ: its depth)", ["stream"])
DLQ_DEPTH = Gauge("belegflow_dlq_messages", "dead letters held by the DLQ stream")

_TENANT_SECOND = frozenset({"docs", "export", "md", "edge", "desk"})


def subject_pattern(subject: str) -> str:
    """``docs.acme.ingested.v1`` → ``docs.*.ingested.v1``; ``edge.acme.kasse-03.upload.v1`` → ``edge.*.*.upload.v1``.

    The tenant (and an edge device) are replaced by ``*``; what stays names the kind of message.
    """
    tokens = subject.split(".")
    if len(tokens) >= 2 and tokens[0] in _TENANT_SECOND:
        tokens[1] = "*"
        if tokens[0] == "edge" and len(tokens) >= 3:
            tokens[2] = "*"
    elif tokens and tokens[0] == "_INBOX":
        return "_INBOX.>"
    return ".".join(tokens)


def metrics_middleware(service: str) -> type[BaseMiddleware]:
    """Middleware counting and timing every handled message by its subject pattern."""

    class Metrics(BaseMiddleware):
        async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]) -> Any:
            pattern = subject_pattern(getattr(msg.raw_message, "subject", "") or "")
            start = time.perf_counter()
            try:
                result = await call_next(msg)
            except Exception:
                MESSAGES.labels(service, pattern, "error").inc()
                raise
            finally:
                HANDLING.labels(service, pattern).observe(time.perf_counter() - start)
            MESSAGES.labels(service, pattern, "ok").inc()
            return result

    return Metrics


async def sample_jetstream(js: JetStreamContext, consumers: list[tuple[str, str]]) -> None:
    """Set every stream's size and the lag gauges of the service's own ``(stream, durable)`` consumers.

    Only what a service's NATS user may ask: stream info, and consumer info of its own consumers.
    """
    for spec in subjects.STREAMS:
        try:
            info = await js.stream_info(spec.name)
        except nats.js.errors.NotFoundError:
            continue
        STREAM_MESSAGES.labels(spec.name).set(info.state.messages)
        if spec.name == "DLQ":
            DLQ_DEPTH.set(info.state.messages)
    for stream, durable in consumers:
        try:
            consumer = await js.consumer_info(stream, durable)
        except nats.js.errors.NotFoundError:
            continue
        CONSUMER_PENDING.labels(stream, durable).set(consumer.num_pending or 0)
        CONSUMER_ACK_PENDING.labels(stream, durable).set(consumer.num_ack_pending or 0)
        CONSUMER_REDELIVERED.labels(stream, durable).set(consumer.num_redelivered or 0)


async def sample_outbox(pool: asyncpg.Pool, service: str) -> None:
    async with pool.acquire() as conn:
        backlog = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    OUTBOX_BACKLOG.labels(service).set(backlog or 0)


async def sample_forever(js: JetStreamContext, pool: asyncpg.Pool | None, service: str,
                         consumers: list[tuple[str, str]], *, interval_s: float = 10.0) -> None:
    """The sampled gauges, refreshed for the life of the service (a failed sample keeps the last values)."""
    while True:
        try:
            await sample_jetstream(js, consumers)
            if pool is not None:
                await sample_outbox(pool, service)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broker or database outage must not end the sampler
            log.debug("metrics sample failed", error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(interval_s)


__all__ = ["DOCUMENT_LATENCY_BUCKETS_S", "LATENCY_BUCKETS_S", "metrics_middleware", "sample_forever",
           "sample_jetstream", "subject_pattern"]
