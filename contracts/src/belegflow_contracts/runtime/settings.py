"""Settings every service reads from the environment (prefix ``BELEGFLOW_``); services extend them."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class OtelExporter(StrEnum):
    CONSOLE = "console"
    OTLP = "otlp"
    NONE = "none"


class ServiceSettings(BaseSettings):
    """Connection and observability settings shared by all services. Required values have no default."""

    model_config = SettingsConfigDict(env_prefix="BELEGFLOW_", extra="ignore", frozen=True)

    # the services' NATS user; the server sends every other login (a device) to ingest's auth callout
    nats_user: str = Field(default="belegflow", description="NATS user of the services")
    nats_password: str | None = Field(
        default=None, description="password of the services' NATS user; added to nats_url when it names none"
    )
    nats_url: str = Field(description="NATS server URL, e.g. nats://127.0.0.1:4222 (may carry user:password@)")
    s3_endpoint_url: str = Field(description="S3 endpoint URL, e.g. http://127.0.0.1:9000")
    s3_access_key_id: str
    s3_secret_access_key: str
    s3_region: str = "us-east-1"
    s3_ca_bundle: str | None = Field(
        default=None, description="CA certificates (PEM file) to trust for an https S3 endpoint; default: certifi's"
    )
    log_level: str = "INFO"
    # spans go to a collector (otlp) or nowhere; console (stderr) is for debugging, never the log stream's default
    otel_exporter: OtelExporter = OtelExporter.NONE
    otel_endpoint: str | None = Field(default=None, description="OTLP/HTTP endpoint when otel_exporter=otlp")
    metrics_port: int | None = Field(default=None, description="Prometheus metrics port; off when unset")

    @field_validator("nats_url")
    @classmethod
    def _with_credentials(cls, url: str, info: ValidationInfo) -> str:
        password = info.data.get("nats_password")
        if not password:
            return url
        return ",".join(with_credentials(u.strip(), str(info.data.get("nats_user") or "belegflow"), password)
                        for u in url.split(","))


def nats_servers(url: str) -> list[str]:
    """The servers of a NATS URL setting: one URL, or a comma-separated list (the nodes of a cluster)."""
    return [one.strip() for one in url.split(",") if one.strip()]


def with_credentials(url: str, user: str, password: str) -> str:
    """``nats://host:port`` with ``user:password@`` added, unless the URL carries credentials already."""
    parts = urlsplit(url)
    if "@" in parts.netloc or not parts.netloc:
        return url
    # not percent-encoded: NATS clients take the user info as it stands (a password must not contain '/')
    netloc = f"{user}:{password}@{parts.netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class DatabaseSettings(ServiceSettings):
    """Services that own a Postgres schema."""

    database_url: str = Field(description="postgresql://ROLE:PASSWORD@HOST:PORT/DB of this service's own role")
    database_pool_size: int = Field(default=10, ge=1, description="most Postgres connections one replica holds")
