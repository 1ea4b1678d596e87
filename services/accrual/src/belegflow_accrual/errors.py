"""Why accrual refuses a master-data batch; the refusal is published, never half applied."""

from __future__ import annotations

from belegflow_contracts.runtime.errors import BelegflowError


class BatchRefusedError(BelegflowError):
    """An accrual batch that breaks a rule; says which record and why. Nothing of the batch is stored."""

    def __init__(self, *, accrual_number: str | None, detail: str) -> None:
        where = f"accrual {accrual_number}: " if accrual_number else ""
        super().__init__(f"{where}{detail}")
        self.accrual_number = accrual_number
        self.detail = detail
