"""What every service does at start and stop: logging, tracing, broker, topology, database, outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import nats
from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware

from belegflow_contracts import subjects
from belegflow_contracts.publishes import PUBLISHES
from belegflow_contracts.runtime import db
from belegflow_contracts.runtime.health import Probes, serve_probes
from belegflow_contracts.runtime.logging import configure_logging, get_logger
from belegflow_contracts.runtime.messaging import error_policy, relay_outbox, wait_for_topology
from belegflow_contracts.runtime.metrics import metrics_middleware, sample_forever
from belegflow_contracts.runtime.settings import DatabaseSettings, ServiceSettings, nats_servers
from belegflow_contracts.runtime.storage import ObjectStore
from belegflow_contracts.runtime.telemetry import configure_tracing

if TYPE_CHECKING:
    import asyncpg
    from faststream.nats import NatsRouter

log = get_logger(__name__)


def build_broker(service: str, router: NatsRouter, *, nats_url: str = "nats://127.0.0.1:4222") -> NatsBroker:
    """The service's broker: tracing through message headers, the error policy, its subscribers."""
    broker = NatsBroker(
        nats_servers(nats_url),
        middlewares=(
            NatsTelemetryMiddleware(),
            # messages handled and their durations by subject pattern (never per tenant), on BELEGFLOW_METRICS_PORT
            metrics_middleware(service),
        ),
        logger=logging.getLogger(f"belegflow.{service}.broker"),
        log_level=logging.DEBUG,  # per-message "Received/Processed" lines only when debugging
        graceful_timeout=15.0,
        # replies (JetStream acks, pulls, requests) arrive below the service's own prefix: its NATS user
        # may read no other inbox
        inbox_prefix=subjects.service_inbox(service),
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
    )
    broker.add_middleware(error_policy(broker, service))
    broker.include_router(router)
    # what the service publishes (through its outbox), declared so that its AsyncAPI document describes it
    for publish in PUBLISHES.get(service, ()):
        broker.publisher(publish.subject, title=f"{publish.subject}:{publish.message.__name__}",
                         description=publish.description, schema=publish.message)
    return broker


@dataclass
class Runtime:
    """The live resources of one service process."""

    service: str
    settings: ServiceSettings
    broker: NatsBroker
    objects: ObjectStore
    pool: asyncpg.Pool | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    probes: Probes | None = None

    @property
    def db(self) -> asyncpg.Pool:
        if self.pool is None:
            raise RuntimeError(f"{self.service} has no database")
        return self.pool


async def start(
    service: str, settings: ServiceSettings, broker: NatsBroker, *, migrations: str | None = None
) -> Runtime:
    """Prepare everything the handlers need; the caller then starts the broker's subscribers."""
    configure_logging(service, settings.log_level)
    configure_tracing(service, settings)
    probes = Probes(service)
    if settings.metrics_port is not None:
        # open before connecting: a probe sees "not ready" while the service waits for NATS
        await serve_probes(probes, settings.metrics_port)
    nc = await nats.connect(nats_servers(settings.nats_url), connect_timeout=10, max_reconnect_attempts=5,
                            inbox_prefix=subjects.service_inbox(service).encode())
    try:
        # streams and buckets are made by the operator (`belegflow stack init`); a service may not
        await wait_for_topology(nc.jetstream())
    finally:
        await nc.close()
    runtime = Runtime(service=service, settings=settings, broker=broker, objects=ObjectStore.from_settings(settings),
                      probes=probes)
    if migrations is not None:
        if not isinstance(settings, DatabaseSettings):
            raise TypeError(f"{service} has migrations but its settings have no database_url")
        runtime.pool = await db.create_pool(settings.database_url, service, max_size=settings.database_pool_size)
        applied = await db.migrate(runtime.pool, service, db.migrations_of(migrations))
        log.info("schema ready", schema=service, applied=applied)
    runtime.tasks.append(asyncio.create_task(asyncio.to_thread(runtime.objects.warm)))
    connection = await broker.connect()
    probes.broker, probes.pool = broker, runtime.pool
    if runtime.pool is not None:
        runtime.tasks.append(asyncio.create_task(relay_outbox(runtime.pool, broker)))
    runtime.tasks.append(asyncio.create_task(
        sample_forever(connection.jetstream(), runtime.pool, service, durable_consumers(broker))))
    return runtime


def durable_consumers(broker: NatsBroker) -> list[tuple[str, str]]:
    """``(stream, durable)`` of every JetStream consumer the service's subscribers pull from."""
    found = []
    for subscriber in broker.subscribers:
        stream = getattr(getattr(subscriber, "stream", None), "name", None)
        durable = getattr(getattr(subscriber, "config", None), "durable_name", None)
        if stream and durable:
            found.append((str(stream), str(durable)))
    return sorted(set(found))


def mark_started(runtime: Runtime) -> None:
    """The subscribers run: from now on /readyz says ready (while NATS and the database are reachable)."""
    if runtime.probes is not None:
        runtime.probes.started = True
    log.info("service started")


def serve(
    service: str,
    settings: ServiceSettings,
    broker: NatsBroker,
    *,
    migrations: str | None = None,
    context: Callable[[Runtime], dict[str, Any]] | None = None,
) -> None:
    """Run a service without HTTP until SIGTERM/SIGINT; then drain and stop."""

    async def run() -> None:
        rt = await start(service, settings, broker, migrations=migrations)
        broker.context.set_global("runtime", rt)
        broker.context.set_global("settings", settings)
        for key, value in (context(rt) if context else {}).items():
            broker.context.set_global(key, value)
        await broker.start()
        mark_started(rt)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()
        log.info("service stopping")
        await stop(rt)

    run_loop(run())


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run a service's main coroutine on uvloop where it is installed (not on Windows), else on asyncio's loop.

    uvloop does the event loop's work (sockets, callbacks, timers) in C: every message and query a service
    handles passes through it several times. Ingest gets it from uvicorn, which picks uvloop where installed.
    """
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


async def stop(runtime: Runtime) -> None:
    if runtime.probes is not None:
        runtime.probes.started = False
    for task in runtime.tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await runtime.broker.stop()
    if runtime.pool is not None:
        await runtime.pool.close()
    if runtime.probes is not None and runtime.probes.server is not None:
        runtime.probes.server.close()
