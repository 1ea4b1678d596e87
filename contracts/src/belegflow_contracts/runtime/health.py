"""The probe and metrics endpoint every service opens on ``BELEGFLOW_METRICS_PORT``.

``/livez``: the process answers (its event loop runs). ``/readyz``: it has started its subscribers, is
connected to NATS and (where it has one) reaches its database; 503 with what is missing otherwise.
``/metrics``: Prometheus. The endpoint opens before anything connects, so a probe sees "not ready" rather
than a refused connection while a service waits for NATS.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from belegflow_contracts.runtime.logging import get_logger

if TYPE_CHECKING:
    import asyncpg
    from faststream.nats import NatsBroker

log = get_logger(__name__)
CHECK_TIMEOUT_S = 2.0


@dataclass
class Probes:
    """What readiness depends on; filled in as the service starts."""

    service: str
    broker: NatsBroker | None = None
    pool: asyncpg.Pool | None = None
    started: bool = False
    server: asyncio.Server | None = field(default=None, repr=False)

    async def readiness(self) -> dict[str, str]:
        """Each check and its state; the service is ready when every one says ``ok``."""
        checks = {"subscribers": "ok" if self.started else "starting"}
        checks["nats"] = "ok" if self.broker is not None and await _ping(self.broker) else "not connected"
        if self.pool is not None:
            try:
                async with asyncio.timeout(CHECK_TIMEOUT_S), self.pool.acquire() as conn:
                    await conn.fetchval("SELECT 1")
                checks["database"] = "ok"
            except Exception as exc:  # any failure means not ready; which one is in the answer
                checks["database"] = f"unreachable: {type(exc).__name__}"
        return checks


async def _ping(broker: NatsBroker) -> bool:
    try:
        return bool(await broker.ping(timeout=CHECK_TIMEOUT_S))
    except Exception:  # not connected yet (or no longer): not ready
        return False


def _response(status: int, body: bytes, content_type: str) -> bytes:
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable",
              400: "Bad Request"}[status]
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    return head.encode() + body


async def answer(probes: Probes, method: str, path: str) -> bytes:
    path = path.split("?", 1)[0]
    if method not in ("GET", "HEAD"):
        return _response(405, b'{"status": "method not allowed"}\n', "application/json")
    if path == "/livez":
        return _response(200, json.dumps({"status": "ok", "service": probes.service}).encode(), "application/json")
    if path == "/readyz":
        checks = await probes.readiness()
        ready = all(v == "ok" for v in checks.values())
        body = json.dumps({"status": "ready" if ready else "not ready", "service": probes.service,
                           "checks": checks}).encode()
        return _response(200 if ready else 503, body, "application/json")
    if path == "/metrics":
        return _response(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
    return _response(404, b'{"status": "not found"}\n', "application/json")


async def _serve_one(probes: Probes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        async with asyncio.timeout(10):
            request = await reader.readline()
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                del line  # headers are not needed
            parts = request.decode("latin-1").split()
            if len(parts) < 2:
                writer.write(_response(400, b'{"status": "bad request"}\n', "application/json"))
            else:
                writer.write(await answer(probes, parts[0], parts[1]))
            await writer.drain()
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve_probes(probes: Probes, port: int, host: str = "0.0.0.0") -> asyncio.Server:  # noqa: S104 - probed from outside the pod
    """Open the endpoint; it answers until the process ends."""
    server = await asyncio.start_server(lambda r, w: _serve_one(probes, r, w), host=host, port=port)
    probes.server = server
    log.info("probes and metrics listening", port=port)
    return server


__all__ = ["Probes", "answer", "serve_probes"]
