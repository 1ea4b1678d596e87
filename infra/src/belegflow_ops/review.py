"""``belegflow review list|approve|reject|correct|supplier``: a person's review steps, through ingest's HTTP API.

The step is recorded under the CLI's credential (``BELEGFLOW_API_KEY``, else the local stack's key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

from belegflow_ops.ingest_api import IngestRequestError, call, exit_on
from belegflow_ops.recognition import RecognitionRequestFailed, check_document_id

VersionOpt = Annotated[int, typer.Option("--version", help="the review version you saw (see `review list`)")]
TenantOpt = Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")]


def build_app(ingest_url: Callable[[], str]) -> typer.Typer:
    """The ``review`` command group; ``ingest_url`` finds ingest only when a command runs."""
    group = typer.Typer(no_args_is_help=True, help="review invoices: approve, reject, correct, choose the supplier")

    def send(document_id: str, tenant: str, action: str, body: dict[str, Any]) -> None:
        with exit_on(RecognitionRequestFailed, 2):
            doc = check_document_id(document_id)
        with exit_on(IngestRequestError), httpx.Client(timeout=30) as client:
            answer = call("POST", ingest_url(), f"/v1/documents/{doc}/review/{action}", tenant=tenant,
                          action=action, json=body, client=client)
        typer.echo(f"{answer['id']}: revision {answer['revision']} {answer['state']} (version {answer['version']})")

    @group.command("list")
    def list_review(tenant: TenantOpt) -> None:
        """The tenant's documents waiting for review, with their version and why."""
        with exit_on(IngestRequestError), httpx.Client(timeout=30) as client:
            listed = call("GET", ingest_url(), "/v1/documents?status=review&limit=500", tenant=tenant,
                          action="list", client=client)
            for item in listed:
                doc = call("GET", ingest_url(), f"/v1/documents/{item['id']}", tenant=tenant, action="show",
                           client=client)
                review = doc.get("review") or {}
                typer.echo(f"{doc['id']}  {doc['filename']}  version {review.get('version', '-')}  "
                           + "; ".join(review.get("reasons") or []))

    @group.command("approve")
    def approve(document_id: str, tenant: TenantOpt, version: VersionOpt,
                reason: Annotated[str, typer.Option(help="why (optional)")] = "") -> None:
        """Approve the current revision (needs an approver): it goes on to accruals and is exported once."""
        send(document_id, tenant, "approve", {"expected_version": version, "reason": reason})

    @group.command("reject")
    def reject(document_id: str, tenant: TenantOpt, version: VersionOpt,
               reason: Annotated[str, typer.Option(help="why (required)")]) -> None:
        """Reject the current revision, with a reason; it is never exported."""
        send(document_id, tenant, "reject", {"expected_version": version, "reason": reason})

    @group.command("correct")
    def correct(
        document_id: str, tenant: TenantOpt, version: VersionOpt,
        value: Annotated[list[str], typer.Option("--set", help="FIELD=VALUE, e.g. invoice_number=RE-1 (repeatable)")],
        reason: Annotated[str, typer.Option(help="why (optional)")] = "",
    ) -> None:
        """Correct invoice values: document_type, invoice_number, invoice_date, due_date, currency, amounts."""
        body: dict[str, Any] = {"expected_version": version, "reason": reason}
        for item in value:
            name, sep, given = item.partition("=")
            if not sep or not name.strip():
                typer.echo(f"error: --set {item!r}: use FIELD=VALUE", err=True)
                raise typer.Exit(2)
            body[name.strip()] = given.strip()
        send(document_id, tenant, "correct", body)

    @group.command("supplier")
    def supplier(document_id: str, tenant: TenantOpt, version: VersionOpt,
                 number: Annotated[str, typer.Option("--number", help="supplier number in master data")]) -> None:
        """Choose (or override) the supplier from master data."""
        send(document_id, tenant, "supplier", {"expected_version": version, "supplier_number": number})

    return group
