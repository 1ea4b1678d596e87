"""The offline store: durable, all-or-nothing captures, numbers from the device's own blocks, clear refusals."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from belegflow_contracts.messages import NumberBlockV1, SyncKind, SyncResult
from belegflow_edge.errors import (
    AlreadyPairedError,
    EmptyDocumentError,
    NotPairedError,
    NumbersExhaustedError,
    TooLargeError,
    UnknownDocumentTypeError,
    UnreadableDocumentError,
    UnsupportedTypeError,
)
from belegflow_edge.store import DocState, Store
from edge.tests.conftest import TENANT, pairing_result, pdf


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "agent")
    store.pair(pairing_result("nats://127.0.0.1:1", "kasse-01", block=3), "http://central.invalid")
    return store


def _stored_files(store: Store) -> list[str]:
    return sorted(os.listdir(store.documents_dir))


def test_capture_stores_the_file_its_hash_and_numbers_from_the_block(store: Store, tmp_path: Path) -> None:
    # GIVEN two documents on disk
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    first.write_bytes(pdf(1))
    second.write_bytes(pdf(2))
    # WHEN both are captured, as an invoice and as a receipt
    a = store.capture(first, document_type="invoice", description="Tankquittung")
    b = store.capture(second, document_type="receipt")
    # THEN each has its own sequence, a number from its series' block, its hash, and its file
    assert (a.sequence, a.document_number, a.series) == (1, "ER-000001", "ER")
    assert (b.sequence, b.document_number, b.series) == (2, "BE-000001", "BE")
    assert a.sha256 == hashlib.sha256(first.read_bytes()).hexdigest()
    assert store.path_of(a).read_bytes() == first.read_bytes()
    assert a.state is DocState.CAPTURED
    assert a.description == "Tankquittung"
    assert store.remaining() == {"ER": 2, "BE": 2}
    assert store.backlog() == 2


def test_database_is_wal_with_full_sync(store: Store) -> None:
    db = sqlite3.connect(store.home / "edge.db")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"", EmptyDocumentError, "document is empty (0 bytes)"),
        (b"hello, not a document", UnsupportedTypeError, "unsupported document type"),
        (b"%PDF-1.4\n1 0 obj\n", UnsupportedTypeError, "PDF is truncated"),
        (b"%PDF-1.4\n" + b"x" * (4 * 1024 * 1024) + b"%%EOF", TooLargeError, "larger than the limit of 4194304"),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_stored(
    store: Store, tmp_path: Path, content: bytes, error: type[Exception], message: str
) -> None:
    path = tmp_path / "bad.bin"
    path.write_bytes(content)
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        store.capture(path, document_type="invoice")
    assert _stored_files(store) == []
    assert store.documents() == []
    assert store.remaining()["ER"] == 3


def test_unreadable_and_missing_files_and_unknown_types_are_refused(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocumentError, match="not a regular file"):
        store.capture(tmp_path / "missing.pdf", document_type="invoice")
    with pytest.raises(UnreadableDocumentError, match="not a regular file"):
        store.capture(tmp_path, document_type="invoice")
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(pdf(1))
    locked.chmod(0)
    if os.geteuid() != 0:  # root reads anything
        with pytest.raises(UnreadableDocumentError, match="cannot read"):
            store.capture(locked, document_type="invoice")
    with pytest.raises(UnknownDocumentTypeError, match="unknown document type 'delivery-note'"):
        store.capture(locked, document_type="delivery-note")
    assert store.documents() == []


def test_exhausted_series_refuses_capture_and_never_invents_a_number(store: Store, tmp_path: Path) -> None:
    # GIVEN a block of three numbers, all used
    for n in range(3):
        path = tmp_path / f"{n}.pdf"
        path.write_bytes(pdf(n))
        store.capture(path, document_type="invoice")
    extra = tmp_path / "extra.pdf"
    extra.write_bytes(pdf(99))
    # WHEN a fourth invoice comes
    with pytest.raises(NumbersExhaustedError, match="no document number left in series ER"):
        store.capture(extra, document_type="invoice")
    # THEN nothing of it is stored, and the other series still works
    assert len(store.documents()) == 3
    assert len(_stored_files(store)) == 3
    assert store.capture(extra, document_type="receipt").document_number == "BE-000001"
    # AND a new block from central continues the series where it says
    store.add_block(NumberBlockV1(series="ER", first=501, last=510))
    again = tmp_path / "again.pdf"
    again.write_bytes(pdf(100))
    assert store.capture(again, document_type="invoice").document_number == "ER-000501"
    assert store.remaining()["ER"] == 9


def test_orphan_and_temporary_files_are_removed_at_start_rows_keep_theirs(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf(1))
    doc = store.capture(path, document_type="invoice")
    # GIVEN what a crash between file and commit leaves: a renamed file without a row, and a temp file
    (store.documents_dir / "0123456789abcdef.pdf").write_bytes(pdf(2))
    (store.documents_dir / ".tmp-feedbeef.pdf").write_bytes(b"%PDF-half")
    store.close()
    # WHEN the agent starts again
    reopened = Store(store.home)
    # THEN only the committed capture's file is left, and it verifies
    assert _stored_files(reopened) == [doc.stored_name]
    assert reopened.read_verified(reopened.document(doc.sequence)) == path.read_bytes()


def test_sequence_numbers_continue_after_restart_and_failed_captures(store: Store, tmp_path: Path) -> None:
    ok = tmp_path / "ok.pdf"
    ok.write_bytes(pdf(1))
    assert store.capture(ok, document_type="receipt").sequence == 1
    bad = tmp_path / "bad.txt"
    bad.write_text("no")
    with pytest.raises(UnsupportedTypeError):
        store.capture(bad, document_type="receipt")
    store.close()
    reopened = Store(store.home)
    ok.write_bytes(pdf(2))
    assert reopened.capture(ok, document_type="receipt").sequence == 2


def test_a_corrupted_local_file_does_not_verify(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf(1))
    doc = store.capture(path, document_type="invoice")
    stored = store.path_of(doc)
    stored.write_bytes(stored.read_bytes().replace(b"document", b"documenX"))
    assert store.read_verified(doc) is None
    stored.unlink()
    assert store.read_verified(doc) is None


def test_unpaired_agent_refuses_and_a_paired_one_refuses_a_second_pairing(tmp_path: Path) -> None:
    store = Store(tmp_path / "fresh")
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf(1))
    with pytest.raises(NotPairedError, match="not paired"):
        store.capture(path, document_type="invoice")
    store.pair(pairing_result("nats://127.0.0.1:1", "kasse-02"), "http://central.invalid")
    with pytest.raises(AlreadyPairedError, match=f"already paired as kasse-02 of tenant {TENANT}"):
        store.pair(pairing_result("nats://127.0.0.1:1", "kasse-03"), "http://central.invalid")


def test_a_session_left_running_by_a_crash_is_closed_as_failed(store: Store, tmp_path: Path) -> None:
    for n in range(2):
        (tmp_path / f"{n}.pdf").write_bytes(pdf(n))
        store.capture(tmp_path / f"{n}.pdf", document_type="invoice")
    session, backlog = store.start_session(SyncKind.FULL)
    assert [d.sequence for d in store.backlog_documents(backlog)] == [1, 2]
    # GIVEN the session recorded one receipt before the agent died
    session.accepted = 1
    store.record_progress(session, [1, 2], [])
    assert store.sessions()[0].result is SyncResult.RUNNING
    fixed = store.close_interrupted_sessions()
    assert [s.session_id for s in fixed] == [session.session_id]
    again = store.sessions()[0]
    assert again.result is SyncResult.FAILED
    assert again.ended_at is not None
    assert "interrupted" in again.errors[-1].reason
    assert (again.backlog, again.accepted, again.failed) == (2, 1, 1)
    assert not again.reported
    assert [d.state for d in store.documents()] == [DocState.SENT, DocState.SENT]


def test_a_sessions_backlog_is_what_waited_at_its_start_read_page_by_page(store: Store, tmp_path: Path) -> None:
    # GIVEN five documents waiting, one of them corrupted on disk and so marked
    for n in range(5):
        (tmp_path / f"{n}.pdf").write_bytes(pdf(n))
        store.capture(tmp_path / f"{n}.pdf", document_type="invoice" if n < 3 else "receipt")
    store.mark_corrupted(3, "hash mismatch")
    # WHEN a session starts, and a sixth document is captured while it runs
    session, backlog = store.start_session(SyncKind.DOCUMENTS)
    (tmp_path / "late.pdf").write_bytes(pdf(99))
    store.capture(tmp_path / "late.pdf", document_type="receipt")
    # THEN the backlog is the four waiting at the start; the late capture is the next session's
    assert (session.backlog, backlog.count, backlog.last) == (4, 4, 5)
    taken = store.backlog_documents(backlog, first_page=2, page=2)
    assert [next(taken).sequence, next(taken).sequence] == [1, 2]
    # AND a page is read only when it is reached: a document done with before then is not given again
    store.mark_corrupted(4, "hash mismatch")
    assert [d.sequence for d in taken] == [5]
    assert [d.sequence for d in store.backlog_documents(backlog)] == [1, 2, 5]
    # AND a session that only fetches master data has no backlog
    assert store.start_session(SyncKind.MASTERDATA)[1].count == 0
