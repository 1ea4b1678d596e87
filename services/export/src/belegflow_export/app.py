"""export wiring: broker, lifespan, the archive bucket and the DATEV schedule. No decisions here."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from faststream.nats import NatsBroker

from belegflow_contracts.runtime import service
from belegflow_export.books import archive_bucket, schedule_loop
from belegflow_export.handlers import router
from belegflow_export.settings import Settings

if TYPE_CHECKING:
    from belegflow_contracts.runtime.service import Runtime

SERVICE = "export"


def build_broker(nats_url: str = "nats://127.0.0.1:4222") -> NatsBroker:
    return service.build_broker(SERVICE, router, nats_url=nats_url)


def main() -> None:
    settings = Settings()  # type: ignore[call-arg]  # required values come from the environment
    archive = archive_bucket(settings)

    def context(rt: Runtime) -> dict[str, Any]:
        archive.ensure()
        if settings.datev_schedule_day:
            rt.tasks.append(asyncio.create_task(schedule_loop(rt.db, rt.objects, archive, settings)))
        return {"archive": archive}

    service.serve(SERVICE, settings, build_broker(settings.nats_url), migrations="belegflow_export", context=context)
