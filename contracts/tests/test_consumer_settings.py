"""Subscriber arguments of a durable pull consumer: one message at a time unless a handler says it may run N."""

from __future__ import annotations

from belegflow_contracts.runtime.messaging import consumer


def test_a_consumer_handles_one_message_at_a_time_by_default() -> None:
    args = consumer("ingest-recognized")
    assert "max_workers" not in args
    assert args["pull_sub"].batch_size == 1
    assert args["durable"] == "ingest-recognized"


def test_a_concurrent_consumer_pulls_one_message_as_soon_as_a_worker_is_free() -> None:
    # a batch pull on an idle stream holds its first message until the batch is full or the pull expires
    args = consumer("ingest-device-uploads", max_workers=16)
    assert args["max_workers"] == 16
    assert args["pull_sub"].batch_size == 1
    assert consumer("ingest-device-uploads", max_workers=4, batch_size=32)["pull_sub"].batch_size == 32
