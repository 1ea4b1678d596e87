"""``belegflow recognition repeat|cancel``: ask ingest to recognise a document again, or to stop its recognition."""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

from belegflow_contracts.messages import OCR_ENGINES


class RecognitionRequestFailed(Exception):
    """Ingest refused the request or could not be reached; the message says which and why."""


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


def check_document_id(document_id: str) -> str:
    try:
        return str(uuid.UUID(document_id))
    except ValueError:
        raise RecognitionRequestFailed(f"{document_id!r} is not a document id (a UUID)") from None


def check_engine(engine: str | None) -> str | None:
    if engine is not None and engine.strip().lower() not in OCR_ENGINES:
        raise RecognitionRequestFailed(f"unknown OCR engine {engine!r}: use one of {', '.join(OCR_ENGINES)}")
    return engine.strip().lower() if engine is not None else None


def request(
    client: httpx.Client, base: str, action: str, document_id: str, *, tenant: str, body: dict[str, Any]
) -> dict[str, Any]:
    """POST a repeat or cancel to ingest; its answer, or ``RecognitionRequestFailed`` with ingest's reason."""
    url = f"{base}/v1/documents/{check_document_id(document_id)}/recognition/{action}"
    try:
        response = client.post(url, json=body, headers={"X-Tenant": tenant})
    except httpx.HTTPError as exc:
        raise RecognitionRequestFailed(f"cannot reach ingest at {base}: {exc}") from exc
    try:
        answer: dict[str, Any] = response.json()
    except ValueError:
        answer = {"detail": response.text.strip() or response.reason_phrase}
    if response.status_code >= 400:
        raise RecognitionRequestFailed(
            f"{action} refused ({response.status_code} {answer.get('code', '')}): {answer.get('detail')}"
        )
    return answer


def build_app(ingest_url: Callable[[], str]) -> typer.Typer:
    """The ``recognition`` command group; ``ingest_url`` finds ingest only when a command runs."""
    group = typer.Typer(no_args_is_help=True, help="repeat or cancel a document's recognition")

    @group.command("repeat")
    def repeat(
        document_id: Annotated[str, typer.Argument(help="document id (see `upload`)")],
        tenant: Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")],
        engine: Annotated[str | None, typer.Option(help=f"OCR engine: {', '.join(OCR_ENGINES)}")] = None,
        reason: Annotated[str, typer.Option(help="why (goes into the document's protocol)")] = "",
        by: Annotated[str | None, typer.Option("--by", help="who asks (default cli:<user>)")] = None,
    ) -> None:
        """Recognise a document again as a new revision; the pipeline runs and exports that revision."""
        try:
            check_document_id(document_id)
            chosen = check_engine(engine)
        except RecognitionRequestFailed as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        body = {"engine": chosen, "reason": reason, "requested_by": by or _who()}
        try:
            with httpx.Client(timeout=30) as client:
                answer = request(client, ingest_url(), "repeat", document_id, tenant=tenant, body=body)
        except RecognitionRequestFailed as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"{answer['id']}: revision {answer['revision']} started"
                   f" (OCR engine: {answer.get('engine') or 'chosen by ocr'})")

    @group.command("cancel")
    def cancel(
        document_id: Annotated[str, typer.Argument(help="document id (see `upload`)")],
        tenant: Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")],
        reason: Annotated[str, typer.Option(help="why (goes into the protocol and the review reason)")] = (
            "cancelled by an operator"),
        by: Annotated[str | None, typer.Option("--by", help="who asks (default cli:<user>)")] = None,
    ) -> None:
        """Stop a running (or waiting) recognition; the document goes to manual capture and review."""
        try:
            check_document_id(document_id)
        except RecognitionRequestFailed as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        if not reason.strip():
            typer.echo("error: --reason must not be empty", err=True)
            raise typer.Exit(2)
        body = {"reason": reason, "requested_by": by or _who()}
        try:
            with httpx.Client(timeout=30) as client:
                answer = request(client, ingest_url(), "cancel", document_id, tenant=tenant, body=body)
        except RecognitionRequestFailed as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"{answer['id']}: cancel of revision {answer['revision']} requested; "
                   "the document goes to manual capture and review")

    return group
