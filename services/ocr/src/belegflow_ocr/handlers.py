"""The ocr service's subscriber: an ingested original in, its recognized fields out."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from faststream import Context
from faststream.nats import NatsRouter
from faststream.nats.annotations import NatsMessage

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    IngestedV1,
    InvoiceFieldsV1,
    InvoiceLineV1,
    ProtocolEntryV1,
    RecognitionCancelV1,
    RecognizedV1,
)
from belegflow_contracts.runtime.errors import PermanentError, TransientError
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.messaging import consumer, jstream, outgoing, publish
from belegflow_contracts.runtime.service import Runtime
from belegflow_contracts.runtime.storage import ObjectStore
from belegflow_ocr import metrics, store
from belegflow_ocr.domain import cancelled_work_product, header_references
from belegflow_ocr.errors import RecognitionError
from belegflow_ocr.worker import RecognitionCancelledError, RecognitionPool

router = NatsRouter()
log = get_logger(__name__)
RuntimeDep = Annotated[Runtime, Context("runtime")]
PoolDep = Annotated[RecognitionPool, Context("recognition_pool")]


async def _in_progress(msg: NatsMessage, *, every_s: float = 10.0) -> None:
    while True:
        await asyncio.sleep(every_s)
        await msg.in_progress()


def _items(product: dict[str, object], key: str) -> list[object]:
    value = product.get(key, [])
    if not isinstance(value, list):
        raise PermanentError(f"work product has no list under {key!r}")
    return value


# --- cancel: a marker beside the work product is the record every replica sees -------------------

CANCEL_POLL_S = 1.0


def _job(document_id: UUID, revision: int) -> str:
    return f"{document_id}:r{revision}"


def _cancel_key(tenant: str, document_id: UUID, revision: int) -> str:
    return store.work_key(tenant, document_id, revision).rsplit("/", 1)[0] + "/cancel-v1.json"


async def _load_cancel(
    objects: ObjectStore, tenant: str, document_id: UUID, revision: int
) -> RecognitionCancelV1 | None:
    data = await objects.get_bytes(store.WORK, _cancel_key(tenant, document_id, revision))
    return None if data is None else RecognitionCancelV1.model_validate_json(data)


async def _watch_cancel(objects: ObjectStore, pool: RecognitionPool, event: IngestedV1) -> None:
    """Stop this recognition when a cancel was recorded, also one another replica received."""
    while True:
        await asyncio.sleep(CANCEL_POLL_S)
        try:
            cancel = await _load_cancel(objects, event.tenant, event.document_id, event.revision)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # storage briefly away: the recognition goes on, the next look may see it
            log.warning("could not look for a cancel, will look again", error=str(exc))
            continue
        if cancel is not None:
            pool.cancel(_job(event.document_id, event.revision))
            return


@router.subscriber(subjects.ALL_RECOGNITION_CANCELS, stream=jstream("DOCS"), **consumer("ocr-recognition-cancel"))
async def on_recognition_cancel(cancel: RecognitionCancelV1, rt: RuntimeDep, pool: PoolDep) -> None:
    """Record the cancel, then stop the recognition if it runs here; one not started yet is skipped later."""
    bind_document(tenant=cancel.tenant, document_id=str(cancel.document_id))
    if await store.load_work_product(rt.objects, store.work_key(cancel.tenant, cancel.document_id,
                                                                cancel.revision)) is not None:
        log.warning("cancel arrived after the recognition finished; its result stands", revision=cancel.revision)
        return
    await rt.objects.put(store.WORK, _cancel_key(cancel.tenant, cancel.document_id, cancel.revision),
                         cancel.model_dump_json().encode(), content_type="application/json")
    running_here = pool.cancel(_job(cancel.document_id, cancel.revision))
    log.info("recognition cancel recorded", revision=cancel.revision, running_here=running_here)


async def _recognize_unless_cancelled(rt: Runtime, pool: RecognitionPool, event: IngestedV1, msg: NatsMessage
                                      ) -> dict[str, object]:
    """The work product: recognised, or (when cancelled before, during or as it finished) for manual capture."""
    cancel = await _load_cancel(rt.objects, event.tenant, event.document_id, event.revision)
    if cancel is not None:
        return cancelled_work_product(cancel, found=None, stage="skipped before it started", at=datetime.now(UTC))
    data = await store.read_original(rt.objects, event.original)
    # tell JetStream we are alive so a long recognition is not redelivered to another replica
    heartbeat = asyncio.create_task(_in_progress(msg))
    watcher = asyncio.create_task(_watch_cancel(rt.objects, pool, event))
    log.info("recognition started", revision=event.revision, ocr_engine=event.ocr_engine)
    started = time.perf_counter()
    try:
        recognition = await pool.recognize(data, filename=event.filename, media_type=event.media_type.value,
                                           ocr_engine=event.ocr_engine, job=_job(event.document_id, event.revision))
    except RecognitionCancelledError:
        metrics.RECOGNITIONS.labels("cancelled").inc()
        cancel = await _load_cancel(rt.objects, event.tenant, event.document_id, event.revision)
        if cancel is None:
            raise TransientError("recognition was cancelled but no cancel is recorded; will recognise again") from None
        return cancelled_work_product(cancel, found=None, stage="stopped while running", at=datetime.now(UTC))
    except RecognitionError as exc:
        metrics.RECOGNITIONS.labels("permanent-error" if exc.permanent else "transient-error").inc()
        if exc.permanent:
            raise PermanentError(f"recognition failed: {exc}", document_id=str(event.document_id)) from exc
        raise TransientError(f"recognition failed, will retry: {exc}") from exc
    finally:
        heartbeat.cancel()
        watcher.cancel()
    elapsed = time.perf_counter() - started
    metrics.RECOGNITIONS.labels("recognized").inc()
    metrics.RECOGNITION_SECONDS.labels(recognition.reader).observe(elapsed)
    metrics.SECONDS_PER_PAGE.labels(recognition.reader).observe(elapsed / max(1, len(recognition.pages)))
    log.info("recognized", reader=recognition.reader, status=str(recognition.status), seconds=round(elapsed, 3),
             pages=len(recognition.pages))
    # a cancel recorded while it finished wins: the clerk still gets what was read
    cancel = await _load_cancel(rt.objects, event.tenant, event.document_id, event.revision)
    if cancel is not None:
        return cancelled_work_product(cancel, found=recognition, stage="finished as it was cancelled; what it "
                                      "read is kept for the clerk", at=datetime.now(UTC))
    return recognition.work_product()


@router.subscriber(subjects.ALL_INGESTED, stream=jstream("DOCS"), **consumer("ocr-ingested", ack_wait_s=30))
async def on_ingested(event: IngestedV1, msg: NatsMessage, rt: RuntimeDep, pool: PoolDep) -> None:
    """Recognise once per revision: the work product in S3 is the record, a redelivery re-publishes it."""
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    key = store.work_key(event.tenant, event.document_id, event.revision)
    stored = await store.load_work_product(rt.objects, key)
    if stored is None:
        product = await _recognize_unless_cancelled(rt, pool, event, msg)
        ref = await store.save_work_product(rt.objects, key, product)
        if product.get("manual"):
            log.info("recognition cancelled, manual capture", reader=product.get("reader"))
    else:
        product, ref = stored
        log.info("recognition already done, re-publishing", key=key)
    result = RecognizedV1(
        document_id=event.document_id,
        tenant=event.tenant,
        revision=event.revision,
        original=event.original,
        protocol=[ProtocolEntryV1.model_validate(e) for e in _items(product, "protocol")],
        reader=str(product["reader"]),
        fields=InvoiceFieldsV1.model_validate(product["fields"]),
        lines=[InvoiceLineV1.model_validate(line) for line in _items(product, "lines")],
        references=header_references(product),
        work_product=ref,
        manual=product.get("manual") is True,
        manual_reason=str(product["manual_reason"]) if product.get("manual_reason") else None,
    )
    await publish(
        rt.broker,
        outgoing(
            subjects.recognized(event.tenant),
            result,
            msg_id=subjects.msg_id(event.document_id, "recognized", event.revision),
        ),
    )
