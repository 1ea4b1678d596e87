"""Settings of the ingest service (environment, prefix ``BELEGFLOW_``)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from belegflow_contracts.runtime.settings import DatabaseSettings
from belegflow_contracts.types import normalize_tenant


class Mailbox(BaseModel):
    """A tenant's IMAP mailbox: documents mailed to it are taken in, the mail filed in a folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: str = Field(description="the tenant (Mandant) whose documents arrive here")
    host: str
    port: int = Field(default=993, ge=1, le=65535)
    security: Literal["tls", "starttls", "none"] = Field(
        default="tls", description="tls: IMAPS; starttls: upgrade on the IMAP port; none: only for a local server")
    user: str
    password: SecretStr
    folder: str = Field(default="INBOX", description="where new mail is read")
    processed_folder: str = Field(default="Processed", description="where mail whose documents were taken goes")
    refused_folder: str = Field(
        default="Refused", description="where refused mail is set aside, each with a note saying why")

    @field_validator("tenant")
    @classmethod
    def _tenant(cls, value: str) -> str:
        return normalize_tenant(value)


class Settings(DatabaseSettings):
    http_host: str = "0.0.0.0"  # noqa: S104 - a container listens on all interfaces
    http_port: int = Field(default=8080, ge=0, le=65535)
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1, description="largest accepted document")
    inbox_dir: Path | None = Field(default=None, description="watched folder: <inbox_dir>/<tenant>/<file>")
    inbox_poll_s: float = Field(default=2.0, gt=0)
    imap_mailboxes: list[Mailbox] = Field(
        default_factory=list, description='JSON list of mailboxes, e.g. [{"tenant": "acme", "host": '
        '"imap.example.com", "user": "rechnungen@acme.example", "password": "…"}]')
    imap_poll_s: float = Field(default=30.0, gt=0, description="how often each mailbox is read")
    max_mail_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1, description="largest message read from a mailbox; a larger one is refused "
        "unread")
    nats_auth_issuer_seed: str | None = Field(
        default=None, description="account nkey seed (SA…) that signs device users in the NATS auth callout; "
        "its public key is the server's auth_callout issuer. Unset: ingest does not answer device logins")
    device_nats_servers: str = Field(
        default="", description="comma-separated NATS URLs devices are given at pairing; default: BELEGFLOW_NATS_URL "
        "without its credentials")
    device_credentials_ttl_s: int = Field(
        default=300, ge=10, description="lifetime of a device's NATS authorization; a revoked device is cut off "
        "at the latest after this")
    nats_system_url: str | None = Field(
        default=None, description="a system-account user (nats://user:password@host:port): disconnects the open "
        "connections of a device that is reset or revoked. Unset: they end when their authorization expires")
    pairing_code_ttl_s: int = Field(default=86400, ge=60, description="default validity of a pairing code")
    bootstrap_api_key: str | None = Field(
        default=None, description="an API key (bfk_…) with every role for every tenant, kept (hashed) at start: "
        "the first credential of a fresh installation; `belegflow stack up` generates one")
    session_secret: str | None = Field(
        default=None, min_length=32, description="signs the review page's session cookies; every replica needs the "
        "same one (from a secret). Unset: a random one per process, so a session holds on that process only")
    session_ttl_s: int = Field(default=8 * 3600, ge=60, description="how long a review page session lasts")
    lockout_free_failures: int = Field(
        default=5, ge=1, description="failed sign-ins (password or API key) of one user from one client address "
        "before each further one locks that user at that address, for 1 s, 2 s, 4 s, ... up to "
        "BELEGFLOW_LOCKOUT_MAX_S")
    lockout_free_failures_address: int = Field(
        default=20, ge=1, description="failed sign-ins from one client address, whichever users they name, before "
        "each further one locks the address the same way")
    lockout_max_s: int = Field(default=900, ge=1, description="the longest lock one failure sets (429 with "
                               "Retry-After meanwhile)")
    lockout_forget_s: int = Field(default=3600, ge=1, description="failures are forgotten after this long without "
                                  "one; a successful sign-in forgets the user's at once")
    trusted_proxies: str = Field(
        default="", description="comma-separated addresses or networks (10.0.0.0/8) of reverse proxies whose "
        "X-Forwarded-For names the client; unset: the client is the connection's peer and the header is ignored")
    oidc_issuer: str | None = Field(default=None, description="OIDC issuer whose access tokens are accepted")
    oidc_jwks_url: str | None = Field(default=None, description="the issuer's JWKS URL (its signing keys)")
    oidc_audience: str | None = Field(default=None, description="the audience a token must name")
    oidc_roles_claim: str = Field(default="roles", description="claim listing belegflow roles")
    oidc_tenants_claim: str = Field(default="tenants", description="claim listing the tenants ('*': every one)")

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",")):
            if part:
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError:
                    raise ValueError(f"{part!r} is neither an IP address nor a network") from None
        return value

    def device_servers(self) -> list[str]:
        if self.device_nats_servers.strip():
            return [url.strip() for url in self.device_nats_servers.split(",") if url.strip()]
        servers = []
        for url in self.nats_url.split(","):
            parts = urlsplit(url.strip())
            host = parts.hostname or ""
            netloc = f"{host}:{parts.port}" if parts.port else host
            servers.append(urlunsplit((parts.scheme, netloc, parts.path, "", "")))
        return servers
