"""``belegflow learning list|forget|repeat|template-import|template-export``: what recognition learned from clerks'
corrections, and creditors' line templates, per tenant."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import typer
from pydantic import ValidationError

from belegflow_contracts.messages import LineTemplateV1
from belegflow_ops.ingest_api import IngestRequestError, call, exit_on


def _query(supplier: str | None) -> str:
    return f"?{urlencode({'supplier': supplier})}" if supplier else ""


def describe(layout: dict[str, Any]) -> list[str]:
    """One layout as the CLI prints it: a header line, then one line per learned field."""
    rows = [f"layout {layout['layout_id']}  supplier {layout['supplier_number']} ({layout['supplier_name']})  "
            f"fingerprint {layout['fingerprint']}  updated {layout['updated_at'][:19]}"]
    for f in layout["fields"]:
        where = {"same": "after", "right": "right of", "below": "below"}[f["relation"]]
        how = "corrected" if f["corrected"] else "confirmed"
        state = f"  DEMOTED: {f['demoted_why']}" if f["demoted"] else ""
        rows.append(f"    {f['field']:15} {where} '{f['anchor']}'  {how} on {f['learned_from']} by {f['by']} "
                    f"{f['at'][:10]}  used {f['uses']}x, failed {f['failures']}x{state}")
    return rows


def build_app(ingest_url: Callable[[], str]) -> typer.Typer:
    group = typer.Typer(no_args_is_help=True, help="what recognition learned from corrections (per tenant)")

    @group.command("list")
    def list_learned(
        tenant: Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")],
        supplier: Annotated[str | None, typer.Option(help="only this supplier number")] = None,
    ) -> None:
        """The learned layouts of a tenant: for each field its label, who taught it, uses and demotions."""
        with exit_on(IngestRequestError):
            answer = call("GET", ingest_url(), f"/v1/learning{_query(supplier)}", tenant=tenant, action="list")
        layouts, templates = answer["layouts"], answer.get("templates", [])
        if not layouts and not templates:
            typer.echo("nothing learned" + (f" for supplier {supplier}" if supplier else ""))
        for layout in layouts:
            typer.echo("\n".join(describe(layout)))
        for template in templates:
            typer.echo(f"line template  supplier {template['supplier_number']}  table under "
                       f"'{template['table_start']}'  columns {', '.join(c['name'] for c in template['columns'])}")

    @group.command("forget")
    def forget(
        tenant: Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")],
        layout: Annotated[int | None, typer.Option(help="the layout id (see `learning list`)", min=1)] = None,
        supplier: Annotated[str | None, typer.Option(help="every layout of this supplier")] = None,
    ) -> None:
        """Forget a learned layout, or all of a supplier's; the next documents are read as before (audited)."""
        if (layout is None) == (supplier is None):
            typer.echo("error: name either --layout or --supplier", err=True)
            raise typer.Exit(2)
        path = f"/v1/learning/{layout}" if layout is not None else f"/v1/learning{_query(supplier)}"
        with exit_on(IngestRequestError):
            answer = call("DELETE", ingest_url(), path, tenant=tenant, action="forget")
        for gone in answer["forgotten"]:
            typer.echo(f"forgot layout {gone['layout_id']} of supplier {gone['supplier_number']} "
                       f"({', '.join(f['field'] for f in gone['fields'])})")

    @group.command("repeat")
    def repeat(
        tenant: Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")],
        supplier: Annotated[str, typer.Option(help="the supplier whose waiting invoices are read again")],
    ) -> None:
        """Read every invoice of a supplier that waits for review again, with what was learned since."""
        with exit_on(IngestRequestError):
            answer = call("POST", ingest_url(), f"/v1/learning/repeat{_query(supplier)}", tenant=tenant,
                          action="repeat")
        for done in answer["repeated"]:
            typer.echo(f"{done['id']}: revision {done['revision']} started")
        for skipped in answer["skipped"]:
            typer.echo(f"{skipped['id']}: skipped: {skipped['why']}")
        if not answer["repeated"] and not answer["skipped"]:
            typer.echo(f"no invoice of supplier {supplier} waits for review")

    @group.command("template-import")
    def template_import(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a belegflow-line-template JSON file")],
        tenant: Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")],
    ) -> None:
        """Import (or replace) a creditor's line template; the file is checked before anything is sent."""
        try:
            template = LineTemplateV1.model_validate_json(file.read_bytes())
        except ValidationError as exc:
            for e in exc.errors():
                typer.echo(f"error: {file}: {'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}", err=True)
            raise typer.Exit(2) from None
        with exit_on(IngestRequestError):
            call("PUT", ingest_url(), "/v1/learning/templates", tenant=tenant, action="template-import",
                 json=template.model_dump(mode="json"))
        typer.echo(f"line template of supplier {template.supplier_number} imported "
                   f"({len(template.columns)} columns, table under '{template.table_start}')")

    @group.command("template-export")
    def template_export(
        tenant: Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")],
        supplier: Annotated[str, typer.Option(help="the creditor's supplier number")],
        out: Annotated[Path | None, typer.Option(help="write to this file instead of standard output")] = None,
    ) -> None:
        """A creditor's line template as imported, ready to edit and import again."""
        with exit_on(IngestRequestError):
            answer = call("GET", ingest_url(), f"/v1/learning/templates/{quote(supplier, safe='')}", tenant=tenant,
                          action="template-export")
        text = json.dumps(answer, indent=2, ensure_ascii=False) + "\n"
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            typer.echo(f"written to {out}")

    return group
