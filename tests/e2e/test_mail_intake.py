"""E-mail intake against a real Dovecot: documents taken from mail, bad mail set aside with the reason."""

from __future__ import annotations

import email
import imaplib
import json
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import httpx
import pytest

from belegflow_ops import processes, stack
from belegflow_ops.mailserver import Dovecot, dovecot_binary
from tests.conftest import SAMPLES, SERVICE_ENV

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(dovecot_binary() is None, reason="dovecot not installed (make install adds it)")]

PDF = SAMPLES / "invoices" / "invoice-01-din.pdf"
UBL = SAMPLES / "einvoices" / "xrechnung-testsuite" / "src" / "test" / "business-cases" / "standard" / \
    "01.01a-INVOICE_ubl.xml"
MAX_MAIL_BYTES = 400_000
MAILBOX_USER = "rechnungen"


class Mail:
    """The mail side of the test: a mailbox at Dovecot and the ingest that reads it."""

    def __init__(self, dovecot: Dovecot, ingest: processes.ServiceSet, tenant: str, user: str = MAILBOX_USER,
                 ) -> None:
        self.dovecot, self.ingest, self.tenant, self.user = dovecot, ingest, tenant, user
        self.other: Mail | None = None  # a second tenant's mailbox, read by the same ingest

    def send(self, msg: EmailMessage) -> str:
        client = self.dovecot.client(self.user)
        try:
            typ, data = client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), msg.as_bytes())
            assert typ == "OK", data
        finally:
            client.logout()
        return str(msg["Message-ID"]).strip("<>")

    def _find(self, folder: str, header: str, value: str) -> list[email.message.Message]:
        client = self.dovecot.client(self.user)
        try:
            typ, _ = client.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return []
            _, data = client.uid("SEARCH", "HEADER", header, value)
            found: list[email.message.Message] = []
            for uid in (data[0] or b"").split():
                _, fetched = client.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
                found.extend(email.message_from_bytes(part[1]) for part in fetched if isinstance(part, tuple))
            return found
        finally:
            client.logout()

    def wait_filed(self, message_id: str, *, timeout_s: float = 60.0) -> str:
        """The folder the message was filed in, once ingest moved it out of INBOX."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for folder in ("Processed", "Refused"):
                if self._find(folder, "Message-ID", message_id):
                    return folder
            time.sleep(0.2)
        raise AssertionError(f"message {message_id} was not filed within {timeout_s:.0f} s")

    def refusal(self, message_id: str) -> str:
        notes = self._find("Refused", "In-Reply-To", message_id)
        assert len(notes) == 1, f"expected one note for {message_id}, found {len(notes)}"
        return str(notes[0]["X-Belegflow-Reason"])

    def documents(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.ingest.ingest_url}/v1/documents", params={"limit": 500},
                           headers={**self.ingest.auth, "X-Tenant": self.tenant}, timeout=10)
        answer.raise_for_status()
        docs: list[dict[str, Any]] = answer.json()
        return docs

    def document(self, document_id: str) -> dict[str, Any]:
        answer = httpx.get(f"{self.ingest.ingest_url}/v1/documents/{document_id}", headers=self.ingest.auth,
                           timeout=10)
        answer.raise_for_status()
        doc: dict[str, Any] = answer.json()
        return doc


def new_mail(subject: str, body: str = "Guten Tag,\nanbei die Rechnung.\n") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Lieferant <buchhaltung@lieferant.example>"
    msg["To"] = "rechnungen@kunde.example"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="lieferant.example")
    msg.set_content(body)
    return msg


@pytest.fixture(scope="module")
def mail(stack_state: stack.StackState, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mail]:
    dovecot = Dovecot(tmp_path_factory.mktemp("dovecot"))
    dovecot.start()
    dovecot.add_user(MAILBOX_USER, "mail-secret")
    dovecot.add_user("einkauf", "other-secret")
    tenant, other_tenant = f"mail{uuid.uuid4().hex[:8]}", f"mail{uuid.uuid4().hex[:8]}"
    home = Path(tmp_path_factory.mktemp("mail-ingest"))
    ingest = processes.ServiceSet(home=home, ingest_port=stack.free_port(), export_dir=home / "out",
                                  inbox_dir=home / "inbox", api_key=stack_state.bootstrap_api_key)
    mailbox = json.dumps([{"tenant": tenant, "host": "127.0.0.1", "port": dovecot.port, "security": "none",
                           "user": MAILBOX_USER, "password": "mail-secret"},
                          {"tenant": other_tenant, "host": "127.0.0.1", "port": dovecot.port, "security": "none",
                           "user": "einkauf", "password": "other-secret"}])
    processes.start_one(stack_state, ingest, "ingest", extra_env={
        **SERVICE_ENV, "BELEGFLOW_IMAP_MAILBOXES": mailbox, "BELEGFLOW_IMAP_POLL_S": "0.3",
        "BELEGFLOW_MAX_MAIL_BYTES": str(MAX_MAIL_BYTES)})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{ingest.ingest_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (home / "logs" / "ingest.log").read_text()[-3000:]
            time.sleep(0.2)
        mail = Mail(dovecot, ingest, tenant)
        mail.other = Mail(dovecot, ingest, other_tenant, user="einkauf")
        yield mail
    finally:
        processes.stop_all(ingest)
        dovecot.stop()


def test_a_pdf_attachment_is_taken_and_the_mail_filed_as_processed(mail: Mail) -> None:
    # GIVEN a supplier's mail with an invoice PDF attached
    msg = new_mail("Rechnung 2024-001")
    msg.add_attachment(PDF.read_bytes(), maintype="application", subtype="pdf", filename="Rechnung-2024-001.pdf")
    # WHEN it arrives in the tenant's mailbox
    message_id = mail.send(msg)
    # THEN ingest takes the document in and files the mail as processed
    assert mail.wait_filed(message_id) == "Processed"
    docs = [d for d in mail.documents() if d["filename"] == "Rechnung-2024-001.pdf"]
    assert len(docs) == 1
    assert docs[0]["source"] == "email"
    protocol = mail.document(str(docs[0]["id"]))["protocol"]
    assert protocol[0]["data"]["message_id"] == message_id
    assert protocol[0]["data"]["mail_subject"] == "Rechnung 2024-001"


def test_an_einvoice_in_the_body_is_taken(mail: Mail) -> None:
    # GIVEN an XRechnung sent as the mail's body itself (no attachment)
    msg = new_mail("XRechnung", body="")
    msg.set_content(UBL.read_bytes(), maintype="application", subtype="xml", disposition="inline")
    message_id = mail.send(msg)
    assert mail.wait_filed(message_id) == "Processed"
    docs = [d for d in mail.documents() if d["media_type"].endswith("xml")]
    assert len(docs) == 1
    assert docs[0]["filename"].startswith("body-")


def test_a_mail_without_a_document_is_set_aside_with_the_reason(mail: Mail) -> None:
    message_id = mail.send(new_mail("Frage zur Rechnung", body="Wann zahlen Sie?\n"))
    assert mail.wait_filed(message_id) == "Refused"
    assert "no document" in mail.refusal(message_id)


def test_an_oversize_mail_is_refused_unread(mail: Mail) -> None:
    msg = new_mail("Scan, groß")
    msg.add_attachment(b"%PDF-1.4\n" + b"0" * (MAX_MAIL_BYTES + 10_000) + b"\n%%EOF\n", maintype="application",
                       subtype="pdf", filename="scan.pdf")
    message_id = mail.send(msg)
    assert mail.wait_filed(message_id) == "Refused"
    reason = mail.refusal(message_id)
    assert "too large" in reason
    assert str(MAX_MAIL_BYTES) in reason
    assert not [d for d in mail.documents() if d["filename"] == "scan.pdf"]


def test_a_truncated_pdf_attachment_is_refused_with_the_reason(mail: Mail) -> None:
    msg = new_mail("Rechnung (kaputt)")
    half = PDF.read_bytes()[: PDF.stat().st_size // 2]
    msg.add_attachment(half, maintype="application", subtype="pdf", filename="kaputt.pdf")
    message_id = mail.send(msg)
    assert mail.wait_filed(message_id) == "Refused"
    reason = mail.refusal(message_id)
    assert "kaputt.pdf" in reason
    assert "truncated" in reason


def test_malformed_mime_is_refused_not_fatal(mail: Mail) -> None:
    # GIVEN a message whose multipart never ends and whose base64 part is garbage
    message_id = make_msgid(domain="broken.example")
    raw = (f"From: x@broken.example\r\nSubject: broken\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\nContent-Type: application/pdf; "
           "name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n").encode()
    client = mail.dovecot.client(MAILBOX_USER)
    try:
        client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
    finally:
        client.logout()
    # THEN it is set aside with a reason, and the next good mail is still taken
    assert mail.wait_filed(message_id.strip("<>")) == "Refused"
    assert "a.pdf" in mail.refusal(message_id.strip("<>"))
    good = new_mail("after the broken one")
    good.add_attachment(SAMPLES.joinpath("invoices", "invoice-02-modern.pdf").read_bytes(), maintype="application",
                        subtype="pdf", filename="after-broken.pdf")
    assert mail.wait_filed(mail.send(good)) == "Processed"


def test_duplicates_by_message_id_and_by_content(mail: Mail) -> None:
    pdf = SAMPLES / "invoices" / "invoice-03-english.pdf"
    first = new_mail("Invoice 3")
    first.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename="invoice-3.pdf")
    message_id = mail.send(first)
    assert mail.wait_filed(message_id) == "Processed"
    # WHEN the very same message arrives again (same Message-ID)
    mail.send(first)
    # THEN the second copy is set aside as a duplicate, naming the first outcome
    deadline = time.monotonic() + 60
    while len(mail._find("Refused", "Message-ID", message_id)) < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "duplicate" in mail.refusal(message_id)
    # AND the same bytes under another Message-ID are taken without a second document
    again = new_mail("Invoice 3 (resent)")
    again.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename="invoice-3-again.pdf")
    assert mail.wait_filed(mail.send(again)) == "Processed"
    docs = [d for d in mail.documents() if d["filename"] in ("invoice-3.pdf", "invoice-3-again.pdf")]
    assert len(docs) == 1


def test_each_tenant_has_its_own_mailbox(mail: Mail) -> None:
    other = mail.other
    assert other is not None
    msg = new_mail("Rechnung an den Einkauf")
    msg.add_attachment(SAMPLES.joinpath("invoices", "invoice-05-din.pdf").read_bytes(), maintype="application",
                       subtype="pdf", filename="einkauf.pdf")
    assert other.wait_filed(other.send(msg)) == "Processed"
    assert [d["filename"] for d in other.documents()] == ["einkauf.pdf"]
    assert not [d for d in mail.documents() if d["filename"] == "einkauf.pdf"]
