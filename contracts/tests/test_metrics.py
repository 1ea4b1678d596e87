"""Metric labels name kinds of messages, never tenants or devices."""

from __future__ import annotations

import pytest

from belegflow_contracts import subjects
from belegflow_contracts.runtime.metrics import subject_pattern


@pytest.mark.parametrize(("subject", "pattern"), [
    ("docs.acme.ingested.v1", "docs.*.ingested.v1"),
    ("export.acme.tms.v2", "export.*.tms.v2"),
    ("md.acme.suppliers.v1", "md.*.suppliers.v1"),
    ("edge.acme.kasse-03.upload.v1", "edge.*.*.upload.v1"),
    ("desk.acme.review.v1", "desk.*.review.v1"),
    ("dlq.ocr.v1", "dlq.ocr.v1"),
    ("_INBOX.acme.kasse-03.abc", "_INBOX.>"),
])
def test_subject_pattern_hides_tenant_and_device(subject: str, pattern: str) -> None:
    assert subject_pattern(subject) == pattern


def test_every_subscribed_pattern_maps_to_itself() -> None:
    # what a service subscribes to is already a pattern: the label of its messages is that pattern
    for name in dir(subjects):
        value = getattr(subjects, name)
        if name.startswith("ALL_") and isinstance(value, str):
            assert subject_pattern(value) == value

