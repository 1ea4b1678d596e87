"""The pipeline bench counts the CPU of every process a document costs: services, the stack under them, itself."""

from __future__ import annotations

import os
import subprocess
import sys

from bench import breakdown
from bench.pipeline import Figures, cpu_shares

BURN = "import time\nwhile time.process_time() < 0.3:\n    pass\n"


def test_a_child_that_ended_still_counts_with_its_parent() -> None:
    # GIVEN this process's CPU as counted before (a Postgres backend is such a child of the postmaster)
    before = breakdown.cpu_seconds(os.getpid())
    # WHEN a child burns 0.3 s of CPU and ends, reaped by us
    subprocess.run([sys.executable, "-c", BURN], check=True, timeout=120)
    # THEN the child's CPU is part of ours
    assert breakdown.cpu_seconds(os.getpid()) - before >= 0.29


def test_cpu_per_document_separates_services_stack_and_bench() -> None:
    figures = Figures("pipeline, all uploaded at once", 100, 10.0, [],
                      cpu={"ingest": 2.0, "ocr": 5.0, "ocr-2": 1.0, "nats": 1.0, "nats-2": 0.5, "postgres": 2.5,
                           "s3": 1.0, "bench": 1.0})
    lines = cpu_shares(figures)
    assert lines[0] == ("CPU per document, ms: services 80.0, NATS + Postgres + S3 server 50.0, bench 10.0, "
                        "all 140.0")
    cores = os.cpu_count() or 1
    assert lines[1] == (f"the {cores} cores were busy {14.0 / (10.0 * cores):.0%} of the run; at this CPU per "
                        f"document they allow {cores * 100 / 14.0:.1f} documents / s")
