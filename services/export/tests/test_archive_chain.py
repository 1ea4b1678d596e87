"""The archive's chain as ``append`` writes it: objects written once, a step's index entries in one object, an
unfinished writer's entries adopted; with and without a server that refuses a second conditional put."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from belegflow_export import archive, store
from belegflow_export.archive import ArchiveBucket, ArchiveItem, ArchiveKind, append, index_bodies, index_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DOC = UUID(int=7)


class MemoryBucket(ArchiveBucket):
    """The archive bucket in memory: a put of a key that exists is refused, as a conditional put is."""

    def __init__(self, *, conditional: bool) -> None:
        super().__init__(client=None, bucket="archive")  # type: ignore[arg-type]
        self.conditional_puts = conditional
        self.objects: dict[str, bytes] = {}
        self.puts: list[str] = []

    @property
    def client(self) -> S3Client:
        raise AssertionError("no client in memory")

    def exists(self, key: str) -> bool:
        return key in self.objects

    def put_once(self, key: str, data: bytes, *, content_type: str, until: datetime) -> bool:
        self.puts.append(key)
        if key in self.objects:
            return False
        self.objects[key] = data
        return True

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)


class MemoryIndex:
    """Export's copy of the chain (the store functions ``append`` calls), in memory."""

    def __init__(self) -> None:
        self.head = (0, store.GENESIS)
        self.rows: dict[int, str] = {}

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        async def lock_archive_head(conn: Any, tenant: str) -> tuple[int, str]:
            return self.head

        async def find_archive_entries(conn: Any, tenant: str, wanted: list[Any]) -> list[str | None]:
            found: list[str | None] = []
            for key, document_id, kind in wanted:
                bodies = [body for _, body in sorted(self.rows.items()) if json.loads(body)["key"] == key
                          and json.loads(body)["kind"] == kind
                          and json.loads(body)["document_id"] == (str(document_id) if document_id else None)]
                found.append(bodies[-1] if bodies else None)
            return found

        async def add_archive_entries(conn: Any, tenant: str, rows: list[tuple[Any, ...]]) -> None:
            for seq, body, *_ in rows:
                assert seq not in self.rows
                self.rows[seq] = body

        async def add_archive_entry(conn: Any, tenant: str, seq: int, body: str, sha256: str, **_: Any) -> None:
            assert seq not in self.rows
            self.rows[seq] = body

        async def set_archive_head(conn: Any, tenant: str, seq: int, sha256: str) -> None:
            self.head = (seq, sha256)

        async def archive_entries(conn: Any, tenant: str) -> list[store.ArchiveRow]:
            return [store.ArchiveRow(seq, body, hashlib.sha256(body.encode()).hexdigest())
                    for seq, body in sorted(self.rows.items())]

        async def archive_head(conn: Any, tenant: str) -> tuple[int, str] | None:
            return self.head

        for name, fn in {"lock_archive_head": lock_archive_head, "find_archive_entries": find_archive_entries,
                         "add_archive_entries": add_archive_entries, "add_archive_entry": add_archive_entry,
                         "set_archive_head": set_archive_head, "archive_entries": archive_entries,
                         "archive_head": archive_head}.items():
            monkeypatch.setattr(store, name, fn)


def _items(tag: bytes, revision: int = 1) -> list[ArchiveItem]:
    common: dict[str, Any] = {"event": "approved", "by": "clerk", "basis": date(2026, 11, 20), "document_id": DOC,
                              "revision": revision}
    return [ArchiveItem(kind=ArchiveKind.ORIGINAL, data=b"%PDF-" + tag, suffix=".pdf",
                        content_type="application/pdf", **common),
            ArchiveItem(kind=ArchiveKind.FIELDS, data=b'{"f": "' + tag + b'"}', suffix=".json",
                        content_type="application/json", **common),
            ArchiveItem(kind=ArchiveKind.PROTOCOL, data=b'{"p": "' + tag + b'"}', suffix=".json",
                        content_type="application/json", **common)]


def _append(bucket: MemoryBucket, items: list[ArchiveItem]) -> list[dict[str, Any]]:
    return asyncio.run(append(None, bucket, "demo", items, at=AT, invoice_years=8,  # type: ignore[arg-type]
                              booking_years=10))


def _index_entries(bucket: MemoryBucket) -> dict[int, bytes]:
    """Every index entry in the bucket by its seq, whichever index object holds it."""
    found: dict[int, bytes] = {}
    for key, data in bucket.objects.items():
        if "/index/" in key:
            for body in index_bodies(data):
                seq = json.loads(body)["seq"]
                assert seq not in found, f"entry {seq} written twice"
                found[seq] = body
    return found


def _chain_holds(bucket: MemoryBucket, index: MemoryIndex) -> None:
    prev = store.GENESIS
    stored = _index_entries(bucket)
    assert sorted(stored) == list(range(1, index.head[0] + 1))
    for seq in range(1, index.head[0] + 1):
        body = stored[seq]
        assert index.rows[seq] == body.decode()
        entry = json.loads(body)
        assert (entry["seq"], entry["prev"]) == (seq, prev)
        assert hashlib.sha256(bucket.objects[entry["key"]]).hexdigest() == entry["sha256"]
        prev = hashlib.sha256(body).hexdigest()
    assert index.head == (index.head[0], prev)


@pytest.mark.parametrize("conditional", [True, False])
def test_each_item_gets_its_object_and_an_index_entry_naming_the_one_before(
        monkeypatch: pytest.MonkeyPatch, conditional: bool) -> None:
    bucket, index = MemoryBucket(conditional=conditional), MemoryIndex()
    index.install(monkeypatch)
    first = _append(bucket, _items(b"a"))
    second = _append(bucket, _items(b"b"))
    assert [e["seq"] for e in first + second] == [1, 2, 3, 4, 5, 6]
    assert [e["kind"] for e in first] == ["original", "fields", "protocol"]
    _chain_holds(bucket, index)
    # each step's entries in one index object, under the seq of its first entry, one entry per line
    assert sorted(key for key in bucket.objects if "/index/" in key) == [index_key("demo", 1), index_key("demo", 4)]
    assert len(index_bodies(bucket.objects[index_key("demo", 4)])) == 3
    # a redelivery of what is archived: nothing written again, the same entries answered
    before = len(bucket.puts)
    again = _append(bucket, _items(b"b"))
    assert again == second
    assert len(bucket.puts) == before


@pytest.mark.parametrize("conditional", [True, False])
def test_entries_of_a_writer_that_did_not_commit_are_adopted_where_they_chain(
        monkeypatch: pytest.MonkeyPatch, conditional: bool) -> None:
    bucket, index = MemoryBucket(conditional=conditional), MemoryIndex()
    index.install(monkeypatch)
    _append(bucket, _items(b"a"))
    committed = (dict(index.rows), index.head)
    # GIVEN a writer of another revision wrote its objects and index entries 4..6, then its transaction failed
    _append(bucket, _items(b"x", revision=2))
    index.rows, index.head = dict(committed[0]), committed[1]
    # WHEN the next writer appends its own items THEN it keeps those entries and chains its own after them
    mine = _append(bucket, _items(b"c"))
    assert [e["seq"] for e in mine] == [7, 8, 9]
    assert [json.loads(index.rows[seq])["revision"] for seq in (4, 5, 6)] == [2, 2, 2]
    _chain_holds(bucket, index)
    # AND the unfinished writer's own redelivery finds its entries in the chain and writes nothing new
    index_before = dict(index.rows)
    redone = _append(bucket, _items(b"x", revision=2))
    assert [e["seq"] for e in redone] == [4, 5, 6]
    assert index.rows == index_before


def test_an_unfinished_writers_entry_of_this_very_item_is_taken_as_its_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bucket, index = MemoryBucket(conditional=True), MemoryIndex()
    index.install(monkeypatch)
    # GIVEN a try of these items wrote entries 1..3 and did not commit
    _append(bucket, _items(b"a"))
    index.rows, index.head = {}, (0, store.GENESIS)
    # WHEN it is redone THEN the entries are adopted as they are, none added
    entries = _append(bucket, _items(b"a"))
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert index.head[0] == 3
    assert [key for key in bucket.objects if "/index/" in key] == [index_key("demo", 1)]
    _chain_holds(bucket, index)


def test_the_probe_counts_only_a_refused_second_put() -> None:
    class Client:
        def __init__(self, refuses: bool) -> None:
            self.refuses, self.keys = refuses, set[str]()

        def put_object(self, **kwargs: Any) -> None:
            from botocore.exceptions import ClientError

            if kwargs["Key"] in self.keys and self.refuses:
                raise ClientError({"Error": {"Code": "PreconditionFailed"}}, "PutObject")
            self.keys.add(kwargs["Key"])

    assert ArchiveBucket(Client(True), "archive")._refuses_second_put() is True  # type: ignore[arg-type]
    assert ArchiveBucket(Client(False), "archive")._refuses_second_put() is False  # type: ignore[arg-type]
    assert archive.PROBE_KEY.startswith("_")  # outside every tenant's prefix


class ListingBucket(MemoryBucket):
    def keys(self, prefix: str) -> list[str]:
        return sorted(key for key in self.objects if key.startswith(prefix))


def _verify(bucket: MemoryBucket) -> list[str]:
    report = asyncio.run(archive.verify(None, bucket, "demo"))  # type: ignore[arg-type]
    return [str(f).split(" (")[0] for f in report.findings]


def test_verify_reads_entries_in_index_objects_of_one_or_of_several(monkeypatch: pytest.MonkeyPatch) -> None:
    bucket, index = ListingBucket(conditional=True), MemoryIndex()
    index.install(monkeypatch)
    # GIVEN a chain whose first entries were written one object each (as before), the next step's in one object
    _append(bucket, _items(b"a"))
    for seq, body in enumerate(index_bodies(bucket.objects.pop(index_key("demo", 1))), start=1):
        bucket.objects[index_key("demo", seq)] = body
    _append(bucket, _items(b"b"))
    assert len([key for key in bucket.objects if "/index/" in key]) == 4
    # THEN it verifies
    assert _verify(bucket) == []
    # WHEN an entry inside the step's object is altered, an old single entry is deleted and one is slipped in
    step = bucket.objects[index_key("demo", 4)]
    bucket.objects[index_key("demo", 4)] = step.replace(b'"by":"clerk"', b'"by":"mallory"', 1)
    del bucket.objects[index_key("demo", 2)]
    bucket.objects[index_key("demo", 999)] = b"{}"
    # THEN verify names each, by the index object that holds (or should hold) the entry
    assert _verify(bucket) == [f"missing index entry: {index_key('demo', 2)}",
                               f"altered index entry: {index_key('demo', 4)}",
                               f"extra index entry: {index_key('demo', 999)}"]
