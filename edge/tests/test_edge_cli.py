"""The command line: pairing, capture, watched folder, sync, status, history, rejected; exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from belegflow_edge.cli import main
from belegflow_edge.errors import Exit
from belegflow_edge.store import Store
from edge.tests.conftest import FakeCentral, PairingServer, pairing_result, pdf


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def home(paired_store: Store) -> str:
    return str(paired_store.home)


def test_pair_stores_what_central_answers(
    tmp_path: Path, pairing_server: PairingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    result = pairing_result("nats://127.0.0.1:4222", "kasse-03")
    pairing_server.answers.append((201, result.model_dump_json().encode()))
    code, out, _ = run(capsys, "--home", str(tmp_path / "a"), "pair", "--server", pairing_server.url,
                       "--code", " k7qm-2xwd-9hrt ")
    assert code == Exit.OK
    assert "paired as kasse-03 (KASSE-03) of tenant acme; numbers left: BE 1000, ER 1000" in out
    assert pairing_server.requests[0]["path"] == "/v1/devices/pair"
    assert pairing_server.requests[0]["body"]["code"] == "K7QM-2XWD-9HRT"
    # a second pairing of the same agent is refused locally, central is not asked
    code, _, err = run(capsys, "--home", str(tmp_path / "a"), "pair", "--server", pairing_server.url,
                       "--code", "AAAA-BBBB-CCCC")
    assert code == Exit.ERROR
    assert "already paired as kasse-03" in err
    assert len(pairing_server.requests) == 1


@pytest.mark.parametrize(
    ("status", "code_name", "detail"),
    [(404, "pairing_code_unknown", "no such code"), (409, "pairing_code_used", "the code was used"),
     (410, "pairing_code_expired", "the code expired"), (409, "device_already_paired", "slot KASSE-03 is paired"),
     (403, "device_revoked", "slot KASSE-03 is revoked")],
)
def test_pairing_refusals_name_central_s_reason(
    tmp_path: Path, pairing_server: PairingServer, capsys: pytest.CaptureFixture[str], status: int, code_name: str,
    detail: str,
) -> None:
    pairing_server.answers.append((status, json.dumps({"code": code_name, "detail": detail}).encode()))
    code, _, err = run(capsys, "--home", str(tmp_path / "a"), "pair", "--server", pairing_server.url,
                       "--code", "AAAA-BBBB-CCCC")
    assert code == Exit.PAIRING_REFUSED
    assert f"pairing refused: {code_name}: {detail}" in err
    assert not Store(tmp_path / "a").is_paired()


def test_pairing_with_no_server_or_a_bad_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--home", str(tmp_path), "pair", "--server", "http://127.0.0.1:9", "--code", "A")
    assert code == Exit.OFFLINE
    assert "central is unreachable at http://127.0.0.1:9" in err
    code, _, err = run(capsys, "--home", str(tmp_path), "pair", "--server", "ftp://x", "--code", "A")
    assert code == Exit.ERROR
    assert "is not an http:// or https:// URL" in err


def test_unpaired_agent_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "a.pdf"
    doc.write_bytes(pdf(1))
    for args in (["capture", str(doc), "--type", "invoice"], ["sync"], ["status"]):
        code, _, err = run(capsys, "--home", str(tmp_path / "h"), *args)
        assert code == Exit.NOT_PAIRED
        assert "not paired: run `belegflow-edge pair --server URL --code CODE`" in err


def test_capture_reports_each_file_and_refuses_bad_ones(
    home: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, empty, text = tmp_path / "good.pdf", tmp_path / "empty.pdf", tmp_path / "notes.txt"
    good.write_bytes(pdf(1))
    empty.write_bytes(b"")
    text.write_text("hello")
    code, out, err = run(capsys, "--home", home, "capture", str(good), str(empty), str(text), "--type", "invoice",
                         "--description", "Bewirtung")
    assert code == Exit.BAD_DOCUMENT
    assert out.startswith("captured ER-000001 sequence=1 sha256=")
    assert f"refused {empty}: document is empty (0 bytes)" in err
    assert f"refused {text}: unsupported document type" in err
    code, _, err = run(capsys, "--home", home, "capture", str(good), "--type", "lieferschein")
    assert code == Exit.BAD_DOCUMENT
    assert "unknown document type 'lieferschein': this device captures invoice, receipt" in err


def test_exhausted_numbers_exit_with_their_own_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(tmp_path / "h")
    store.pair(pairing_result("nats://127.0.0.1:1", "kasse-01", block=1), "http://central.invalid")
    files = []
    for n in range(2):
        files.append(tmp_path / f"{n}.pdf")
        files[-1].write_bytes(pdf(n))
    code, out, err = run(capsys, "--home", str(store.home), "capture", *map(str, files), "--type", "receipt")
    assert code == Exit.NUMBERS_EXHAUSTED
    assert out.count("captured") == 1
    assert "no document number left in series BE" in err


def test_watched_folder_moves_captured_and_rejected_files(
    home: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "scan.pdf").write_bytes(pdf(1))
    (inbox / "notes.txt").write_text("not a document")
    code, out, err = run(capsys, "--home", home, "watch", str(inbox), "--once", "--type", "receipt")
    assert code == Exit.OK
    assert "captured BE-000001" in out
    assert "rejected" in err
    assert (inbox / ".done" / "scan.pdf").exists()
    assert (inbox / ".rejected" / "notes.txt").exists()
    assert "unsupported_type: unsupported document type" in (inbox / ".rejected" / "notes.txt.reason.txt").read_text()
    assert sorted(p.name for p in inbox.iterdir()) == [".done", ".rejected"]


def test_watched_file_captured_before_a_crash_is_only_moved(
    paired_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    scan = inbox / "scan.pdf"
    scan.write_bytes(pdf(1))
    # GIVEN the capture committed but the agent died before moving the file
    paired_store.capture(scan, document_type="invoice", source=str(scan.resolve()))
    code, out, _ = run(capsys, "--home", str(paired_store.home), "watch", str(inbox), "--once")
    assert code == Exit.OK
    assert "captured" not in out
    assert (inbox / ".done" / "scan.pdf").exists()
    assert len(paired_store.documents()) == 1


async def test_sync_status_history_and_rejected(
    home: str, central: FakeCentral, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(3):
        (tmp_path / f"{n}.pdf").write_bytes(pdf(n))
    run(capsys, "--home", home, "capture", *(str(tmp_path / f"{n}.pdf") for n in range(3)), "--type", "invoice")
    central.reject = {3}
    # the CLI runs its own event loop: run it in a thread beside the test's loop that serves central
    import asyncio

    code, out, _ = await asyncio.to_thread(run, capsys, "--home", home, "sync", "--receipt-timeout", "2")
    assert code == Exit.SYNC_PARTIAL
    assert "partial: backlog 3, sent 3, accepted 2, duplicates 0, rejected 1, failed 0" in out
    assert "ER-000003 (sequence 3): rejected by central: unsupported document type" in out
    code, out, _ = await asyncio.to_thread(run, capsys, "--home", home, "sync")
    assert code == Exit.OK
    assert "nothing new" in out
    code, out, _ = await asyncio.to_thread(run, capsys, "--home", home, "status", "--json")
    status = json.loads(out)
    assert status["online"] is True
    assert status["backlog"] == 0
    assert status["documents"]["accepted"] == 2
    assert status["documents"]["rejected"] == 1
    assert status["last_sync"]["result"] == "nothing_new"
    assert status["numbers_left"] == {"ER": 997, "BE": 1000}
    code, out, _ = run(capsys, "--home", home, "history", "--json")
    assert [s["result"] for s in json.loads(out)] == ["nothing_new", "partial"]
    code, out, _ = run(capsys, "--home", home, "rejected")
    assert "ER-000003 sequence=3 rejected: 2.pdf: unsupported document type" in out


def test_status_offline_and_usage_errors(home: str, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BELEGFLOW_EDGE_NATS_SERVERS", "nats://127.0.0.1:9")
    code, out, _ = run(capsys, "--home", home, "status")
    assert code == Exit.OK
    assert ": offline" in out
    assert "last sync never" in out
    assert "ER: 1000 left" in out
    with pytest.raises(SystemExit) as usage:
        main(["--home", home, "sync", "--documents-only", "--master-data-only"])
    assert usage.value.code == Exit.USAGE
    assert "not allowed with argument" in capsys.readouterr().err


def test_module_entry_point(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "belegflow_edge", "--home", str(tmp_path), "status", "--no-probe"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == Exit.NOT_PAIRED
    assert "not paired" in done.stderr
