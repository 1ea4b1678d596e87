"""Settings of the ingest service (environment, prefix ``BELEGFLOW_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from belegflow_contracts.runtime.settings import DatabaseSettings


class Settings(DatabaseSettings):
    http_host: str = "0.0.0.0"  # noqa: S104 - a container listens on all interfaces
    http_port: int = Field(default=8080, ge=0, le=65535)
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1, description="largest accepted document")
    inbox_dir: Path | None = Field(default=None, description="watched folder: <inbox_dir>/<tenant>/<file>")
    inbox_poll_s: float = Field(default=2.0, gt=0)
