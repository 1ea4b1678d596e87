"""Reading one e-mail: which of its parts are documents (attachments, an e-invoice in the body). No I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message

# Parts that are documents by their declared type; anything else with a file name is tried too (ingest sniffs
# the bytes and says why it refuses what is not a document).
_DOCUMENT_TYPES = ("application/pdf", "application/xml", "text/xml")
# Parts that are never documents even when they carry a file name: signatures, calendar and contact cards.
_NEVER = ("application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature",
          "application/pgp-keys", "text/calendar", "text/vcard", "text/x-vcard")
_XML_START = re.compile(rb"^\s*(?:\xef\xbb\xbf)?\s*<")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True, slots=True)
class MailPart:
    """A part of a message that may be a document."""

    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class MailContent:
    message_key: str
    """``Message-ID`` without angle brackets, else ``sha256:<hash of the raw message>``."""
    sender: str
    subject: str
    parts: list[MailPart] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def message_key(message_id: str | None, raw: bytes) -> str:
    """What identifies a message: its Message-ID, or (without one) its bytes."""
    if message_id:
        found = _MESSAGE_ID.search(message_id)
        value = found.group(1) if found else message_id.strip()
        if value:
            return value[:500]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _safe_filename(name: str | None, fallback: str) -> str:
    cleaned = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = "".join(ch for ch in cleaned if ch.isprintable())[:200]
    return cleaned or fallback


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):  # a malformed header is read as absent, never fatal
        return ""
    return "" if value is None else str(value)[:500]


def _is_body_einvoice(part: Message, payload: bytes) -> bool:
    """An e-invoice sent as the mail's text itself (XRechnung by mail is often just the XML as body)."""
    return part.get_content_type() in ("text/plain", "text/xml", "application/xml") and bool(
        _XML_START.match(payload[:64]))


def read_mail(raw: bytes) -> MailContent:
    """The documents a message carries, in order; never raises on malformed input (defects are listed)."""
    msg = message_from_bytes(raw, policy=policy.default)
    content = MailContent(message_key=message_key(_header(msg, "Message-ID") or None, raw),
                          sender=_header(msg, "From"), subject=_header(msg, "Subject"))
    content.defects.extend(type(d).__name__ for d in msg.defects)
    for index, part in enumerate(msg.walk(), start=1):
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        ctype = part.get_content_type()
        if ctype in _NEVER:
            continue
        try:
            filename = part.get_filename()
        except (ValueError, IndexError, TypeError):
            filename = None
        try:
            payload = part.get_payload(decode=True)
        except (ValueError, TypeError, LookupError) as exc:
            content.defects.append(f"part {index}: {exc}")
            continue
        if not isinstance(payload, bytes):
            continue
        content.defects.extend(f"part {index}: {type(d).__name__}" for d in part.defects)
        disposition = part.get_content_disposition()
        if disposition == "inline" and part.get("Content-ID"):
            continue  # a picture the HTML text shows (a logo in a signature), not a document
        if filename or disposition == "attachment" or ctype.startswith(_DOCUMENT_TYPES[:3]) \
                or ctype.startswith("image/"):
            if _is_body_einvoice(part, payload) and not filename:
                content.parts.append(MailPart(f"body-{index}.xml", payload))
            else:
                content.parts.append(MailPart(_safe_filename(filename, f"part-{index}"), payload))
        elif _is_body_einvoice(part, payload):
            content.parts.append(MailPart(f"body-{index}.xml", payload))
    return content
