"""Settings of the export service (environment, prefix ``BELEGFLOW_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from belegflow_contracts.runtime.settings import DatabaseSettings


class DatevClientSettings(BaseModel):
    """One tenant's DATEV client: what differs from the installation's defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    consultant_number: int = Field(ge=1001, le=9_999_999)
    client_number: int = Field(ge=1, le=99_999)
    fiscal_year_start_month: int | None = Field(default=None, ge=1, le=12)
    account_length: int | None = Field(default=None, ge=4, le=8)
    chart_of_accounts: str | None = Field(default=None, pattern=r"^\d{2}$")


class Settings(DatabaseSettings):
    export_dir: Path | None = Field(default=None, description="folder integrators read files from; off when unset")
    tms_versions: list[Literal[1, 2]] = Field(
        default=[1, 2], min_length=1,
        description="TMS transfer versions written and published, JSON: [1, 2]; version 2 carries the document type",
    )
    # DATEV (EXTF header and document.xml); one consultant and client per installation
    datev_consultant_number: int = Field(default=1001, ge=1001, le=9_999_999, description="DATEV Beraternummer")
    datev_client_number: int = Field(default=1, ge=1, le=99_999, description="DATEV Mandantennummer")
    datev_fiscal_year_start_month: int = Field(default=1, ge=1, le=12, description="first month of the fiscal year")
    datev_account_length: int = Field(default=4, ge=4, le=8, description="GL account length (Sachkontenlänge)")
    datev_chart_of_accounts: str = Field(default="03", pattern=r"^\d{2}$", description="SKR, e.g. 03 or 04")
    datev_clients: dict[str, DatevClientSettings] = Field(
        default_factory=dict,
        description='per tenant, JSON: {"acme": {"consultant_number": 29098, "client_number": 55003}}; '
                    "a tenant not named gets the numbers above",
    )
    datev_schedule_day: int = Field(
        default=0, ge=0, le=28,
        description="from this day of a month on, the previous months' approved invoices are exported by "
                    "schedule; 0: no schedule",
    )
    datev_schedule_check_s: float = Field(default=3600.0, gt=0, description="how often the schedule looks")
    # the archive (GoBD): its own S3 server where set (one that enforces object lock), else the main one
    archive_s3_endpoint_url: str | None = Field(default=None, description="S3 endpoint of the archive bucket")
    archive_bucket: str = Field(default="archive", description="the archive bucket (object lock where supported)")
    archive_invoice_years: int = Field(default=8, ge=1, description="retention of invoices after their year ends")
    archive_booking_years: int = Field(default=10, ge=1, description="retention of booking records after the year")
