"""Accrual wiring: broker and lifespan. No decisions here."""

from __future__ import annotations

from faststream.nats import NatsBroker

from belegflow_accrual.handlers import router
from belegflow_accrual.settings import Settings
from belegflow_contracts.runtime import service

SERVICE = "accrual"


def build_broker(nats_url: str = "nats://127.0.0.1:4222") -> NatsBroker:
    return service.build_broker(SERVICE, router, nats_url=nats_url)


def main() -> None:
    settings = Settings()  # type: ignore[call-arg]  # required values come from the environment
    service.serve(SERVICE, settings, build_broker(settings.nats_url), migrations="belegflow_accrual")
