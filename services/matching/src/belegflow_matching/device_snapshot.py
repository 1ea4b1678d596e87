"""The master data devices keep offline: after every supplier batch, a snapshot in the ``device-masterdata`` bucket.

Key ``<tenant>.snapshot``; ingest hands it to devices at pairing and on sync. Its version is a hash of its
content, so a device that holds the current one gets nothing new.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from belegflow_contracts import subjects
from belegflow_contracts.messages import CostCentreV1, DeviceMasterDataV1, DeviceSupplierV1
from belegflow_contracts.runtime.logging import get_logger
from belegflow_matching import store

if TYPE_CHECKING:
    from belegflow_contracts.runtime.service import Runtime
    from belegflow_matching.domain import SupplierRecord

log = get_logger(__name__)
BUCKET = subjects.KV_BUCKETS[1]


def snapshot_key(tenant: str) -> str:
    return f"{tenant}.snapshot"


def build_snapshot(records: list[SupplierRecord]) -> DeviceMasterDataV1:
    """Suppliers (number, name, VAT ID, first IBAN) and the cost centres named in supplier master data."""
    suppliers = [
        DeviceSupplierV1(number=r.supplier_number, name=r.name, vat_id=r.vat_id, iban=r.ibans[0] if r.ibans else None)
        for r in sorted(records, key=lambda r: r.supplier_number)
    ]
    centres = sorted({r.cost_center for r in records if r.cost_center})
    blank = DeviceMasterDataV1(version="-", cost_centres=[CostCentreV1(code=c) for c in centres], suppliers=suppliers)
    content = blank.model_dump(mode="json", exclude={"version"})
    version = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
    return blank.model_copy(update={"version": version})


async def publish_snapshot(rt: Runtime, tenant: str) -> DeviceMasterDataV1:
    """Write the tenant's current snapshot (a failure is transient: the batch is redelivered and this runs again)."""
    async with rt.db.acquire() as conn:
        records = await store.all_suppliers(conn, tenant)
    snapshot = build_snapshot(records)
    kv = await rt.broker.key_value(BUCKET, declare=False)
    await kv.put(snapshot_key(tenant), snapshot.model_dump_json().encode())
    log.info("device master data snapshot written", tenant=tenant, version=snapshot.version,
             suppliers=len(snapshot.suppliers))
    return snapshot
