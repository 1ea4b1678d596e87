"""The NATS permission table matches the code: every durable consumer a service subscribes through is one its
user may use, and every core subject it serves is allowed; nothing is left for a refusal to find at run time."""

from __future__ import annotations

import importlib

import pytest

from belegflow_ops.natsperms import RIGHTS, permissions

ROUTERS = {
    "ingest": ["belegflow_ingest.handlers", "belegflow_ingest.edge"],
    "ocr": ["belegflow_ocr.handlers"],
    "matching": ["belegflow_matching.handlers"],
    "accrual": ["belegflow_accrual.handlers"],
    "export": ["belegflow_export.handlers"],
}


def _subscribers(service: str) -> list[tuple[str | None, str | None, str]]:
    """(stream, durable, subject) of every subscriber of the service's routers."""
    found = []
    for module in ROUTERS[service]:
        router = importlib.import_module(module).router
        for sub in router.subscribers:
            options = getattr(sub, "extra_options", None) or {}
            found.append((options.get("stream"), options.get("durable"), str(sub.subject.broker_address)))
    return found


@pytest.mark.parametrize("service", sorted(RIGHTS))
def test_every_consumer_and_served_subject_of_a_service_is_allowed(service: str) -> None:
    rights = RIGHTS[service]
    subscribers = _subscribers(service)
    assert subscribers
    for stream, durable, subject in subscribers:
        if durable is not None:
            assert (stream, durable) in rights.consumers, (service, stream, durable)
            assert durable.startswith(f"{service}-"), "a durable is named <service>-<what>: its inbox follows"
        else:
            assert subject in rights.serves, (service, subject)
    # and nothing in the table that the code does not use
    used = {(stream, durable) for stream, durable, _ in subscribers if durable}
    assert set(rights.consumers) == used


def test_no_service_may_touch_the_stream_api_beyond_reading() -> None:
    for service in RIGHTS:
        allowed = permissions(service)["publish"]["allow"]  # type: ignore[index]
        for verb in ("STREAM.CREATE", "STREAM.UPDATE", "STREAM.DELETE", "STREAM.PURGE", "CONSUMER.DELETE"):
            assert not [s for s in allowed if verb in s], (service, verb)
        assert ">" not in allowed
        assert "$KV.device-config.>" not in allowed


def _overlap(a: str, b: str) -> bool:
    """Whether two NATS subject patterns can match one subject (``*`` one token, ``>`` the rest)."""
    left, right = a.split("."), b.split(".")
    for i, (x, y) in enumerate(zip(left, right, strict=False)):
        if ">" in (x, y):
            return True
        if x != y and "*" not in (x, y):
            return False
        if i == min(len(left), len(right)) - 1:
            return len(left) == len(right)
    return False


def test_overlap_reads_wildcards_as_nats_does() -> None:
    assert _overlap("md.*.*.applied.v1", "md.*.suppliers.applied.v1")
    assert _overlap("md.>", "md.acme.suppliers.applied.v1")
    assert not _overlap("md.*.accruals.applied.v1", "md.*.suppliers.applied.v1")
    assert not _overlap("md.*.applied", "md.*.applied.v1")


def test_no_service_may_publish_what_another_service_owns() -> None:
    # a wildcard grant reaching into another service's answers (accrual's md.*.*.applied.v1 took in
    # matching's md.<tenant>.suppliers.applied.v1) would let it forge them
    owned = {service: rights.publish for service, rights in RIGHTS.items()}
    for service, subjects_ in owned.items():
        for other, theirs in owned.items():
            if other == service:
                continue
            clashes = [(mine, their) for mine in subjects_ for their in theirs if _overlap(mine, their)]
            assert not clashes, (service, other, clashes)
