"""``belegflow-edge``: pair, capture, watch, sync, daemon, status, history, rejected."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from belegflow_contracts.messages import SyncKind, SyncResult
from belegflow_edge import __version__, settings
from belegflow_edge.errors import (
    CredentialsRefusedError,
    EdgeError,
    Exit,
    NumbersExhaustedError,
    UnknownDocumentTypeError,
)
from belegflow_edge.pairing import pair
from belegflow_edge.store import DocState, Session, Store
from belegflow_edge.watch import scan_once

# Capturing starts a process per document on a till and must never wait for the NATS client to load
# (with its WebSocket transport, about half a second); only the commands that go online import it.


def _say(line: str) -> None:
    print(line, flush=True)


def _warn(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="belegflow-edge", description="belegflow edge agent: capture offline, "
                                     "sync when central is reachable")
    parser.add_argument("--home", type=Path, default=None,
                        help=f"the agent's state folder (env {settings.HOME_ENV}, default {settings.DEFAULT_HOME})")
    parser.add_argument("--version", action="version", version=f"belegflow-edge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("pair", help="pair this agent with central using an operator's one-time code")
    p.add_argument("--server", required=True, help="central's ingest URL, e.g. https://belegflow.example.com")
    p.add_argument("--code", required=True, help="pairing code XXXX-XXXX-XXXX")

    p = commands.add_parser("capture", help="store documents durably and number them (works offline)")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--type", dest="document_type", required=True, help="document type: invoice or receipt")
    p.add_argument("--description", default="", help="a note kept with the document")

    p = commands.add_parser("watch", help="capture files dropped into a folder (.done/ and .rejected/ beside)")
    p.add_argument("folder", type=Path, metavar="DIR")
    p.add_argument("--type", dest="document_type", default="invoice")
    p.add_argument("--description", default="")
    p.add_argument("--once", action="store_true", help="scan once and exit")
    p.add_argument("--interval", type=_positive, default=1.0, help="seconds between scans")

    p = commands.add_parser("sync", help="one sync session: documents up, master data, config, numbers down")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--documents-only", action="store_true")
    only.add_argument("--master-data-only", action="store_true")
    p.add_argument("--receipt-timeout", type=_positive, default=15.0, help="seconds to wait for each receipt")
    p.add_argument("--connect-timeout", type=_positive, default=3.0)
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("daemon", help="run: sync on an interval and as soon as central is back")
    p.add_argument("--watch", type=Path, default=None, metavar="DIR", help="also capture from this folder")
    p.add_argument("--type", dest="document_type", default="invoice")
    p.add_argument("--interval", type=_positive, default=None, help="seconds between syncs (default: config)")

    p = commands.add_parser("status", help="online or offline, backlog, last sync, numbers left")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-probe", action="store_true", help="do not contact central")

    p = commands.add_parser("history", help="sync sessions, newest first")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("rejected", help="documents central rejected or whose local file is corrupted")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("export", help="copy the documents not yet synced out of the store (before a re-pair)")
    p.add_argument("--out", type=Path, required=True, help="folder to copy them to, with a manifest.json")
    return parser


def _home(args: argparse.Namespace) -> Path:
    home = settings.home(args.home)
    home.mkdir(parents=True, exist_ok=True)
    return home


def session_dict(session: Session) -> dict[str, Any]:
    return {
        "session_id": str(session.session_id), "kind": session.kind.value, "result": session.result.value,
        "started_at": session.started_at.isoformat(),
        "ended_at": session.ended_at.isoformat() if session.ended_at else None, "backlog": session.backlog,
        "sent": session.sent, "accepted": session.accepted, "duplicates": session.duplicates,
        "rejected": session.rejected, "failed": session.failed, "masterdata_updated": session.masterdata_updated,
        "config_updated": session.config_updated, "blocks_received": session.blocks_received,
        "reported": session.reported, "errors": [e.model_dump(mode="json") for e in session.errors],
    }


def _session_line(session: Session) -> str:
    if session.result is SyncResult.NOTHING_NEW:
        what = "nothing new"
    else:
        what = (f"{session.result.value}: backlog {session.backlog}, sent {session.sent}, accepted "
                f"{session.accepted}, duplicates {session.duplicates}, rejected {session.rejected}, "
                f"failed {session.failed}")
        extras = [name for name, flag in (("config updated", session.config_updated),
                                          ("master data updated", session.masterdata_updated)) if flag]
        if session.blocks_received:
            extras.append(f"{session.blocks_received} number block(s) received")
        if extras:
            what += "; " + ", ".join(extras)
    return f"{session.started_at:%Y-%m-%d %H:%M:%S} {session.kind.value:<10} {what}"


def cmd_pair(store: Store, args: argparse.Namespace) -> int:
    device = pair(store, args.server, args.code)
    left = ", ".join(f"{s} {n}" for s, n in sorted(store.remaining().items()))
    _say(f"paired as {device.device} ({device.name}) of tenant {device.tenant}; numbers left: {left}")
    return Exit.OK


def cmd_capture(store: Store, args: argparse.Namespace) -> int:
    code = Exit.OK
    for path in args.files:
        try:
            doc = store.capture(path, document_type=args.document_type, description=args.description)
        except (NumbersExhaustedError, UnknownDocumentTypeError):
            raise
        except EdgeError as exc:
            _warn(f"refused {path}: {exc.message}")
            code = exc.exit_code
            continue
        _say(f"captured {doc.document_number} sequence={doc.sequence} sha256={doc.sha256} size={doc.size} "
             f"file={path}")
    return code


def cmd_watch(store: Store, args: argparse.Namespace) -> int:
    store.series_for(store.device().config, args.document_type)
    while True:
        report = scan_once(store, args.folder, document_type=args.document_type, description=args.description,
                           settle_s=0.0 if args.once else 1.0)
        for path, doc in report.captured:
            _say(f"captured {doc.document_number} sequence={doc.sequence} sha256={doc.sha256} file={path}")
        for path, reason in report.rejected:
            _warn(f"rejected {path}: {reason}")
        for path, reason in report.held:
            _warn(f"held {path}: {reason}")
        if args.once:
            return Exit.NUMBERS_EXHAUSTED if report.held else Exit.OK
        time.sleep(args.interval)


def cmd_sync(store: Store, args: argparse.Namespace) -> int:
    from belegflow_edge.sync import SyncOptions, run_sync  # online only (see the note at the imports)

    kind = SyncKind.DOCUMENTS if args.documents_only else SyncKind.MASTERDATA if args.master_data_only else \
        SyncKind.FULL
    options = SyncOptions(kind=kind, receipt_timeout_s=args.receipt_timeout, connect_timeout_s=args.connect_timeout)
    session = asyncio.run(run_sync(store, options))
    if args.json:
        _say(json.dumps(session_dict(session)))
    else:
        _say(f"session {session.session_id} {_session_line(session)}")
        for error in session.errors:
            where = f"{error.document_number} (sequence {error.sequence}): " if error.sequence is not None else ""
            _say(f"  {where}{error.reason}")
    if any(error.reason == CredentialsRefusedError.HINT for error in session.errors):
        _warn(f"{store.backlog()} document(s) not yet synced are kept in {store.home}")
        return Exit.NOT_PAIRED
    return {SyncResult.SUCCESS: Exit.OK, SyncResult.NOTHING_NEW: Exit.OK,
            SyncResult.PARTIAL: Exit.SYNC_PARTIAL}.get(session.result, Exit.SYNC_FAILED)


def cmd_export(store: Store, args: argparse.Namespace) -> int:
    """Copy every document not yet synced (files and what was recorded at capture) out of the store."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for doc in store.pending():
        data = store.read_verified(doc)
        if data is None:
            _warn(f"{doc.document_number} (sequence {doc.sequence}): its file is missing or damaged; not exported")
            continue
        name = f"{doc.sequence:08d}-{Path(doc.filename).name or doc.stored_name}"
        (out / name).write_bytes(data)
        manifest.append({"file": name, "sequence": doc.sequence, "document_number": doc.document_number,
                         "document_type": doc.document_type, "description": doc.description,
                         "captured_at": doc.captured_at.isoformat(), "sha256": doc.sha256, "size": doc.size})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    _say(f"exported {len(manifest)} document(s) not yet synced to {out} (manifest.json lists them)")
    return Exit.OK


def cmd_daemon(store: Store, args: argparse.Namespace) -> int:
    from belegflow_edge.daemon import DaemonOptions, run_daemon  # online only (see the note at the imports)

    store.series_for(store.device().config, args.document_type)
    options = DaemonOptions(watch=args.watch, document_type=args.document_type, interval_s=args.interval)
    asyncio.run(run_daemon(store, options, _say))
    return Exit.OK


def cmd_status(store: Store, args: argparse.Namespace) -> int:
    from belegflow_edge.sync import probe  # online only (see the note at the imports)

    device = store.device()
    info = store.info()
    online = None if args.no_probe else asyncio.run(probe(device))
    info = {"tenant": device.tenant, "device": device.device, "name": device.name, "online": online, **info,
            "config_version": device.config.version, "masterdata_version": device.masterdata.version}
    if args.json:
        _say(json.dumps(info))
        return Exit.OK
    state = "unknown (not probed)" if online is None else "online" if online else "offline"
    _say(f"device   {device.device} ({device.name}), tenant {device.tenant}: {state}")
    _say(f"backlog  {info['backlog']} document(s) waiting for central's receipt")
    docs = info["documents"]
    _say("documents " + ", ".join(f"{k} {v}" for k, v in docs.items()))
    last = info["last_sync"]
    _say("last sync never" if last is None else
         f"last sync {last['started_at']} ({last['kind']}): {last['result'].replace('_', ' ')}")
    _say("numbers  " + ", ".join(f"{s}: {n} left" for s, n in sorted(info["numbers_left"].items())))
    return Exit.OK


def cmd_history(store: Store, args: argparse.Namespace) -> int:
    sessions = store.sessions(limit=args.limit)
    if args.json:
        _say(json.dumps([session_dict(s) for s in sessions]))
        return Exit.OK
    if not sessions:
        _say("no sync sessions yet")
    for session in sessions:
        _say(_session_line(session))
        for error in session.errors:
            _say(f"    {error.document_number or ''} {error.reason}".rstrip())
    return Exit.OK


def cmd_rejected(store: Store, args: argparse.Namespace) -> int:
    docs = store.documents(DocState.REJECTED, DocState.CORRUPTED)
    if args.json:
        _say(json.dumps([{"sequence": d.sequence, "document_number": d.document_number, "filename": d.filename,
                          "state": d.state.value, "reason": d.reason, "sha256": d.sha256} for d in docs]))
        return Exit.OK
    if not docs:
        _say("no rejected documents")
    for d in docs:
        _say(f"{d.document_number} sequence={d.sequence} {d.state.value}: {d.filename}: {d.reason}")
    return Exit.OK


COMMANDS = {"pair": cmd_pair, "capture": cmd_capture, "watch": cmd_watch, "sync": cmd_sync, "daemon": cmd_daemon,
            "status": cmd_status, "history": cmd_history, "rejected": cmd_rejected, "export": cmd_export}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with Store(_home(args)) as store:
            return int(COMMANDS[args.command](store, args))
    except EdgeError as exc:
        _warn(f"error: {exc.message}")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return int(Exit.ERROR)
