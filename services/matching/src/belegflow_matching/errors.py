"""Why matching refuses a master-data batch; the refusal is published, never half applied."""

from __future__ import annotations

from belegflow_contracts.runtime.errors import BelegflowError


class BatchRefusedError(BelegflowError):
    """A supplier batch that breaks a rule; says which record and why. Nothing of the batch is stored."""

    def __init__(self, *, supplier_number: str | None, detail: str) -> None:
        where = f"supplier {supplier_number}: " if supplier_number else ""
        super().__init__(f"{where}{detail}")
        self.supplier_number = supplier_number
        self.detail = detail
