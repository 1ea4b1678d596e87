"""Settings of the matching service (environment, prefix ``BELEGFLOW_``)."""

from __future__ import annotations

from pydantic import Field

from belegflow_contracts.runtime.settings import DatabaseSettings


class Settings(DatabaseSettings):
    touchless_min_confidence: float = Field(
        default=0.9, ge=0.0, le=1.0, description="least confidence of number, date and gross for touchless"
    )
