"""The master-data snapshot matching writes for devices after every supplier batch."""

from __future__ import annotations

from decimal import Decimal

from belegflow_matching.device_snapshot import build_snapshot, snapshot_key
from belegflow_matching.domain import SupplierRecord


def _supplier(number: str, *, cost_center: str | None = None, ibans: tuple[str, ...] = ()) -> SupplierRecord:
    return SupplierRecord(supplier_number=number, name=f"Supplier {number}", street=None, postal_code=None, city=None,
                          country="DE", ibans=ibans, vat_id="DE811569869", gl_account="3400", cost_center=cost_center,
                          tax_key="9", amount_tolerance=Decimal("0"))


def test_snapshot_holds_suppliers_and_the_cost_centres_of_their_master_data() -> None:
    snapshot = build_snapshot([_supplier("70002", cost_center="200", ibans=("DE02120300000000202051",)),
                               _supplier("70001", cost_center="100"), _supplier("70003", cost_center="100")])
    assert [s.number for s in snapshot.suppliers] == ["70001", "70002", "70003"]
    assert snapshot.suppliers[1].iban == "DE02120300000000202051"
    assert snapshot.suppliers[0].iban is None
    assert snapshot.suppliers[0].vat_id == "DE811569869"
    assert [c.code for c in snapshot.cost_centres] == ["100", "200"]
    assert snapshot_key("acme") == "acme.snapshot"


def test_snapshot_version_follows_the_content_only() -> None:
    a = build_snapshot([_supplier("70001"), _supplier("70002")])
    b = build_snapshot([_supplier("70002"), _supplier("70001")])
    c = build_snapshot([_supplier("70001")])
    assert a.version == b.version
    assert a.version != c.version
    assert build_snapshot([]).suppliers == []
