"""The ocr service's subscriber: an ingested original in, its recognized fields out."""

from __future__ import annotations

import asyncio
from typing import Annotated

from faststream import Context
from faststream.nats import NatsRouter
from faststream.nats.annotations import NatsMessage

from belegflow_contracts import subjects
from belegflow_contracts.messages import IngestedV1, InvoiceFieldsV1, InvoiceLineV1, ProtocolEntryV1, RecognizedV1
from belegflow_contracts.runtime.errors import PermanentError, TransientError
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.messaging import consumer, jstream, outgoing, publish
from belegflow_contracts.runtime.service import Runtime
from belegflow_ocr import store
from belegflow_ocr.errors import RecognitionError
from belegflow_ocr.worker import RecognitionPool

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


@router.subscriber(subjects.ALL_INGESTED, stream=jstream("DOCS"), **consumer("ocr-ingested", ack_wait_s=30))
async def on_ingested(event: IngestedV1, msg: NatsMessage, rt: RuntimeDep, pool: PoolDep) -> None:
    """Recognise once per revision: the work product in S3 is the record, a redelivery re-publishes it."""
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    key = store.work_key(event.tenant, event.document_id, event.revision)
    stored = await store.load_work_product(rt.objects, key)
    if stored is None:
        data = await store.read_original(rt.objects, event.original)
        # tell JetStream we are alive so a long recognition is not redelivered to another replica
        heartbeat = asyncio.create_task(_in_progress(msg))
        try:
            recognition = await pool.recognize(data, filename=event.filename, media_type=event.media_type.value)
        except RecognitionError as exc:
            if exc.permanent:
                raise PermanentError(f"recognition failed: {exc}", document_id=str(event.document_id)) from exc
            raise TransientError(f"recognition failed, will retry: {exc}") from exc
        finally:
            heartbeat.cancel()
        product = recognition.work_product()
        ref = await store.save_work_product(rt.objects, key, product)
        log.info("recognized", reader=recognition.reader, status=str(recognition.status))
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
        work_product=ref,
    )
    await publish(
        rt.broker,
        outgoing(
            subjects.recognized(event.tenant),
            result,
            msg_id=subjects.msg_id(event.document_id, "recognized", event.revision),
        ),
    )
