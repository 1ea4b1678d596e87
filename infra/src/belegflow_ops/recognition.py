"""``belegflow recognition repeat|cancel``: ask ingest to recognise a document again, or to stop its recognition."""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

from belegflow_contracts.messages import OCR_ENGINES
from belegflow_ops.ingest_api import IngestRequestError, call, exit_on


class RecognitionRequestFailed(IngestRequestError):
    """The request is not worth sending (a bad document id or engine); the message says why."""


def who() -> str:
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
    """POST a repeat or cancel to ingest; its answer, or ``IngestRequestError`` with ingest's reason."""
    path = f"/v1/documents/{check_document_id(document_id)}/recognition/{action}"
    answer: dict[str, Any] = call("POST", base, path, tenant=tenant, action=action, json=body, client=client)
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
        with exit_on(RecognitionRequestFailed, 2):
            check_document_id(document_id)
            chosen = check_engine(engine)
        body = {"engine": chosen, "reason": reason, "requested_by": by or who()}
        with exit_on(IngestRequestError), httpx.Client(timeout=30) as client:
            answer = request(client, ingest_url(), "repeat", document_id, tenant=tenant, body=body)
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
        with exit_on(RecognitionRequestFailed, 2):
            check_document_id(document_id)
        if not reason.strip():
            typer.echo("error: --reason must not be empty", err=True)
            raise typer.Exit(2)
        body = {"reason": reason, "requested_by": by or who()}
        with exit_on(IngestRequestError), httpx.Client(timeout=30) as client:
            answer = request(client, ingest_url(), "cancel", document_id, tenant=tenant, body=body)
        typer.echo(f"{answer['id']}: cancel of revision {answer['revision']} requested; "
                   "the document goes to manual capture and review")

    return group
