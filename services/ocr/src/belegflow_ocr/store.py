"""The ocr service's storage: originals read by claim check, work products in S3, learned layouts in Postgres."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from uuid import UUID

from belegflow_contracts.messages import LearnedFieldV1, LearnedLayoutV1, LineTemplateV1
from belegflow_contracts.runtime.storage import sha256_hex
from belegflow_contracts.types import ObjectRef
from belegflow_ocr.learning import LearnedField, LearnedLayout

if TYPE_CHECKING:
    from datetime import datetime

    from asyncpg import Record

    from belegflow_contracts.runtime.db import Connection
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


# --- learned layouts (Postgres, schema ocr) --------------------------------------------------------


def _layout(row: Record) -> LearnedLayout:
    fields = json.loads(row["fields"])
    return LearnedLayout(
        layout_id=int(row["id"]), tenant=row["tenant"], supplier_number=row["supplier_number"],
        supplier_name=row["supplier_name"], supplier_keys=frozenset(row["supplier_keys"]),
        fingerprint=row["fingerprint"], tokens=frozenset(row["tokens"]),
        fields={name: LearnedField.from_json(value) for name, value in fields.items()},
    )


async def layouts_for_keys(conn: Connection, tenant: str, keys: frozenset[str]) -> list[LearnedLayout]:
    """The tenant's layouts of suppliers whose IBAN or VAT ID the document prints."""
    if not keys:
        return []
    rows = await conn.fetch("SELECT * FROM learned_layouts WHERE tenant = $1 AND supplier_keys && $2::text[] "
                            "ORDER BY id", tenant, sorted(keys))
    return [_layout(r) for r in rows]


async def add_key_owners(conn: Connection, tenant: str, keys: frozenset[str], supplier_number: str) -> None:
    """Note that an approval of ``supplier_number`` printed or carried these IBANs and VAT IDs."""
    for key in sorted(keys):
        await conn.execute("INSERT INTO learning_key_owners (tenant, key, supplier_number) VALUES ($1, $2, $3) "
                           "ON CONFLICT DO NOTHING", tenant, key, supplier_number)


async def shared_keys(conn: Connection, tenant: str, keys: frozenset[str]) -> frozenset[str]:
    """Those of ``keys`` seen with more than one supplier of the tenant: no key to a learned layout."""
    if not keys:
        return frozenset()
    rows = await conn.fetch("SELECT key FROM learning_key_owners WHERE tenant = $1 AND key = ANY($2::text[]) "
                            "GROUP BY key HAVING count(DISTINCT supplier_number) > 1", tenant, sorted(keys))
    return frozenset(r["key"] for r in rows)


async def layouts_of_supplier(conn: Connection, tenant: str, supplier_number: str) -> list[LearnedLayout]:
    rows = await conn.fetch("SELECT * FROM learned_layouts WHERE tenant = $1 AND supplier_number = $2 ORDER BY id "
                            "FOR UPDATE", tenant, supplier_number)
    return [_layout(r) for r in rows]


async def save_layout(conn: Connection, layout: LearnedLayout) -> int:
    """Insert a new layout or replace the fields of a known one; its id."""
    fields = json.dumps({name: f.to_json() for name, f in layout.fields.items()})
    if layout.layout_id is None:
        row_id = await conn.fetchval(
            "INSERT INTO learned_layouts (tenant, supplier_number, supplier_name, supplier_keys, fingerprint, tokens, "
            "fields) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT (tenant, supplier_number, fingerprint) "
            "DO UPDATE SET fields = EXCLUDED.fields, supplier_keys = EXCLUDED.supplier_keys, updated_at = now() "
            "RETURNING id",
            layout.tenant, layout.supplier_number, layout.supplier_name, sorted(layout.supplier_keys),
            layout.fingerprint, sorted(layout.tokens), fields)
        return int(row_id)
    await conn.execute("UPDATE learned_layouts SET fields = $2::jsonb, tokens = $3, supplier_keys = $4, "
                       "updated_at = now() WHERE id = $1", layout.layout_id, fields, sorted(layout.tokens),
                       sorted(layout.supplier_keys))
    return layout.layout_id


async def update_counters(conn: Connection, layout: LearnedLayout) -> None:
    """Uses, failures and demotions of a layout after a document was read with it (if it still exists)."""
    if layout.layout_id is not None:
        await conn.execute("UPDATE learned_layouts SET fields = $2::jsonb WHERE id = $1", layout.layout_id,
                           json.dumps({name: f.to_json() for name, f in layout.fields.items()}))


def _layout_contract(row: Record) -> LearnedLayoutV1:
    fields = []
    for name, raw in json.loads(row["fields"]).items():
        known = LearnedField.from_json(raw)
        fields.append(LearnedFieldV1(
            field=name, anchor=known.rule.anchor, relation=known.rule.relation, kind=known.rule.kind,
            learned_from=UUID(known.document_id), by=known.by, at=known.at, corrected=known.corrected,
            uses=known.uses, failures=known.failures, demoted=known.demoted, demoted_why=known.demoted_why))
    return LearnedLayoutV1(layout_id=row["id"], tenant=row["tenant"], supplier_number=row["supplier_number"],
                           supplier_name=row["supplier_name"], fingerprint=row["fingerprint"], fields=fields,
                           created_at=row["created_at"], updated_at=row["updated_at"])


async def list_layouts(conn: Connection, tenant: str, supplier_number: str | None = None,
                       layout_id: int | None = None) -> list[LearnedLayoutV1]:
    """The tenant's learned layouts as the contract shows them (one supplier's, or one)."""
    rows = await conn.fetch(
        "SELECT * FROM learned_layouts WHERE tenant = $1 AND ($2::text IS NULL OR supplier_number = $2) "
        "AND ($3::bigint IS NULL OR id = $3) ORDER BY supplier_number, id", tenant, supplier_number, layout_id)
    return [_layout_contract(r) for r in rows]


async def forget_layouts(conn: Connection, ids: list[int]) -> None:
    await conn.execute("DELETE FROM learned_layouts WHERE id = ANY($1::bigint[])", ids)


async def add_learning_audit(conn: Connection, *, tenant: str, layout_id: int, supplier_number: str,
                             fingerprint: str, action: str, by: str, at: datetime, detail: str) -> None:
    await conn.execute("INSERT INTO learning_audit (tenant, layout_id, supplier_number, fingerprint, action, "
                       "by_whom, at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                       tenant, layout_id, supplier_number, fingerprint, action, by, at, detail[:2000])


async def record_corrections(conn: Connection, tenant: str, document_id: UUID, revision: int,
                             fields: list[str], by: str, at: datetime) -> None:
    for name in fields:
        await conn.execute("INSERT INTO learning_corrections (tenant, document_id, revision, field, by_whom, at) "
                           "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (document_id, revision, field) DO UPDATE "
                           "SET by_whom = EXCLUDED.by_whom, at = EXCLUDED.at", tenant, document_id, revision, name,
                           by, at)


async def corrections(conn: Connection, document_id: UUID, revision: int) -> dict[str, tuple[str, datetime]]:
    rows = await conn.fetch("SELECT field, by_whom, at FROM learning_corrections WHERE document_id = $1 AND "
                            "revision = $2", document_id, revision)
    return {r["field"]: (r["by_whom"], r["at"]) for r in rows}


# --- line templates ------------------------------------------------------------------------------------


async def save_template(conn: Connection, tenant: str, template: LineTemplateV1, *, by: str, at: datetime) -> None:
    """Import (or replace) a creditor's line template, audited."""
    await conn.execute(
        "INSERT INTO line_templates (tenant, supplier_number, supplier_keys, template, imported_by, imported_at) "
        "VALUES ($1, $2, $3, $4::jsonb, $5, $6) ON CONFLICT (tenant, supplier_number) DO UPDATE SET "
        "supplier_keys = EXCLUDED.supplier_keys, template = EXCLUDED.template, imported_by = EXCLUDED.imported_by, "
        "imported_at = EXCLUDED.imported_at", tenant, template.supplier_number, sorted(set(template.supplier_keys)),
        template.model_dump_json(), by, at)
    await add_learning_audit(conn, tenant=tenant, layout_id=0, supplier_number=template.supplier_number,
                             fingerprint="line-template", action="template-imported", by=by, at=at,
                             detail=template.model_dump_json())


async def template_of(conn: Connection, tenant: str, supplier_number: str) -> LineTemplateV1 | None:
    raw = await conn.fetchval("SELECT template FROM line_templates WHERE tenant = $1 AND supplier_number = $2",
                              tenant, supplier_number)
    return None if raw is None else LineTemplateV1.model_validate_json(raw)


async def templates_for_keys(conn: Connection, tenant: str, keys: frozenset[str]
                             ) -> list[tuple[LineTemplateV1, str, datetime]]:
    """The tenant's line templates of creditors whose IBAN or VAT ID the document prints, with who imported them
    and when."""
    if not keys:
        return []
    rows = await conn.fetch("SELECT template, imported_by, imported_at FROM line_templates WHERE tenant = $1 AND "
                            "supplier_keys && $2::text[] ORDER BY supplier_number", tenant, sorted(keys))
    return [(LineTemplateV1.model_validate_json(r["template"]), r["imported_by"], r["imported_at"]) for r in rows]


async def list_templates(conn: Connection, tenant: str, supplier_number: str | None = None) -> list[LineTemplateV1]:
    rows = await conn.fetch("SELECT template FROM line_templates WHERE tenant = $1 AND ($2::text IS NULL OR "
                            "supplier_number = $2) ORDER BY supplier_number", tenant, supplier_number)
    return [LineTemplateV1.model_validate_json(r["template"]) for r in rows]
