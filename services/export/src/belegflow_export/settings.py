"""Settings of the export service (environment, prefix ``BELEGFLOW_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from belegflow_contracts.runtime.settings import DatabaseSettings


class Settings(DatabaseSettings):
    export_dir: Path | None = Field(default=None, description="folder integrators read files from; off when unset")
