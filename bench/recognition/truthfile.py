"""The truth file every development-set source writes beside a document, and the split into parts.

A truth file ``<stem>.truth.json`` holds ``file`` (the document beside it), ``set`` (its source), ``part``
(development or held-out), ``template``, ``lang``, ``pages``, ``fields`` (the field names of
``InvoiceFieldsV1`` plus ``document_type``; ISO dates, two-decimal amounts, compact IBAN and VAT ID,
``null`` for what the document does not state) and ``lines``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

CENT = Decimal("0.01")
DOCUMENT_TYPES = ("invoice", "credit_note", "correction", "receipt")
FIELDS = (
    "invoice_number", "invoice_date", "due_date", "currency", "net_amount", "tax_amount", "gross_amount",
    "supplier_name", "supplier_street", "supplier_postal_code", "supplier_city", "supplier_iban",
    "supplier_vat_id", "recipient_name", "document_type",
)  # fmt: skip
KEY_FIELDS = (
    "invoice_number", "invoice_date", "gross_amount", "net_amount", "tax_amount", "currency",
    "supplier_iban", "supplier_vat_id", "supplier_name",
)  # fmt: skip
"""The fields a clerk must never retype; their exact-match rate is the headline figure."""
RECEIPT_KEY_FIELDS = ("supplier_name", "invoice_date", "gross_amount")
"""On till receipts: merchant, date and total."""

DEVELOPMENT_SEED = 1
HELD_OUT_SEED = 2
PARTS = ("development", "held-out")


def part_of_seed(seed: int) -> str:
    """The development seed builds the development part; every other seed a held-out one."""
    return "development" if seed == DEVELOPMENT_SEED else "held-out"


def corpus_part(name: str) -> str:
    """Fixed documents (a corpus) are split by a hash of their name: one in three is held out."""
    return "held-out" if int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 3 == 0 else "development"


def money(value: Decimal | str | None) -> str | None:
    if value is None:
        return None
    return str(Decimal(value).quantize(CENT, ROUND_HALF_UP))


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def compact(value: str | None) -> str | None:
    """An identifier (IBAN, VAT ID) without the spaces, dots and hyphens it is printed with."""
    return "".join(ch for ch in value if ch.isalnum()).upper() if value else None


def fields(**values: object) -> dict[str, object]:
    """All field names in order; unknown names are refused so that a typo cannot pass as ``null``."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a field: {', '.join(sorted(unknown))}")
    doc_type = values.get("document_type")
    if doc_type is not None and doc_type not in DOCUMENT_TYPES:
        raise ValueError(f"document_type {doc_type!r} is none of {', '.join(DOCUMENT_TYPES)}")
    return {name: values.get(name) for name in FIELDS}


def write(folder: Path, stem: str, record: Mapping[str, Any]) -> Path:
    path = folder / f"{stem}.truth.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_all(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.truth.json"))]


def check_count(count: int | None, what: str = "--count") -> None:
    if count is not None and count < 1:
        raise ValueError(f"{what} must be at least 1 (got {count})")


def pick(items: Sequence[str], seed: int, count: int | None) -> list[str]:
    """A seed-ordered selection of ``count`` names (all of them when ``count`` is None)."""
    ordered = sorted(items, key=lambda n: hashlib.sha256(f"{seed}:{n}".encode()).hexdigest())
    return ordered if count is None else ordered[:count]


def generator_main(argv: Sequence[str] | None, *, doc: str | None, generate: Callable[..., list[Path]],
                   count: int, what: str) -> None:
    """The command line of a generator: ``--out DIR [--count N] [--seed S]``; bad values end with a usage error."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the documents and truth files")
    parser.add_argument("--count", type=int, default=count)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    args = parser.parse_args(argv)
    try:
        paths = generate(args.out, count=args.count, seed=args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"{len(paths)} {what} with truth in {args.out}")
