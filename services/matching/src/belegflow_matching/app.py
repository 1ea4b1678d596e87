"""Matching wiring: broker and lifespan. No decisions here."""

from __future__ import annotations

from faststream.nats import NatsBroker

from belegflow_contracts.runtime import service
from belegflow_matching.handlers import router
from belegflow_matching.settings import Settings

SERVICE = "matching"


def build_broker(nats_url: str = "nats://127.0.0.1:4222") -> NatsBroker:
    return service.build_broker(SERVICE, router, nats_url=nats_url)


def main() -> None:
    settings = Settings()  # type: ignore[call-arg]  # required values come from the environment
    service.serve(SERVICE, settings, build_broker(settings.nats_url), migrations="belegflow_matching")
