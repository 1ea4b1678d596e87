"""Every logger writes one JSON object per line: ours, uvicorn's, faststream's, warnings, exceptions."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import logging, warnings
import structlog
from belegflow_contracts.runtime.logging import configure_logging, get_logger
logging.getLogger("uvicorn.error").addHandler(logging.StreamHandler())  # as uvicorn's own config would
configure_logging("ingest", "DEBUG")
get_logger("belegflow.test").info("structlog line", tenant="acme")
logging.getLogger("uvicorn.error").info("Uvicorn running on %s", "http://0.0.0.0:8080")
logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /readyz HTTP/1.1" 200')
logging.getLogger("faststream").warning("subscriber started\nsecond line")
logging.getLogger("belegflow.ingest.broker").debug("Received")
warnings.warn("a library warning", DeprecationWarning, stacklevel=1)
try:
    raise ValueError("boom")
except ValueError:
    logging.getLogger("faststream").exception("handler failed")
    get_logger("belegflow.test").exception("ours failed")
"""


def test_every_line_is_one_json_object() -> None:
    done = subprocess.run([sys.executable, "-W", "always", "-c", SCRIPT], capture_output=True, text=True, timeout=60,
                          check=True)
    lines = done.stdout.splitlines()
    assert done.stderr == ""
    records = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    assert all(isinstance(r, dict) for r in records)
    events = [r["event"] for r in records]
    assert "structlog line" in events
    assert "Uvicorn running on http://0.0.0.0:8080" in events
    assert any("second line" in e for e in events)
    assert any("a library warning" in e for e in events)
    assert all(r["service"] == "ingest" and "level" in r and "timestamp" in r for r in records)
    failed = [r for r in records if r["event"] in ("handler failed", "ours failed")]
    assert len(failed) == 2
    assert all("ValueError: boom" in r["exception"] for r in failed)
    assert next(r for r in records if r["event"] == "structlog line")["tenant"] == "acme"
    assert len(lines) == len(records) == 8


def test_spans_stay_off_the_log_stream_unless_asked_for() -> None:
    from belegflow_contracts.runtime.settings import OtelExporter, ServiceSettings

    assert ServiceSettings.model_fields["otel_exporter"].default is OtelExporter.NONE
