"""ocr wiring: broker, recognition worker pool, lifespan. No decisions here."""

from __future__ import annotations

from typing import Any

from faststream.nats import NatsBroker

from belegflow_contracts.runtime import service
from belegflow_contracts.runtime.logging import configure_logging, get_logger
from belegflow_ocr.handlers import router
from belegflow_ocr.recognition.einvoice.rules import RulesFolderError, load_rules
from belegflow_ocr.recognition.einvoice.views import EInvoiceViews
from belegflow_ocr.recognition.ocr.engines import check_engine
from belegflow_ocr.settings import Settings
from belegflow_ocr.worker import RecognitionPool

SERVICE = "ocr"
log = get_logger(__name__)


def build_broker(nats_url: str = "nats://127.0.0.1:4222") -> NatsBroker:
    return service.build_broker(SERVICE, router, nats_url=nats_url)


def main() -> None:
    settings = Settings()  # type: ignore[call-arg]  # required values come from the environment
    # what start-up says (the rules, the desk's e-invoice view) is one JSON object per line, as everything after
    configure_logging(SERVICE, settings.log_level)
    ocr = settings.ocr_options()
    # a missing package, binary, language or model file stops the service here, named, not on the first scan
    check_engine(ocr)
    # e-invoices are validated against a rules folder the operator installs; none (or an incomplete one) stops here
    try:
        rules = load_rules(settings.einvoice_rules_dir)
    except RulesFolderError as exc:
        raise SystemExit(f"ocr: {exc.message}") from exc
    log.info("e-invoice rules", rules=rules.label, folder=str(rules.folder))
    pool = RecognitionPool(
        workers=settings.ocr_workers, timeout_s=settings.ocr_timeout_s, memory_mb=settings.ocr_memory_mb, ocr=ocr,
        einvoice_rules=rules.folder,
    )

    views = EInvoiceViews(settings.einvoice_viewer_dir)
    if not views.available:
        log.warning("e-invoices are not shown on the desk", why=views.why_not)

    def context(_: service.Runtime) -> dict[str, Any]:
        return {"recognition_pool": pool, "einvoice_views": views}

    try:
        service.serve(SERVICE, settings, build_broker(settings.nats_url), migrations="belegflow_ocr", context=context)
    finally:
        pool.close()
        views.close()
