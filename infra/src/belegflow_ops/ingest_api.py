"""Operator commands that call ingest's HTTP API: one request, ingest's problem as the error, an exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import typer

from belegflow_ops.settings import OpsSettings
from belegflow_ops.stack import load_state


def auth_header() -> dict[str, str]:
    """The CLI's credential: ``BELEGFLOW_API_KEY``, else the local stack's bootstrap key; none without either."""
    settings = OpsSettings()
    key = settings.api_key
    if key is None:
        state = load_state(settings.home.resolve())
        key = state.bootstrap_api_key if state is not None else None
    return {"Authorization": f"Bearer {key}"} if key else {}


class IngestRequestError(RuntimeError):
    """Ingest refused the request (its status, code and detail), or could not be reached."""


def call(
    method: str, base: str, path: str, *, tenant: str, action: str, json: Any = None, client: httpx.Client | None = None
) -> Any:
    """Send one request to ingest as ``tenant``; its JSON answer, or ``IngestRequestError`` saying why not."""
    url = f"{base}{path}"
    headers = {"X-Tenant": tenant, **auth_header()}
    try:
        if client is None:
            response = httpx.request(method, url, json=json, headers=headers, timeout=30)
        else:
            response = client.request(method, url, json=json, headers=headers)
    except httpx.HTTPError as exc:
        raise IngestRequestError(f"ingest is not reachable at {base}: {exc}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 400:
        if isinstance(answer, dict) and "code" in answer:
            code, detail = f" {answer['code']}", answer.get("detail", "")
        else:
            code, detail = "", response.text.strip()[:300] or response.reason_phrase
        raise IngestRequestError(f"{action} refused ({response.status_code}{code}): {detail}")
    return answer


@contextmanager
def exit_on(error: type[Exception], code: int = 1) -> Iterator[None]:
    """Turn ``error`` into ``error: <message>`` on stderr and exit status ``code``."""
    try:
        yield
    except error as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code) from exc
