"""Settings of the ocr service (environment, prefix ``BELEGFLOW_``)."""

from __future__ import annotations

from pydantic import Field

from belegflow_contracts.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    ocr_timeout_s: float = Field(default=120.0, gt=0, description="wall-clock limit of one recognition")
    ocr_memory_mb: int = Field(default=2048, ge=128, description="address-space limit of the worker process")
    ocr_workers: int = Field(default=1, ge=1, description="recognition worker processes in this replica")
