"""Why accrual refuses master data or a TMS event; a refusal is published or dead-lettered, never half applied."""

from __future__ import annotations

from typing import TYPE_CHECKING

from belegflow_contracts.runtime.errors import BelegflowError, PermanentError

if TYPE_CHECKING:
    from belegflow_contracts.messages import AccrualEventV1


class BatchRefusedError(BelegflowError):
    """An accrual batch that breaks a rule; says which record and why. Nothing of the batch is stored."""

    def __init__(self, *, accrual_number: str | None, detail: str) -> None:
        where = f"accrual {accrual_number}: " if accrual_number else ""
        super().__init__(f"{where}{detail}")
        self.accrual_number = accrual_number
        self.detail = detail


class AccrualEventRefusedError(PermanentError):
    """A TMS event that cannot apply to its accrual (unknown accrual, missing values, a contradiction)."""

    def __init__(self, event: AccrualEventV1, detail: str) -> None:
        super().__init__(f"accrual {event.accrual_number} event {event.sequence} ({event.kind.value}, "
                         f"{event.event_id}): {detail}")
        self.accrual_number = event.accrual_number
        self.sequence = event.sequence
        self.detail = detail
