"""``belegflow``: the operator CLI (local stack, services, master data, upload, extraction, DLQ)."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import httpx
import typer

from belegflow_ops import (
    books,
    credentials_cli,
    deploykit,
    devices,
    extras,
    learning,
    processes,
    recognition,
    review,
    stack,
)
from belegflow_ops.ingest_api import auth_header
from belegflow_ops.settings import OpsSettings

app = typer.Typer(no_args_is_help=True, help="belegflow operator CLI")
stack_app = typer.Typer(no_args_is_help=True, help="the embedded local stack (NATS, Postgres, S3)")
services_app = typer.Typer(no_args_is_help=True, help="the five service processes on the local stack")
md_app = typer.Typer(no_args_is_help=True, help="master data")
dlq_app = typer.Typer(no_args_is_help=True, help="dead letters")
app.add_typer(stack_app, name="stack")
app.add_typer(services_app, name="services")
app.add_typer(md_app, name="masterdata")
app.add_typer(dlq_app, name="dlq")
# resolved when a command runs: BELEGFLOW_INGEST_URL, else the local services
app.add_typer(devices.build_app(lambda: _ingest_url(_settings())), name="devices")

T = TypeVar("T")
TenantOpt = Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")]


def _recognition_ingest_url() -> str:
    return _ingest_url(_settings())


def _settings() -> OpsSettings:
    return OpsSettings()


def _state(settings: OpsSettings) -> stack.StackState:
    state = stack.load_state(settings.home.resolve())
    if state is None or not stack.is_running(state):
        typer.echo(f"no running stack under {settings.home}: run `belegflow stack up` first", err=True)
        raise typer.Exit(2)
    return state


def _nats_url(settings: OpsSettings) -> str:
    return settings.nats_url or _state(settings).nats_url


def _ingest_url(settings: OpsSettings) -> str:
    if settings.ingest_url:
        return settings.ingest_url.rstrip("/")
    services = processes.ServiceSet.load(settings.home.resolve())
    if services is None:
        typer.echo("no ingest URL: set BELEGFLOW_INGEST_URL or run `belegflow services up`", err=True)
        raise typer.Exit(2)
    return services.ingest_url


def _init(state: stack.StackState) -> None:
    from belegflow_ops.setup import Targets, init_all

    asyncio.run(init_all(Targets(state.nats_url, state.admin_dsn, state.s3_url, state.s3_access_key,
                                 state.s3_secret_key, state.role_passwords, nats_replicas=state.nats_replicas)))


# --- stack ---------------------------------------------------------------------------------------


@stack_app.command("up")
def stack_up(
    cluster: Annotated[int | None, typer.Option(
        "--cluster", help="NATS nodes: 3 runs a cluster whose streams keep three replicas (R3), so one node may "
        "fail; default 1, or what the existing stack has")] = None,
    nats_monitor: Annotated[bool | None, typer.Option(
        "--nats-monitor/--no-nats-monitor", help="NATS monitoring (/varz, /connz) on 127.0.0.1; it answers "
        "without credentials, so it is off unless asked for; default: what the existing stack has")] = None,
) -> None:
    """Start NATS (JetStream), Postgres and S3 on free ports; create roles, schemas, streams, buckets."""
    settings = _settings()

    def progress(line: str) -> None:
        typer.echo(line, err=True)

    try:
        state = stack.up(settings.home, sync_interval=settings.nats_sync_interval, progress=progress, cluster=cluster,
                         nats_monitor=nats_monitor)
        progress("creating roles, schemas, streams and buckets ...")
        _init(state)
    except (stack.StackError, RuntimeError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    # never a password: they are in the 0600 files under the stack's folder
    nodes = f", {state.nats_cluster} NATS nodes, streams R{state.nats_replicas}" if state.nats_cluster > 1 else ""
    typer.echo(f"stack running under {state.home} (JetStream sync_interval: {state.sync_interval}{nodes})")
    typer.echo(f"  NATS      {state.nats_server_url} (operator user {state.nats_user})\n"
               f"  Postgres  {state.admin_dsn_shown}\n  S3        {state.s3_url}")
    if state.nats_monitor:
        typer.echo(f"  NATS monitoring http://127.0.0.1:{state.nats_monitor_port} (no credentials: this machine only)")
    typer.echo(f"credentials: {stack.state_file(Path(state.home))}; settings per service: "
               f"{state.home}/env/<service>.env (both readable by their owner only)")


@stack_app.command("down")
def stack_down() -> None:
    """Stop the services and the stack; state stays on disk."""
    settings = _settings()
    services = processes.ServiceSet.load(settings.home.resolve())
    if services is not None:
        processes.stop_all(services)
    stack.down(settings.home)
    typer.echo("stack stopped")


@stack_app.command("status")
def stack_status() -> None:
    settings = _settings()
    state = stack.load_state(settings.home.resolve())
    if state is None:
        typer.echo("no stack")
        raise typer.Exit(1)
    for name, pid in state.pids.items():
        typer.echo(f"{name:9} pid {pid:<8} {'running' if stack._alive(pid) else 'stopped'}")
    services = processes.ServiceSet.load(settings.home.resolve())
    for name, pid in (services.pids if services else {}).items():
        typer.echo(f"{name:9} pid {pid:<8} {'running' if stack._alive(pid) else 'stopped'}")
    if not stack.is_running(state):
        raise typer.Exit(1)


@stack_app.command("env")
def stack_env(
    service: Annotated[str, typer.Argument(help="ingest|ocr|matching|accrual|export")],
    show_secrets: Annotated[bool, typer.Option(
        "--show-secrets", help="print passwords, secret keys and seeds too (else shown as ***)")] = False,
) -> None:
    """Print the environment a service needs against the local stack, secrets hidden unless asked for.

    The whole environment is in the 0600 file named at the end (``set -a; . FILE``).
    """
    if service not in stack.SERVICES:
        typer.echo(f"unknown service {service!r}; one of {', '.join(stack.SERVICES)}", err=True)
        raise typer.Exit(2)
    state = _state(_settings())
    env = state.service_env(service)
    for key, value in (env if show_secrets else stack.redacted_env(env)).items():
        typer.echo(f"{key}={value}")
    if not show_secrets:
        typer.echo(f"# secrets hidden; all of it, readable by its owner only: "
                   f"{stack.env_file(Path(state.home), service)} (or --show-secrets)", err=True)


@stack_app.command("issuer")
def stack_issuer() -> None:
    """Print a new NATS auth-callout issuer: the seed for ingest and the public key for the NATS server."""
    seed = stack.new_issuer_seed()
    typer.echo(f"BELEGFLOW_NATS_AUTH_ISSUER_SEED={seed}")
    typer.echo(f"NATS_AUTH_ISSUER={stack.issuer_public_key(seed)}")


# the secrets compose.yaml requires (it has no example values, so none can run by accident)
# (and each service's own NATS password and S3 secret key, belegflow_ops.deploykit)
COMPOSE_SECRETS = (*deploykit.deploy_secrets(), "NATS_SYSTEM_PASSWORD", "POSTGRES_PASSWORD", "INGEST_DB_PASSWORD",
                   "OCR_DB_PASSWORD", "MATCHING_DB_PASSWORD", "ACCRUAL_DB_PASSWORD", "EXPORT_DB_PASSWORD",
                   "MINIO_ROOT_PASSWORD", "S3_SECRET", "GRAFANA_ADMIN_PASSWORD", "SESSION_SECRET")


@stack_app.command("secrets")
def stack_secrets() -> None:
    """Print a fresh set of every secret compose.yaml needs, as lines for .env (redirect it; it is shown once)."""
    for name in COMPOSE_SECRETS:
        typer.echo(f"{name}={secrets.token_urlsafe(24)}")
    seed = stack.new_issuer_seed()
    typer.echo(f"NATS_AUTH_ISSUER_SEED={seed}")
    typer.echo(f"NATS_AUTH_ISSUER={stack.issuer_public_key(seed)}")
    typer.echo(f"BOOTSTRAP_API_KEY={stack.new_api_key()}")


@stack_app.command("nats-config")
def stack_nats_config(
    helm: Annotated[bool, typer.Option("--helm", help="as config.merge of infra/k8s/nats/values.yaml")] = False,
) -> None:
    """Print the NATS authorization block of the kit: the operator's user and one user per service with its
    permissions (belegflow_ops.natsperms); passwords are $NATS_<SERVICE>_PASSWORD references, never values."""
    typer.echo(deploykit.helm_block() if helm else deploykit.nats_conf_block(), nl=False)


@stack_app.command("s3-policies")
def stack_s3_policies(
    out: Annotated[Path | None, typer.Option(help="write belegflow-<service>.json files into this folder")] = None,
    k8s: Annotated[bool, typer.Option("--k8s", help="print the ConfigMap of infra/k8s/base")] = False,
) -> None:
    """The MinIO policy of each service's S3 key (its buckets and actions only), from deploykit.S3_RIGHTS."""
    if k8s:
        typer.echo(deploykit.s3_policies_configmap(), nl=False)
        return
    policies = deploykit.s3_policies()
    if out is None:
        typer.echo(json.dumps({name: json.loads(text) for name, text in policies.items()}, indent=2))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, text in policies.items():
        (out / name).write_text(text, encoding="utf-8")
    typer.echo(f"wrote {len(policies)} policies to {out}", err=True)


@stack_app.command("init")
def stack_init() -> None:
    """Initialise external servers named by BELEGFLOW_* URLs (compose, Kubernetes): roles, streams, buckets."""
    from belegflow_ops.setup import Targets, init_all

    s = _settings()
    if not (s.nats_url and s.s3_endpoint_url and s.s3_access_key_id and s.s3_secret_access_key):
        typer.echo("set BELEGFLOW_NATS_URL, BELEGFLOW_S3_ENDPOINT_URL, BELEGFLOW_S3_ACCESS_KEY_ID and "
                   "BELEGFLOW_S3_SECRET_ACCESS_KEY (and BELEGFLOW_ADMIN_DATABASE_URL for the database)", err=True)
        raise typer.Exit(2)
    asyncio.run(init_all(Targets(s.nats_url, s.admin_database_url, s.s3_endpoint_url, s.s3_access_key_id,
                                 s.s3_secret_access_key, s.role_passwords, nats_replicas=s.nats_replicas)))
    typer.echo("initialised")


# --- services ------------------------------------------------------------------------------------


@services_app.command("up")
def services_up(
    out: Annotated[Path, typer.Option(help="folder the export service writes files to")] = Path("out"),
    inbox: Annotated[Path, typer.Option(help="watched inbox folder (<inbox>/<tenant>/<file>)")] = Path("inbox"),
) -> None:
    """Start ingest, ocr, matching, accrual and export against the local stack."""
    settings = _settings()
    state = _state(settings)
    old = processes.ServiceSet.load(Path(state.home))
    if old is not None:
        processes.stop_all(old)
    typer.echo(f"starting {', '.join(stack.SERVICES)} ...", err=True)
    began = time.monotonic()
    try:
        services = processes.start_all(state, export_dir=out, inbox_dir=inbox)
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"services ready ({time.monotonic() - began:.1f} s)", err=True)
    typer.echo(f"services running; ingest at {services.ingest_url} (OpenAPI: {services.ingest_url}/docs)")
    typer.echo(f"logs: {state.home}/logs/<service>.log")


@services_app.command("down")
def services_down() -> None:
    services = processes.ServiceSet.load(_settings().home.resolve())
    if services is not None:
        processes.stop_all(services)
    typer.echo("services stopped")


# --- master data ---------------------------------------------------------------------------------


@md_app.command("import")
def md_import(
    kind: Annotated[str, typer.Argument(help="suppliers | accruals | companies")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    tenant: TenantOpt,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the owner to apply it")] = 30.0,
) -> None:
    """Import a CSV or JSON file; all rows or none. A bad row is named and nothing is imported."""
    from belegflow_contracts.masterdata import MasterDataFileError
    from belegflow_ops.masterdata import import_file

    kinds: dict[str, Literal["suppliers", "accruals", "companies"]] = {
        "suppliers": "suppliers", "accruals": "accruals", "companies": "companies"}
    if kind not in kinds:
        typer.echo(f"unknown master data kind {kind!r}: use suppliers, accruals or companies", err=True)
        raise typer.Exit(2)
    md_kind = kinds[kind]
    try:
        applied = asyncio.run(import_file(md_kind, file, tenant=tenant, nats_url=_nats_url(_settings()),
                                          timeout_s=timeout))
    except MasterDataFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except (TimeoutError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except RecursionError as exc:
        typer.echo(f"error: {file} is nested too deeply to be master data; nothing was imported", err=True)
        raise typer.Exit(1) from exc
    if applied.error:
        typer.echo(f"error: {kind} from {file} refused: {applied.error}", err=True)
        raise typer.Exit(1)
    typer.echo(f"imported {applied.applied} {kind} from {file} for tenant {applied.tenant}")


@md_app.command("accrual-settings")
def md_accrual_settings(
    tenant: TenantOpt,
    send: Annotated[bool, typer.Option("--send/--no-send", help="send accrual numbers to the TMS")],
    position_pattern: Annotated[list[str] | None, typer.Option(
        "--position-pattern", help="regular expression of the tenant's position/file numbers (repeatable)")] = None,
    by: Annotated[str, typer.Option(help="who changes them")] = "ops:cli",
) -> None:
    """Set a tenant's accrual settings; the accrual export goes out whether numbers are sent or not."""
    from datetime import UTC, datetime

    from pydantic import ValidationError

    from belegflow_contracts.messages import AccrualSettingsV1
    from belegflow_ops.masterdata import publish_accrual_settings

    try:
        settings = AccrualSettingsV1(tenant=tenant, send_accrual_numbers=send, position_patterns=position_pattern or [],
                                     changed_by=by, changed_at=datetime.now(UTC))
    except ValidationError as exc:
        typer.echo(f"error: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from exc
    try:
        seq = asyncio.run(publish_accrual_settings(settings, nats_url=_nats_url(_settings())))
    except TimeoutError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"accrual settings of tenant {settings.tenant} published (MD #{seq}): accrual numbers "
               f"{'sent' if send else 'not sent'}, {len(settings.position_patterns)} position pattern(s)")


# --- documents -----------------------------------------------------------------------------------


class IngestUnreachableError(RuntimeError):
    """Ingest did not answer at all (not running, wrong URL)."""


def upload_file(client: httpx.Client, base: str, tenant: str, path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            response = client.post(f"{base}/v1/documents", files={"file": (path.name, fh)},
                                   headers={"X-Tenant": tenant, **auth_header()})
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise IngestUnreachableError(f"ingest at {base} does not answer ({exc}): is it running? "
                                     "(`belegflow services up`, or set BELEGFLOW_INGEST_URL)") from exc
    except httpx.HTTPError as exc:
        raise ValueError(f"{path.name}: {type(exc).__name__}: {exc}") from exc
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {"code": "not-json", "detail": response.text[:200]}
    if response.status_code >= 400:
        retry = f" (retry after {response.headers['Retry-After']} s)" if "Retry-After" in response.headers else ""
        raise ValueError(f"{path.name}: {response.status_code} {body.get('code')}: {body.get('detail')}{retry}")
    return body


@app.command("upload")
def upload(
    files: Annotated[list[Path], typer.Argument(exists=True, help="files, or folders of them")],
    tenant: TenantOpt,
    jobs: Annotated[int, typer.Option(min=1, max=64, help="uploads at the same time")] = 4,
    wait: Annotated[bool, typer.Option("--wait", help="wait until every document is exported, in review "
                                                      "or failed")] = False,
    timeout: Annotated[float, typer.Option(help="seconds --wait waits at most")] = 600.0,
) -> None:
    """Upload documents to ingest over HTTP; progress (count, rate) on standard error."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    base = _ingest_url(_settings())
    todo = _expand(files)
    progress = Progress("uploaded", len(todo))
    failed = 0
    ids: dict[str, str] = {}
    with httpx.Client(timeout=60) as client, ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(upload_file, client, base, tenant, path): path for path in todo}
        for future in as_completed(futures):
            path = futures[future]
            try:
                body = future.result()
            except IngestUnreachableError as exc:
                for other in futures:
                    other.cancel()
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(1) from exc
            except ValueError as exc:
                typer.echo(f"error: {exc}", err=True)
                failed += 1
                progress.step(failed=True)
                continue
            ids[str(path)] = body["id"]
            typer.echo(f"{path.name}: {'duplicate of ' if body['duplicate'] else ''}{body['id']}")
            progress.step()
        if wait and ids:
            docs = _wait_final(client, base, ids, timeout, progress=Progress("processed", len(ids)))
            stuck = {name: d.get("status") for name, d in docs.items() if d.get("status") not in FINAL_STATUSES}
            for name, status in stuck.items():
                typer.echo(f"error: {Path(name).name}: {status}", err=True)
            failed += len(stuck)
    raise typer.Exit(1 if failed else 0)


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for the files in it (not hidden ones), in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            files.append(path)
    return files


class Progress:
    """Counts and rate of long work on standard error (standard output stays the result), at most once a second."""

    def __init__(self, what: str, total: int, *, every_s: float = 1.0) -> None:
        self.what, self.total, self.every_s = what, total, every_s
        self.done = self.failed = 0
        self.started = self._shown = time.monotonic()

    def step(self, *, failed: bool = False) -> None:
        self.done += 1
        self.failed += failed
        now = time.monotonic()
        if now - self._shown >= self.every_s or self.done == self.total:
            self._shown = now
            self.show()

    def show(self) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        failed = f", {self.failed} failed" if self.failed else ""
        typer.echo(f"{self.what}: {self.done}/{self.total}{failed} ({self.done / elapsed:.1f}/s, "
                   f"{elapsed:.0f} s)", err=True)


@app.command("extract")
def extract(
    files: Annotated[list[Path], typer.Argument(help="PDF, image or e-invoice XML files, or folders of them")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per document and line")] = False,
) -> None:
    """Run recognition on files with no server at all (needs belegflow-ops[ocr])."""
    extras.require("ocr")
    from belegflow_ocr import extract_to_json
    from belegflow_ocr.errors import RecognitionError

    status = 0
    todo = _expand(files)
    progress = Progress("extracted", len(todo)) if len(todo) > 1 else None
    for path in todo:
        try:
            result = extract_to_json(path)
        except Exception as exc:
            # one line per input, so a batch stays parseable and goes on; the error says what is wrong with
            # this file (a RecognitionError); anything else is a fault of ours, still named, never a traceback
            expected = isinstance(exc, (OSError, RecognitionError))
            detail = str(exc) if expected else f"internal error: {type(exc).__name__}: {exc}"
            if as_json:
                typer.echo(json.dumps({"file": str(path), "error": detail, "error_type": type(exc).__name__}))
            typer.echo(f"error: {path}: {detail}" if str(path) not in detail else f"error: {detail}", err=True)
            status = 1
            if progress:
                progress.step(failed=True)
            continue
        if progress:
            progress.step()
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
            continue
        typer.echo(f"{path} ({result['reader']})")
        fields = result["fields"]
        assert isinstance(fields, dict)
        for name, field in fields.items():
            if field:
                typer.echo(f"  {name:22} {field['value']}  ({field['confidence']:.2f})")
    raise typer.Exit(status)


@app.command("schemas")
def schemas(
    check: Annotated[bool, typer.Option("--check", help="fail when the checked-in files drift")] = False,
    root: Annotated[Path, typer.Option(help="contracts folder")] = Path("contracts"),
) -> None:
    """Write (or check) JSON Schema per contract and AsyncAPI per service, generated from the code."""
    from belegflow_ops.schemas import drift, write

    if check:
        problems = drift(root)
        for problem in problems:
            typer.echo(f"drift: {problem}", err=True)
        raise typer.Exit(1 if problems else 0)
    for path in write(root):
        typer.echo(f"wrote {path}")


# --- dead letters --------------------------------------------------------------------------------


def _run_nats(work: Awaitable[T]) -> T:
    """Run a NATS call of the CLI; a server that cannot be reached is a one-line error, not a traceback."""
    import nats.errors

    try:
        return asyncio.run(work)  # type: ignore[arg-type]
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        typer.echo(f"error: NATS did not answer: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1) from exc


@dlq_app.command("list")
def dlq_list() -> None:
    """Show the dead letters with their reasons."""
    from belegflow_ops.dlq import read_dead_letters

    letters = _run_nats(read_dead_letters(_nats_url(_settings())))
    if not letters:
        typer.echo("the DLQ is empty")
        return
    for seq, letter in letters:
        typer.echo(f"#{seq} {letter.at:%Y-%m-%d %H:%M:%S} {letter.service:9} {letter.subject}  "
                   f"doc={letter.document_id or '-'}\n    {letter.reason.splitlines()[0][:200]}")


@dlq_app.command("redrive")
def dlq_redrive(
    sequence: Annotated[list[int], typer.Argument(help="DLQ stream sequence numbers (see `dlq list`)")],
) -> None:
    """Publish dead letters again to the subject they came from."""
    from belegflow_ops.dlq import UnknownDeadLetterError, redrive

    try:
        done = _run_nats(redrive(_nats_url(_settings()), sequence))
    except UnknownDeadLetterError as exc:
        typer.echo(f"error: {exc}; nothing re-driven", err=True)
        raise typer.Exit(1) from exc
    for seq, subject in done:
        typer.echo(f"#{seq} re-driven to {subject}")


# --- recognition: repeat and cancel -------------------------------------------------------------

app.add_typer(recognition.build_app(_recognition_ingest_url), name="recognition")
app.add_typer(review.build_app(_recognition_ingest_url), name="review")
app.add_typer(learning.build_app(_recognition_ingest_url), name="learning")


def _ingest_database_url() -> str:
    settings = _settings()
    return settings.ingest_database_url or _state(settings).database_url("ingest")


users_app, keys_app = credentials_cli.build_apps(_ingest_database_url)


def _export_settings(out: Path | None) -> Any:
    return books.export_settings(_state(_settings()).service_env("export"), out)


export_app, archive_app = books.build_apps(_export_settings)
app.add_typer(export_app, name="export")
app.add_typer(archive_app, name="archive")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")


# --- the whole way, for `make run` ---------------------------------------------------------------


@app.command("demo")
def demo(
    samples: Annotated[Path, typer.Option(help="folder with invoices/ and masterdata/")] = Path("samples"),
    out: Annotated[Path, typer.Option(help="where exports are written")] = Path("out"),
    tenant: TenantOpt = "demo",
    timeout: Annotated[float, typer.Option(help="seconds to wait for all exports")] = 180.0,
    keep_running: Annotated[bool, typer.Option("--keep-running/--stop", help="leave the stack up")] = True,
) -> None:
    """Start everything, import the sample master data, upload the sample invoices, show what became of them."""
    stack_up(cluster=None)
    services_up(out=out, inbox=Path(_settings().home) / "inbox")
    md_import("suppliers", samples / "masterdata" / "suppliers.csv", tenant, 60.0)
    md_import("accruals", samples / "masterdata" / "accruals.csv", tenant, 60.0)
    if (samples / "masterdata" / "companies.csv").exists():
        md_import("companies", samples / "masterdata" / "companies.csv", tenant, 60.0)
    base = _ingest_url(_settings())
    invoices = sorted((samples / "invoices").glob("*.pdf"))
    ids: dict[str, str] = {}
    uploaded = Progress("uploaded", len(invoices))
    with httpx.Client(timeout=60, headers=auth_header()) as client:
        for path in invoices:
            try:
                ids[path.name] = upload_file(client, base, tenant, path)["id"]
            except (ValueError, IngestUnreachableError) as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(1) from exc
            uploaded.step()
        docs = _wait_final(client, base, ids, timeout, progress=Progress("processed", len(ids)))
    _print_table(docs)
    login = _demo_login(tenant)
    typer.echo(f"\nexports in {out.resolve()}; ingest API at {base}/docs")
    waiting = sum(1 for d in docs.values() if d.get("status") == "review")
    if waiting:
        typer.echo(f"{waiting} invoice(s) wait for review: curl -u {login.name} {base}/v1/documents?status=review")
    typer.echo(f"sign in at {base}/desk as local user {login.name!r} (clerk and approver of {tenant}); "
               f"its password is in {login.password_file}")
    _demo_books(docs, out, tenant)
    if not keep_running:
        stack_down()
    if any(d.get("status") not in FINAL_STATUSES for d in docs.values()):
        raise typer.Exit(1)


def _demo_books(docs: dict[str, dict[str, Any]], out: Path, tenant: str) -> None:
    """The DATEV export of every month with exported invoices, then the archive, verified."""
    months = sorted({str(((d.get("fields") or {}).get("fields") or {}).get("invoice_date", {}).get("value", ""))[:7]
                     for d in docs.values() if d.get("status") == "exported"} - {""})
    typer.echo("")
    for month in months:
        for line in asyncio.run(books.datev_run(_export_settings(out), tenant, month, by="demo", reexport=[],
                                                reason=None)):
            typer.echo(line)
    for report in asyncio.run(books.verify_archive(_export_settings(None), tenant)):
        typer.echo(f"archive {report.tenant}: {report.entries} index entries, {report.objects} objects, "
                   f"{'verified OK' if report.ok else f'{len(report.findings)} finding(s)'} "
                   f"(`belegflow archive verify`; bucket 'archive' at {_state(_settings()).archive_s3_url})")


@dataclass(frozen=True)
class DemoLogin:
    name: str
    password_file: Path


def _demo_login(tenant: str) -> DemoLogin:
    """The demo's local user (clerk and approver of the tenant); its password lies in a file only we may read."""
    from belegflow_contracts import credentials

    settings = _settings()
    name, path = f"{tenant}-clerk", settings.home.resolve() / f"{tenant}-clerk.password"
    if path.exists():
        return DemoLogin(name=name, password_file=path)
    password = secrets.token_urlsafe(15)

    async def add() -> None:
        import asyncpg

        conn = await asyncpg.connect(_ingest_database_url(), server_settings={"search_path": "ingest"})
        try:
            await credentials.add_user(conn, name=name, password_hash=credentials.hash_password(password),
                                       roles=["approver", "clerk"], tenants=[tenant])
        finally:
            await conn.close()

    try:
        asyncio.run(add())
    except credentials.CredentialExistsError:
        typer.echo(f"local user {name} exists, but {path} is gone: add another with `belegflow users add`", err=True)
        return DemoLogin(name=name, password_file=path)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    return DemoLogin(name=name, password_file=path)


# where a document stays until a person or a repeat moves it on
FINAL_STATUSES = ("exported", "review", "rejected")


def _decision(doc: dict[str, Any]) -> str:
    """touchless, review (waiting), approved or rejected (by a person)."""
    review = doc.get("review") or {}
    if review.get("state") == "approved" and review.get("action") == "touchless":
        return "touchless"
    return str(review.get("state") or "-")


def _wait_final(client: httpx.Client, base: str, ids: dict[str, str], timeout: float, *,
                progress: Progress | None = None) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    docs: dict[str, dict[str, Any]] = {}
    final = (*FINAL_STATUSES, "failed")
    done = 0
    while time.monotonic() < deadline:
        for name, doc_id in ids.items():
            if docs.get(name, {}).get("status") in final:
                continue
            try:
                docs[name] = client.get(f"{base}/v1/documents/{doc_id}", headers=auth_header()).json()
            except (httpx.HTTPError, ValueError):
                continue  # ingest briefly away or busy: asked again on the next round
            if progress and docs[name].get("status") in final:
                progress.step(failed=docs[name].get("status") == "failed")
        done = sum(1 for d in docs.values() if d.get("status") in final)
        if done == len(ids):
            break
        time.sleep(0.5)
    return docs


def _print_table(docs: dict[str, dict[str, Any]]) -> None:
    rows = [("file", "status", "decision", "invoice no", "date", "gross", "supplier", "matched by", "accruals")]
    for name, doc in docs.items():
        fields = ((doc.get("fields") or {}).get("fields")) or {}
        supplier = ((doc.get("supplier") or {}).get("supplier")) or (doc.get("review") or {}).get("supplier") or {}
        accruals = ",".join(a["accrual_number"] for a in (doc.get("assignments") or []))
        rows.append((
            name, str(doc.get("status")), _decision(doc), str((fields.get("invoice_number") or {}).get("value", "-")),
            str((fields.get("invoice_date") or {}).get("value", "-")),
            str((fields.get("gross_amount") or {}).get("value", "-")),
            f"{supplier.get('supplier_number', '-')} {supplier.get('name', '')}".strip(),
            str(supplier.get("matched_by", "-")), accruals or "-",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if i == 0:
            typer.echo("  ".join("-" * w for w in widths))


def main() -> None:  # pragma: no cover
    sys.exit(app())
