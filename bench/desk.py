"""Desk benchmark: the queue and the document page with a full tenant.

Loads ``--documents`` documents into one tenant's read model (bulk COPY into ingest's tables, as if the pipeline
had run: statuses, read fields, decisions, a protocol), starts ingest, signs a clerk in and prints p50/p95 of
the queue (first page, the next page by cursor, searches, a filter, the amount sort) and of the document page.
Figures, never assertions.

    python -m bench.desk --documents 100000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import httpx

from belegflow_contracts import credentials
from belegflow_ops import processes, setup, stack

TENANT = "bench"
USER = "bench-clerk"
PASSWORD = "bench desk password"
SUPPLIERS = [(f"7{n:04d}", name) for n, name in enumerate(
    ["Spedition Nordlicht GmbH", "Rheinfracht Logistik AG", "Alpen Cargo Service GmbH", "Weser Container Trucking",
     "Mainzoll Zollagentur UG", "Hafenlogistik Bremen", "Elbe Shipping KG", "Donau Transport GmbH"] * 25)]
STATUSES = [("review", 30), ("exported", 50), ("approved", 10), ("rejected", 5), ("failed", 5)]
REASONS = ["no supplier identified from master data", "gross_amount read with confidence 0.62 < 0.70",
           "invoice_date missing", "gross 12000.00 above the tenant's touchless limit 10000"]
COLUMNS = ["id", "tenant", "sha256", "size", "media_type", "filename", "source", "bucket", "object_key", "status",
           "revision", "reader", "fields", "supplier", "review", "received_at", "updated_at"]


def _document(n: int, now: datetime, rng: random.Random) -> tuple[Any, ...]:
    doc_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
    number, name = rng.choice(SUPPLIERS)
    gross = f"{rng.randint(500, 2_000_000) / 100:.2f}"
    day = (now - timedelta(days=rng.randint(0, 720))).date().isoformat()
    received = now - timedelta(seconds=rng.randint(0, 720 * 86400))
    invoice = {"invoice_number": f"RE-{n:07d}", "invoice_date": day, "gross_amount": gross, "currency": "EUR",
               "net_amount": None, "tax_amount": None, "supplier_name": name}
    fields = {"fields": {"invoice_number": {"value": invoice["invoice_number"], "confidence": 0.9, "page": 1,
                                            "bbox": [400.0, 120.0, 480.0, 131.0]},
                         "invoice_date": {"value": day, "confidence": 0.9, "page": 1},
                         "gross_amount": {"value": gross, "confidence": 0.8, "page": 1},
                         "supplier_name": {"value": name, "confidence": 0.9}}, "lines": []}
    supplier = {"supplier_number": number, "name": name, "matched_by": "iban"}
    review = {"state": {"review": "review", "rejected": "rejected"}.get(status, "approved"), "version": 1,
              "action": "review", "by": "matching", "reasons": rng.sample(REASONS, rng.randint(1, 2)),
              "invoice": invoice, "supplier": supplier, "duplicate_of": None}
    sha = hashlib.sha256(doc_id.bytes).hexdigest()
    return (doc_id, TENANT, sha, 50_000, "application/pdf", f"invoice-{n:07d}.pdf", rng.choice(
        ["upload", "inbox", "email", "device"]), "originals", f"{TENANT}/{sha[:2]}/{sha}.pdf", status, 1, "pdf-text",
        json.dumps(fields), json.dumps({"supplier": supplier, "decision": "review", "reasons": []}),
        json.dumps(review) if status != "failed" else None, received, received)


async def load(dsn: str, count: int) -> list[uuid.UUID]:
    """COPY ``count`` documents (and two protocol lines each) into ingest's tables; the ids of those in review."""
    rng = random.Random(20)
    now = datetime.now(UTC)
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "ingest"})
    try:
        in_review: list[uuid.UUID] = []
        for start in range(0, count, 10_000):
            rows = [_document(n, now, rng) for n in range(start, min(count, start + 10_000))]
            in_review += [r[0] for r in rows if r[9] == "review"]
            await conn.copy_records_to_table("documents", records=rows, columns=COLUMNS)
            protocol = [(r[0], step, r[15], "info", message, "{}") for r in rows
                        for step, message in (("ingest", "received"), ("ocr", "read from the text layer"))]
            await conn.copy_records_to_table("protocol", records=protocol,
                                             columns=["document_id", "step", "at", "level", "message", "data"])
        await conn.execute("ANALYZE documents; ANALYZE protocol")
        return in_review
    finally:
        await conn.close()


def _quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  (n={len(ordered)})"


def _timed(client: httpx.Client, url: str, rounds: int) -> list[float]:
    took = []
    for _ in range(rounds):
        start = time.perf_counter()
        answer = client.get(url)
        took.append(time.perf_counter() - start)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=100, help="requests per measured page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="belegflow-bench-desk-") as tmp:
        home = Path(tmp)
        state = stack.up(home / "stack")
        ingest: processes.ServiceSet | None = None
        try:
            asyncio.run(setup.init_all(setup.Targets(state.nats_url, state.admin_dsn, state.s3_url,
                                                     state.s3_access_key, state.s3_secret_key, state.role_passwords)))
            ingest = processes.ServiceSet(home=home, ingest_port=stack.free_port(), export_dir=home / "out",
                                          inbox_dir=home / "inbox", api_key=state.bootstrap_api_key)
            processes.start_one(state, ingest, "ingest", extra_env={"BELEGFLOW_OTEL_EXPORTER": "none",
                                                                    "BELEGFLOW_LOG_LEVEL": "WARNING"})
            processes.wait_ready(ingest)  # its migrations are applied: the tables are there
            started = time.perf_counter()
            in_review = asyncio.run(load(state.database_url("ingest"), args.documents))
            print(f"loaded {args.documents} documents into tenant {TENANT} in {time.perf_counter() - started:.1f} s "
                  f"({len(in_review)} in review)")
            asyncio.run(_add_clerk(state.database_url("ingest")))
            # the pages shown beside the fields need each measured document's work product (page sizes, words)
            sample = random.Random(3).sample(in_review, min(args.rounds, len(in_review)))
            _work_products(state, sample)
            with httpx.Client(base_url=ingest.ingest_url, timeout=30) as client:
                signed_in = client.post("/desk/login", data={"username": USER, "password": PASSWORD})
                cookie = signed_in.headers["set-cookie"].split(";")[0]
                client.headers["Cookie"] = cookie
                first = client.get("/desk?status=review")
                cursor = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
                pages = {
                    "queue, first page (review, newest first)": "/desk?status=review",
                    "queue, next page by cursor": cursor,
                    "queue, approved, oldest first": "/desk?status=approved&sort=oldest",
                    "queue, sorted by amount": "/desk?status=review&sort=amount",
                    "search: supplier name": "/desk?status=review&supplier=rheinfracht",
                    "search: invoice number": "/desk?status=exported&number=RE-00123",
                    "search: amount": "/desk?status=review&amount=1.234,56",
                    "search: invoice date range": "/desk?status=review&date_from=01.01.2026&date_to=31.01.2026",
                    "filter: reason + channel": "/desk?status=review&reason=confidence&channel=email",
                }
                for label, url in pages.items():
                    _timed(client, url, 5)  # warm
                    print(f"{label:45s} {_quantiles(_timed(client, url, args.rounds))}")
                took = []
                for doc_id in sample:
                    took += _timed(client, f"/desk/documents/{doc_id}", 1)
                print(f"{'document page (first view of each)':45s} {_quantiles(took)}")
                took = []
                for doc_id in sample:
                    took += _timed(client, f"/desk/documents/{doc_id}", 1)
                print(f"{'document page (again)':45s} {_quantiles(took)}")
        finally:
            if ingest is not None:
                processes.stop_all(ingest)
            stack.down(home / "stack")


async def _add_clerk(dsn: str) -> None:
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "ingest"})
    try:
        await credentials.add_user(conn, name=USER, password_hash=credentials.hash_password(PASSWORD),
                                   roles=["clerk", "approver"], tenants=[TENANT])
    finally:
        await conn.close()


def _work_products(state: stack.StackState, ids: list[uuid.UUID]) -> None:
    """Recognition's work product of each measured document: one A4 page and 300 positioned words."""
    s3 = boto3.client("s3", endpoint_url=state.s3_url, aws_access_key_id=state.s3_access_key,
                      aws_secret_access_key=state.s3_secret_key, region_name="us-east-1")
    words = [{"text": f"w{n}", "page": 1, "bbox": [40 + (n % 10) * 50, 60 + (n // 10) * 24, 80 + (n % 10) * 50,
                                                   70 + (n // 10) * 24]} for n in range(300)]
    body = json.dumps({"pages": [{"number": 1, "width": 595.3, "height": 841.9}], "words": words}).encode()
    for doc_id in ids:
        s3.put_object(Bucket="work", Key=f"{TENANT}/{doc_id}/r1/recognition-v1.json", Body=body)


if __name__ == "__main__":
    main()
