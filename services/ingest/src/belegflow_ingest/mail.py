"""E-mail intake: each tenant's IMAP mailbox is read; attachments and e-invoices in the body are taken in.

Mail whose documents were taken goes to the processed folder; refused mail (no document, too large, only
unreadable parts, a duplicate) is set aside in the refused folder next to a note that says why. Every
decision is recorded by Message-ID first, so a message seen again is a duplicate and a move a crash
interrupted is finished, not repeated. The mailbox is polled (``BELEGFLOW_IMAP_POLL_S``); replicas of
ingest read a mailbox one at a time (advisory lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import imaplib
import re
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING
from uuid import UUID

from belegflow_contracts.messages import Source
from belegflow_contracts.runtime.errors import TransientError
from belegflow_contracts.runtime.logging import get_logger
from belegflow_ingest import metrics, store
from belegflow_ingest.errors import AdmissionError
from belegflow_ingest.intake import take_in
from belegflow_ingest.mailparse import MailContent, read_mail

if TYPE_CHECKING:
    from belegflow_contracts.runtime.service import Runtime
    from belegflow_ingest.settings import Mailbox, Settings

log = get_logger(__name__)
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
IMAP_TIMEOUT_S = 30.0


class MailboxError(TransientError):
    """The mailbox could not be reached, logged into or read; the next round tries again."""


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MailboxClient:
    """The blocking IMAP conversation with one mailbox (run in a thread)."""

    def __init__(self, box: Mailbox) -> None:
        self.box = box
        self.conn: imaplib.IMAP4 | None = None
        self.uidvalidity = 0

    def _check(self, what: str, result: tuple[str, Sequence[object]]) -> Sequence[object]:
        typ, data = result
        if typ != "OK":
            raise MailboxError(f"{self.box.user}@{self.box.host}: {what} failed: {data!r}")
        return data

    @property
    def imap(self) -> imaplib.IMAP4:
        if self.conn is None:
            raise MailboxError("mailbox is not open")
        return self.conn

    def open(self) -> None:
        box = self.box
        try:
            if box.security == "tls":
                self.conn = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=ssl.create_default_context(),
                                              timeout=IMAP_TIMEOUT_S)
            else:
                self.conn = imaplib.IMAP4(box.host, box.port, timeout=IMAP_TIMEOUT_S)
                if box.security == "starttls":
                    self.conn.starttls(ssl.create_default_context())
            self.conn.login(box.user, box.password.get_secret_value())
        except (OSError, imaplib.IMAP4.error) as exc:
            self.close()
            raise MailboxError(f"{box.user}@{box.host}:{box.port}: {exc}") from exc
        for folder in (box.processed_folder, box.refused_folder):
            self.imap.create(_quote(folder))  # NO when it exists: that is fine
        self._check(f"select {box.folder}", self.imap.select(_quote(box.folder)))
        _, validity = self.imap.response("UIDVALIDITY")
        self.uidvalidity = int(validity[0]) if validity and validity[0] else 0

    def uids(self) -> list[int]:
        data = self._check("search", self.imap.uid("SEARCH", "ALL"))
        return [int(u) for u in (data[0] or b"").split()] if data and isinstance(data[0], bytes) else []

    def _fetch(self, uid: int, items: str) -> tuple[bytes, bytes]:
        for item in self._check(f"fetch {uid}", self.imap.uid("FETCH", str(uid), items)):
            if isinstance(item, tuple) and len(item) == 2:
                return item[0], item[1]
        raise MailboxError(f"message {uid} vanished from {self.box.folder}")

    def header(self, uid: int) -> tuple[int, bytes]:
        """The message's size and its header block (the body is not read yet)."""
        envelope, header = self._fetch(uid, "(RFC822.SIZE BODY.PEEK[HEADER])")
        found = _SIZE.search(envelope)
        return (int(found.group(1)) if found else 0), header

    def body(self, uid: int) -> bytes:
        return self._fetch(uid, "(BODY.PEEK[])")[1]

    def append(self, folder: str, message: bytes) -> None:
        self._check(f"append to {folder}", self.imap.append(
            _quote(folder), "", imaplib.Time2Internaldate(time.time()), message))

    def move(self, uid: int, folder: str) -> None:
        if "MOVE" in self.imap.capabilities:
            self._check(f"move {uid} to {folder}", self.imap.uid("MOVE", str(uid), _quote(folder)))
            return
        self._check(f"copy {uid} to {folder}", self.imap.uid("COPY", str(uid), _quote(folder)))
        self._check(f"delete {uid}", self.imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"))
        self._check("expunge", self.imap.expunge())

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self.conn.logout()
            self.conn = None


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: str  # "taken" or "refused"
    reason: str | None
    documents: list[UUID]


def refusal_note(box: Mailbox, content: MailContent, reason: str) -> bytes:
    """The note set aside next to a refused message: what it was and why nothing of it was taken."""
    note = EmailMessage()
    note["From"] = f"belegflow <{box.user}>" if "@" in box.user else "belegflow <belegflow@localhost>"
    note["To"] = note["From"]
    note["Subject"] = f"Refused: {content.subject or '(no subject)'}"[:200]
    note["Date"] = format_datetime(datetime.now(UTC))
    note["Message-ID"] = make_msgid("belegflow-refused")
    if not content.message_key.startswith("sha256:"):
        note["In-Reply-To"] = f"<{content.message_key}>"
        note["References"] = f"<{content.message_key}>"
    note["X-Belegflow-Reason"] = reason.replace("\r", " ").replace("\n", " ")[:900]
    note.set_content(f"belegflow did not take in the message\n\n  from:    {content.sender}\n"
                     f"  subject: {content.subject}\n  id:      {content.message_key}\n\nbecause: {reason}\n")
    return note.as_bytes()


async def _take_parts(rt: Runtime, settings: Settings, box: Mailbox, content: MailContent) -> Decision:
    taken: list[UUID] = []
    refused: list[str] = []
    origin = {"mail_from": content.sender, "mail_subject": content.subject, "message_id": content.message_key}
    for part in content.parts:
        try:
            result = await take_in(rt, tenant=box.tenant, data=part.data, filename=part.filename, source=Source.EMAIL,
                                   limit=settings.max_upload_bytes, details=origin)
        except AdmissionError as exc:
            refused.append(f"{part.filename}: {exc.message}")
            continue
        taken.append(result.document_id)
    if taken:
        return Decision("taken", "; ".join(refused) or None, taken)
    if refused:
        return Decision("refused", "no part is a document ingest accepts: " + "; ".join(refused), [])
    defects = f" (malformed: {', '.join(content.defects[:5])})" if content.defects else ""
    return Decision("refused", f"no document: the message has no PDF, XML or image attachment and no e-invoice "
                               f"in its body{defects}", [])


async def _handle(rt: Runtime, settings: Settings, box: Mailbox, client: MailboxClient, uid: int) -> str:
    size, header = await asyncio.to_thread(client.header, uid)
    head = read_mail(header)
    async with rt.db.acquire() as conn:
        known = await store.mail_message(conn, box.tenant, head.message_key)
    if known is not None:
        same = (known["mailbox"], known["uidvalidity"], known["uid"]) == (box.folder, client.uidvalidity, uid)
        if same:  # decided before a crash, not yet filed: finish filing, decide nothing again
            decision = Decision(known["outcome"], known["reason"], list(known["documents"]))
        else:
            when = known["decided_at"].isoformat(timespec="seconds")
            docs = ", ".join(str(d) for d in known["documents"]) or "none"
            decision = Decision("refused", f"duplicate: a message with this Message-ID was {known['outcome']} at "
                                           f"{when} (documents: {docs})", [])
            await _file(client, box, head, uid, decision)
            metrics.MAIL_MESSAGES.labels(outcome="duplicate").inc()
            log.info("mail refused as duplicate", tenant=box.tenant, message_key=head.message_key)
            return "duplicate"
    elif size > settings.max_mail_bytes:
        decision = Decision("refused", f"too large: the message is {size} bytes, larger than the limit of "
                                       f"{settings.max_mail_bytes} bytes; it was not read", [])
    else:
        body = read_mail(await asyncio.to_thread(client.body, uid))
        # the key stays the header's: without a Message-ID, the same hash the duplicate check used
        content = MailContent(head.message_key, body.sender, body.subject, body.parts, body.defects)
        decision = await _take_parts(rt, settings, box, content)
    if known is None:
        async with rt.db.acquire() as conn:
            await store.record_mail(conn, tenant=box.tenant, message_key=head.message_key, mailbox=box.folder,
                                    uidvalidity=client.uidvalidity, uid=uid, outcome=decision.outcome,
                                    reason=decision.reason, documents=decision.documents, sender=head.sender,
                                    subject=head.subject)
    await _file(client, box, head, uid, decision)
    async with rt.db.acquire() as conn:
        await store.mail_filed(conn, box.tenant, head.message_key)
    metrics.MAIL_MESSAGES.labels(outcome=decision.outcome).inc()
    if decision.outcome == "taken":
        log.info("mail taken", tenant=box.tenant, message_key=head.message_key,
                 documents=[str(d) for d in decision.documents], refused_parts=decision.reason)
    else:
        log.warning("mail refused", tenant=box.tenant, message_key=head.message_key, reason=decision.reason)
    return decision.outcome


async def _file(client: MailboxClient, box: Mailbox, content: MailContent, uid: int, decision: Decision) -> None:
    if decision.outcome == "taken":
        await asyncio.to_thread(client.move, uid, box.processed_folder)
        return
    await asyncio.to_thread(client.append, box.refused_folder, refusal_note(box, content, decision.reason or ""))
    await asyncio.to_thread(client.move, uid, box.refused_folder)


def _lock_key(box: Mailbox) -> int:
    digest = hashlib.sha256(f"belegflow-mail:{box.host}:{box.port}:{box.user}:{box.folder}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def poll_once(rt: Runtime, settings: Settings, box: Mailbox) -> dict[str, int]:
    """Read the mailbox once; every message is taken, refused or left for the next round (transient trouble)."""
    counts: dict[str, int] = {}
    async with rt.db.acquire() as lock_conn:
        if not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", _lock_key(box)):
            return counts  # another replica reads this mailbox now
        client = MailboxClient(box)
        try:
            await asyncio.to_thread(client.open)
            for uid in await asyncio.to_thread(client.uids):
                outcome = await _handle(rt, settings, box, client, uid)
                counts[outcome] = counts.get(outcome, 0) + 1
        finally:
            await asyncio.to_thread(client.close)
            await lock_conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(box))
    return counts


async def watch_mailboxes(rt: Runtime, settings: Settings) -> None:
    """Read every configured mailbox in turn, each round; one at a time, so a round holds at most one of the
    pool's connections for its lock, however many tenants have a mailbox."""
    for box in settings.imap_mailboxes:
        log.info("mailbox watched", tenant=box.tenant, mailbox=f"{box.user}@{box.host}:{box.port}/{box.folder}")
    while True:
        for box in settings.imap_mailboxes:
            try:
                await poll_once(rt, settings, box)
            except asyncio.CancelledError:
                raise
            except TransientError as exc:
                log.warning("mailbox round incomplete, next round retries", tenant=box.tenant, error=str(exc))
            except (OSError, imaplib.IMAP4.error) as exc:
                log.warning("mailbox unreachable, next round retries", tenant=box.tenant, error=str(exc))
            except Exception as exc:  # the watcher must outlive one bad round
                log.error("mailbox round failed", tenant=box.tenant, error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(settings.imap_poll_s)
