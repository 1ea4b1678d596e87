"""Operator CLI settings: where the local stack lives, or which external servers to use instead."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OpsSettings(BaseSettings):
    """Read once by the CLI. With no URLs set, the embedded stack under ``home`` is used."""

    model_config = SettingsConfigDict(env_prefix="BELEGFLOW_", extra="ignore", frozen=True)

    home: Path = Field(default=Path(".belegflow"), description="state folder of the embedded stack")
    nats_url: str | None = None
    admin_database_url: str | None = Field(default=None, description="superuser DSN, to create roles/schemas")
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    ingest_url: str | None = Field(default=None, description="ingest HTTP base URL")
    ingest_database_url: str | None = Field(default=None, description="ingest's DSN, for `users` and `keys`; "
                                                                      "default: the local stack's")
    api_key: str | None = Field(default=None, description="API key the CLI sends to ingest; default: the local "
                                                          "stack's bootstrap key")
    role_passwords: dict[str, str] = Field(default_factory=dict, description="JSON: {service: password}")
    nats_sync_interval: str = Field(default="always", description="JetStream sync_interval of the local server")
    nats_replicas: int = Field(default=1, ge=1, le=5, description="stream and KV replicas `stack init` creates "
                                                                  "(3 on a three-node cluster)")


def redact_url(url: str) -> str:
    """A URL as it may be shown: ``scheme://user:***@host``, never with its password."""
    from urllib.parse import urlsplit, urlunsplit

    shown = []
    for one in url.split(","):
        parts = urlsplit(one.strip())
        if parts.password is None:
            shown.append(one.strip())
            continue
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        shown.append(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))
    return ",".join(shown)
