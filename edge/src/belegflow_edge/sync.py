"""One sync session: sessions reported, data and number blocks down, documents up until each has its receipt.

Only a ``DeviceReceiptV1`` from central marks a document done. A receipt that does not come in time is
asked for over ``receipts.v1``; if central does not know the document, it is sent again (central
deduplicates by sequence and hash, so a resend is always safe). The session's counts and result are
kept locally and reported to central at start and end; a session cut off by a crash is closed as
``failed`` by the next sync, which also reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import PubAck
from pydantic import BaseModel, ValidationError

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    DeviceBatchDocumentV1,
    DeviceBatchLimitsV1,
    DeviceBatchReceiptV1,
    DeviceBatchV1,
    DeviceCapabilitiesRequestV1,
    DeviceCapabilitiesV1,
    DeviceCaptureV1,
    DeviceReceiptV1,
    EdgeAckV1,
    NumberBlockReplyV1,
    NumberBlockRequestV1,
    ReceiptListV1,
    ReceiptQueryV1,
    ReceiptStatus,
    SessionErrorV1,
    SyncDataReplyV1,
    SyncDataRequestV1,
    SyncKind,
    SyncResult,
    SyncSessionV1,
)
from belegflow_edge import __version__, settings
from belegflow_edge.errors import CentralUnreachableError, CredentialsRefusedError, SyncBusyError
from belegflow_edge.store import Backlog, Device, Document, Session, Store, utcnow

SEQUENCE_HEADER = "Belegflow-Sequence"
SHA256_HEADER = "Belegflow-Sha256"
FILENAME_HEADER = "Belegflow-Filename"
CAPTURE_HEADER = "Belegflow-Capture"
CHUNK_HEADER = "Belegflow-Chunk"
SIZE_HEADER = "Belegflow-Size"
BATCH_HEADER = "Belegflow-Batch"
BATCH_VERSIONS = [1]
"""Versions of the batch contract (``batch.v1``) this agent sends when central offers one."""
BATCHES_IN_FLIGHT = 4
MANIFEST_ROOM = 256 * 1024
"""Room kept in a batch message (below the broker's message limit) for its manifest and headers."""

"""Comma-separated NATS URLs that replace the ones from pairing (a device behind NAT or a relay)."""

# printable ASCII except '%', which starts an escape
_FILENAME_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in "%")

M = TypeVar("M", bound=BaseModel)


FIRST_ALONE_S = 1.0
"""Longest a session's first document is sent alone before the whole window opens."""


class ConnectionLost(Exception):
    """Central went away during the session (connection closed, no answer, no responders)."""


@dataclass(frozen=True, slots=True)
class SyncOptions:
    kind: SyncKind = SyncKind.FULL
    connect_timeout_s: float = 3.0
    request_timeout_s: float = 5.0
    receipt_timeout_s: float = 15.0
    window: int = 32
    batches: bool = True
    """Send small documents in batches when central offers them (``capabilities.v1``)."""
    max_attempts: int = 3
    reconnects: int = 3
    """Times a session connects again after losing a connection it had (not when central was never reached)."""


def servers_for(device: Device) -> list[str]:
    return settings.nats_servers_override() or device.servers


def escape_filename(name: str) -> str:
    """Headers carry ASCII only: everything else (and '%') is percent-encoded UTF-8."""
    return urllib.parse.quote(name, safe=_FILENAME_SAFE)


async def connect(device: Device, *, timeout_s: float = 3.0,
                  on_closed: Callable[[], Awaitable[None]] | None = None,
                  on_error: Callable[[Exception], None] | None = None) -> NATS:
    """A connection as this device (its own user and inbox prefix); no reconnect: a lost link ends the session."""

    async def quiet(exc: Exception) -> None:
        if on_error is not None:
            on_error(exc)

    async def closed() -> None:
        if on_closed is not None:
            await on_closed()

    servers = servers_for(device)
    try:
        # nats-py tries each server up to max_reconnect_attempts + 1 times even on the first connect
        return await asyncio.wait_for(nats.connect(
            servers, user=device.user, password=device.password, inbox_prefix=device.inbox_prefix.encode(),
            connect_timeout=timeout_s, allow_reconnect=False, max_reconnect_attempts=1, reconnect_time_wait=0.1,
            ping_interval=5, max_outstanding_pings=2, error_cb=quiet, closed_cb=closed,
            name=f"belegflow-edge {device.device}",
        ), timeout=2 * timeout_s * len(servers) + 1)
    except Exception as exc:
        if isinstance(exc, nats.errors.AuthorizationError) or "authorization violation" in str(exc).lower():
            raise CredentialsRefusedError(CredentialsRefusedError.HINT) from exc
        raise CentralUnreachableError(f"central is unreachable at {', '.join(servers)}: {exc or type(exc).__name__}"
                                      ) from exc


async def probe(device: Device, *, timeout_s: float = 2.0) -> bool:
    """Whether central's broker answers right now."""
    try:
        nc = await connect(device, timeout_s=timeout_s)
    except CentralUnreachableError:
        return False
    await nc.close()
    return True


class _Sync:
    def __init__(self, store: Store, options: SyncOptions, session: Session) -> None:
        self.store = store
        self.options = options
        self.session = session
        self.device = store.device()
        self.nc: NATS | None = None
        self.js: JetStreamContext | None = None
        self.lost: str | None = None
        self.waiting: dict[int, asyncio.Future[DeviceReceiptV1]] = {}
        self.done: set[int] = set()
        self.unflushed: list[DeviceReceiptV1] = []
        self.unflushed_sent: list[int] = []
        self.data_errors = False
        self.backlog = Backlog(count=0, last=0)
        self.last_flush = 0.0
        self.sent: set[int] = set()
        self.corrupted: set[int] = set()
        self.data_done = False
        self.generation = 0
        self.batch_waiting: dict[uuid.UUID, asyncio.Future[DeviceBatchReceiptV1]] = {}
        self.denied: set[str] = set()
        self.denied_now = asyncio.Event()
        # central's batch limits, asked at the start of each attempt (``steps``) beside the other round trips
        self.batch_limits: DeviceBatchLimitsV1 | None = None
        self.limits_asked = False

    # --- transport ----------------------------------------------------------------------------

    def _error(self, reason: str, doc: Document | None = None) -> None:
        self.session.errors.append(SessionErrorV1(sequence=doc.sequence if doc else None,
                                                  document_number=doc.document_number if doc else None,
                                                  reason=reason))

    def _lose(self, reason: str) -> ConnectionLost:
        if self.lost is None:
            self.lost = reason
            self._error(f"connection to central lost: {reason}")
        futures: list[asyncio.Future[DeviceReceiptV1] | asyncio.Future[DeviceBatchReceiptV1]] = [
            *self.waiting.values(), *self.batch_waiting.values()]
        for fut in futures:
            if not fut.done():
                fut.set_exception(ConnectionLost(reason))
                fut.exception()  # whoever waits on it sees it; nobody else has to
        return ConnectionLost(reason)

    def _on_error(self, exc: Exception) -> None:
        """The server refused a publish (an older central grants no newer subjects): remembered per subject."""
        text = str(exc)
        if "permissions violation" in text.lower():
            self.denied.add(text)
            self.denied_now.set()

    async def open(self) -> None:
        """A fresh connection; a close of an older one no longer concerns this session."""
        await self.drop()
        generation = self.generation

        async def closed() -> None:
            if generation == self.generation:
                self._lose("the broker connection closed")

        self.nc = await connect(self.device, timeout_s=self.options.connect_timeout_s, on_closed=closed,
                                on_error=self._on_error)
        # one context per connection: its acks come on one subscription below the device's inbox, and at
        # most this many publishes wait for theirs (the window's documents, each in up to a few chunks)
        self.js = self.nc.jetstream(timeout=self.options.request_timeout_s,
                                    publish_async_max_pending=max(64, 8 * self.options.window))
        self.lost = None

    async def drop(self) -> None:
        self.generation += 1
        old, self.nc, self.js = self.nc, None, None
        self.waiting.clear()
        self.batch_waiting.clear()
        if old is not None:
            with contextlib.suppress(Exception):
                await old.close()

    async def steps(self) -> None:
        """Everything a session does; safe to run again after a reconnect (it skips what is done).

        The session's report, the data down and the question which upload contracts central offers do not
        depend on each other: they are asked at once, so a device back online sends its first document after
        one round trip to central instead of three.
        """
        for earlier in self.store.unreported_sessions():
            if earlier.session_id != self.session.session_id and await self.report(earlier):
                self.store.mark_reported(earlier.session_id)
        data = self.options.kind is not SyncKind.DOCUMENTS and not self.data_done
        uploading = self.options.kind is not SyncKind.MASTERDATA
        self.limits_asked = False
        ask = uploading and self.options.batches and next(self._pending(), None) is not None
        await _together(self.report(self.session), *([self.data_down()] if data else []),
                        *([self._ask_limits()] if ask else []))
        if data:
            self.data_done = True
        await self.refill_numbers()  # after the data down: its config names the series
        if uploading:
            await self.upload()

    def _pending(self) -> Iterator[Document]:
        """The backlog's documents not yet confirmed, in order, read from the store as they are taken."""
        return (d for d in self.store.backlog_documents(self.backlog)
                if d.sequence not in self.done and d.sequence not in self.corrupted)

    async def _ask_limits(self) -> None:
        self.batch_limits = await self.capabilities()
        self.limits_asked = True

    async def request(self, subject: str, body: BaseModel, answer: type[M]) -> M:
        if self.lost is not None or self.nc is None:
            raise ConnectionLost(self.lost or "not connected")
        try:
            reply = await self.nc.request(subject, body.model_dump_json().encode(),
                                          timeout=self.options.request_timeout_s)
        except nats.errors.NoRespondersError:
            raise self._lose(f"central does not answer on {subject} (no responders)") from None
        except nats.errors.TimeoutError:
            raise self._lose(f"no answer on {subject} within {self.options.request_timeout_s:g} s") from None
        except (nats.errors.ConnectionClosedError, nats.errors.ConnectionDrainingError, OSError) as exc:
            raise self._lose(f"{type(exc).__name__} on {subject}") from None
        try:
            return answer.model_validate_json(reply.data)
        except ValidationError as exc:
            raise self._lose(f"central answered {subject} with something that is not {answer.__name__}: "
                             f"{exc.errors()[0]['msg']}") from None

    async def report(self, session: Session) -> bool:
        body = SyncSessionV1(
            session_id=session.session_id, tenant=self.device.tenant, device=self.device.device, kind=session.kind,
            started_at=session.started_at, ended_at=session.ended_at, backlog=session.backlog, sent=session.sent,
            accepted=session.accepted, duplicates=session.duplicates, rejected=session.rejected,
            failed=session.failed, masterdata_updated=session.masterdata_updated,
            config_updated=session.config_updated, result=session.result, errors=session.errors[:100],
        )
        ack = await self.request(subjects.device_session(self.device.tenant, self.device.device), body, EdgeAckV1)
        return ack.ok

    # --- data down ----------------------------------------------------------------------------

    async def data_down(self) -> None:
        config, masterdata = self.device.config, self.device.masterdata
        reply = await self.request(
            subjects.device_sync(self.device.tenant, self.device.device),
            SyncDataRequestV1(config_version=config.version, masterdata_version=masterdata.version,
                              backlog=self.store.backlog()),
            SyncDataReplyV1,
        )
        if reply.error:
            self.data_errors = True
            self._error(f"master data and config: {reply.error}")
        if reply.config is not None and reply.config != config:
            self.store.set_config(reply.config)
            self.session.config_updated = True
        if reply.masterdata is not None and reply.masterdata != masterdata:
            self.store.set_masterdata(reply.masterdata)
            self.session.masterdata_updated = True
        self.device = self.store.device()

    async def refill_numbers(self) -> None:
        config = self.device.config
        for series in sorted(set(config.series.values())):
            for _ in range(5):
                left = self.store.remaining().get(series, 0)
                if left >= config.block_threshold:
                    break
                reply = await self.request(subjects.device_numbers(self.device.tenant, self.device.device),
                                           NumberBlockRequestV1(series=series, remaining=left), NumberBlockReplyV1)
                if reply.block is None or reply.error:
                    self.data_errors = True
                    self._error(f"number block for series {series}: {reply.error or 'central sent none'}")
                    break
                if reply.block.series != series or reply.block.first > reply.block.last:
                    self.data_errors = True
                    self._error(f"number block for series {series}: central sent {reply.block.model_dump_json()}")
                    break
                self.store.add_block(reply.block)
                self.session.blocks_received += 1

    # --- documents up -------------------------------------------------------------------------

    def _on_receipt_data(self, data: bytes) -> None:
        try:
            receipt = DeviceReceiptV1.model_validate_json(data)
        except ValidationError:
            return
        fut = self.waiting.get(receipt.sequence)
        if fut is not None and not fut.done():
            fut.set_result(receipt)

    async def _on_receipt(self, msg: Msg) -> None:
        self._on_receipt_data(msg.data)

    def _headers(self, doc: Document) -> dict[str, str]:
        capture = DeviceCaptureV1(document_type=doc.document_type, description=doc.description,
                                  captured_at=doc.captured_at, series=doc.series,
                                  document_number=doc.document_number, session_id=self.session.session_id)
        return {
            SEQUENCE_HEADER: str(doc.sequence),
            SHA256_HEADER: doc.sha256,
            FILENAME_HEADER: escape_filename(doc.filename),
            CAPTURE_HEADER: json.dumps(capture.model_dump(mode="json"), ensure_ascii=True, separators=(",", ":")),
        }

    async def _publish(self, doc: Document, data: bytes) -> None:
        """All of a document's messages (one, or its chunks in order) go out back to back; then their stream
        acks are awaited together, so a large document costs one round trip, not one per chunk."""
        if self.lost is not None or self.js is None:
            raise ConnectionLost(self.lost or "not connected")
        js = self.js
        headers = self._headers(doc)
        chunk = self.device.config.chunk_bytes
        timeout = self.options.request_timeout_s
        acks: list[asyncio.Future[PubAck]] = []
        try:
            try:
                if len(data) <= chunk:
                    acks.append(await js.publish_async(
                        subjects.device_upload(self.device.tenant, self.device.device), data, headers=headers,
                        wait_stall=timeout))
                else:
                    count = (len(data) + chunk - 1) // chunk
                    subject = subjects.device_chunk(self.device.tenant, self.device.device)
                    view = memoryview(data)
                    for index in range(count):
                        if self.lost is not None:
                            raise ConnectionLost(self.lost)
                        acks.append(await js.publish_async(
                            subject, bytes(view[index * chunk:(index + 1) * chunk]),
                            headers={**headers, CHUNK_HEADER: f"{index}/{count}", SIZE_HEADER: str(len(data))},
                            wait_stall=timeout))
                await asyncio.wait_for(asyncio.gather(*acks), timeout)
            finally:
                for ack in acks:  # a failed or timed-out wait leaves no ack pending behind
                    if not ack.done():
                        ack.cancel()
        except (nats.errors.NoRespondersError, nats.js.errors.NoStreamResponseError):
            raise self._lose("the broker stores no uploads for this device (no stream answers)") from None
        except (TimeoutError, nats.errors.TimeoutError, nats.js.errors.TooManyStalledMsgsError,
                nats.errors.ConnectionClosedError, nats.errors.ConnectionDrainingError, OSError) as exc:
            raise self._lose(f"{type(exc).__name__} while sending sequence {doc.sequence}") from None

    async def _ask(self, sequence: int) -> DeviceReceiptV1 | None:
        answer = await self.request(subjects.device_receipts(self.device.tenant, self.device.device),
                                    ReceiptQueryV1(sequences=[sequence]), ReceiptListV1)
        for receipt in answer.receipts:
            if receipt.sequence == sequence:
                return receipt
        return None

    async def deliver(self, doc: Document) -> None:
        if self.lost is not None:
            return
        data = self.store.read_verified(doc)
        if data is None:
            reason = "local file is corrupted or missing: its SHA-256 no longer matches the capture; not sent"
            self.corrupted.add(doc.sequence)
            self.store.mark_corrupted(doc.sequence, reason)
            self._error(reason, doc)
            return
        loop = asyncio.get_running_loop()
        for _ in range(self.options.max_attempts):
            fut: asyncio.Future[DeviceReceiptV1] = loop.create_future()
            self.waiting[doc.sequence] = fut
            await self._publish(doc, data)
            self.sent.add(doc.sequence)
            self.session.sent = len(self.sent)
            self.unflushed_sent.append(doc.sequence)
            try:
                receipt: DeviceReceiptV1 | None = await asyncio.wait_for(
                    asyncio.shield(fut), self.options.receipt_timeout_s)
            except TimeoutError:
                receipt = await self._ask(doc.sequence)
            if receipt is not None:
                self._record(doc, receipt)
                return
        self._error(f"no receipt after {self.options.max_attempts} attempts", doc)

    def _record(self, doc: Document, receipt: DeviceReceiptV1) -> None:
        self.waiting.pop(doc.sequence, None)
        if receipt.sha256 != doc.sha256 and receipt.status is not ReceiptStatus.REJECTED:
            receipt = receipt.model_copy(update={
                "status": ReceiptStatus.REJECTED,
                "reason": f"central confirmed other bytes (sha256 {receipt.sha256}, captured {doc.sha256})"})
        self.done.add(doc.sequence)
        if receipt.status is ReceiptStatus.ACCEPTED:
            self.session.accepted += 1
        elif receipt.status is ReceiptStatus.DUPLICATE:
            self.session.duplicates += 1
        else:
            self.session.rejected += 1
            self._error(f"rejected by central: {receipt.reason or 'no reason given'}", doc)
        self.unflushed.append(receipt)
        now = asyncio.get_running_loop().time()
        if len(self.unflushed) >= 64 or now - self.last_flush > 0.25:
            self.flush()
            self.last_flush = now

    def flush(self) -> None:
        """Receipts so far and the session's counts, durably together (a crash loses at most a resend)."""
        sent, self.unflushed_sent = self.unflushed_sent, []
        receipts, self.unflushed = self.unflushed, []
        self.store.record_progress(self.session, sent, receipts)

    async def upload(self) -> None:
        assert self.nc is not None
        docs = self._pending()
        first = next(docs, None)
        if first is None:
            return
        limits = None
        if self.options.batches:
            limits = self.batch_limits if self.limits_asked else await self.capabilities()
        if limits is not None:
            await self.upload_batches(itertools.chain([first], docs), limits)
            return
        sub = await self.nc.subscribe(subjects.device_receipt(self.device.tenant, self.device.device),
                                      cb=self._on_receipt)
        # the first document goes alone, so its receipt is not queued behind a window's worth of work at
        # central; the window opens when it is confirmed (or after FIRST_ALONE_S at the latest). ``window``
        # workers take the documents in order: a backlog of any size costs no more than the window in flight.
        async def worker() -> None:
            for doc in docs:
                if self.lost is not None:
                    return
                await self.deliver(doc)

        tasks = [asyncio.create_task(self.deliver(first))]
        try:
            await asyncio.wait(tasks, timeout=FIRST_ALONE_S)
            tasks += [asyncio.create_task(worker())
                      for _ in range(max(1, self.options.window - (0 if tasks[0].done() else 1)))]
            results = await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            for task in tasks:  # cancelled from outside: nothing of this session goes on sending
                task.cancel()
            self.flush()
            if self.lost is None:
                with contextlib.suppress(nats.errors.Error):
                    await sub.unsubscribe()
        self._raise_what_failed(results)

    # --- documents up in batches (central offers ``batch.v1``) ---------------------------------

    async def capabilities(self) -> DeviceBatchLimitsV1 | None:
        """The batch limits central offers, or None: an older central does not answer (no responders, or a
        server that refuses the subject to this device), and then every document goes up alone."""
        if self.lost is not None or self.nc is None:
            raise ConnectionLost(self.lost or "not connected")
        subject = subjects.device_capabilities(self.device.tenant, self.device.device)
        body = DeviceCapabilitiesRequestV1(agent_version=__version__, batch_versions=BATCH_VERSIONS)
        self.denied_now.clear()
        asking = asyncio.ensure_future(self.nc.request(subject, body.model_dump_json().encode(),
                                                       timeout=min(2.0, self.options.request_timeout_s)))
        refused = asyncio.ensure_future(self.denied_now.wait())
        try:
            while not asking.done():
                await asyncio.wait({asking, refused}, return_when=asyncio.FIRST_COMPLETED)
                if refused.done():
                    if any(subject in text for text in self.denied):
                        return None
                    self.denied_now.clear()
                    refused = asyncio.ensure_future(self.denied_now.wait())
            reply = asking.result()
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            return None
        except (nats.errors.ConnectionClosedError, nats.errors.ConnectionDrainingError, OSError) as exc:
            raise self._lose(f"{type(exc).__name__} on {subject}") from None
        finally:
            asking.cancel()
            refused.cancel()
        try:
            answer = DeviceCapabilitiesV1.model_validate_json(reply.data)
        except ValidationError:
            return None
        if answer.error:
            self._error(f"central's upload contracts: {answer.error}")
        return answer.batch if answer.batch is not None and answer.batch.version in BATCH_VERSIONS else None

    def _on_batch_receipt_data(self, data: bytes) -> None:
        try:
            answer = DeviceBatchReceiptV1.model_validate_json(data)
        except ValidationError:
            return
        fut = self.batch_waiting.get(answer.batch_id) if answer.batch_id is not None else None
        if fut is not None and not fut.done():
            fut.set_result(answer)

    async def _on_batch_receipt(self, msg: Msg) -> None:
        self._on_batch_receipt_data(msg.data)

    @staticmethod
    def groups(docs: Iterable[Document], limits: DeviceBatchLimitsV1, budget: int) -> Iterator[list[Document]]:
        """The documents in order, in batches within the limits; one too large for a batch is a group of one that
        goes up alone. The first document is a batch of its own: its receipt comes without waiting for others."""
        group: list[Document] = []
        size = 0
        for i, doc in enumerate(docs):
            if doc.size > budget:
                if group:
                    yield group
                    group, size = [], 0
                yield [doc]
                continue
            if group and (len(group) >= limits.max_documents or size + doc.size > budget):
                yield group
                group, size = [], 0
            group.append(doc)
            size += doc.size
            if i == 0:
                yield group
                group, size = [], 0
        if group:
            yield group

    async def upload_batches(self, docs: Iterable[Document], limits: DeviceBatchLimitsV1) -> None:
        assert self.nc is not None
        nc = self.nc
        budget = min(limits.max_bytes, max(1, (nc.max_payload or 1024 * 1024) - MANIFEST_ROOM))
        subs = [await nc.subscribe(subjects.device_receipt(self.device.tenant, self.device.device),
                                   cb=self._on_receipt),
                await nc.subscribe(subjects.device_batch_receipt(self.device.tenant, self.device.device),
                                   cb=self._on_batch_receipt)]
        groups = self.groups(docs, limits, budget)

        async def send(group: list[Document]) -> None:
            if group[0].size > budget:
                await self.deliver(group[0])
            else:
                await self.deliver_batch(group)

        async def worker() -> None:
            for group in groups:
                if self.lost is not None:
                    return
                await send(group)

        # the first batch (one document) goes alone, as without batches; then the window opens
        tasks = [asyncio.create_task(send(next(groups)))]
        try:
            await asyncio.wait(tasks, timeout=FIRST_ALONE_S)
            tasks += [asyncio.create_task(worker()) for _ in range(BATCHES_IN_FLIGHT)]
            results = await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            for task in tasks:
                task.cancel()
            self.flush()
            if self.lost is None:
                for sub in subs:
                    with contextlib.suppress(nats.errors.Error):
                        await sub.unsubscribe()
        self._raise_what_failed(results)

    def _raise_what_failed(self, results: Sequence[object]) -> None:
        """After the window's workers: the first error that is not the lost connection, else the lost
        connection, else nothing."""
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, ConnectionLost):
                raise result
        if self.lost is not None:
            raise ConnectionLost(self.lost)

    def _read_group(self, group: list[Document]) -> list[tuple[Document, bytes | None]]:
        return [(doc, self.store.read_verified(doc)) for doc in group]

    def _manifest_entry(self, doc: Document, size: int) -> DeviceBatchDocumentV1:
        capture = DeviceCaptureV1(document_type=doc.document_type, description=doc.description,
                                  captured_at=doc.captured_at, series=doc.series,
                                  document_number=doc.document_number, session_id=self.session.session_id)
        return DeviceBatchDocumentV1(sequence=doc.sequence, sha256=doc.sha256, size=size, filename=doc.filename,
                                     capture=capture)

    async def _publish_batch(self, batch_id: uuid.UUID, body: bytes) -> None:
        if self.lost is not None or self.js is None:
            raise ConnectionLost(self.lost or "not connected")
        try:
            await self.js.publish(subjects.device_batch(self.device.tenant, self.device.device), body,
                                  timeout=self.options.request_timeout_s, headers={BATCH_HEADER: str(batch_id)})
        except (nats.errors.NoRespondersError, nats.js.errors.NoStreamResponseError):
            raise self._lose("the broker stores no batches for this device (no stream answers)") from None
        except (TimeoutError, nats.errors.TimeoutError, nats.errors.ConnectionClosedError,
                nats.errors.ConnectionDrainingError, OSError) as exc:
            raise self._lose(f"{type(exc).__name__} while sending batch {batch_id}") from None

    async def _ask_many(self, sequences: list[int]) -> dict[int, DeviceReceiptV1]:
        answer = await self.request(subjects.device_receipts(self.device.tenant, self.device.device),
                                    ReceiptQueryV1(sequences=sequences), ReceiptListV1)
        wanted = set(sequences)
        return {r.sequence: r for r in answer.receipts if r.sequence in wanted}

    async def deliver_batch(self, group: list[Document]) -> None:
        """Several documents in one ``batch.v1`` message, done when their batch receipt (or, when it does not
        come in time, ``receipts.v1``) answers them; those it does not answer go again in a new batch. A batch
        central refuses as a whole goes up again document by document."""
        if self.lost is not None:
            return
        pending: list[tuple[Document, bytes]] = []
        for doc, data in await asyncio.to_thread(self._read_group, group):
            if data is None:
                reason = "local file is corrupted or missing: its SHA-256 no longer matches the capture; not sent"
                self.corrupted.add(doc.sequence)
                self.store.mark_corrupted(doc.sequence, reason)
                self._error(reason, doc)
            else:
                pending.append((doc, data))
        loop = asyncio.get_running_loop()
        for _ in range(self.options.max_attempts):
            if not pending:
                return
            batch_id = uuid.uuid4()
            manifest = DeviceBatchV1(batch_id=batch_id,
                                     documents=[self._manifest_entry(doc, len(data)) for doc, data in pending])
            body = b"".join([manifest.model_dump_json().encode(), b"\n", *(data for _, data in pending)])
            fut: asyncio.Future[DeviceBatchReceiptV1] = loop.create_future()
            self.batch_waiting[batch_id] = fut
            try:
                await self._publish_batch(batch_id, body)
                for doc, _ in pending:
                    self.sent.add(doc.sequence)
                    self.unflushed_sent.append(doc.sequence)
                self.session.sent = len(self.sent)
                try:
                    answer: DeviceBatchReceiptV1 | None = await asyncio.wait_for(
                        asyncio.shield(fut), self.options.receipt_timeout_s)
                except TimeoutError:
                    answer = None
            finally:
                self.batch_waiting.pop(batch_id, None)
            if answer is not None and answer.error:
                self._error(f"batch of {len(pending)} refused by central, sent again one by one: {answer.error}")
                for doc, _ in pending:
                    await self.deliver(doc)
                return
            receipts = ({r.sequence: r for r in answer.receipts} if answer is not None
                        else await self._ask_many([doc.sequence for doc, _ in pending]))
            rest = []
            for doc, data in pending:
                receipt = receipts.get(doc.sequence)
                if receipt is None:
                    rest.append((doc, data))
                else:
                    self._record(doc, receipt)
            pending = rest
        for doc, _ in pending:
            self._error(f"no receipt after {self.options.max_attempts} attempts", doc)

    # --- the session --------------------------------------------------------------------------

    def finish(self) -> None:
        session = self.session
        session.ended_at = utcnow()
        session.failed = self.backlog.count - session.accepted - session.duplicates - session.rejected
        problems = bool(session.rejected or session.failed or self.lost or self.data_errors)
        changed = session.config_updated or session.masterdata_updated or session.blocks_received > 0
        confirmed = session.accepted + session.duplicates
        if not problems:
            session.result = SyncResult.SUCCESS if self.backlog.count or changed else SyncResult.NOTHING_NEW
        elif confirmed or changed:
            session.result = SyncResult.PARTIAL
        else:
            session.result = SyncResult.FAILED


async def _together(*steps: Awaitable[object]) -> None:
    """Independent round trips at once. When one fails, the others still end (each within the request timeout,
    none of them writing after this returns) before the first failure is raised."""
    results = await asyncio.gather(*steps, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


async def run_sync(store: Store, options: SyncOptions | None = None) -> Session:
    """One session, start to end; raises ``SyncBusyError`` when another sync holds this device."""
    options = options or SyncOptions()
    with store.sync_lock() as locked:
        if not locked:
            raise SyncBusyError()
        store.device()  # NotPairedError before anything else
        store.close_interrupted_sessions()
        session, backlog = store.start_session(options.kind)
        run = _Sync(store, options, session)
        run.backlog = backlog
        connected_once = False
        reconnects = 0
        try:
            while True:
                try:
                    await run.open()
                except CentralUnreachableError as exc:
                    run._error(exc.message)
                    run.lost = exc.message
                else:
                    connected_once = True
                    try:
                        await run.steps()
                        break
                    except ConnectionLost:
                        pass
                if not connected_once or reconnects >= options.reconnects:
                    break
                # the link went away mid-session (a cut, expired credentials): connect again and go on
                reconnects += 1
                await run.drop()
                await asyncio.sleep(min(4.0, 0.25 * 2 ** reconnects) * random.uniform(0.5, 1.0))
        finally:
            run.finish()
            session.connection_lost = run.lost is not None
            store.save_session(session)
        if run.nc is not None:
            try:
                if run.lost is None and await run.report(session):
                    session.reported = True
                    store.mark_reported(session.session_id)
            except ConnectionLost:
                pass
            finally:
                await run.drop()
        return session
