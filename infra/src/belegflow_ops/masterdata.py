"""Import a master-data file: parse it whole, publish it as one batch, wait for its owner to apply or refuse it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from typing import TYPE_CHECKING, Final, Literal

import nats
import nats.errors
import nats.js.errors
from nats.js.api import DeliverPolicy
from pydantic import ValidationError

from belegflow_contracts import subjects
from belegflow_contracts.masterdata import parse_accruals, parse_companies, parse_suppliers
from belegflow_contracts.messages import (
    AccrualBatchV1,
    AccrualSettingsV1,
    CompanyBatchV1,
    MasterDataAppliedV1,
    SupplierBatchV1,
)
from belegflow_contracts.runtime.settings import nats_servers
from belegflow_contracts.types import normalize_tenant
from belegflow_ops.settings import redact_url

if TYPE_CHECKING:
    from pathlib import Path

    from nats.aio.msg import Msg

__all__ = [
    "BATCH_NAMESPACE", "batch_id_for", "import_file", "import_msg_id", "prepare_batch", "publish_accrual_settings",
]

# Fixed forever: batch ids derive from it, so the same file always yields the same batch id.
BATCH_NAMESPACE: Final = uuid.UUID("6f1c2a4e-8b1d-5f0e-9a57-3c2d1e0b9a86")


def import_msg_id(kind: str, data: bytes, tenant: str) -> str:
    """``md:<kind>:<sha256 of the file>:<tenant>``: importing the same file again is a no-op for the broker."""
    return f"md:{kind}:{hashlib.sha256(data).hexdigest()}:{tenant}"


def batch_id_for(msg_id: str) -> uuid.UUID:
    return uuid.uuid5(BATCH_NAMESPACE, msg_id)


def prepare_batch(
    kind: Literal["suppliers", "accruals", "companies"], path: Path, tenant: str
) -> tuple[str, str, SupplierBatchV1 | AccrualBatchV1 | CompanyBatchV1]:
    """Subject, message id and batch of a file; the file is parsed whole first, so a bad row sends nothing."""
    if kind == "companies":
        companies = parse_companies(path)
        msg_id = import_msg_id(kind, path.read_bytes(), tenant)
        return subjects.companies(tenant), msg_id, CompanyBatchV1(
            batch_id=batch_id_for(msg_id), tenant=tenant, source=path.name, records=companies)
    if kind == "suppliers":
        suppliers = parse_suppliers(path)
        msg_id = import_msg_id(kind, path.read_bytes(), tenant)
        batch: SupplierBatchV1 | AccrualBatchV1 | CompanyBatchV1 = SupplierBatchV1(
            batch_id=batch_id_for(msg_id), tenant=tenant, source=path.name, records=suppliers
        )
        return subjects.suppliers(tenant), msg_id, batch
    accruals = parse_accruals(path)
    msg_id = import_msg_id(kind, path.read_bytes(), tenant)
    batch = AccrualBatchV1(batch_id=batch_id_for(msg_id), tenant=tenant, source=path.name, records=accruals)
    return subjects.accruals(tenant), msg_id, batch


async def import_file(
    kind: Literal["suppliers", "accruals", "companies"],
    path: Path,
    *,
    tenant: str,
    nats_url: str,
    timeout_s: float = 30.0,
) -> MasterDataAppliedV1:
    """Publish ``path`` as one batch and return the owner's answer (``error`` set when it refused the batch).

    Raises ``MasterDataFileError`` for a bad file (nothing is published) and ``TimeoutError`` when no answer
    comes in time. The answer is read from the MD stream from its start, so a second import of the same file,
    which the broker drops as a duplicate, still gets the answer the first one got.
    """
    tenant = normalize_tenant(tenant)
    subject, msg_id, batch = await asyncio.to_thread(prepare_batch, kind, path, tenant)
    batch_id = batch.batch_id
    applied_subject = subjects.masterdata_applied(tenant, kind)

    try:
        nc = await nats.connect(nats_servers(nats_url), connect_timeout=5, max_reconnect_attempts=2)
    except (OSError, nats.errors.Error) as exc:
        raise TimeoutError(f"cannot reach NATS at {redact_url(nats_url)}: {exc}") from exc
    try:
        js = nc.jetstream()
        answer: asyncio.Future[MasterDataAppliedV1] = asyncio.get_running_loop().create_future()

        async def on_applied(msg: Msg) -> None:
            with contextlib.suppress(ValidationError):
                result = MasterDataAppliedV1.model_validate_json(msg.data)
                if result.batch_id == batch_id and not answer.done():
                    answer.set_result(result)

        # subscribed before publishing, from the stream's start: neither a fast answer nor an earlier one is missed
        try:
            sub = await js.subscribe(applied_subject, cb=on_applied, ordered_consumer=True,
                                     deliver_policy=DeliverPolicy.ALL)
        except nats.js.errors.NotFoundError as exc:
            raise TimeoutError(f"no JetStream stream holds {applied_subject}; is the stack running?") from exc
        try:
            try:
                await js.publish(
                    subject,
                    batch.model_dump_json().encode(),
                    headers={subjects.MSG_ID_HEADER: msg_id, "content-type": "application/json"},
                    timeout=timeout_s,
                )
            except nats.errors.NoRespondersError as exc:
                raise TimeoutError(f"no JetStream stream accepts {subject}; is the stack running?") from exc
            try:
                return await asyncio.wait_for(answer, timeout=timeout_s)
            except TimeoutError:
                raise TimeoutError(
                    f"no answer to {kind} batch {batch_id} from {path.name} within {timeout_s:g} s; "
                    f"is the {'accrual' if kind == 'accruals' else 'matching'} service running? "
                    "The batch stays in the MD stream and is applied when it starts."
                ) from None
        finally:
            with contextlib.suppress(nats.errors.Error):
                await sub.unsubscribe()
    finally:
        await nc.close()


async def publish_accrual_settings(settings: AccrualSettingsV1, *, nats_url: str, timeout_s: float = 10.0) -> int:
    """Publish a tenant's accrual settings to the MD stream; returns the stream sequence it got.

    The accrual service applies them in stream order, so every invoice accrued after that sequence uses them.
    """
    try:
        nc = await nats.connect(nats_servers(nats_url), connect_timeout=5, max_reconnect_attempts=2)
    except (OSError, nats.errors.Error) as exc:
        raise TimeoutError(f"cannot reach NATS at {redact_url(nats_url)}: {exc}") from exc
    try:
        ack = await nc.jetstream().publish(
            subjects.accrual_settings(settings.tenant), settings.model_dump_json().encode(),
            headers={subjects.MSG_ID_HEADER: f"accrual-settings:{settings.tenant}:{settings.changed_at.isoformat()}",
                     "content-type": "application/json"},
            timeout=timeout_s,
        )
    except nats.errors.NoRespondersError as exc:
        raise TimeoutError("no JetStream stream accepts accrual settings; is the stack running?") from exc
    finally:
        await nc.close()
    return int(ack.seq)
