"""The device's durable offline store: SQLite (WAL, ``synchronous=FULL``) beside fsynced document files.

A capture is all or nothing. The file is written under a temporary name, fsynced, renamed and its
folder fsynced; only then is its row inserted, in the same transaction that consumes the device
sequence number and the document number. A crash before the commit leaves an orphan file, which the
next start removes (under the capture lock, so never a file another process is about to commit); a
crash after it leaves a complete capture. A row therefore always has its file, and that file's
SHA-256 is in the row.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from belegflow_contracts.media import sniff
from belegflow_contracts.messages import (
    DeviceConfigV1,
    DeviceMasterDataV1,
    DeviceReceiptV1,
    MediaType,
    NumberBlockV1,
    PairingResultV1,
    ReceiptStatus,
    SessionErrorV1,
    SyncKind,
    SyncResult,
)
from belegflow_edge.errors import (
    AlreadyPairedError,
    CaptureError,
    EmptyDocumentError,
    NotPairedError,
    NumbersExhaustedError,
    TooLargeError,
    UnknownDocumentTypeError,
    UnreadableDocumentError,
    UnsupportedTypeError,
)

DB_NAME = "edge.db"
DOCUMENTS = "documents"
TMP_PREFIX = ".tmp-"

_SUFFIX = {
    MediaType.PDF: ".pdf",
    MediaType.PNG: ".png",
    MediaType.JPEG: ".jpg",
    MediaType.TIFF: ".tif",
    MediaType.XML: ".xml",
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS device (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    tenant             TEXT NOT NULL,
    device             TEXT NOT NULL,
    name               TEXT NOT NULL,
    server             TEXT NOT NULL,
    credentials        TEXT NOT NULL,
    config             TEXT NOT NULL,
    masterdata         TEXT NOT NULL,
    paired_at          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
    series TEXT NOT NULL,
    first  INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    next   INTEGER NOT NULL,
    PRIMARY KEY (series, first),
    CHECK (first <= last AND next >= first AND next <= last + 1)
);
CREATE TABLE IF NOT EXISTS documents (
    sequence        INTEGER PRIMARY KEY,
    captured_at     TEXT NOT NULL,
    document_type   TEXT NOT NULL,
    description     TEXT NOT NULL,
    series          TEXT NOT NULL,
    number          INTEGER NOT NULL,
    document_number TEXT NOT NULL UNIQUE,
    filename        TEXT NOT NULL,
    stored_name     TEXT NOT NULL UNIQUE,
    media_type      TEXT NOT NULL,
    size            INTEGER NOT NULL CHECK (size > 0),
    sha256          TEXT NOT NULL,
    source          TEXT,
    state           TEXT NOT NULL
                    CHECK (state IN ('captured', 'sent', 'accepted', 'duplicate', 'rejected', 'corrupted')),
    reason          TEXT,
    document_id     TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sent_at         TEXT,
    confirmed_at    TEXT,
    UNIQUE (series, number)
);
CREATE INDEX IF NOT EXISTS documents_state ON documents (state, sequence);
CREATE INDEX IF NOT EXISTS documents_source ON documents (source);
CREATE TABLE IF NOT EXISTS sessions (
    session_id         TEXT PRIMARY KEY,
    kind               TEXT NOT NULL,
    started_at         TEXT NOT NULL,
    ended_at           TEXT,
    backlog            INTEGER NOT NULL DEFAULT 0,
    sent               INTEGER NOT NULL DEFAULT 0,
    accepted           INTEGER NOT NULL DEFAULT 0,
    duplicates         INTEGER NOT NULL DEFAULT 0,
    rejected           INTEGER NOT NULL DEFAULT 0,
    failed             INTEGER NOT NULL DEFAULT 0,
    masterdata_updated INTEGER NOT NULL DEFAULT 0,
    config_updated     INTEGER NOT NULL DEFAULT 0,
    blocks_received    INTEGER NOT NULL DEFAULT 0,
    result             TEXT NOT NULL,
    errors             TEXT NOT NULL DEFAULT '[]',
    reported           INTEGER NOT NULL DEFAULT 0
);
"""


class DocState(StrEnum):
    CAPTURED = "captured"
    SENT = "sent"
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    CORRUPTED = "corrupted"
    """The local file no longer matches the hash recorded at capture; it is never sent."""


PENDING = (DocState.CAPTURED, DocState.SENT)


def utcnow() -> datetime:
    return datetime.now(UTC)


def document_number(series: str, number: int) -> str:
    return f"{series}-{number:06d}"


@dataclass(frozen=True, slots=True)
class Device:
    tenant: str
    device: str
    name: str
    server: str
    user: str
    password: str
    inbox_prefix: str
    servers: list[str]
    config: DeviceConfigV1
    masterdata: DeviceMasterDataV1
    paired_at: datetime


@dataclass(frozen=True, slots=True)
class Document:
    sequence: int
    captured_at: datetime
    document_type: str
    description: str
    series: str
    number: int
    document_number: str
    filename: str
    stored_name: str
    media_type: str
    size: int
    sha256: str
    state: DocState
    reason: str | None
    document_id: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class Backlog:
    """What a sync session is to deliver: the documents waiting when it started, the last of them by sequence
    (documents are numbered in the order they were captured, so later captures lie above it)."""

    count: int
    last: int


@dataclass(slots=True)
class Session:
    session_id: uuid.UUID
    kind: SyncKind
    started_at: datetime
    ended_at: datetime | None = None
    backlog: int = 0
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    failed: int = 0
    masterdata_updated: bool = False
    config_updated: bool = False
    blocks_received: int = 0
    result: SyncResult = SyncResult.RUNNING
    errors: list[SessionErrorV1] = field(default_factory=list)
    reported: bool = False
    connection_lost: bool = False
    """Not stored: whether this run lost (or never had) its connection to central."""


def validate_document(data: bytes, *, limit: int) -> MediaType:
    """The media type of ``data``, or the specific reason the agent will not capture it."""
    if not data:
        raise EmptyDocumentError("document is empty (0 bytes)")
    if len(data) > limit:
        raise TooLargeError(f"document is {len(data)} bytes, larger than the limit of {limit} bytes")
    media_type = sniff(data)
    if media_type is None:
        raise UnsupportedTypeError("unsupported document type: the content is not PDF, PNG, JPEG, TIFF or XML")
    if media_type is MediaType.PDF and b"%%EOF" not in data[-2048:]:
        raise UnsupportedTypeError("PDF is truncated: no end-of-file marker (%%EOF)")
    return media_type


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def file_lock(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    """An OS lock on ``path`` held for the block; yields False when ``blocking`` is off and it is taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _exhausted(series: str) -> NumbersExhaustedError:
    return NumbersExhaustedError(
        f"no document number left in series {series}: the device's number blocks are used up; "
        "sync with central to get the next block (no number is invented offline)")


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


class Store:
    """One device's home folder: ``edge.db``, ``documents/`` and the lock files."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.documents_dir = home / DOCUMENTS
        self.documents_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(home / DB_NAME, isolation_level=None, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._tx():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
        self.remove_orphans()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def capture_lock(self) -> contextlib.AbstractContextManager[bool]:
        return file_lock(self.home / "capture.lock")

    def sync_lock(self) -> contextlib.AbstractContextManager[bool]:
        return file_lock(self.home / "sync.lock", blocking=False)

    def remove_orphans(self) -> list[str]:
        """Files without a row (a capture that crashed before its commit) and temporary files go."""
        removed: list[str] = []
        with self.capture_lock():
            known = {row[0] for row in self._db.execute("SELECT stored_name FROM documents")}
            for entry in os.scandir(self.documents_dir):
                if entry.name.startswith(TMP_PREFIX) or entry.name not in known:
                    os.unlink(entry.path)
                    removed.append(entry.name)
            if removed:
                _fsync_dir(self.documents_dir)
        return removed

    # --- pairing ------------------------------------------------------------------------------

    def pair(self, result: PairingResultV1, server: str) -> Device:
        with self._tx() as db:
            if db.execute("SELECT 1 FROM device").fetchone():
                current = self.device()
                raise AlreadyPairedError(
                    f"this agent is already paired as {current.device} of tenant {current.tenant}; "
                    "use another --home for another device")
            db.execute(
                "INSERT INTO device (id, tenant, device, name, server, credentials, config, masterdata, paired_at)"
                " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                (result.tenant, result.device, result.name, server, result.credentials.model_dump_json(),
                 result.config.model_dump_json(), result.masterdata.model_dump_json(), _ts(utcnow())),
            )
            for block in result.blocks:
                self._insert_block(db, block)
        return self.device()

    def is_paired(self) -> bool:
        return self._db.execute("SELECT 1 FROM device").fetchone() is not None

    def device(self) -> Device:
        row = self._db.execute("SELECT * FROM device").fetchone()
        if row is None:
            raise NotPairedError("this agent is not paired: run `belegflow-edge pair --server URL --code CODE`")
        creds = json.loads(row["credentials"])
        return Device(
            tenant=row["tenant"], device=row["device"], name=row["name"], server=row["server"], user=creds["user"],
            password=creds["password"], inbox_prefix=creds["inbox_prefix"], servers=list(creds["servers"]),
            config=DeviceConfigV1.model_validate_json(row["config"]),
            masterdata=DeviceMasterDataV1.model_validate_json(row["masterdata"]),
            paired_at=datetime.fromisoformat(row["paired_at"]),
        )

    def set_config(self, config: DeviceConfigV1) -> None:
        with self._tx() as db:
            db.execute("UPDATE device SET config = ?", (config.model_dump_json(),))

    def set_masterdata(self, masterdata: DeviceMasterDataV1) -> None:
        with self._tx() as db:
            db.execute("UPDATE device SET masterdata = ?", (masterdata.model_dump_json(),))

    # --- number blocks ------------------------------------------------------------------------

    @staticmethod
    def _insert_block(db: sqlite3.Connection, block: NumberBlockV1) -> None:
        if block.first > block.last:
            raise ValueError(f"number block {block.series} {block.first}..{block.last} is empty")
        db.execute("INSERT OR IGNORE INTO blocks (series, first, last, next) VALUES (?, ?, ?, ?)",
                   (block.series, block.first, block.last, block.first))

    def add_block(self, block: NumberBlockV1) -> None:
        with self._tx() as db:
            self._insert_block(db, block)

    def remaining(self) -> dict[str, int]:
        """Numbers left per series (series of the config without any block show 0)."""
        left = dict.fromkeys(self.device().config.series.values(), 0)
        for row in self._db.execute("SELECT series, SUM(last - next + 1) FROM blocks GROUP BY series"):
            left[row[0]] = int(row[1])
        return left

    @staticmethod
    def _next_number(db: sqlite3.Connection, series: str) -> int:
        row = db.execute("SELECT first, next FROM blocks WHERE series = ? AND next <= last ORDER BY first LIMIT 1",
                         (series,)).fetchone()
        if row is None:
            raise _exhausted(series)
        db.execute("UPDATE blocks SET next = next + 1 WHERE series = ? AND first = ?", (series, row["first"]))
        return int(row["next"])

    # --- capture ------------------------------------------------------------------------------

    def capture(self, path: Path, *, document_type: str, description: str = "",
                source: str | None = None) -> Document:
        """Store the file at ``path`` durably and number it, or raise why not (nothing is stored then)."""
        config = self.device().config
        self.series_for(config, document_type)
        try:
            if not path.is_file():
                raise UnreadableDocumentError(f"cannot read {path}: not a regular file")
            size = path.stat().st_size
            if size > config.max_document_bytes:
                raise TooLargeError(
                    f"document is {size} bytes, larger than the limit of {config.max_document_bytes} bytes")
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableDocumentError(f"cannot read {path}: {exc.strerror or exc}") from exc
        return self.capture_bytes(data, filename=path.name, document_type=document_type,
                                  description=description, source=source)

    @staticmethod
    def series_for(config: DeviceConfigV1, document_type: str) -> str:
        if document_type not in config.document_types or document_type not in config.series:
            known = ", ".join(config.document_types)
            raise UnknownDocumentTypeError(f"unknown document type {document_type!r}: this device captures {known}")
        return config.series[document_type]

    def capture_bytes(self, data: bytes, *, filename: str, document_type: str, description: str = "",
                      source: str | None = None) -> Document:
        config = self.device().config
        series = self.series_for(config, document_type)
        media_type = validate_document(data, limit=config.max_document_bytes)
        if self.remaining().get(series, 0) <= 0:
            raise _exhausted(series)
        sha = hashlib.sha256(data).hexdigest()
        stored_name = f"{uuid.uuid4().hex}{_SUFFIX[media_type]}"
        final = self.documents_dir / stored_name
        tmp = self.documents_dir / f"{TMP_PREFIX}{stored_name}"
        with self.capture_lock():
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, final)
            _fsync_dir(self.documents_dir)
            try:
                with self._tx() as db:
                    row = db.execute("SELECT value FROM counters WHERE name = 'sequence'").fetchone()
                    sequence = (int(row[0]) if row else 0) + 1
                    db.execute("INSERT INTO counters (name, value) VALUES ('sequence', ?) "
                               "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (sequence,))
                    number = self._next_number(db, series)
                    db.execute(
                        "INSERT INTO documents (sequence, captured_at, document_type, description, series, number,"
                        " document_number, filename, stored_name, media_type, size, sha256, source, state)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'captured')",
                        (sequence, _ts(utcnow()), document_type, description, series, number,
                         document_number(series, number), filename, stored_name, media_type.value, len(data), sha,
                         source),
                    )
            except BaseException:
                final.unlink(missing_ok=True)
                _fsync_dir(self.documents_dir)
                raise
        return self.document(sequence)

    def find_by_source(self, source: str, sha256: str) -> Document | None:
        row = self._db.execute("SELECT * FROM documents WHERE source = ? AND sha256 = ? ORDER BY sequence LIMIT 1",
                               (source, sha256)).fetchone()
        return self._document(row) if row else None

    # --- documents ----------------------------------------------------------------------------

    @staticmethod
    def _document(row: sqlite3.Row) -> Document:
        return Document(
            sequence=row["sequence"], captured_at=datetime.fromisoformat(row["captured_at"]),
            document_type=row["document_type"], description=row["description"], series=row["series"],
            number=row["number"], document_number=row["document_number"], filename=row["filename"],
            stored_name=row["stored_name"], media_type=row["media_type"], size=row["size"], sha256=row["sha256"],
            state=DocState(row["state"]), reason=row["reason"], document_id=row["document_id"],
            attempts=row["attempts"],
        )

    def document(self, sequence: int) -> Document:
        row = self._db.execute("SELECT * FROM documents WHERE sequence = ?", (sequence,)).fetchone()
        if row is None:
            raise KeyError(sequence)
        return self._document(row)

    def documents(self, *states: DocState) -> list[Document]:
        if states:
            marks = ",".join("?" for _ in states)
            rows = self._db.execute(f"SELECT * FROM documents WHERE state IN ({marks}) ORDER BY sequence",
                                    [s.value for s in states])
        else:
            rows = self._db.execute("SELECT * FROM documents ORDER BY sequence")
        return [self._document(row) for row in rows]

    def pending(self) -> list[Document]:
        return self.documents(*PENDING)

    def backlog(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM documents WHERE state IN ('captured', 'sent')").fetchone()
        return int(row[0])

    def counts(self) -> dict[str, int]:
        counts = {state.value: 0 for state in DocState}
        for row in self._db.execute("SELECT state, COUNT(*) FROM documents GROUP BY state"):
            counts[row[0]] = int(row[1])
        return counts

    def path_of(self, doc: Document) -> Path:
        return self.documents_dir / doc.stored_name

    def read_verified(self, doc: Document) -> bytes | None:
        """The document's bytes if they still hash to what was recorded at capture, else None."""
        try:
            data = self.path_of(doc).read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == doc.sha256 else None

    def mark_sent(self, sequences: list[int]) -> None:
        with self._tx() as db:
            self._mark_sent(db, sequences)

    @staticmethod
    def _mark_sent(db: sqlite3.Connection, sequences: list[int]) -> None:
        if sequences:
            db.executemany("UPDATE documents SET state = CASE WHEN state = 'captured' THEN 'sent' ELSE state END,"
                           " attempts = attempts + 1, sent_at = ? WHERE sequence = ?",
                           [(_ts(utcnow()), seq) for seq in sequences])

    def mark_corrupted(self, sequence: int, reason: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE documents SET state = 'corrupted', reason = ? WHERE sequence = ?", (reason, sequence))

    def apply_receipts(self, receipts: list[DeviceReceiptV1]) -> None:
        """Only a receipt from central marks a document done (accepted, duplicate or rejected)."""
        with self._tx() as db:
            self._apply_receipts(db, receipts)

    @staticmethod
    def _apply_receipts(db: sqlite3.Connection, receipts: list[DeviceReceiptV1]) -> None:
        now = _ts(utcnow())
        for receipt in receipts:
            state = {ReceiptStatus.ACCEPTED: DocState.ACCEPTED, ReceiptStatus.DUPLICATE: DocState.DUPLICATE,
                     ReceiptStatus.REJECTED: DocState.REJECTED}[receipt.status]
            db.execute(
                "UPDATE documents SET state = ?, reason = ?, document_id = ?, confirmed_at = ? WHERE sequence = ?",
                (state.value, receipt.reason,
                 str(receipt.document_id) if receipt.document_id else None, now, receipt.sequence),
            )

    # --- sessions -----------------------------------------------------------------------------

    def start_session(self, kind: SyncKind) -> tuple[Session, Backlog]:
        """A new ``running`` session and the backlog it is to deliver, fixed in the same transaction: what was
        waiting then, never what is captured while it runs (``backlog_documents`` reads it page by page)."""
        with self._tx() as db:
            count, last = (0, 0) if kind is SyncKind.MASTERDATA else db.execute(
                "SELECT COUNT(*), COALESCE(MAX(sequence), 0) FROM documents WHERE state IN ('captured', 'sent')"
            ).fetchone()  # fmt: skip
            session = Session(session_id=uuid.uuid4(), kind=kind, started_at=utcnow(), backlog=int(count))
            self._save_session(db, session)
        return session, Backlog(count=int(count), last=int(last))

    def backlog_documents(self, backlog: Backlog, *, first_page: int = 16, page: int = 512) -> Iterator[Document]:
        """The backlog's documents still waiting (``captured`` or ``sent``), in order, read a page at a time as
        they are taken: a device back after a week offline sends its first document without reading its whole
        backlog first, and never holds all of it in memory. A document confirmed or marked corrupted before
        its page is read is not given again."""
        after, size = 0, first_page
        while after < backlog.last:
            rows = self._db.execute(
                "SELECT * FROM documents WHERE state IN ('captured', 'sent') AND sequence > ? AND sequence <= ?"
                " ORDER BY sequence LIMIT ?", (after, backlog.last, size)).fetchall()  # fmt: skip
            if not rows:
                return
            for row in rows:
                yield self._document(row)
            after, size = int(rows[-1]["sequence"]), page

    def record_progress(self, session: Session, sent: list[int], receipts: list[DeviceReceiptV1]) -> None:
        """Receipts and the session's counts in one transaction, so a crash never separates them."""
        with self._tx() as db:
            self._mark_sent(db, sent)
            self._apply_receipts(db, receipts)
            self._save_session(db, session)

    def save_session(self, session: Session) -> None:
        with self._tx() as db:
            self._save_session(db, session)

    @staticmethod
    def _save_session(db: sqlite3.Connection, session: Session) -> None:
        db.execute(
            "INSERT INTO sessions (session_id, kind, started_at, ended_at, backlog, sent, accepted, duplicates,"
            " rejected, failed, masterdata_updated, config_updated, blocks_received, result, errors, reported)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (session_id) DO UPDATE SET ended_at = excluded.ended_at, backlog = excluded.backlog,"
            " sent = excluded.sent, accepted = excluded.accepted, duplicates = excluded.duplicates,"
            " rejected = excluded.rejected, failed = excluded.failed,"
            " masterdata_updated = excluded.masterdata_updated, config_updated = excluded.config_updated,"
            " blocks_received = excluded.blocks_received, result = excluded.result, errors = excluded.errors,"
            " reported = excluded.reported",
            (str(session.session_id), session.kind.value, _ts(session.started_at), _ts(session.ended_at),
             session.backlog, session.sent, session.accepted, session.duplicates, session.rejected,
             session.failed, int(session.masterdata_updated), int(session.config_updated),
             session.blocks_received, session.result.value,
             json.dumps([e.model_dump(mode="json") for e in session.errors]), int(session.reported)),
        )

    @staticmethod
    def _session(row: sqlite3.Row) -> Session:
        return Session(
            session_id=uuid.UUID(row["session_id"]), kind=SyncKind(row["kind"]),
            started_at=datetime.fromisoformat(row["started_at"]), ended_at=_dt(row["ended_at"]),
            backlog=row["backlog"], sent=row["sent"], accepted=row["accepted"], duplicates=row["duplicates"],
            rejected=row["rejected"], failed=row["failed"], masterdata_updated=bool(row["masterdata_updated"]),
            config_updated=bool(row["config_updated"]), blocks_received=row["blocks_received"],
            result=SyncResult(row["result"]),
            errors=[SessionErrorV1.model_validate(e) for e in json.loads(row["errors"])],
            reported=bool(row["reported"]),
        )

    def sessions(self, limit: int | None = None) -> list[Session]:
        """Newest first."""
        sql = "SELECT * FROM sessions ORDER BY started_at DESC, rowid DESC"
        rows = self._db.execute(sql + " LIMIT ?", (limit,)) if limit else self._db.execute(sql)
        return [self._session(row) for row in rows]

    def close_interrupted_sessions(self) -> list[Session]:
        """Sessions still ``running`` while no sync holds the lock were cut off (the agent died): failed."""
        fixed = []
        for row in self._db.execute("SELECT * FROM sessions WHERE result = 'running'").fetchall():
            session = self._session(row)
            session.result = SyncResult.FAILED
            session.ended_at = session.ended_at or utcnow()
            # what the session confirmed was saved with its receipts; the rest of its work was not delivered
            session.failed = max(0, session.backlog - session.accepted - session.duplicates - session.rejected)
            session.reported = False
            session.errors.append(SessionErrorV1(reason="interrupted: the agent stopped before the session ended"))
            self.save_session(session)
            fixed.append(session)
        return fixed

    def unreported_sessions(self) -> list[Session]:
        rows = self._db.execute("SELECT * FROM sessions WHERE reported = 0 AND result != 'running'"
                                " ORDER BY started_at").fetchall()
        return [self._session(row) for row in rows]

    def mark_reported(self, session_id: uuid.UUID) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET reported = 1 WHERE session_id = ?", (str(session_id),))

    def info(self) -> dict[str, Any]:
        """Everything ``status`` shows that the store knows."""
        sessions = self.sessions(limit=1)
        last = sessions[0] if sessions else None
        return {
            "backlog": self.backlog(),
            "documents": self.counts(),
            "numbers_left": self.remaining(),
            "last_sync": None if last is None else {
                "session_id": str(last.session_id), "kind": last.kind.value, "started_at": _ts(last.started_at),
                "ended_at": _ts(last.ended_at), "result": last.result.value,
            },
        }


__all__ = ["Backlog", "CaptureError", "DocState", "Document", "Session", "Store", "validate_document"]
