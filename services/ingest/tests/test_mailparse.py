"""Which parts of a mail are documents (pure: no IMAP server needed)."""

from __future__ import annotations

from email.message import EmailMessage

from belegflow_ingest.mailparse import message_key, read_mail


def _mail(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.get("sender", "a@example.com")
    msg["Subject"] = headers.get("subject", "Rechnung")
    if "message_id" in headers:
        msg["Message-ID"] = headers["message_id"]
    msg.set_content("Guten Tag\n")
    return msg


def test_attachments_are_documents_and_the_text_is_not() -> None:
    msg = _mail(message_id="<abc@example.com>")
    msg.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="r.pdf")
    msg.add_attachment(b"\x89PNG...", maintype="image", subtype="png", filename="foto.png")
    content = read_mail(msg.as_bytes())
    assert [p.filename for p in content.parts] == ["r.pdf", "foto.png"]
    assert content.message_key == "abc@example.com"


def test_an_xml_body_is_an_einvoice() -> None:
    msg = _mail()
    msg.set_content(b"<?xml version='1.0'?><Invoice/>", maintype="application", subtype="xml")
    (part,) = read_mail(msg.as_bytes()).parts
    assert part.filename.startswith("body-")
    assert part.data.startswith(b"<?xml")


def test_a_logo_the_html_shows_and_a_signature_are_not_documents() -> None:
    msg = _mail()
    msg.add_alternative("<p>Hallo <img src='cid:logo'></p>", subtype="html")
    html = msg.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(b"\x89PNG...", maintype="image", subtype="png", cid="<logo>", filename="logo.png",
                     disposition="inline")
    msg.add_attachment(b"sig", maintype="application", subtype="pkcs7-signature", filename="smime.p7s")
    assert read_mail(msg.as_bytes()).parts == []


def test_without_message_id_the_key_is_the_hash_and_paths_leave_the_filename() -> None:
    msg = _mail()
    msg.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="../../etc/passwd.pdf")
    content = read_mail(msg.as_bytes())
    assert content.message_key.startswith("sha256:")
    assert content.parts[0].filename == "passwd.pdf"
    assert message_key("  <x@y>  ", b"") == "x@y"


def test_garbage_never_raises() -> None:
    for raw in (b"", b"\x00\xff" * 100, b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
                b"Content-Transfer-Encoding: base64\r\nContent-Type: application/pdf\r\n\r\n%%%\r\n"):
        read_mail(raw)
