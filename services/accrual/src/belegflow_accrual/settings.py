"""Settings of the accrual service (environment, prefix ``BELEGFLOW_``)."""

from __future__ import annotations

from pydantic import Field

from belegflow_contracts.runtime.settings import DatabaseSettings


class Settings(DatabaseSettings):
    send_accruals: bool = Field(
        default=True, description="whether accrual numbers go to the TMS (BELEGFLOW_SEND_ACCRUALS)"
    )
