"""The ocr service's storage: originals read by claim check, work products written beside them in S3."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from belegflow_contracts.runtime.storage import sha256_hex
from belegflow_contracts.types import ObjectRef

if TYPE_CHECKING:
    from uuid import UUID

    from belegflow_contracts.runtime.storage import ObjectStore

WORK = "work"


def work_key(tenant: str, document_id: UUID, revision: int) -> str:
    return f"{tenant}/{document_id}/r{revision}/recognition-v1.json"


async def load_work_product(objects: ObjectStore, key: str) -> tuple[dict[str, object], ObjectRef] | None:
    """A work product written before, with its claim check; ``None`` when there is none."""
    data = await objects.get_bytes(WORK, key)
    if data is None:
        return None
    loaded: dict[str, object] = json.loads(data)
    return loaded, ObjectRef(bucket=WORK, key=key, sha256=sha256_hex(data), size=len(data))


def encode(product: dict[str, object]) -> bytes:
    return json.dumps(product, ensure_ascii=False, sort_keys=True).encode()


async def save_work_product(objects: ObjectStore, key: str, product: dict[str, object]) -> ObjectRef:
    return await objects.put(WORK, key, encode(product), content_type="application/json")


async def read_original(objects: ObjectStore, ref: ObjectRef) -> bytes:
    return await objects.get_verified(ref)
