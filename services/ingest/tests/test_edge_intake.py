"""Device intake handles many uploads at once, but never two deliveries of the same device sequence together."""

from __future__ import annotations

import asyncio

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
