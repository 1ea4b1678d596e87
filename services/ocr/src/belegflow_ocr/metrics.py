"""Recognition's domain metrics: seconds per page by reader, recognitions by result."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from belegflow_contracts.runtime.metrics import LATENCY_BUCKETS_S

SECONDS_PER_PAGE = Histogram("belegflow_ocr_seconds_per_page", "recognition time divided by the pages read",
                             ["reader"], buckets=LATENCY_BUCKETS_S)
RECOGNITION_SECONDS = Histogram("belegflow_ocr_recognition_seconds",
                                "wall-clock time of one recognition (bounded by BELEGFLOW_OCR_TIMEOUT_S)",
                                ["reader"], buckets=LATENCY_BUCKETS_S)
RECOGNITIONS = Counter("belegflow_ocr_recognitions_total", "recognitions by result", ["result"])
