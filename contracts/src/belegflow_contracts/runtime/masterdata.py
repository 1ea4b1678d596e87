"""Applying a master-data batch: all or nothing, exactly once, answered on ``md.<tenant>.<kind>.applied.v1``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from belegflow_contracts import subjects
from belegflow_contracts.messages import MasterDataAppliedV1
from belegflow_contracts.runtime.errors import PermanentError
from belegflow_contracts.runtime.logging import get_logger
from belegflow_contracts.runtime.messaging import message_id, outgoing, run_once

if TYPE_CHECKING:
    from faststream.nats.message import NatsMessage

    from belegflow_contracts.runtime import Outgoing
    from belegflow_contracts.runtime.db import Connection
    from belegflow_contracts.runtime.service import Runtime

log = get_logger(__name__)


async def apply_batch(
    rt: Runtime,
    msg: NatsMessage,
    *,
    kind: Literal["suppliers", "accruals", "companies"],
    tenant: str,
    batch_id: UUID,
    consumer_name: str,
    apply: Callable[[Connection], Awaitable[int]],
    refusals: tuple[type[Exception], ...],
) -> None:
    """Run ``apply`` in a savepoint; a refusal rolls the batch back but is recorded and answered like a success.

    A redelivered batch gets the same answer again; ``apply`` runs once.
    """
    if msg.raw_message.subject != f"md.{tenant}.{kind}.v1":
        raise PermanentError(f"{kind} batch for tenant {tenant} arrived on {msg.raw_message.subject}")

    async def effects(conn: Connection) -> list[Outgoing]:
        try:
            async with conn.transaction():
                result = MasterDataAppliedV1(batch_id=batch_id, tenant=tenant, kind=kind, applied=await apply(conn))
        except refusals as exc:
            log.warning(f"{kind} batch refused", batch_id=str(batch_id), error=str(exc))
            result = MasterDataAppliedV1(batch_id=batch_id, tenant=tenant, kind=kind, applied=0,
                                         error=f"batch refused, nothing applied: {exc}")
        return [outgoing(subjects.masterdata_applied(tenant, kind), result, msg_id=f"applied:{batch_id}")]

    await run_once(rt.db, rt.broker, consumer_name=consumer_name, message_id=message_id(msg), effects=effects)
