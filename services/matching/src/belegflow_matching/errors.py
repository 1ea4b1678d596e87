"""Why matching refuses a master-data batch or a person's review step; neither is ever half applied."""

from __future__ import annotations

from belegflow_contracts.runtime.errors import BelegflowError


class BatchRefusedError(BelegflowError):
    """A supplier batch that breaks a rule; says which record and why. Nothing of the batch is stored."""

    def __init__(self, *, supplier_number: str | None, detail: str) -> None:
        where = f"supplier {supplier_number}: " if supplier_number else ""
        super().__init__(f"{where}{detail}")
        self.supplier_number = supplier_number
        self.detail = detail


class ReviewRefusedError(BelegflowError):
    """A review step that cannot be taken: ``code`` says which rule, ``field`` which value; nothing is saved.

    Codes: ``not-found``, ``stale-version``, ``not-in-review``, ``reason-required``, ``invalid``,
    ``unknown-supplier``, ``incomplete``, ``four-eyes``.
    """

    def __init__(self, code: str, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
