"""Settings every service reads from the environment (prefix ``BELEGFLOW_``); services extend them."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OtelExporter(StrEnum):
    CONSOLE = "console"
    OTLP = "otlp"
    NONE = "none"


class ServiceSettings(BaseSettings):
    """Connection and observability settings shared by all services. Required values have no default."""

    model_config = SettingsConfigDict(env_prefix="BELEGFLOW_", extra="ignore", frozen=True)

    nats_url: str = Field(description="NATS server URL, e.g. nats://127.0.0.1:4222")
    s3_endpoint_url: str = Field(description="S3 endpoint URL, e.g. http://127.0.0.1:9000")
    s3_access_key_id: str
    s3_secret_access_key: str
    s3_region: str = "us-east-1"
    log_level: str = "INFO"
    otel_exporter: OtelExporter = OtelExporter.CONSOLE
    otel_endpoint: str | None = Field(default=None, description="OTLP/HTTP endpoint when otel_exporter=otlp")
    metrics_port: int | None = Field(default=None, description="Prometheus metrics port; off when unset")


class DatabaseSettings(ServiceSettings):
    """Services that own a Postgres schema."""

    database_url: str = Field(description="postgresql://ROLE:PASSWORD@HOST:PORT/DB of this service's own role")
