"""Settings of the export service (environment, prefix ``BELEGFLOW_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from belegflow_contracts.runtime.settings import DatabaseSettings


class Settings(DatabaseSettings):
    export_dir: Path | None = Field(default=None, description="folder integrators read files from; off when unset")
    tms_versions: list[Literal[1, 2]] = Field(
        default=[1, 2], min_length=1,
        description="TMS transfer versions written and published, JSON: [1, 2]; version 2 carries the document type",
    )
