"""Master-data files (suppliers, accruals) in CSV or JSON, parsed all or nothing into contract models."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from belegflow_contracts.messages import AccrualV1, CompanyV1, SupplierV1

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

__all__ = [
    "ACCRUAL_COLUMNS",
    "COMPANY_COLUMNS",
    "SUPPLIER_COLUMNS",
    "MasterDataFileError",
    "parse_accruals",
    "parse_amount",
    "parse_companies",
    "parse_service_tolerances",
    "parse_suppliers",
]

SUPPLIER_COLUMNS: Final = (
    "supplier_number",
    "name",
    "street",
    "postal_code",
    "city",
    "country",
    "ibans",
    "vat_id",
    "gl_account",
    "cost_center",
    "tax_key",
    "amount_tolerance",
    "amount_tolerance_percent",
    "service_tolerances",
)
ACCRUAL_COLUMNS: Final = ("accrual_number", "supplier_number", "reference", "amount", "currency")
# Optional in a file: the TMS may send the status and service type, a hand-written file usually does not.
_OPTIONAL_ACCRUAL_COLUMNS: Final = ("status", "service_type")
_REQUIRED_SUPPLIER_COLUMNS: Final = ("supplier_number", "name")
_REQUIRED_ACCRUAL_COLUMNS: Final = ("accrual_number", "supplier_number", "reference", "amount")
_AMOUNT_FIELDS: Final = frozenset({"amount", "amount_tolerance", "amount_tolerance_percent"})

_PLAIN_AMOUNT = re.compile(r"^[+-]?\d+(\.\d+)?$")
_GERMAN_AMOUNT = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")

M = TypeVar("M", bound=BaseModel)


class MasterDataFileError(ValueError):
    """A master-data file that is refused as a whole; says where (CSV line or JSON index) and which field."""

    def __init__(self, path: Path, row: int | None, detail: str, *, field: str | None = None, json_index: bool = False
                 ) -> None:
        self.path = path
        self.row = row
        self.detail = detail
        self.field = field
        if row is None:
            where = ""
        elif json_index:
            where = f" index {row}"
        else:
            # a CSV's first line is the header, so line n holds record n - 1
            where = f" line {row}" + (f" (record {row - 1})" if row > 1 else " (header)")
        what = f" field {field!r}:" if field else ""
        super().__init__(f"{path.name}{where}:{what} {detail}; nothing was imported")


def parse_amount(text: str) -> Decimal:
    """``1234.56``, ``1234,56`` or German ``1.234,56``; anything else is refused rather than guessed."""
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if _PLAIN_AMOUNT.match(value):
        return Decimal(value)
    if "," in value and _GERMAN_AMOUNT.match(value):
        return Decimal(value.replace(".", "").replace(",", "."))
    raise ValueError(f"amount {text!r} is not a number like 1234.56 or 1.234,56")


def parse_service_tolerances(text: str) -> list[dict[str, Any]]:
    """``air=5.00; sea=10.00/2%; road=3%``: per service type an absolute and/or a percent tolerance."""
    tolerances: list[dict[str, Any]] = []
    seen: set[str] = set()
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        service, sep, spec = part.partition("=")
        service = service.strip()
        if not sep or not service or not spec.strip():
            raise ValueError(f"{part!r} is not like service=5.00, service=2% or service=5.00/2%")
        if service in seen:
            raise ValueError(f"service type {service!r} occurs twice")
        seen.add(service)
        entry: dict[str, Any] = {"service_type": service}
        for limit in (x.strip() for x in spec.split("/")):
            key = "amount_tolerance_percent" if limit.endswith("%") else "amount_tolerance"
            if key in entry:
                raise ValueError(f"{part!r} gives the {'percent' if key.endswith('percent') else 'absolute'} "
                                 "tolerance twice")
            entry[key] = parse_amount(limit.removesuffix("%"))
        tolerances.append(entry)
    return tolerances


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MasterDataFileError(path, None, f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        # utf-8-sig: spreadsheets put a byte order mark in front of the header
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MasterDataFileError(path, None, f"not UTF-8 text (byte {exc.start})") from exc


def _is_json(path: Path, text: str) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return True
    if suffix == ".csv":
        return False
    return text.lstrip().startswith("[")


def _validate(model: type[M], values: dict[str, Any], path: Path, row: int, *, json_index: bool) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first.get("loc", ())
        field = str(loc[0]) if loc else None
        detail = str(first.get("msg", "invalid value"))
        if field is not None and field in values and first.get("type") != "extra_forbidden":
            detail = f"{detail} (got {values[field]!r})"
        raise MasterDataFileError(path, row, detail, field=field, json_index=json_index) from exc


def _csv_rows(path: Path, text: str, columns: tuple[str, ...], required: tuple[str, ...],
              optional: tuple[str, ...] = ()) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise MasterDataFileError(path, None, "the file is empty (expected a header row)") from None
    except csv.Error as exc:
        raise MasterDataFileError(path, 1, f"not readable as CSV: {exc}") from exc
    names = [h.strip().lower() for h in header]
    known = set(columns) | set(optional)
    if unknown := [n for n in names if n not in known]:
        raise MasterDataFileError(path, 1, f"unknown column(s) {unknown}; expected {list(columns)}")
    if missing := [c for c in required if c not in names]:
        raise MasterDataFileError(path, 1, f"missing column(s) {missing}")
    if len(set(names)) != len(names):
        raise MasterDataFileError(path, 1, "a column occurs more than once")
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines at the end of hand-edited files are harmless
            if len(cells) != len(names):
                raise MasterDataFileError(path, line, f"{len(cells)} values, the header has {len(names)} columns")
            yield line, {n: c.strip() for n, c in zip(names, cells, strict=True)}
    except csv.Error as exc:
        raise MasterDataFileError(path, reader.line_num, f"not readable as CSV: {exc}") from exc


def _csv_values(path: Path, line: int, cells: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, cell in cells.items():
        if cell == "":
            continue  # an empty cell means "not given", so the model's default applies
        if name in _AMOUNT_FIELDS:
            try:
                values[name] = parse_amount(cell)
            except ValueError as exc:
                raise MasterDataFileError(path, line, str(exc), field=name) from exc
        elif name in ("ibans", "aliases"):
            values[name] = [part.strip() for part in cell.split(";") if part.strip()]
        elif name == "service_tolerances":
            try:
                values[name] = parse_service_tolerances(cell)
            except ValueError as exc:
                raise MasterDataFileError(path, line, str(exc), field=name) from exc
        else:
            values[name] = cell
    return values


def _json_records(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        # Decimal, never float: an amount must arrive exactly as written
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise MasterDataFileError(path, None, f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError:
        raise MasterDataFileError(path, None, "the JSON is nested too deeply to be master data") from None
    if not isinstance(data, list):
        raise MasterDataFileError(path, None, "expected a JSON list of objects")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise MasterDataFileError(path, index, f"expected an object, got {type(item).__name__}", json_index=True)
        values = {k: v for k, v in item.items() if v is not None}
        for name in _AMOUNT_FIELDS & values.keys():
            if isinstance(values[name], str):
                try:
                    values[name] = parse_amount(values[name])
                except ValueError as exc:
                    raise MasterDataFileError(path, index, str(exc), field=name, json_index=True) from exc
        yield index, values


def _parse(path: Path, model: type[M], columns: tuple[str, ...], required: tuple[str, ...],
           optional: tuple[str, ...], check: Callable[[list[tuple[int, M]], bool], None]) -> list[M]:
    text = _read_text(path)
    is_json = _is_json(path, text)
    records: list[tuple[int, M]] = []
    if is_json:
        for index, values in _json_records(path, text):
            records.append((index, _validate(model, values, path, index, json_index=True)))
    else:
        for line, cells in _csv_rows(path, text, columns, required, optional):
            records.append((line, _validate(model, _csv_values(path, line, cells), path, line, json_index=False)))
    if not records:
        raise MasterDataFileError(path, None, "the file holds no records")
    check(records, is_json)
    return [record for _, record in records]


def _unique(path: Path, *, json_index: bool, field: str, keyed: Iterator[tuple[int, str]]) -> None:
    seen: dict[str, int] = {}
    for row, key in keyed:
        if key in seen:
            first = f"index {seen[key]}" if json_index else f"line {seen[key]}"
            raise MasterDataFileError(path, row, f"{key!r} occurs twice (first at {first})", field=field,
                                      json_index=json_index)
        seen[key] = row


def parse_suppliers(path: Path) -> list[SupplierV1]:
    """Suppliers from a CSV (``ibans`` separated by ``;``) or JSON file; one bad record refuses the file."""

    def check(records: list[tuple[int, SupplierV1]], is_json: bool) -> None:
        _unique(path, json_index=is_json, field="supplier_number",
                keyed=((row, s.supplier_number) for row, s in records))
        # one IBAN identifies one supplier, so a file that gives it to two is contradictory
        _unique(path, json_index=is_json, field="ibans",
                keyed=((row, iban) for row, s in records for iban in dict.fromkeys(s.ibans)))

    return _parse(path, SupplierV1, SUPPLIER_COLUMNS, _REQUIRED_SUPPLIER_COLUMNS, (), check)


def parse_accruals(path: Path) -> list[AccrualV1]:
    """Accruals from a CSV or JSON file; one bad record refuses the file."""

    def check(records: list[tuple[int, AccrualV1]], is_json: bool) -> None:
        _unique(path, json_index=is_json, field="accrual_number",
                keyed=((row, a.accrual_number) for row, a in records))

    return _parse(path, AccrualV1, ACCRUAL_COLUMNS, _REQUIRED_ACCRUAL_COLUMNS, _OPTIONAL_ACCRUAL_COLUMNS, check)


COMPANY_COLUMNS: Final = ("company_number", "name", "aliases", "vat_id", "street", "postal_code", "city", "country")


def parse_companies(path: Path) -> list[CompanyV1]:
    """The tenant's companies from a CSV (``aliases`` separated by ``;``) or JSON file; one bad record refuses it."""

    def check(records: list[tuple[int, CompanyV1]], is_json: bool) -> None:
        _unique(path, json_index=is_json, field="company_number",
                keyed=((row, c.company_number) for row, c in records))

    return _parse(path, CompanyV1, COMPANY_COLUMNS, ("company_number", "name"), (), check)
