"""Least privilege on NATS: what each service's user may publish and subscribe to, and nothing more.

Every service logs in as its own user. It may publish only the events it owns (and its own dead letters),
consume only through its own durable consumers, read the streams and KV buckets it uses, and receive
replies only on its own inbox prefix. Creating, changing or deleting streams, consumers of others and KV
buckets is left to the operator's user (``belegflow stack init``). Devices get their rights per login from
ingest (auth callout); they are not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from belegflow_contracts import subjects

JS_API: Final = "$JS.API"


@dataclass(frozen=True, slots=True)
class ServiceRights:
    """What one service does on NATS; :func:`permissions` turns it into the server's allow lists."""

    publish: tuple[str, ...]
    # (stream, durable consumer) pairs the service pulls from
    consumers: tuple[tuple[str, str], ...]
    # core NATS subjects it serves (request/reply); replies go back through allow_responses
    serves: tuple[str, ...] = ()
    # KV buckets it reads / writes
    kv_read: tuple[str, ...] = ()
    kv_write: tuple[str, ...] = ()
    # core NATS requests it sends to other services
    requests: tuple[str, ...] = ()
    extra_subscribe: tuple[str, ...] = field(default=())


RIGHTS: Final[dict[str, ServiceRights]] = {
    "ingest": ServiceRights(
        publish=("docs.*.ingested.v1", "docs.*.recognition-cancel.v1", "edge.*.*.receipt.v1",
                 "edge.*.*.batch-receipt.v1", "dlq.ingest.v1"),
        consumers=(("EDGE", "ingest-device-uploads"), ("EDGE", "ingest-device-chunks"),
                   ("EDGE", "ingest-device-batches"),
                   ("DOCS", "ingest-recognized"), ("DOCS", "ingest-matched"), ("DOCS", "ingest-decisions"),
                   ("DOCS", "ingest-accrued"), ("EXPORT", "ingest-tms"), ("EXPORT", "ingest-archived"),
                   ("EXPORT", "ingest-datev"), ("DLQ", "ingest-dlq")),
        # device requests and the server's auth callout
        serves=("edge.*.*.numbers.v1", "edge.*.*.sync.v1", "edge.*.*.session.v1", "edge.*.*.receipts.v1",
                "edge.*.*.capabilities.v1", "$SYS.REQ.USER.AUTH"),
        kv_read=("device-config", "device-masterdata"),
        requests=("desk.*.review.v1", "desk.*.learning.v1", "desk.*.einvoice-view.v1"),
    ),
    "ocr": ServiceRights(
        publish=("docs.*.recognized.v1", "dlq.ocr.v1"),
        consumers=(("DOCS", "ocr-ingested"), ("DOCS", "ocr-recognition-cancel"), ("DOCS", "ocr-learning")),
        # what recognition learned from corrections, listed or forgotten on request; e-invoices shown on the desk
        serves=("desk.*.learning.v1", "desk.*.einvoice-view.v1"),
    ),
    "matching": ServiceRights(
        publish=("docs.*.matched.v1", "docs.*.decision.v1", "md.*.suppliers.applied.v1",
                 "md.*.companies.applied.v1", "dlq.matching.v1"),
        consumers=(("MD", "matching-suppliers"), ("MD", "matching-companies"), ("DOCS", "matching-recognized")),
        serves=("desk.*.review.v1",),
        kv_write=("device-masterdata",),
    ),
    "accrual": ServiceRights(
        # its own answers only (accrual batches, TMS accrual events): never matching's supplier or company answers
        publish=("docs.*.accrued.v1", "export.*.accruals.v1", "md.*.accruals.applied.v1",
                 "md.*.accrual-events.applied.v1", "dlq.accrual.v1"),
        consumers=(("MD", "accrual-masterdata"), ("DOCS", "accrual-matched")),
    ),
    "export": ServiceRights(
        publish=("export.*.tms.v1", "export.*.tms.v2", "export.*.archived.v1", "export.*.datev.v1", "dlq.export.v1"),
        consumers=(("DOCS", "export-accrued"), ("DOCS", "export-decisions")),
    ),
}


def permissions(service: str) -> dict[str, object]:
    """The ``permissions`` block of the service's user in the NATS server config."""
    rights = RIGHTS[service]
    kv = sorted({*rights.kv_read, *rights.kv_write})
    publish: list[str] = [*rights.publish, *rights.requests, f"{JS_API}.INFO"]
    # a service checks at start that `stack init` made every stream and bucket (metadata, never messages)
    publish += [f"{JS_API}.STREAM.INFO.{s.name}" for s in subjects.STREAMS]
    publish += [f"{JS_API}.STREAM.INFO.KV_{b}" for b in subjects.KV_BUCKETS]
    for stream, durable in rights.consumers:
        publish += [
            f"{JS_API}.CONSUMER.INFO.{stream}.{durable}",
            f"{JS_API}.CONSUMER.CREATE.{stream}.{durable}",
            f"{JS_API}.CONSUMER.CREATE.{stream}.{durable}.>",
            f"{JS_API}.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
            f"{JS_API}.CONSUMER.MSG.NEXT.{stream}.{durable}",
            f"$JS.ACK.{stream}.{durable}.>",
        ]
    for bucket in kv:
        publish += [f"{JS_API}.DIRECT.GET.KV_{bucket}",
                    f"{JS_API}.DIRECT.GET.KV_{bucket}.>", f"{JS_API}.STREAM.MSG.GET.KV_{bucket}"]
    publish += [f"$KV.{bucket}.>" for bucket in rights.kv_write]
    subscribe = [*rights.serves, *rights.extra_subscribe, f"{subjects.service_inbox(service)}.>"]
    block: dict[str, object] = {"publish": {"allow": publish}, "subscribe": {"allow": subscribe}}
    if rights.serves:
        # answers go to the requester's reply subject only, once, within a minute
        block["allow_responses"] = {"max": 1, "expires": "1m"}
    return block
