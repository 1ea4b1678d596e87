"""Recognition's histograms reach beyond the OCR timeout, so a slow recognition is not lost in +Inf."""

from __future__ import annotations

from belegflow_contracts.runtime.metrics import LATENCY_BUCKETS_S
from belegflow_ocr.settings import Settings


def test_buckets_reach_beyond_the_ocr_timeout() -> None:
    timeout = Settings.model_fields["ocr_timeout_s"].default
    assert max(LATENCY_BUCKETS_S) >= 10 * timeout
    assert any(timeout < bucket <= 2 * timeout for bucket in LATENCY_BUCKETS_S)
