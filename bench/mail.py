"""E-mail intake benchmark: mails with one PDF each, read from a real Dovecot by ingest.

Prints mails per second from the first delivery until every mail is filed in Processed, and how long one
mail waited from delivery to being filed (p50/p95), at the poll interval given.

    python -m bench.mail --mails 200 --poll 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import email
import imaplib
import json
import statistics
import tempfile
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from belegflow_ops import processes, setup, stack
from belegflow_ops.mailserver import Dovecot

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "invoices" / "invoice-01-din.pdf"


def _mail(n: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "bench@lieferant.example"
    msg["Subject"] = f"Rechnung {n}"
    msg["Message-ID"] = make_msgid(domain="bench.example")
    msg.set_content("anbei\n")
    # distinct bytes per mail (a comment after %%EOF), so each is a document of its own
    msg.add_attachment(SAMPLE.read_bytes() + f"% bench {n} {uuid.uuid4()}\n".encode(), maintype="application",
                       subtype="pdf", filename=f"r-{n}.pdf")
    return msg


def _filed(client: imaplib.IMAP4) -> dict[str, float]:
    """Message-ID → when it was seen in Processed (now)."""
    client.select('"Processed"', readonly=True)
    _, data = client.uid("SEARCH", "ALL")
    uids = (data[0] or b"").split()
    if not uids:
        return {}
    _, fetched = client.uid("FETCH", b",".join(uids).decode(), "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    now = time.monotonic()
    return {str(email.message_from_bytes(p[1])["Message-ID"]): now for p in fetched if isinstance(p, tuple)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=200)
    parser.add_argument("--poll", type=float, default=0.5, help="BELEGFLOW_IMAP_POLL_S")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="belegflow-bench-mail-") as tmp:
        home = Path(tmp)
        state = stack.up(home / "stack", sync_interval="always")
        dovecot = Dovecot(home / "dovecot")
        ingest: processes.ServiceSet | None = None
        try:
            asyncio.run(setup.init_all(setup.Targets(state.nats_url, state.admin_dsn, state.s3_url,
                                                     state.s3_access_key, state.s3_secret_key, state.role_passwords)))
            dovecot.start()
            dovecot.add_user("bench", "bench-secret")
            ingest = processes.ServiceSet(home=home, ingest_port=stack.free_port(), export_dir=home / "out",
                                          inbox_dir=home / "inbox", api_key=state.bootstrap_api_key)
            mailbox = [{"tenant": "bench", "host": "127.0.0.1", "port": dovecot.port, "security": "none",
                        "user": "bench", "password": "bench-secret"}]
            processes.start_one(state, ingest, "ingest", extra_env={
                "BELEGFLOW_OTEL_EXPORTER": "none", "BELEGFLOW_LOG_LEVEL": "WARNING",
                "BELEGFLOW_IMAP_MAILBOXES": json.dumps(mailbox), "BELEGFLOW_IMAP_POLL_S": str(args.poll)})
            processes.wait_ready(ingest)
            mails = [_mail(n) for n in range(args.mails)]
            client = dovecot.client("bench")
            sent: dict[str, float] = {}
            start = time.monotonic()
            for msg in mails:
                client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), msg.as_bytes())
                sent[str(msg["Message-ID"])] = time.monotonic()
            filed: dict[str, float] = {}
            deadline = start + 600
            while len(filed) < len(sent) and time.monotonic() < deadline:
                for key, at in _filed(client).items():
                    filed.setdefault(key, at)
                time.sleep(0.1)
            seconds = max(filed.values()) - start
            waits = sorted(filed[k] - sent[k] for k in filed)
            print(f"mails filed: {len(filed)} of {len(sent)} in {seconds:.1f} s = {len(filed) / seconds:.1f} mails/s "
                  f"(poll {args.poll} s)")
            print(f"delivery to filed: p50 {statistics.median(waits):.2f} s, "
                  f"p95 {waits[min(len(waits) - 1, round(0.95 * (len(waits) - 1)))]:.2f} s")
            client.logout()
        finally:
            if ingest is not None:
                processes.stop_all(ingest)
            dovecot.stop()
            stack.down(home / "stack")


if __name__ == "__main__":
    main()
