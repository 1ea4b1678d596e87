"""Device intake handles many uploads at once, but never two deliveries of the same device sequence together."""

from __future__ import annotations

import asyncio
import contextlib

import faststream.message.utils
import pytest
from faststream.nats import NatsBroker, TestNatsBroker

from belegflow_contracts.runtime.context import NatsMessage
from belegflow_ingest import edge


async def test_deliveries_of_one_sequence_take_turns_and_others_run_alongside() -> None:
    running: dict[tuple[str, int], int] = {}
    most: dict[tuple[str, int], int] = {}
    order: list[str] = []

    async def handle(device: str, sequence: int, name: str) -> None:
        async with edge.one_at_a_time("acme", device, sequence):
            key = (device, sequence)
            running[key] = running.get(key, 0) + 1
            most[key] = max(most.get(key, 0), running[key])
            order.append(f"start {name}")
            await asyncio.sleep(0.01)
            order.append(f"end {name}")
            running[key] -= 1

    await asyncio.gather(handle("kasse-1", 7, "a"), handle("kasse-1", 7, "b"), handle("kasse-1", 8, "c"),
                         handle("kasse-2", 7, "d"))
    assert most == {("kasse-1", 7): 1, ("kasse-1", 8): 1, ("kasse-2", 7): 1}
    assert order.index("end a") < order.index("start b")  # the resend waits for the first delivery
    assert order.index("start c") < order.index("end a")  # another sequence does not
    assert edge._locks == {}  # nothing is kept once they are done
    assert not edge._lock_users


async def test_a_devices_bytes_are_never_tried_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN ingest's device subscribers, and a spy on the JSON decoding faststream does for a body without a
    # content type
    tried: list[bytes] = []
    real = vars(faststream.message.utils)["json_loads"]

    def spy(body: bytes) -> object:
        tried.append(body)
        return real(body)

    monkeypatch.setattr("faststream.message.utils.json_loads", spy)
    broker = NatsBroker()
    broker.include_router(edge.router)
    batch = b'{"batch_id": "x", "documents": []}\n%PDF-1.4 \xff\xfe\x00 a scan\n%%EOF\n'
    async with TestNatsBroker(broker) as client:
        # WHEN a batch, an upload and a chunk come in (and a session report, which is JSON)
        for subject, body in (("edge.acme.kasse-1.batch.v1", batch), ("edge.acme.kasse-1.upload.v1", batch[36:]),
                              ("edge.acme.kasse-1.chunk.v1", batch[36:]),
                              ("edge.acme.kasse-1.session.v1", b'{"session_id": 1}')):
            # the handlers need the service's runtime, which this test does not give them: only what happens to
            # the body before they run is looked at here
            with contextlib.suppress(Exception):
                await client.publish(body, subject, stream=None if subject.endswith("session.v1") else "EDGE")
    # THEN only the session report was decoded as JSON; the documents' bytes went to their handlers as they came
    assert tried == [b'{"session_id": 1}']
    assert edge.raw_body(NatsMessage(raw_message=None, body=batch)) == batch  # type: ignore[arg-type]
